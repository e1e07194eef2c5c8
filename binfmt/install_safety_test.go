package binfmt

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/crossdock/crossdock/internal/errdefs"
)

// --replace removes the old entry before registering; when the kernel
// refuses the new one, the old one is registered again, and if that fails
// too the error says the handler is gone and how to get it back.
func TestBinfmtReplaceRestoresOnFailure(t *testing.T) {
	bin := staticQemu(t)
	const theirs = "/usr/bin/qemu-arm"
	for _, restoreFails := range []bool{false, true} {
		k := newFakeKernel(t)
		k.entry("qemu-arm", true, theirs, "OC", armMagic, armMask)
		k.reject = func(name, data string) error {
			if name == "register" && (restoreFails || !strings.Contains(data, theirs)) {
				return syscall.EINVAL
			}
			return nil
		}
		_, err := Install(arm, k.opts(WithSearchPath(bin), WithReplace())...)
		assert.Check(t, errors.Is(err, syscall.EINVAL), "%v", err)
		if !restoreFails {
			assert.Check(t, is.ErrorContains(err, "the previous handler is back (interpreter "+theirs))
			assert.DeepEqual(t, k.writes, []string{"qemu-arm: -1",
				`register: :qemu-arm:M:0:` + escape(arm.Magic()) + ":" + escape(arm.Mask()) + ":" + theirs + ":OC"})
			assert.Check(t, is.Contains(k.read("qemu-arm"), "interpreter "+theirs+"\n"))
			continue
		}
		assert.Check(t, is.ErrorContains(err, "restoring the previous handler failed too"))
		assert.Check(t, is.ErrorContains(err, "handler qemu-arm is gone; to get it back run: printf '%s' ':qemu-arm:M:0:"))
		assert.Check(t, is.ErrorContains(err, ":"+theirs+":OC' > /proc/sys/fs/binfmt_misc/register"))
	}
}

func TestBinfmtInstallRefusals(t *testing.T) {
	bin := staticQemu(t)
	file := filepath.Join(t.TempDir(), "file")
	assert.NilError(t, os.WriteFile(file, nil, 0o644))
	cases := []struct {
		name  string
		setup func(k *fakeKernel)
		opts  []Option
		want  error
		code  int
		msg   string
	}{
		{name: "binfmt_misc disabled", setup: func(k *fakeKernel) {
			assert.NilError(t, os.WriteFile(filepath.Join(k.root, "status"), []byte("disabled\n"), 0o644))
		}, want: ErrDisabled, code: 3, msg: "disabled as a whole (run: echo 1 > "},
		{name: "not root", setup: func(k *fakeKernel) {
			k.reject = func(name, data string) error { return &os.PathError{Op: "open", Path: name, Err: syscall.EACCES} }
		}, want: os.ErrPermission, code: 3, msg: "run as root"},
		{name: "drop-in folder is a file", opts: []Option{WithPersist(), WithPersistDir(file)},
			code: 2, msg: "drop-in folder " + file + ": not a folder"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			k := newFakeKernel(t)
			if tc.setup != nil {
				tc.setup(k)
			}
			_, err := Install(arm, k.opts(append([]Option{WithSearchPath(bin)}, tc.opts...)...)...)
			if tc.want != nil {
				assert.Check(t, errors.Is(err, tc.want), "%v", err)
			}
			assert.Equal(t, errdefs.Code(err), tc.code, "%v", err)
			assert.Check(t, is.ErrorContains(err, tc.msg))
			assert.Check(t, is.Len(k.writes, 0))
		})
	}
}

// A conflict that is only in what the entry matches shows the matching.
func TestBinfmtConflictShowsMagic(t *testing.T) {
	bin := staticQemu(t)
	ours := filepath.Join(bin, "qemu-arm-static")
	k := newFakeKernel(t)
	exact := "ffffffffffffff00ffffffffffffffffffffffff"
	k.entry("qemu-arm", true, ours, "POCF", armMagic, exact)
	_, err := Install(arm, k.opts(WithSearchPath(bin))...)
	assert.Check(t, errors.Is(err, ErrConflict), "%v", err)
	assert.Check(t, is.ErrorContains(err, "registered: interpreter "+ours+`, flags "POCF", enabled, offset 0, magic `+armMagic+", mask "+exact+"\n"))
	assert.Check(t, is.ErrorContains(err, "wanted:     interpreter "+ours+`, flags "POCF", enabled, offset 0, magic `+armMagic+", mask "+armMask+"\n"))
}

// An entry keyed on a file name extension runs no ELF platform.
func TestBinfmtStatusExtension(t *testing.T) {
	k := newFakeKernel(t)
	assert.NilError(t, os.WriteFile(filepath.Join(k.root, "wine"),
		[]byte("enabled\ninterpreter /usr/bin/wine\nflags: \nextension .exe\n"), 0o644))
	st, err := ReadStatus(k.opts()...)
	assert.NilError(t, err)
	assert.Equal(t, len(st.Handlers), 1)
	assert.Equal(t, st.Handlers[0].Extension, ".exe")
	assert.Equal(t, st.Handlers[0].Platform, "")
}

// Uninstall leaves another tool's entry alone unless forced.
func TestBinfmtUninstallForeign(t *testing.T) {
	k := newFakeKernel(t)
	const theirs = "/usr/libexec/qemu-binfmt/arm-binfmt-P"
	k.entry("qemu-arm", true, theirs, "POCF", armMagic, armMask)
	_, err := Uninstall(arm, k.opts(WithPersistDir(t.TempDir()))...)
	assert.Check(t, errors.Is(err, ErrConflict), "%v", err)
	assert.Check(t, is.ErrorContains(err, "looks like another tool's (interpreter "+theirs))
	assert.Check(t, is.ErrorContains(err, "--force removes it"))
	assert.Check(t, is.Len(k.writes, 0))

	res, err := Uninstall(arm, k.opts(WithPersistDir(t.TempDir()), WithForce())...)
	assert.NilError(t, err)
	assert.Equal(t, res.Action, Removed)
	assert.DeepEqual(t, k.writes, []string{"qemu-arm: -1"})
}

func TestBinfmtHandlerForUnameNames(t *testing.T) {
	for name, want := range map[string]string{"armv7l": "arm", "armv6l": "arm", "armhf": "arm",
		"i686": "i386", "aarch64": "aarch64", "x86_64": "x86_64"} {
		h, err := HandlerFor(name)
		assert.NilError(t, err, name)
		assert.Equal(t, h.Arch, want, name)
	}
}
