package binfmt

import (
	"debug/elf"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Platform returns the OCI platform the file is built for, such as
// linux/arm/v7, linux/arm64 or linux/amd64.
//
// For 32-bit ARM the variant comes from .ARM.attributes. Files without
// that section (Go binaries never have one) get v7, as crossdock's
// convention says linux/arm means linux/arm/v7.
//
// A Go program's build info, when present, gives the ARM variant (GOARM)
// and the amd64 level (GOAMD64 v2 to v4; v1 is no variant).
//
// A machine outside the handler table gets its GOARCH name for MIPS
// ("mipsle", "mips64") and otherwise its lower-case ELF machine name
// ("sparcv9"), which matches no OCI platform.
func (i ELFInfo) Platform() v1.Platform {
	p := v1.Platform{OS: osName(i.OSABI)}
	h, ok := handlerForELF(i)
	if !ok {
		p.Architecture = otherArch(i)
		return p
	}

	p.Architecture = h.Platform.Architecture
	if i.Machine == elf.EM_ARM && i.Data == elf.ELFDATA2LSB {
		p.Variant = "v7"
		if i.ARMArch != "" {
			p.Variant = i.ARMArch
		} else if i.GoARM != "" {
			p.Variant = "v" + i.GoARM
		}
	}
	if i.Machine == elf.EM_X86_64 && i.GoAMD64 != "" && i.GoAMD64 != "v1" {
		p.Variant = i.GoAMD64
	}
	return p
}

// otherArch names a machine outside the handler table.
func otherArch(i ELFInfo) string {
	if i.Machine == elf.EM_MIPS {
		arch := "mips"
		if i.Class == elf.ELFCLASS64 {
			arch = "mips64"
		}
		if i.Data == elf.ELFDATA2LSB {
			arch += "le"
		}
		return arch
	}
	return strings.ToLower(strings.TrimPrefix(i.Machine.String(), "EM_"))
}

// osName maps EI_OSABI to an OCI os. Linux binaries almost always say
// NONE (System V); GNU tools write GNU/Linux when a file uses GNU
// extensions such as IFUNC.
func osName(abi elf.OSABI) string {
	switch abi {
	case elf.ELFOSABI_NONE, elf.ELFOSABI_LINUX:
		return "linux"
	case elf.ELFOSABI_FREEBSD:
		return "freebsd"
	case elf.ELFOSABI_NETBSD:
		return "netbsd"
	case elf.ELFOSABI_OPENBSD:
		return "openbsd"
	case elf.ELFOSABI_SOLARIS:
		return "solaris"
	}
	return "unknown"
}
