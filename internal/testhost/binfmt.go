package testhost

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/crossdock/crossdock/binfmt"
)

// NeedHandler makes binaries for arch (a qemu arch such as "arm", or a
// platform such as "linux/arm/v7") run on this host, inside containers
// too, for the rest of the test. It skips unless the test runs as root
// with binfmt_misc mounted and the static qemu installed; it holds the
// shared binfmt lock (BinfmtShared) until the test ends; and when no
// working handler is there, it registers crossdock's and leaves it
// registered for the tests that follow (CI registers it anyway).
//
// The registration happens under the shared lock, not an exclusive one:
// the shared lock already keeps out every test that removes or replaces a
// handler, adding a missing handler disturbs no test that uses the ones
// there, and two tests registering at once meet in binfmt.Install, which
// takes the kernel's "File exists" as "compare again". Upgrading to the
// exclusive lock would deadlock as soon as two tests that already hold the
// shared lock (in this process or another) both need a new handler.
func NeedHandler(t testing.TB, arch string) {
	t.Helper()
	RequireRoot(t)
	h, err := binfmt.HandlerFor(arch)
	if err != nil {
		t.Fatalf("NeedHandler: %v", err)
	}
	if _, err := os.Stat(filepath.Join(binfmt.DefaultRoot, "register")); err != nil {
		t.Skipf("needs binfmt_misc mounted at %s (.ci/setup mounts it)", binfmt.DefaultRoot)
	}
	RequireProgram(t, h.Program(), "qemu-user-static")
	BinfmtShared(t)

	platform := h.Platform.String()
	if _, err := binfmt.Check(platform); err == nil {
		return
	}
	res, err := binfmt.Install(h)
	if err != nil {
		t.Fatalf("NeedHandler %s: %v", arch, err)
	}
	t.Logf("NeedHandler: %s %s: %s, flags %s", h.Name(), res.Action, res.Entry.Interpreter, res.Entry.Flags)
	if _, err := binfmt.Check(platform); err != nil {
		t.Fatalf("NeedHandler %s: registered, but: %v", arch, err)
	}
}
