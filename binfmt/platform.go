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
// TODO: a GOARM=5 or GOARM=6 Go binary is reported as linux/arm/v7, since
// nothing in its headers names the architecture; a v7 image holding such a
// file passes the architecture check.
//
// A machine outside the handler table gets its lower-case ELF machine
// name ("sparcv9") as the architecture, which matches no OCI platform.
func (i ELFInfo) Platform() v1.Platform {
	p := v1.Platform{OS: osName(i.OSABI)}
	h, ok := handlerForELF(i)
	if !ok {
		p.Architecture = strings.ToLower(strings.TrimPrefix(i.Machine.String(), "EM_"))
		return p
	}

	p.Architecture = h.Platform.Architecture
	if i.Machine == elf.EM_ARM && i.Data == elf.ELFDATA2LSB {
		p.Variant = "v7"
		if i.ARMArch != "" {
			p.Variant = i.ARMArch
		}
	}
	return p
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
