package binfmt_test

import (
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/crossdock/crossdock/binfmt"
	"github.com/crossdock/crossdock/internal/testhost"
)

// realBinfmt skips unless the real binfmt_misc can be changed here, takes
// the exclusive binfmt lock, and puts the machine's qemu-arm entry back as
// it was when the test ends (crossdock's handler if there was none).
func realBinfmt(t *testing.T) binfmt.Handler {
	t.Helper()
	testhost.RequireRoot(t)
	if _, err := os.Stat(filepath.Join(binfmt.DefaultRoot, "register")); err != nil {
		t.Skipf("needs binfmt_misc mounted at %s (.ci/setup mounts it)", binfmt.DefaultRoot)
	}
	testhost.RequireProgram(t, "qemu-arm-static", "qemu-user-static")
	testhost.BinfmtExclusive(t)

	arm, err := binfmt.HandlerFor("arm")
	assert.NilError(t, err)
	before, err := os.ReadFile(filepath.Join(binfmt.DefaultRoot, arm.Name()))
	t.Cleanup(func() { restore(t, arm, before, err == nil) })
	return arm
}

func restore(t *testing.T, arm binfmt.Handler, before []byte, existed bool) {
	if !existed {
		_, err := binfmt.Install(arm, binfmt.WithReplace())
		assert.Check(t, err, "leave the machine with the arm handler")
		return
	}
	e, err := binfmt.ParseEntry(arm.Name(), before)
	assert.NilError(t, err)
	entry := filepath.Join(binfmt.DefaultRoot, arm.Name())
	if now, err := binfmt.ParseEntry(arm.Name(), must(os.ReadFile(entry))); err == nil && now.Same(e) {
		return
	}
	os.WriteFile(entry, []byte("-1"), 0)
	line := fmt.Sprintf(":%s:M:%d:%s:%s:%s:%s", e.Name, e.Offset, hexEscape(e.Magic), hexEscape(e.Mask), e.Interpreter, e.Flags)
	assert.Check(t, os.WriteFile(filepath.Join(binfmt.DefaultRoot, "register"), []byte(line), 0))
}

func hexEscape(b []byte) string {
	var s strings.Builder
	for _, c := range b {
		fmt.Fprintf(&s, `\x%02x`, c)
	}
	return s.String()
}

func must(b []byte, _ error) []byte { return b }

// run starts name (a path relative to dir) with argv0 as argv[0] and
// returns its output and exit code.
func run(t *testing.T, dir, name, argv0 string, args ...string) (string, int, error) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Args[0] = argv0
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return string(out), ee.ExitCode(), nil
	}
	return string(out), 0, err
}

