package binfmt

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
)

// armArchNames maps Tag_CPU_arch values (Addenda to, and Errata in, the ABI
// for the Arm Architecture) to the variant names OCI platforms use.
var armArchNames = map[uint64]string{
	1: "v4", 2: "v4", 3: "v5", 4: "v5", 5: "v5",
	6: "v6", 7: "v6", 8: "v6", 9: "v6", 11: "v6", 12: "v6",
	10: "v7", 13: "v7",
	14: "v8", 15: "v8", 16: "v8", 17: "v8", 21: "v8",
}

const (
	tagFile       = 1 // a sub-subsection that applies to the whole file
	tagCPURawName = 4
	tagCPUName    = 5
	tagCPUArch    = 6
	tagCompat     = 32
)

// armArch returns the architecture named by Tag_CPU_arch in the file's
// .ARM.attributes section, or "" when there is none or it can't be read.
func armArch(f *elf.File) string {
	s := f.Section(".ARM.attributes")
	if s == nil || s.Size > 1<<16 {
		return ""
	}
	data, err := s.Data()
	if err != nil || len(data) < 1 || data[0] != 'A' {
		return ""
	}
	return armArchFromAttributes(data[1:], f.ByteOrder)
}

// armArchFromAttributes walks the "aeabi" subsection's file attributes.
// Each subsection is: uint32 length (counting itself), vendor name, NUL,
// then sub-subsections of tag byte, uint32 length, attributes.
func armArchFromAttributes(b []byte, order binary.ByteOrder) string {
	for len(b) >= 4 {
		n := int(order.Uint32(b))
		if n < 4 || n > len(b) {
			return ""
		}
		sub := b[4:n]
		b = b[n:]

		vendor, rest, ok := bytes.Cut(sub, []byte{0})
		if !ok || string(vendor) != "aeabi" {
			continue
		}
		for len(rest) >= 5 {
			tag := rest[0]
			m := int(order.Uint32(rest[1:]))
			if m < 5 || m > len(rest) {
				return ""
			}
			if tag == tagFile {
				if v, ok := findCPUArch(rest[5:m]); ok {
					return armArchNames[v]
				}
			}
			rest = rest[m:]
		}
	}
	return ""
}

// findCPUArch scans attributes (ULEB128 tag, then a ULEB128 or a
// NUL-terminated string) for Tag_CPU_arch.
func findCPUArch(b []byte) (uint64, bool) {
	for len(b) > 0 {
		tag, n := binary.Uvarint(b)
		if n <= 0 {
			return 0, false
		}
		b = b[n:]

		switch {
		case tag == tagCompat: // a ULEB128 flag, then a vendor name
			_, n = binary.Uvarint(b)
			if n <= 0 {
				return 0, false
			}
			b = skipString(b[n:])
		case tag == tagCPURawName, tag == tagCPUName, tag > tagCompat && tag%2 == 1:
			b = skipString(b)
		default:
			v, n := binary.Uvarint(b)
			if n <= 0 {
				return 0, false
			}
			if tag == tagCPUArch {
				return v, true
			}
			b = b[n:]
		}
	}
	return 0, false
}

func skipString(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[i+1:]
	}
	return nil
}
