package binfmt

import (
	"debug/elf"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/crossdock/crossdock/internal/errdefs"
)

var arm, _ = HandlerFor("arm")

// The table's ARM handler is the one every tool registers.
func TestARMMagicAndMask(t *testing.T) {
	k := newFakeKernel(t)
	res, err := Install(arm, k.opts(WithSearchPath(staticQemu(t)))...)
	assert.NilError(t, err)
	assert.Equal(t, res.Action, Registered)
	assert.Check(t, is.Contains(k.read("qemu-arm"), "magic "+armMagic+"\nmask "+armMask+"\n"))
}

func TestInstallRegisters(t *testing.T) {
	k := newFakeKernel(t)
	bin := staticQemu(t)
	res, err := Install(arm, k.opts(WithSearchPath(bin))...)
	assert.NilError(t, err)
	assert.Equal(t, res.Action, Registered)

	interp := filepath.Join(bin, "qemu-arm-static")
	line := `:qemu-arm:M:0:\x7f\x45\x4c\x46\x01\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x28\x00:` +
		`\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff:` + interp + ":POCF"
	assert.DeepEqual(t, k.writes, []string{"register: " + line})
	assert.Equal(t, res.Entry.Interpreter, interp)
	assert.Equal(t, res.Entry.Flags, "POCF")
}

// Before 5.12 the kernel does not tell qemu that P is set, so it is left out.
func TestInstallOldKernelLeavesOutP(t *testing.T) {
	k := newFakeKernel(t)
	res, err := Install(arm, k.opts(WithSearchPath(staticQemu(t)), WithKernelRelease("5.10.0-28-amd64"))...)
	assert.NilError(t, err)
	assert.Equal(t, res.Entry.Flags, "OCF")
	assert.Check(t, is.Contains(k.writes[0], ":OCF"))
}

// Field case B1: a handler with that name is already registered.
func TestInstallExistingHandler(t *testing.T) {
	bin := staticQemu(t)
	ours := filepath.Join(bin, "qemu-arm-static")

	t.Run("identical: nothing written", func(t *testing.T) {
		k := newFakeKernel(t)
		k.entry("qemu-arm", true, ours, "POCF", armMagic, armMask)
		before := k.read("qemu-arm")
		res, err := Install(arm, k.opts(WithSearchPath(bin))...)
		assert.NilError(t, err)
		assert.Equal(t, res.Action, Unchanged)
		assert.Check(t, is.Len(k.writes, 0))
		assert.Equal(t, k.read("qemu-arm"), before)
		assert.Equal(t, k.read("register"), "")
	})

	t.Run("identical but disabled: enabled", func(t *testing.T) {
		k := newFakeKernel(t)
		k.entry("qemu-arm", false, ours, "POCF", armMagic, armMask)
		res, err := Install(arm, k.opts(WithSearchPath(bin))...)
		assert.NilError(t, err)
		assert.Equal(t, res.Action, Enabled)
		assert.DeepEqual(t, k.writes, []string{"qemu-arm: 1"})
	})

	t.Run("different: conflict showing both", func(t *testing.T) {
		k := newFakeKernel(t)
		k.entry("qemu-arm", true, "/usr/bin/qemu-arm", "OC", armMagic, armMask)
		_, err := Install(arm, k.opts(WithSearchPath(bin))...)
		assert.Check(t, errors.Is(err, ErrConflict), "%v", err)
		assert.Check(t, is.ErrorContains(err, `registered: interpreter /usr/bin/qemu-arm, flags "OC"`))
		assert.Check(t, is.ErrorContains(err, `wanted:     interpreter `+ours+`, flags "POCF"`))
		assert.Check(t, is.ErrorContains(err, "--replace"))
		assert.Equal(t, errdefs.Code(err), 3)
		assert.Check(t, is.Len(k.writes, 0), "no blind write")
	})

	t.Run("different magic: conflict", func(t *testing.T) {
		k := newFakeKernel(t)
		strict := "ffffffffffffffffffffffffffffffffffffffff" // rejects PIE and GNU OS ABI
		k.entry("qemu-arm", true, ours, "POCF", armMagic, strict)
		_, err := Install(arm, k.opts(WithSearchPath(bin))...)
		assert.Check(t, errors.Is(err, ErrConflict), "%v", err)
		assert.Check(t, is.ErrorContains(err, "magic/mask differ"))
		assert.Check(t, is.Len(k.writes, 0))
	})

	t.Run("different with replace: remove, register, read back", func(t *testing.T) {
		k := newFakeKernel(t)
		k.entry("qemu-arm", true, "/usr/bin/qemu-arm", "OC", armMagic, armMask)
		res, err := Install(arm, k.opts(WithSearchPath(bin), WithReplace())...)
		assert.NilError(t, err)
		assert.Equal(t, res.Action, Replaced)
		assert.Equal(t, res.Previous.Interpreter, "/usr/bin/qemu-arm")
		assert.Equal(t, len(k.writes), 2)
		assert.Equal(t, k.writes[0], "qemu-arm: -1")
		assert.Check(t, is.Contains(k.writes[1], "register: :qemu-arm:M:0:"))
		assert.Check(t, is.Contains(k.read("qemu-arm"), "interpreter "+ours+"\nflags: POCF\n"))
	})
}

