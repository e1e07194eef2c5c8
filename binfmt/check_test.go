package binfmt

import (
	"debug/elf"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/crossdock/crossdock/internal/errdefs"
)

// writeELF32 writes a header-only ELF32 file: enough for Identify and for
// binfmt_misc's magic, nothing to run.
func writeELF32(t *testing.T, data elf.Data, osabi elf.OSABI, typ elf.Type, m elf.Machine) string {
	b := make([]byte, 52)
	copy(b, elf.ELFMAG)
	b[4], b[5], b[6], b[7] = byte(elf.ELFCLASS32), byte(data), 1, byte(osabi)
	var order binary.ByteOrder = binary.LittleEndian
	if data == elf.ELFDATA2MSB {
		order = binary.BigEndian
	}
	order.PutUint16(b[16:], uint16(typ))
	order.PutUint16(b[18:], uint16(m))
	order.PutUint32(b[20:], 1)  // e_version
	order.PutUint16(b[40:], 52) // e_ehsize
	p := filepath.Join(t.TempDir(), "prog")
	assert.NilError(t, os.WriteFile(p, b, 0o755))
	return p
}

func TestCheck(t *testing.T) {
	ours := filepath.Join(staticQemu(t), "qemu-arm-static")
	cases := []struct {
		name    string
		setup   func(k *fakeKernel)
		want    error  // nil: runs
		reason  string // substring of Reason
		fix     string // substring of Fix
		warning string // substring of the warnings
	}{
		{name: "runs", setup: func(k *fakeKernel) {
			k.entry("qemu-arm", true, ours, "POCF", armMagic, armMask)
		}, reason: "handler qemu-arm runs it with " + ours},
		{name: "another name runs it", setup: func(k *fakeKernel) {
			k.entry("arm", true, ours, "POCF", armMagic, armMask)
		}, reason: "handler arm runs it"},
		{name: "binfmt_misc disabled", setup: func(k *fakeKernel) {
			os.WriteFile(filepath.Join(k.root, "status"), []byte("disabled\n"), 0o644)
		}, want: ErrDisabled, reason: "disabled as a whole", fix: "echo 1 > "},
		{name: "no handler", want: ErrNoHandler, reason: "no binfmt_misc handler for qemu-arm",
			fix: "crossdock binfmt install --arch arm"},
		{name: "armeb only", setup: func(k *fakeKernel) {
			k.entry("qemu-armeb", true, ours, "POCF", "7f454c4601020100000000000000000000020028",
				"ffffffffffffff00ffffffffffffffffffffffff")
		}, want: ErrNoHandler, reason: "for qemu-arm"},
		{name: "handler disabled", setup: func(k *fakeKernel) {
			k.entry("qemu-arm", false, ours, "POCF", armMagic, armMask)
		}, want: ErrDisabled, reason: "handler qemu-arm is disabled", fix: "echo 1 > "},
		{name: "interpreter missing", setup: func(k *fakeKernel) {
			k.entry("qemu-arm", true, "/nonexistent/qemu-arm", "POC", armMagic, armMask)
		}, want: ErrNoInterpreter, reason: "/nonexistent/qemu-arm, which is missing", fix: "apt-get install qemu-user-static"},
		{name: "interpreter gone but held open", setup: func(k *fakeKernel) {
			k.entry("qemu-arm", true, "/nonexistent/qemu-arm", "POCF", armMagic, armMask)
		}, reason: "runs it", warning: "the kernel still holds it open"},
		{name: "no F", setup: func(k *fakeKernel) {
			k.entry("qemu-arm", true, ours, "POC", armMagic, armMask)
		}, want: ErrNoFixBinary, reason: `"no such file or directory"`, fix: "--arch arm --replace"},
		{name: "no P", setup: func(k *fakeKernel) {
			k.entry("qemu-arm", true, ours, "OCF", armMagic, armMask)
		}, reason: "runs it", warning: "argv[0]"},
		{name: "mask rejects ELF version", setup: func(k *fakeKernel) {
			k.entry("qemu-arm", true, ours, "POCF", "7f454c4601010200000000000000000002002800", armMask)
		}, want: ErrMismatch, reason: "byte 6 (ELF version) is 01, wants 02 under mask ff"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			k := newFakeKernel(t)
			if tc.setup != nil {
				tc.setup(k)
			}
			d, err := Check("linux/arm/v7", k.opts()...)
			if tc.want == nil {
				assert.NilError(t, err)
				assert.Check(t, d.Runs)
			} else {
				assert.Check(t, errors.Is(err, tc.want), "%v", err)
				assert.Equal(t, errdefs.Code(err), 3)
				assert.Check(t, !d.Runs)
				assert.Check(t, is.ErrorContains(err, d.Reason))
			}
			assert.Check(t, is.Contains(d.Reason, tc.reason))
			assert.Check(t, is.Contains(d.Fix, tc.fix))
			if tc.warning != "" {
				assert.Check(t, is.Len(d.Warnings, 1))
				assert.Check(t, is.Contains(d.Warnings[0], tc.warning))
			}
			assert.Check(t, is.Len(k.writes, 0), "doctor never writes")
		})
	}
}

