package binfmt

import (
	"debug/elf"
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/containerd/platforms"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/crossdock/crossdock/internal/errdefs"
)

// Handler is one qemu-user target: the ELF files it runs and the
// binfmt_misc entry that sends them to qemu.
type Handler struct {
	// Arch is qemu's name for the target: "arm", "aarch64", "x86_64".
	Arch string
	// Class, Data and Machine are the ELF header fields (e_ident[EI_CLASS],
	// e_ident[EI_DATA], e_machine) of the target's executables.
	Class   elf.Class
	Data    elf.Data
	Machine elf.Machine
	// Platform is the OCI platform the target runs, such as linux/arm/v7.
	Platform v1.Platform
}

// handlers is the table of qemu-user targets crossdock knows.
//
// TODO: MIPS is missing: o32 and n32 binaries share ELFCLASS32 and
// EM_MIPS and differ only in e_flags, so a user with a MIPS image gets
// ErrUnknownArch from install and doctor.
var handlers = []Handler{
	{"arm", elf.ELFCLASS32, elf.ELFDATA2LSB, elf.EM_ARM, plat("arm", "v7")},
	{"armeb", elf.ELFCLASS32, elf.ELFDATA2MSB, elf.EM_ARM, plat("armbe", "")},
	{"aarch64", elf.ELFCLASS64, elf.ELFDATA2LSB, elf.EM_AARCH64, plat("arm64", "")},
	{"aarch64_be", elf.ELFCLASS64, elf.ELFDATA2MSB, elf.EM_AARCH64, plat("arm64be", "")},
	{"i386", elf.ELFCLASS32, elf.ELFDATA2LSB, elf.EM_386, plat("386", "")},
	{"x86_64", elf.ELFCLASS64, elf.ELFDATA2LSB, elf.EM_X86_64, plat("amd64", "")},
	{"riscv32", elf.ELFCLASS32, elf.ELFDATA2LSB, elf.EM_RISCV, plat("riscv32", "")},
	{"riscv64", elf.ELFCLASS64, elf.ELFDATA2LSB, elf.EM_RISCV, plat("riscv64", "")},
	{"ppc", elf.ELFCLASS32, elf.ELFDATA2MSB, elf.EM_PPC, plat("ppc", "")},
	{"ppc64", elf.ELFCLASS64, elf.ELFDATA2MSB, elf.EM_PPC64, plat("ppc64", "")},
	{"ppc64le", elf.ELFCLASS64, elf.ELFDATA2LSB, elf.EM_PPC64, plat("ppc64le", "")},
	{"s390x", elf.ELFCLASS64, elf.ELFDATA2MSB, elf.EM_S390, plat("s390x", "")},
	{"loongarch64", elf.ELFCLASS64, elf.ELFDATA2LSB, elf.EM_LOONGARCH, plat("loong64", "")},
}

func plat(arch, variant string) v1.Platform {
	return v1.Platform{OS: "linux", Architecture: arch, Variant: variant}
}

// Handlers returns a copy of the handler table.
func Handlers() []Handler { return append([]Handler(nil), handlers...) }

// Name is the binfmt_misc entry name, "qemu-" plus the qemu arch: the name
// Debian's qemu-user-static and multiarch/qemu-user-static register too.
func (h Handler) Name() string { return "qemu-" + h.Arch }

// Program is the file name of the static qemu-user interpreter.
func (h Handler) Program() string { return "qemu-" + h.Arch + "-static" }

// magicSize covers e_ident (16 bytes), e_type (2) and e_machine (2).
const magicSize = 20

