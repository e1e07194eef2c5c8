package binfmt_test

import (
	"debug/elf"
	"encoding/binary"
	"testing"

	"gotest.tools/v3/assert"

	"github.com/crossdock/crossdock/binfmt"
)

// hdr is a crafted ELF header prefix: the 20 bytes binfmt_misc compares.
type hdr struct {
	class   elf.Class
	data    elf.Data
	osabi   elf.OSABI
	typ     elf.Type
	machine elf.Machine
	pad     map[int]byte // bytes 8..15 set to non-zero
}

func (h hdr) bytes() []byte {
	b := make([]byte, 20)
	copy(b, "\x7fELF")
	b[4], b[5], b[6], b[7] = byte(h.class), byte(h.data), 1, byte(h.osabi)
	for i, v := range h.pad {
		b[i] = v
	}
	var order binary.ByteOrder = binary.LittleEndian
	if h.data == elf.ELFDATA2MSB {
		order = binary.BigEndian
	}
	order.PutUint16(b[16:], uint16(h.typ))
	order.PutUint16(b[18:], uint16(h.machine))
	return b
}

// variants gives, for one target, the headers its handler must and must
// not match.
func variants(class elf.Class, data elf.Data, m elf.Machine) []struct {
	name  string
	h     hdr
	match bool
} {
	other := elf.ELFDATA2MSB
	if data == elf.ELFDATA2MSB {
		other = elf.ELFDATA2LSB
	}
	otherClass := elf.ELFCLASS64
	if class == elf.ELFCLASS64 {
		otherClass = elf.ELFCLASS32
	}
	base := hdr{class: class, data: data, typ: elf.ET_EXEC, machine: m}
	with := func(f func(*hdr)) hdr { h := base; f(&h); return h }
	return []struct {
		name  string
		h     hdr
		match bool
	}{
		{"exec", base, true},
		{"pie", with(func(h *hdr) { h.typ = elf.ET_DYN }), true},
		{"gnu osabi", with(func(h *hdr) { h.osabi = elf.ELFOSABI_LINUX }), true},
		{"gnu osabi pie", with(func(h *hdr) { h.osabi = elf.ELFOSABI_LINUX; h.typ = elf.ET_DYN }), true},
		{"abi version 1", with(func(h *hdr) { h.pad = map[int]byte{8: 1} }), false},
		{"padding byte 15", with(func(h *hdr) { h.pad = map[int]byte{15: 0x80} }), false},
		{"other byte order", with(func(h *hdr) { h.data = other }), false},
		{"other class", with(func(h *hdr) { h.class = otherClass }), false},
		{"relocatable", with(func(h *hdr) { h.typ = elf.ET_REL }), false},
		{"core", with(func(h *hdr) { h.typ = elf.ET_CORE }), false},
		{"other machine", with(func(h *hdr) { h.machine = elf.EM_MIPS }), false},
	}
}

func TestHandlerMatch(t *testing.T) {
	targets := []struct {
		arch    string
		class   elf.Class
		data    elf.Data
		machine elf.Machine
	}{
		{"arm", elf.ELFCLASS32, elf.ELFDATA2LSB, elf.EM_ARM},
		{"armeb", elf.ELFCLASS32, elf.ELFDATA2MSB, elf.EM_ARM},
		{"aarch64", elf.ELFCLASS64, elf.ELFDATA2LSB, elf.EM_AARCH64},
		{"riscv64", elf.ELFCLASS64, elf.ELFDATA2LSB, elf.EM_RISCV},
		{"x86_64", elf.ELFCLASS64, elf.ELFDATA2LSB, elf.EM_X86_64},
		{"s390x", elf.ELFCLASS64, elf.ELFDATA2MSB, elf.EM_S390},
	}
	for _, tg := range targets {
		h, err := binfmt.HandlerFor(tg.arch)
		assert.NilError(t, err)
		for _, v := range variants(tg.class, tg.data, tg.machine) {
			t.Run(tg.arch+"/"+v.name, func(t *testing.T) {
				assert.Equal(t, h.Match(v.h.bytes()), v.match, "% x", v.h.bytes())
			})
		}
	}
}

// Big-endian ARM goes to qemu-armeb and never to qemu-arm, and the other
// way round; every crafted header matches exactly one handler in the table.
func TestHandlerTableIsUnambiguous(t *testing.T) {
	arm, _ := binfmt.HandlerFor("arm")
	armeb, _ := binfmt.HandlerFor("armeb")
	le := hdr{class: elf.ELFCLASS32, data: elf.ELFDATA2LSB, typ: elf.ET_EXEC, machine: elf.EM_ARM}
	be := hdr{class: elf.ELFCLASS32, data: elf.ELFDATA2MSB, typ: elf.ET_DYN, machine: elf.EM_ARM}
	assert.Check(t, arm.Match(le.bytes()) && !arm.Match(be.bytes()))
	assert.Check(t, armeb.Match(be.bytes()) && !armeb.Match(le.bytes()))

	for _, h := range binfmt.Handlers() {
		m := h.Magic()
		var found []string
		for _, o := range binfmt.Handlers() {
			if o.Match(m) {
				found = append(found, o.Arch)
			}
		}
		assert.DeepEqual(t, found, []string{h.Arch})
	}
}

func TestMagicIsMasked(t *testing.T) {
	for _, h := range binfmt.Handlers() {
		magic, mask := h.Magic(), h.Mask()
		assert.Equal(t, len(magic), len(mask))
		for i := range magic {
			assert.Equal(t, magic[i]&mask[i], magic[i], "%s byte %d", h.Arch, i)
		}
	}
}

func TestHandlerFor(t *testing.T) {
	cases := map[string]string{
		"arm": "arm", "qemu-arm": "arm", "linux/arm/v7": "arm", "linux/arm": "arm",
		"armhf": "arm", "arm64": "aarch64", "linux/arm64/v8": "aarch64",
		"aarch64": "aarch64", "amd64": "x86_64", "x86_64": "x86_64",
		"linux/riscv64": "riscv64", "386": "i386", "linux/ppc64le": "ppc64le",
	}
	for in, want := range cases {
		h, err := binfmt.HandlerFor(in)
		assert.NilError(t, err, in)
		assert.Equal(t, h.Arch, want, in)
		assert.Equal(t, h.Name(), "qemu-"+want)
	}
	_, err := binfmt.HandlerFor("linux/sparc")
	assert.ErrorIs(t, err, binfmt.ErrUnknownArch)
	assert.ErrorContains(t, err, `"linux/sparc"`)
}
