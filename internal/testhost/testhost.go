// Package testhost gives crossdock's tests what they need from the host:
// root, programs such as runc and qemu-user, and safe use of the one
// binfmt_misc that the whole machine shares.
//
// binfmt_misc is global: a test that removes or replaces a handler must not
// run while another test (in any package, any process) relies on it. Tests
// that only use handlers call BinfmtShared; tests that change them call
// BinfmtExclusive. Both hold a flock on one file in /run for the rest of the
// test, so `go test ./...` with packages in parallel stays correct.
package testhost

import (
	"context"
	"os"
	"os/exec"
	"testing"

	"github.com/crossdock/crossdock/internal/flock"
)

// binfmtLock is the machine-wide lock file that serializes tests that
// change binfmt_misc against tests that use it.
const binfmtLock = "/run/crossdock-test-binfmt.lock"

// RequireRoot skips the test unless it runs as root. CI runs as root, so
// nothing is skipped there.
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (CI runs as root)")
	}
}

// RequireProgram skips the test unless name is on PATH, and returns its path.
// The skip message names the Debian package that .ci/setup installs.
func RequireProgram(t testing.TB, name, debianPackage string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("needs %s (apt-get install %s; .ci/setup installs it)", name, debianPackage)
	}
	return p
}

// BinfmtShared holds a shared lock on binfmt_misc until the test ends: use
// it in every test that relies on a registered handler.
func BinfmtShared(t testing.TB) {
	t.Helper()
	hold(t, false)
}

// BinfmtExclusive holds an exclusive lock on binfmt_misc until the test
// ends: use it in every test that registers, replaces or removes a handler
// in the real /proc/sys/fs/binfmt_misc.
func BinfmtExclusive(t testing.TB) {
	t.Helper()
	hold(t, true)
}

func hold(t testing.TB, exclusive bool) {
	t.Helper()
	take := flock.Shared
	if exclusive {
		take = flock.Exclusive
	}
	l, err := take(context.Background(), binfmtLock)
	if err != nil {
		t.Fatalf("binfmt test lock: %v", err)
	}
	t.Cleanup(func() { l.Unlock() })
}
