package binfmt_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/crossdock/crossdock/binfmt"
	"github.com/crossdock/crossdock/internal/testhost"
)

// The drop-in that --persist writes is one systemd-binfmt applies: after
// the handler is removed, systemd-binfmt reading only that file registers
// the same entry again.
func TestDropInAppliesWithSystemdBinfmt(t *testing.T) {
	testhost.RequireRoot(t)
	if _, err := os.Stat(filepath.Join(binfmt.DefaultRoot, "register")); err != nil {
		t.Skipf("needs binfmt_misc mounted at %s (.ci/setup mounts it)", binfmt.DefaultRoot)
	}
	sdBinfmt := "/lib/systemd/systemd-binfmt"
	if _, err := os.Stat(sdBinfmt); err != nil {
		t.Skip("needs systemd-binfmt (Debian package systemd)")
	}
	testhost.RequireProgram(t, "qemu-riscv64-static", "qemu-user-static")
	testhost.BinfmtExclusive(t)

	h, err := binfmt.HandlerFor("riscv64")
	assert.NilError(t, err)
	if _, err := os.Stat(filepath.Join(binfmt.DefaultRoot, h.Name())); err == nil {
		t.Skipf("%s is registered already; this test would remove it", h.Name())
	}
	dropins := t.TempDir()
	res, err := binfmt.Install(h, binfmt.WithPersist(), binfmt.WithPersistDir(dropins))
	assert.NilError(t, err)
	t.Cleanup(func() { binfmt.Uninstall(h, binfmt.WithPersistDir(dropins)) })
	assert.Equal(t, res.Action, binfmt.Registered)

	saved := filepath.Join(t.TempDir(), filepath.Base(res.DropIn))
	assert.NilError(t, os.Rename(res.DropIn, saved))
	_, err = binfmt.Uninstall(h, binfmt.WithPersistDir(dropins))
	assert.NilError(t, err)

	out, err := exec.Command(sdBinfmt, saved).CombinedOutput()
	assert.NilError(t, err, "%s", out)
	st, err := binfmt.ReadStatus()
	assert.NilError(t, err)
	var found bool
	for _, e := range st.Handlers {
		if e.Name == h.Name() {
			found = true
			assert.Check(t, e.Same(res.Entry), "systemd-binfmt registered %+v, want %+v", e.Entry, res.Entry)
			assert.Check(t, is.Equal(e.Platform, "linux/riscv64"))
		}
	}
	assert.Check(t, found, "systemd-binfmt did not register %s", h.Name())
}