// Flag F needs an interpreter that exists, is a static program of the
// host's own architecture and, if it is a qemu, runs the handler's target;
// anything else is refused before any write, naming the path. An explicit
// path that is wrong is bad input (2); a dynamic one needs the static
// package (3).
func TestBinfmtInstallRefusesUnfixableInterpreter(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "qemu-arm-static")
	notELF := filepath.Join(t.TempDir(), "qemu-arm-static")
	assert.NilError(t, os.WriteFile(notELF, []byte("#!/bin/sh\n"), 0o755))
	cases := []struct {
		name, interp string
		want         error
		code         int
	}{
		{"missing", missing, ErrNoInterpreter, 2},
		{"folder", "/usr/bin", nil, 2},
		{"not ELF", notELF, ErrNotELF, 2},
		{"dynamic", "/bin/ls", ErrDynamicInterpreter, 3},
		{"an ARM program", writeELF32(t, elf.ELFDATA2LSB, 0, elf.ET_EXEC, elf.EM_ARM), ErrWrongInterpreter, 2},
		{"qemu for another target", needFile(t, "/usr/bin/qemu-aarch64-static"), ErrWrongInterpreter, 2},
	}
	for _, tc := range cases {
		for _, existing := range []bool{false, true} {
			t.Run(tc.name, func(t *testing.T) {
				k := newFakeKernel(t)
				if existing {
					k.entry("qemu-arm", true, "/usr/bin/qemu-arm", "OC", armMagic, armMask)
				}
				_, err := Install(arm, k.opts(WithInterpreter(tc.interp), WithReplace())...)
				if tc.want != nil {
					assert.Check(t, errors.Is(err, tc.want), "%v", err)
				}
				assert.Check(t, is.ErrorContains(err, tc.interp))
				assert.Equal(t, errdefs.Code(err), tc.code, "%v", err)
				assert.Check(t, is.Len(k.writes, 0))
			})
		}
	}
}

func TestInstallNoQemu(t *testing.T) {
	k := newFakeKernel(t)
	_, err := Install(arm, k.opts(WithSearchPath(t.TempDir()))...)
	assert.Check(t, errors.Is(err, ErrNoInterpreter), "%v", err)
	assert.Check(t, is.ErrorContains(err, "qemu-arm-static"))
	assert.Check(t, is.ErrorContains(err, "apt-get install qemu-user-static"))
	assert.Equal(t, errdefs.Code(err), 3)
}

func TestInstallNotMounted(t *testing.T) {
	root := t.TempDir()
	_, err := Install(arm, WithRoot(root), WithSearchPath(staticQemu(t)), WithHostMachine("x86_64"))
	assert.Check(t, errors.Is(err, ErrNotMounted), "%v", err)
	assert.Check(t, is.ErrorContains(err, "mount -t binfmt_misc"))
	entries, _ := os.ReadDir(root)
	assert.Check(t, is.Len(entries, 0), "a write must not create files")
}

func TestInstallSkipsNative(t *testing.T) {
	for _, arch := range []string{"x86_64", "i386"} {
		k := newFakeKernel(t)
		h, _ := HandlerFor(arch)
		res, err := Install(h, k.opts(WithSearchPath(t.TempDir()))...)
		assert.NilError(t, err)
		assert.Equal(t, res.Action, Native)
		assert.Check(t, is.Len(k.writes, 0))
	}
}

// --persist writes crossdock's own drop-in; uninstall removes it and the
// entry, and leaves other drop-ins alone.
func TestPersistAndUninstall(t *testing.T) {
	k := newFakeKernel(t)
	dropins := t.TempDir()
	theirs := filepath.Join(dropins, "qemu-arm.conf")
	assert.NilError(t, os.WriteFile(theirs, []byte(":qemu-arm:M::x:y:/z:F\n"), 0o644))

	res, err := Install(arm, k.opts(WithSearchPath(staticQemu(t)), WithPersist(), WithPersistDir(dropins))...)
	assert.NilError(t, err)
	assert.Equal(t, res.DropIn, filepath.Join(dropins, "crossdock-qemu-arm.conf"))
	b, err := os.ReadFile(res.DropIn)
	assert.NilError(t, err)
	assert.Check(t, is.Contains(string(b), "\n"+k.writes[0][len("register: "):]+"\n"))

	st, err := ReadStatus(k.opts(WithPersistDir(dropins))...)
	assert.NilError(t, err)
	assert.Equal(t, len(st.Handlers), 1)
	assert.Equal(t, st.Handlers[0].DropIn, res.DropIn)
	assert.Equal(t, st.Handlers[0].Platform, "linux/arm/v7")

	un, err := Uninstall(arm, k.opts(WithPersistDir(dropins))...)
	assert.NilError(t, err)
	assert.Equal(t, un.Action, Removed)
	assert.Equal(t, un.DropIn, res.DropIn)
	assert.Equal(t, k.writes[len(k.writes)-1], "qemu-arm: -1")
	_, err = os.Stat(res.DropIn)
	assert.Check(t, os.IsNotExist(err))
	_, err = os.Stat(theirs)
	assert.NilError(t, err, "a drop-in crossdock does not own is left alone")

	un, err = Uninstall(arm, k.opts(WithPersistDir(dropins))...)
	assert.NilError(t, err)
	assert.Equal(t, un.Action, Absent)
}

// With binfmt_misc not mounted, uninstall can't tell whether a handler is
// there: the host lacks binfmt_misc (3), not "not registered".
func TestBinfmtUninstallNotMounted(t *testing.T) {
	res, err := Uninstall(arm, WithRoot(t.TempDir()), WithPersistDir(t.TempDir()))
	assert.Check(t, errors.Is(err, ErrNotMounted), "%v", err)
	assert.Equal(t, errdefs.Code(err), 3)
	assert.Equal(t, res.Action, Absent)
}
