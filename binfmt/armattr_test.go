package binfmt

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"testing"

	"gotest.tools/v3/assert"
)

// armELF builds a header-and-sections ELF32 ARM file with e_flags and a
// .ARM.attributes section holding the given file attributes, the layout
// GCC writes for armhf and armel objects.
func armELF(flags uint32, attrs []byte) []byte {
	le := binary.LittleEndian
	sub := append([]byte("aeabi\x00"), 1) // vendor, then Tag_File
	sub = le.AppendUint32(sub, uint32(5+len(attrs)))
	sub = append(sub, attrs...)
	section := le.AppendUint32([]byte{'A'}, uint32(4+len(sub)))
	section = append(section, sub...)
	shstrtab := []byte("\x00.shstrtab\x00.ARM.attributes\x00")

	b := make([]byte, 52)
	copy(b, "\x7fELF\x01\x01\x01")
	le.PutUint16(b[16:], uint16(elf.ET_EXEC))
	le.PutUint16(b[18:], uint16(elf.EM_ARM))
	le.PutUint32(b[20:], 1)
	le.PutUint32(b[36:], flags)
	le.PutUint16(b[40:], 52)
	shstrOff := len(b)
	b = append(b, shstrtab...)
	attrOff := len(b)
	b = append(b, section...)
	le.PutUint32(b[32:], uint32(len(b))) // e_shoff
	le.PutUint16(b[46:], 40)             // e_shentsize
	le.PutUint16(b[48:], 3)              // e_shnum
	le.PutUint16(b[50:], 1)              // e_shstrndx

	sh := func(name, typ, off, size uint32) {
		for _, v := range []uint32{name, typ, 0, 0, off, size, 0, 0, 1, 0} {
			b = le.AppendUint32(b, v)
		}
	}
	sh(0, 0, 0, 0)
	sh(1, uint32(elf.SHT_STRTAB), uint32(shstrOff), uint32(len(shstrtab)))
	sh(11, 0x70000003, uint32(attrOff), uint32(len(section))) // SHT_ARM_ATTRIBUTES
	return b
}

func TestIdentifyARMAttributes(t *testing.T) {
	cases := []struct {
		name     string
		flags    uint32
		attrs    []byte
		float    FloatABI
		arch     string
		platform string
	}{
		// Tag_CPU_name "7-A", Tag_CPU_arch v7, Tag_ARM_ISA_use 1
		{"armhf v7", 0x05000400, []byte("\x057-A\x00\x06\x0a\x08\x01"), FloatHard, "v7", "linux/arm/v7"},
		// Tag_CPU_raw_name, Tag_CPU_name, then Tag_CPU_arch v6KZ
		{"armel v6", 0x05000200, []byte("\x04arm1176jzf-s\x00\x05ARM1176JZF-S\x00\x06\x07"), FloatSoft, "v6", "linux/arm/v6"},
		{"v5TE", 0x05000200, []byte("\x06\x04"), FloatSoft, "v5", "linux/arm/v5"},
		{"v8 aarch32", 0x05000400, []byte("\x06\x0e"), FloatHard, "v8", "linux/arm/v8"},
		{"no Tag_CPU_arch", 0x05000400, []byte("\x08\x01\x09\x02"), FloatHard, "", "linux/arm/v7"},
		{"truncated", 0x05000400, []byte("\x05v7"), FloatHard, "", "linux/arm/v7"},
		{"old EABI", 0x04000000, []byte("\x06\x0a"), FloatUnknown, "v7", "linux/arm/v7"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			info, err := Identify(bytes.NewReader(armELF(tc.flags, tc.attrs)))
			assert.NilError(t, err)
			assert.Equal(t, info.Flags, tc.flags)
			assert.Equal(t, info.FloatABI, tc.float)
			assert.Equal(t, info.ARMArch, tc.arch)
			assert.Equal(t, info.Platform().String(), tc.platform)
		})
	}
}