// Magic returns the bytes binfmt_misc compares at offset 0: the ELF magic,
// class, byte order and version, a zero OS ABI and padding, e_type
// ET_EXEC and e_machine, the last two in the target's byte order. Magic is
// already masked (Magic[i]&Mask()[i] == Magic[i]).
func (h Handler) Magic() []byte {
	b := make([]byte, magicSize)
	copy(b, elf.ELFMAG)
	b[elf.EI_CLASS] = byte(h.Class)
	b[elf.EI_DATA] = byte(h.Data)
	b[elf.EI_VERSION] = byte(elf.EV_CURRENT)
	order := h.byteOrder()
	order.PutUint16(b[16:], uint16(elf.ET_EXEC))
	order.PutUint16(b[18:], uint16(h.Machine))
	return b
}

// Mask returns which bits of Magic must match. All do, except:
//   - e_ident[EI_OSABI] (byte 7): Linux binaries say either NONE (0) or
//     GNU/Linux (3);
//   - the lowest bit of e_type: ET_EXEC (2) and ET_DYN (3, a PIE) both run.
//
// EI_ABIVERSION and the padding (bytes 8..15) must be zero, as the ELF
// specification requires.
func (h Handler) Mask() []byte {
	b := make([]byte, magicSize)
	for i := range b {
		b[i] = 0xff
	}
	b[elf.EI_OSABI] = 0x00
	low := 16 // the low byte of e_type
	if h.Data == elf.ELFDATA2MSB {
		low = 17
	}
	b[low] = 0xfe
	return b
}

// Match reports whether binfmt_misc would hand a file starting with header
// to this handler.
func (h Handler) Match(header []byte) bool {
	return len(mismatch(h.Magic(), h.Mask(), header)) == 0
}

// mismatch returns the offsets of the header bytes that fail magic and
// mask. A header shorter than the magic fails at every missing byte.
func mismatch(magic, mask, header []byte) []int {
	var bad []int
	for i := range magic {
		m := byte(0xff)
		if i < len(mask) {
			m = mask[i]
		}
		if i >= len(header) || header[i]&m != magic[i]&m {
			bad = append(bad, i)
		}
	}
	return bad
}

func (h Handler) byteOrder() binary.ByteOrder {
	if h.Data == elf.ELFDATA2MSB {
		return binary.BigEndian
	}
	return binary.LittleEndian
}

// HandlerFor finds the handler for a name: a qemu arch ("arm", "aarch64"),
// an entry name ("qemu-arm"), a uname -m name ("armv7l"), a GOARCH ("arm64", "amd64") or an OCI
// platform ("linux/arm/v7"). Unknown names give an error wrapping
// ErrUnknownArch.
func HandlerFor(name string) (Handler, error) {
	name = strings.TrimPrefix(strings.ToLower(strings.TrimSpace(name)), "qemu-")
	if a, ok := unameArches[name]; ok {
		name = a
	}
	for _, h := range handlers {
		if h.Arch == name || h.Platform.Architecture == name {
			return h, nil
		}
	}
	if p, err := platforms.Parse(name); err == nil {
		for _, h := range handlers {
			if h.Platform.Architecture == p.Architecture && p.OS == "linux" {
				return h, nil
			}
		}
	}
	return Handler{}, errdefs.Invalid(fmt.Errorf("%q: %w (known: %s)", name, ErrUnknownArch, archList()))
}

// unameArches maps machine names from uname -m and Debian architectures
// to the table's qemu arch.
var unameArches = map[string]string{
	"armv5tel": "arm", "armv6l": "arm", "armv7l": "arm", "armv8l": "arm",
	"armhf": "arm", "armel": "arm",
	"i486": "i386", "i586": "i386", "i686": "i386", "x86-64": "x86_64",
}

func archList() string {
	names := make([]string, len(handlers))
	for i, h := range handlers {
		names[i] = h.Arch
	}
	return strings.Join(names, ", ")
}

// handlerForELF finds the table entry for an identified file.
func handlerForELF(i ELFInfo) (Handler, bool) {
	for _, h := range handlers {
		if h.Class == i.Class && h.Data == i.Data && h.Machine == i.Machine {
			return h, true
		}
	}
	return Handler{}, false
}
