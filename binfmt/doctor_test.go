package binfmt

import (
	"debug/elf"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/crossdock/crossdock/internal/errdefs"
)

// needFile skips a test when the host lacks a file .ci/setup installs.
func needFile(t *testing.T, path string) string {
	if _, err := os.Stat(path); err != nil {
		t.Skipf("needs %s (.ci/setup installs qemu-user-static)", path)
	}
	return path
}

// writeDynELF32 writes an ARM executable header with one program header,
// PT_INTERP, naming loader.
func writeDynELF32(t *testing.T, loader string) string {
	b := make([]byte, 52+32)
	copy(b, elf.ELFMAG)
	b[4], b[5], b[6] = byte(elf.ELFCLASS32), byte(elf.ELFDATA2LSB), 1
	le := binary.LittleEndian
	le.PutUint16(b[16:], uint16(elf.ET_DYN))
	le.PutUint16(b[18:], uint16(elf.EM_ARM))
	le.PutUint32(b[20:], 1)
	le.PutUint32(b[28:], 52) // e_phoff
	le.PutUint16(b[40:], 52) // e_ehsize
	le.PutUint16(b[42:], 32) // e_phentsize
	le.PutUint16(b[44:], 1)  // e_phnum
	ph := b[52:]
	le.PutUint32(ph[0:], uint32(elf.PT_INTERP))
	le.PutUint32(ph[4:], uint32(len(b)))         // p_offset
	le.PutUint32(ph[16:], uint32(len(loader)+1)) // p_filesz
	b = append(b, loader+"\x00"...)
	p := filepath.Join(t.TempDir(), "dyn")
	assert.NilError(t, os.WriteFile(p, b, 0o755))
	return p
}

// Files the doctor must refuse as bad input, naming them, before
// judging the host: never hanging on a FIFO.
func TestDoctorFileBadInput(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	assert.NilError(t, syscall.Mkfifo(fifo, 0o755))
	truncated := filepath.Join(dir, "truncated")
	full, err := os.ReadFile(writeELF32(t, elf.ELFDATA2LSB, 0, elf.ET_EXEC, elf.EM_ARM))
	assert.NilError(t, err)
	assert.NilError(t, os.WriteFile(truncated, full[:30], 0o755))
	noexec := writeELF32(t, elf.ELFDATA2LSB, 0, elf.ET_EXEC, elf.EM_ARM)
	assert.NilError(t, os.Chmod(noexec, 0o644))
	freebsd := writeELF32(t, elf.ELFDATA2LSB, elf.ELFOSABI_FREEBSD, elf.ET_EXEC, elf.EM_ARM)
	mipsle := writeELF32(t, elf.ELFDATA2LSB, 0, elf.ET_EXEC, elf.EM_MIPS)

	cases := []struct {
		name, file, msg string
		is              error
	}{
		{"fifo", fifo, fifo + ": not a regular file (a FIFO)", nil},
		{"folder", dir, dir + ": not a regular file (a folder)", nil},
		{"truncated", truncated, truncated + ": truncated ELF header: 30 bytes, a header needs 52", ErrNotELF},
		{"not executable", noexec, noexec + ": not executable (mode -rw-r--r--); run: chmod +x", nil},
		{"freebsd", freebsd, freebsd + ": a freebsd binary (OS ABI ELFOSABI_FREEBSD): only linux", nil},
		{"mipsle", mipsle, "doctor " + mipsle + ": no qemu-user handler for this architecture: linux/mipsle (known: arm,", ErrUnknownArch},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			k := newFakeKernel(t)
			k.entry("qemu-arm", true, needFile(t, "/usr/bin/qemu-arm-static"), "POCF", armMagic, armMask)
			done := make(chan error, 1)
			go func() { _, err := CheckFile(tc.file, k.opts()...); done <- err }()
			var err error
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				t.Fatalf("CheckFile(%s) hangs", tc.file)
			}
			assert.Check(t, is.ErrorContains(err, tc.msg))
			assert.Equal(t, errdefs.Code(err), 2, "%v", err)
			if tc.is != nil {
				assert.Check(t, errors.Is(err, tc.is), "%v", err)
			}
		})
	}
}

// On the host, a dynamically linked foreign binary needs its loader.
func TestDoctorFileLoader(t *testing.T) {
	ours := needFile(t, "/usr/bin/qemu-arm-static")
	k := newFakeKernel(t)
	k.entry("qemu-arm", true, ours, "POCF", armMagic, armMask)

	missing := writeDynELF32(t, "/nonexistent/ld-linux-armhf.so.3")
	d, err := CheckFile(missing, k.opts()...)
	assert.Check(t, errors.Is(err, ErrNoLoader), "%v", err)
	assert.Equal(t, errdefs.Code(err), 3)
	assert.Check(t, !d.Runs)
	assert.Check(t, is.Contains(d.Reason, "loader /nonexistent/ld-linux-armhf.so.3 is missing"))
	assert.Check(t, is.Contains(d.Fix, "apt-get install libc6:armhf"))

	loader := filepath.Join(t.TempDir(), "ld-linux-armhf.so.3")
	assert.NilError(t, os.WriteFile(loader, nil, 0o755))
	d, err = CheckFile(writeDynELF32(t, loader), k.opts()...)
	assert.NilError(t, err)
	assert.Check(t, d.Runs)
}

