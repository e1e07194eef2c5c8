package binfmt_test

import (
	"bytes"
	"debug/elf"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/crossdock/crossdock/binfmt"
	"github.com/crossdock/crossdock/internal/errdefs"
)

func TestIdentifyCrossCompiled(t *testing.T) {
	cases := []struct {
		goarch, goarm string
		class         elf.Class
		data          elf.Data
		machine       elf.Machine
		platform      string
	}{
		{"arm", "7", elf.ELFCLASS32, elf.ELFDATA2LSB, elf.EM_ARM, "linux/arm/v7"},
		{"arm", "6", elf.ELFCLASS32, elf.ELFDATA2LSB, elf.EM_ARM, "linux/arm/v6"}, // from Go's build info
		{"arm", "5", elf.ELFCLASS32, elf.ELFDATA2LSB, elf.EM_ARM, "linux/arm/v5"},
		{"amd64", "v3", elf.ELFCLASS64, elf.ELFDATA2LSB, elf.EM_X86_64, "linux/amd64/v3"},
		{"arm64", "", elf.ELFCLASS64, elf.ELFDATA2LSB, elf.EM_AARCH64, "linux/arm64"},
		{"amd64", "", elf.ELFCLASS64, elf.ELFDATA2LSB, elf.EM_X86_64, "linux/amd64"},
		{"riscv64", "", elf.ELFCLASS64, elf.ELFDATA2LSB, elf.EM_RISCV, "linux/riscv64"},
	}
	for _, tc := range cases {
		t.Run(tc.platform, func(t *testing.T) {
			info, err := binfmt.IdentifyFile(buildProg(t, tc.goarch, tc.goarm))
			assert.NilError(t, err)
			assert.Equal(t, info.Class, tc.class)
			assert.Equal(t, info.Data, tc.data)
			assert.Equal(t, info.Machine, tc.machine)
			assert.Equal(t, info.Type, elf.ET_EXEC)
			assert.Check(t, info.Static(), "interpreter %q", info.Interpreter)
			assert.Check(t, !info.PIE())
			assert.Equal(t, info.Platform().String(), tc.platform)
		})
	}
}

// Go writes EABI5 with no float ABI bits and no .ARM.attributes: the
// float ABI is unknown and the variant falls back to v7.
func TestIdentifyGoARMHasNoFloatABI(t *testing.T) {
	info, err := binfmt.IdentifyFile(buildProg(t, "arm", "7"))
	assert.NilError(t, err)
	assert.Equal(t, info.Flags&0xff000000, uint32(0x05000000))
	assert.Equal(t, info.FloatABI, binfmt.FloatUnknown)
	assert.Equal(t, info.ARMArch, "")
}

func TestIdentifyHostDynamic(t *testing.T) {
	info, err := binfmt.IdentifyFile(hostDynamic(t))
	assert.NilError(t, err)
	assert.Check(t, !info.Static())
	assert.Check(t, is.Contains(info.Interpreter, "ld-linux"))
	assert.Check(t, info.PIE(), "Debian builds /bin/ls as a PIE")
	want := "linux/" + runtime.GOARCH
	if runtime.GOARCH == "arm" {
		want += "/v7"
	}
	assert.Equal(t, info.Platform().String(), want)
}

func TestIdentifyStaticPIE(t *testing.T) {
	p := "/usr/bin/qemu-arm-static" // Debian builds qemu-user-static as static-pie
	if _, err := os.Stat(p); err != nil {
		t.Skip("needs qemu-user-static (.ci/setup installs it)")
	}
	info, err := binfmt.IdentifyFile(p)
	assert.NilError(t, err)
	assert.Check(t, info.Static())
	assert.Check(t, info.PIE())
}

func TestIdentifyNotELF(t *testing.T) {
	dir := t.TempDir()
	cases := map[string][]byte{
		"script":    []byte("#!/bin/sh\necho hi\n"),
		"empty":     nil,
		"truncated": []byte("\x7fELF\x01\x01\x01"),
		"bad body":  append([]byte("\x7fELF\x01\x01\x01"), bytes.Repeat([]byte{0xff}, 60)...),
	}
	for name, content := range cases {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, name)
			assert.NilError(t, os.WriteFile(p, content, 0o755))
			_, err := binfmt.IdentifyFile(p)
			assert.Check(t, errors.Is(err, binfmt.ErrNotELF), "%v", err)
			assert.Check(t, errors.Is(err, errdefs.ErrInvalid))
			assert.Check(t, is.ErrorContains(err, p))
		})
	}
}

// A GCC-built armhf binary from Debian (hello:armhf, which .ci/setup
// installs) declares its float ABI in e_flags and its architecture in
// .ARM.attributes.
func TestIdentifyDebianArmhf(t *testing.T) {
	const hello = "/usr/bin/hello"
	info, err := binfmt.IdentifyFile(hello)
	if errors.Is(err, os.ErrNotExist) {
		t.Skip("needs hello:armhf (apt-get install hello:armhf; .ci/setup installs it)")
	}
	assert.NilError(t, err)
	if info.Machine != elf.EM_ARM {
		t.Skipf("%s is the %s build, not hello:armhf", hello, info.Machine)
	}
	assert.Equal(t, info.FloatABI, binfmt.FloatHard)
	assert.Equal(t, info.ARMArch, "v7")
	assert.Equal(t, info.Interpreter, "/lib/ld-linux-armhf.so.3")
	assert.Check(t, info.PIE())
	assert.Equal(t, info.Platform().String(), "linux/arm/v7")
}