func TestCheckNotMounted(t *testing.T) {
	d, err := Check("linux/arm/v7", WithRoot(t.TempDir()), WithHostMachine("x86_64"))
	assert.Check(t, errors.Is(err, ErrNotMounted), "%v", err)
	assert.Check(t, is.Contains(d.Fix, "mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc && crossdock binfmt install --arch arm"))
}

func TestCheckNative(t *testing.T) {
	for _, p := range []string{"linux/amd64", "linux/386"} {
		d, err := Check(p, WithRoot(t.TempDir()), WithHostMachine("x86_64"))
		assert.NilError(t, err)
		assert.Check(t, d.Runs && d.Native)
	}
	d, err := Check("linux/arm/v7", WithRoot(t.TempDir()), WithHostMachine("armv7l"))
	assert.NilError(t, err)
	assert.Check(t, d.Native)
}

func TestCheckBadPlatform(t *testing.T) {
	for _, p := range []string{"linux/sparc64", "not a platform"} {
		_, err := Check(p, WithRoot(t.TempDir()), WithHostMachine("x86_64"))
		assert.Equal(t, errdefs.Code(err), 2, "%v", err)
		assert.Check(t, is.ErrorContains(err, p))
	}
}

func TestCheckFile(t *testing.T) {
	ours := filepath.Join(staticQemu(t), "qemu-arm-static")
	// An old-style handler that lists e_type exactly: PIEs don't match it.
	exact := "ffffffffffffff00ffffffffffffffffffffffff"

	cases := []struct {
		name   string
		file   string
		mask   string
		want   error
		reason string
	}{
		{"exec", writeELF32(t, elf.ELFDATA2LSB, 0, elf.ET_EXEC, elf.EM_ARM), armMask, nil, "runs it"},
		{"pie", writeELF32(t, elf.ELFDATA2LSB, 0, elf.ET_DYN, elf.EM_ARM), armMask, nil, "runs it"},
		{"gnu osabi", writeELF32(t, elf.ELFDATA2LSB, elf.ELFOSABI_LINUX, elf.ET_DYN, elf.EM_ARM), armMask, nil, "runs it"},
		{"pie, exact e_type", writeELF32(t, elf.ELFDATA2LSB, 0, elf.ET_DYN, elf.EM_ARM), exact, ErrMismatch,
			"byte 16 (e_type) is 03, wants 02 under mask ff"},
		{"big-endian", writeELF32(t, elf.ELFDATA2MSB, 0, elf.ET_EXEC, elf.EM_ARM), armMask, ErrNoHandler,
			"no binfmt_misc handler for qemu-armeb"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			k := newFakeKernel(t)
			k.entry("qemu-arm", true, ours, "POCF", armMagic, tc.mask)
			d, err := CheckFile(tc.file, k.opts()...)
			if tc.want == nil {
				assert.NilError(t, err)
			} else {
				assert.Check(t, errors.Is(err, tc.want), "%v", err)
				assert.Check(t, is.ErrorContains(err, tc.file))
			}
			assert.Check(t, is.Contains(d.Reason, tc.reason))
		})
	}
}

func TestCheckFileObject(t *testing.T) {
	p := writeELF32(t, elf.ELFDATA2LSB, 0, elf.ET_REL, elf.EM_ARM)
	_, err := CheckFile(p, WithRoot(t.TempDir()))
	assert.Check(t, is.ErrorContains(err, p+": not an executable but ET_REL"))
	assert.Equal(t, errdefs.Code(err), 2)
}

func TestCheckFileNotELF(t *testing.T) {
	p := filepath.Join(t.TempDir(), "script.sh")
	assert.NilError(t, os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755))
	_, err := CheckFile(p, WithRoot(t.TempDir()))
	assert.Check(t, errors.Is(err, ErrNotELF), "%v", err)
	assert.Check(t, is.ErrorContains(err, p))
	assert.Equal(t, errdefs.Code(err), 2)
}