func TestDoctorPlatformBadInput(t *testing.T) {
	for _, p := range []string{"linux/amd64/v9", "linux/386/v7", "linux/arm64/v7", "linux/riscv64/v1",
		"windows/amd64", "freebsd/arm/v7"} {
		_, err := Check(p, WithRoot(t.TempDir()), WithHostMachine("x86_64"))
		assert.Equal(t, errdefs.Code(err), 2, "%s: %v", p, err)
		assert.Check(t, is.ErrorContains(err, `"`+p+`"`))
	}
	_, err := Check("windows/amd64", WithHostMachine("x86_64"))
	assert.Check(t, is.ErrorContains(err, "os windows: only linux binaries run here"))
	for _, p := range []string{"linux/arm64/v8", "linux/arm/v6", "linux/amd64/v2"} {
		_, err := Check(p, WithRoot(t.TempDir()), WithHostMachine("x86_64"), WithCPUInfo(cpuinfo(t, 3)))
		assert.Check(t, errdefs.Code(err) != 2, "%s: %v", p, err)
	}
}

// cpuinfo writes a /proc/cpuinfo whose CPU has the x86-64 level given.
func cpuinfo(t *testing.T, level int) string {
	flags := "fpu sse sse2"
	for l := 2; l <= level; l++ {
		for _, f := range amd64Levels[l] {
			flags += " " + f
		}
	}
	p := filepath.Join(t.TempDir(), "cpuinfo")
	text := "processor\t: 0\nflags\t\t: " + flags + "\n\nprocessor\t: 1\nflags\t\t: " + flags + "\n"
	assert.NilError(t, os.WriteFile(p, []byte(text), 0o644))
	return p
}

func TestDoctorAMD64Level(t *testing.T) {
	cases := []struct {
		platform string
		cpu      int
		missing  string // "" runs
	}{
		{"linux/amd64", 1, ""},
		{"linux/amd64/v2", 1, "this CPU is x86-64-v1 and lacks cx16 lahf_lm popcnt sse4_1 sse4_2 ssse3, which v2 needs"},
		{"linux/amd64/v3", 3, ""},
		{"linux/amd64/v4", 3, "this CPU is x86-64-v3 and lacks avx512f avx512bw avx512cd avx512dq avx512vl, which v4 needs"},
		{"linux/amd64/v4", 4, ""},
	}
	for _, tc := range cases {
		d, err := Check(tc.platform, WithRoot(t.TempDir()), WithHostMachine("x86_64"), WithCPUInfo(cpuinfo(t, tc.cpu)))
		if tc.missing == "" {
			assert.Check(t, err, "%s on v%d", tc.platform, tc.cpu)
			assert.Check(t, d.Runs)
			continue
		}
		assert.Check(t, errors.Is(err, ErrCPULevel), "%s on v%d: %v", tc.platform, tc.cpu, err)
		assert.Equal(t, errdefs.Code(err), 3)
		assert.Check(t, !d.Runs)
		assert.Equal(t, d.Reason, tc.missing)
	}
}

// The registered interpreter must be a static program of the host's own
// architecture and, when it is a qemu, for the right target.
func TestDoctorRegisteredInterpreter(t *testing.T) {
	cases := []struct {
		name, interp, reason string
		want                 error
	}{
		{"dynamic host program", "/bin/ls", "interpreter /bin/ls is dynamically linked", ErrDynamicInterpreter},
		{"qemu for aarch64", needFile(t, "/usr/bin/qemu-aarch64-static"),
			"runs linux/arm64 binaries, not linux/arm/v7", ErrWrongInterpreter},
		{"an ARM program", writeELF32(t, elf.ELFDATA2LSB, 0, elf.ET_EXEC, elf.EM_ARM),
			"is a linux/arm/v7 program, which this x86_64 host does not run natively", ErrWrongInterpreter},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			k := newFakeKernel(t)
			k.entry("qemu-arm", true, tc.interp, "POCF", armMagic, armMask)
			d, err := Check("linux/arm/v7", k.opts()...)
			assert.Check(t, errors.Is(err, tc.want), "%v", err)
			assert.Equal(t, errdefs.Code(err), 3)
			assert.Check(t, !d.Runs)
			assert.Check(t, is.Contains(d.Reason, tc.reason))
			assert.Check(t, is.Contains(d.Fix, "--replace"))
		})
	}
}
