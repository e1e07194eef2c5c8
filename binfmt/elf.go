package binfmt

import (
	"bytes"
	"debug/buildinfo"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/crossdock/crossdock/internal/errdefs"
)

// ARM e_flags bits (ELF for the Arm Architecture, EABI version 5).
const (
	armEABIMask       = 0xff000000
	armEABIVersion5   = 0x05000000
	armABIFloatSoft   = 0x00000200
	armABIFloatHard   = 0x00000400
	elfIdentSize      = 16
	elfHeaderMinBytes = 52 // an ELF32 header; ELF64 needs 64
)

// FloatABI is the floating-point calling convention of an ARM binary.
type FloatABI string

// The ARM float ABIs an ELF header can declare.
const (
	FloatUnknown FloatABI = ""     // not declared (Go binaries, old EABI)
	FloatHard    FloatABI = "hard" // arguments in VFP registers (armhf)
	FloatSoft    FloatABI = "soft" // arguments in core registers (armel)
)

// ELFInfo is what Identify reads from an ELF file.
type ELFInfo struct {
	Class   elf.Class   // ELFCLASS32 or ELFCLASS64
	Data    elf.Data    // byte order
	OSABI   elf.OSABI   // ELFOSABI_NONE or ELFOSABI_LINUX for Linux
	Type    elf.Type    // ET_EXEC, or ET_DYN for a PIE or shared object
	Machine elf.Machine // EM_ARM, EM_AARCH64, EM_X86_64, ...
	Flags   uint32      // e_flags, machine-specific

	// Interpreter is the PT_INTERP path (the dynamic loader), empty for a
	// static binary.
	Interpreter string
	// FloatABI is the ARM float ABI from e_flags, for EM_ARM only.
	FloatABI FloatABI
	// ARMArch is the ARM architecture from the .ARM.attributes section
	// (Tag_CPU_arch), such as "v7" or "v6"; empty when the file has none.
	ARMArch string
	// GoARM and GoAMD64 are the GOARM ("5", "6", "7") and GOAMD64 ("v1"
	// to "v4") settings in a Go program's build info; empty otherwise.
	GoARM, GoAMD64 string
}

// Static reports whether the file has no dynamic loader (PT_INTERP).
func (i ELFInfo) Static() bool { return i.Interpreter == "" }

// PIE reports whether the file is position-independent (ET_DYN).
func (i ELFInfo) PIE() bool { return i.Type == elf.ET_DYN }

// IdentifyFile identifies the ELF file at path. A file that is not ELF
// gives an error that wraps ErrNotELF and names the path.
func IdentifyFile(path string) (ELFInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return ELFInfo{}, fmt.Errorf("identify %s: %w", path, err)
	}
	defer f.Close()

	info, err := Identify(f)
	if err != nil {
		return ELFInfo{}, fmt.Errorf("identify %s: %w", path, err)
	}
	return info, nil
}

// Identify reads an ELF file's header, program headers and, for ARM, the
// .ARM.attributes section. It returns an error wrapping ErrNotELF (and
// marked as bad input) when r does not start with an ELF header.
func Identify(r io.ReaderAt) (ELFInfo, error) {
	hdr := make([]byte, 64)
	n, err := r.ReadAt(hdr, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return ELFInfo{}, err
	}
	hdr = hdr[:n]
	if !bytes.HasPrefix(hdr, []byte(elf.ELFMAG)) {
		return ELFInfo{}, errdefs.Invalid(ErrNotELF)
	}
	need := elfHeaderMinBytes
	if n > elf.EI_CLASS && elf.Class(hdr[elf.EI_CLASS]) == elf.ELFCLASS64 {
		need = 64
	}
	if n < need {
		return ELFInfo{}, errdefs.Invalid(truncatedError{have: n, need: need})
	}

	f, err := elf.NewFile(r)
	if err != nil {
		return ELFInfo{}, errdefs.Invalid(fmt.Errorf("%w: %w", ErrNotELF, err))
	}
	info := ELFInfo{
		Class:   f.Class,
		Data:    f.Data,
		OSABI:   f.OSABI,
		Type:    f.Type,
		Machine: f.Machine,
		Flags:   headerFlags(hdr, f.Class, f.ByteOrder),
	}

	if info.Interpreter, err = interpreter(f); err != nil {
		return ELFInfo{}, err
	}
	if f.Machine == elf.EM_ARM {
		info.FloatABI = armFloatABI(info.Flags)
		info.ARMArch = armArch(f)
	}
	if f.Machine == elf.EM_ARM || f.Machine == elf.EM_X86_64 {
		info.GoARM, info.GoAMD64 = goSettings(r)
	}
	return info, nil
}

// goSettings returns the GOARM and GOAMD64 levels ("7", "v3") that Go's
// build info records in a Go program; empty for other programs.
func goSettings(r io.ReaderAt) (goarm, goamd64 string) {
	bi, err := buildinfo.Read(r)
	if err != nil {
		return "", ""
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "GOARM":
			goarm, _, _ = strings.Cut(s.Value, ",") // "6,softfloat"
		case "GOAMD64":
			goamd64 = s.Value
		}
	}
	return goarm, goamd64
}

// truncatedError is an ELF magic followed by less than a whole header.
// It counts as ErrNotELF for callers that skip files that are not ELF.
type truncatedError struct{ have, need int }

func (e truncatedError) Error() string {
	return fmt.Sprintf("truncated ELF header: %d bytes, a header needs %d", e.have, e.need)
}

func (e truncatedError) Is(target error) bool { return target == ErrNotELF }

// headerFlags returns e_flags, which debug/elf does not expose. It follows
// e_entry, e_phoff and e_shoff, whose width depends on the class.
func headerFlags(hdr []byte, class elf.Class, order binary.ByteOrder) uint32 {
	off := 24 + 3*4
	if class == elf.ELFCLASS64 {
		off = 24 + 3*8
	}
	if len(hdr) < off+4 {
		return 0
	}
	return order.Uint32(hdr[off:])
}

// interpreter returns the PT_INTERP path, or "" for a static file.
func interpreter(f *elf.File) (string, error) {
	for _, p := range f.Progs {
		if p.Type != elf.PT_INTERP {
			continue
		}
		b, err := io.ReadAll(io.LimitReader(p.Open(), 4096))
		if err != nil {
			return "", fmt.Errorf("read PT_INTERP: %w", err)
		}
		return string(bytes.TrimRight(b, "\x00")), nil
	}
	return "", nil
}

func armFloatABI(flags uint32) FloatABI {
	if flags&armEABIMask != armEABIVersion5 {
		return FloatUnknown
	}
	switch {
	case flags&armABIFloatHard != 0:
		return FloatHard
	case flags&armABIFloatSoft != 0:
		return FloatSoft
	}
	return FloatUnknown
}