// An ARMv7 program runs as ./prog through crossdock's handler, sees argv
// exactly as invoked (flag P), passes its exit code through; without the
// handler it fails with "exec format error" and doctor says why.
func TestRealRegistration(t *testing.T) {
	arm := realBinfmt(t)
	dir := t.TempDir()
	prog := filepath.Join(dir, "prog")
	assert.NilError(t, os.WriteFile(prog, must(os.ReadFile(buildProg(t, "arm", "7"))), 0o755))
	assert.NilError(t, os.Symlink("prog", filepath.Join(dir, "robot-node")))

	_, err := binfmt.Uninstall(arm)
	assert.NilError(t, err)
	res, err := binfmt.Install(arm)
	assert.NilError(t, err)
	assert.Equal(t, res.Action, binfmt.Registered)
	assert.Check(t, res.Entry.HasFlag('F') && res.Entry.HasFlag('C') && res.Entry.HasFlag('O'))

	t.Run("argv as invoked", func(t *testing.T) {
		if !res.Entry.HasFlag('P') {
			t.Skip("kernel older than 5.12: installed without flag P")
		}
		out, code, err := run(t, dir, "./prog", "./prog", "a", "b c")
		assert.NilError(t, err)
		assert.Equal(t, code, 0, out)
		assert.Check(t, is.Contains(out, `argv=["./prog","a","b c"]`+"\nmachine=armv7l\n"))

		out, _, err = run(t, dir, "./robot-node", "./robot-node", "x")
		assert.NilError(t, err)
		assert.Check(t, is.Contains(out, `argv=["./robot-node","x"]`))

		out, _, err = run(t, dir, "./prog", "talker")
		assert.NilError(t, err)
		assert.Check(t, is.Contains(out, `argv=["talker"]`))
	})

	t.Run("exit code", func(t *testing.T) {
		out, code, err := run(t, dir, "./prog", "./prog", "exit=7")
		assert.NilError(t, err)
		assert.Equal(t, code, 7, out)
	})

	// Flag F: the kernel opened qemu at registration, so a root that holds
	// nothing but the ARM program runs it.
	t.Run("chroot without qemu", func(t *testing.T) {
		root := t.TempDir()
		assert.NilError(t, os.WriteFile(filepath.Join(root, "prog"), must(os.ReadFile(prog)), 0o755))
		cmd := exec.Command("/prog", "inside")
		cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: root}
		cmd.Dir = "/"
		out, err := cmd.CombinedOutput()
		assert.NilError(t, err, "%s", out)
		assert.Check(t, is.Contains(string(out), "machine=armv7l"))
	})

	// A dynamically linked armhf program from Debian runs too; its loader
	// comes from the host's armhf libc6.
	t.Run("debian armhf", func(t *testing.T) {
		if info, err := binfmt.IdentifyFile("/usr/bin/hello"); err != nil || info.Machine != elf.EM_ARM {
			t.Skip("needs hello:armhf (.ci/setup installs it)")
		}
		out, err := exec.Command("/usr/bin/hello").CombinedOutput()
		assert.NilError(t, err, "%s", out)
		assert.Equal(t, string(out), "Hello, world!\n")
	})

	d, err := binfmt.CheckFile(prog)
	assert.NilError(t, err)
	assert.Check(t, d.Runs)

	_, err = binfmt.Uninstall(arm)
	assert.NilError(t, err)
	_, _, err = run(t, dir, "./prog", "./prog")
	assert.Check(t, errors.Is(err, syscall.ENOEXEC), "want exec format error, got %v", err)
	d, err = binfmt.CheckFile(prog)
	assert.Check(t, errors.Is(err, binfmt.ErrNoHandler), "%v", err)
	assert.Check(t, is.Contains(d.Reason, "no binfmt_misc handler for qemu-arm"))
	assert.Equal(t, d.Fix, "crossdock binfmt install --arch arm")

	res, err = binfmt.Install(arm)
	assert.NilError(t, err)
	assert.Equal(t, res.Action, binfmt.Registered)
	out, code, err := run(t, dir, "./prog", "./prog")
	assert.NilError(t, err)
	assert.Equal(t, code, 0, out)
}

// Case B1 on the real kernel: the same entry writes nothing, a different
// one is a conflict, and --replace swaps it and reads it back.
func TestRealExistingHandler(t *testing.T) {
	arm := realBinfmt(t)
	_, err := binfmt.Install(arm, binfmt.WithReplace())
	assert.NilError(t, err)

	res, err := binfmt.Install(arm)
	assert.NilError(t, err)
	assert.Equal(t, res.Action, binfmt.Unchanged)

	old := binfmt.WithKernelRelease("5.10.0") // wants OCF: a different entry
	_, err = binfmt.Install(arm, old)
	assert.Check(t, errors.Is(err, binfmt.ErrConflict), "%v", err)
	assert.Check(t, is.ErrorContains(err, `flags "OCF"`))

	res, err = binfmt.Install(arm, old, binfmt.WithReplace())
	assert.NilError(t, err)
	assert.Equal(t, res.Action, binfmt.Replaced)
	assert.Equal(t, res.Entry.Flags, "OCF")

	// Without P the program sees the path it was started from, not the
	// argv[0] it was given ("talker"): what P fixes.
	dir := t.TempDir()
	assert.NilError(t, os.WriteFile(filepath.Join(dir, "prog"), must(os.ReadFile(buildProg(t, "arm", "7"))), 0o755))
	out, _, err := run(t, dir, "./prog", "talker")
	assert.NilError(t, err)
	assert.Check(t, is.Contains(out, `argv=["./prog"]`))
	d, err := binfmt.Check("linux/arm/v7")
	assert.NilError(t, err)
	assert.Check(t, is.Len(d.Warnings, 1))

	res, err = binfmt.Install(arm, binfmt.WithReplace())
	assert.NilError(t, err)
	assert.Equal(t, res.Action, binfmt.Replaced)
}
