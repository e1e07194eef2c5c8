package binfmt

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// Entry is a binfmt_misc handler as the kernel shows it in
// /proc/sys/fs/binfmt_misc/NAME.
type Entry struct {
	Name        string `json:"name"`
	Enabled     bool   `json:"enabled"`
	Interpreter string `json:"interpreter"`
	// Flags are the flag letters in the kernel's order (P, O, C, F).
	Flags     string   `json:"flags"`
	Offset    int      `json:"offset"`
	Magic     HexBytes `json:"magic,omitempty"`
	Mask      HexBytes `json:"mask,omitempty"`
	Extension string   `json:"extension,omitempty"` // for an extension (E) entry
}

// HexBytes are bytes that JSON shows in hex, as binfmt_misc does.
type HexBytes []byte

// MarshalText writes the bytes in lower-case hex.
func (b HexBytes) MarshalText() ([]byte, error) { return []byte(hex.EncodeToString(b)), nil }

// UnmarshalText reads bytes written in hex.
func (b *HexBytes) UnmarshalText(text []byte) error {
	v, err := hex.DecodeString(string(text))
	*b = v
	return err
}

// ParseEntry parses the text of a binfmt_misc entry file, such as:
//
//	enabled
//	interpreter /usr/bin/qemu-arm-static
//	flags: POCF
//	offset 0
//	magic 7f454c46...
//	mask ffffffff...
func ParseEntry(name string, text []byte) (Entry, error) {
	e := Entry{Name: name}
	seen := false
	for _, line := range strings.Split(string(text), "\n") {
		key, val, _ := strings.Cut(strings.TrimSpace(line), " ")
		val = strings.TrimSpace(val)
		var err error
		switch key {
		case "enabled", "disabled":
			e.Enabled, seen = key == "enabled", true
		case "interpreter":
			e.Interpreter = val
		case "flags:":
			e.Flags = normalizeFlags(val)
		case "offset":
			e.Offset, err = strconv.Atoi(val)
		case "magic":
			e.Magic, err = hex.DecodeString(val)
		case "mask":
			e.Mask, err = hex.DecodeString(val)
		case "extension":
			e.Extension = val
		}
		if err != nil {
			return Entry{}, fmt.Errorf("binfmt_misc entry %s: %s line %q: %w", name, key, line, err)
		}
	}
	if !seen || e.Interpreter == "" {
		return Entry{}, fmt.Errorf("binfmt_misc entry %s: not an entry: %q", name, firstLine(text))
	}
	return e, nil
}

func firstLine(b []byte) string {
	line, _, _ := bytes.Cut(b, []byte("\n"))
	return string(line)
}

// normalizeFlags returns the set of flags in the kernel's order. C implies
// O, as in the kernel.
func normalizeFlags(s string) string {
	s = strings.ToUpper(s)
	if strings.Contains(s, "C") {
		s += "O"
	}
	var b strings.Builder
	for _, f := range "POCF" {
		if strings.ContainsRune(s, f) {
			b.WriteRune(f)
		}
	}
	return b.String()
}

// HasFlag reports whether the entry has flag f (one of P, O, C, F).
func (e Entry) HasFlag(f byte) bool { return strings.IndexByte(e.Flags, f) >= 0 }

// Same reports whether two entries make the kernel behave the same:
// interpreter, flags, offset, mask and the masked magic. Name and Enabled
// are not compared.
func (e Entry) Same(o Entry) bool {
	return e.Interpreter == o.Interpreter &&
		normalizeFlags(e.Flags) == normalizeFlags(o.Flags) &&
		e.Offset == o.Offset && e.Extension == o.Extension &&
		bytes.Equal(e.maskOrOnes(), o.maskOrOnes()) &&
		bytes.Equal(e.maskedMagic(), o.maskedMagic())
}

func (e Entry) maskOrOnes() []byte {
	if e.Mask != nil {
		return e.Mask
	}
	return bytes.Repeat([]byte{0xff}, len(e.Magic))
}

func (e Entry) maskedMagic() []byte {
	m, mask := make([]byte, len(e.Magic)), e.maskOrOnes()
	for i := range m {
		m[i] = e.Magic[i] & mask[i]
	}
	return m
}

// Mismatch returns the offsets in header of the bytes the entry's magic
// and mask reject; none means the kernel would use this entry.
func (e Entry) Mismatch(header []byte) []int {
	if e.Extension != "" {
		return nil
	}
	var window []byte
	if e.Offset < len(header) {
		window = header[e.Offset:]
	}
	bad := mismatch(e.Magic, e.maskOrOnes(), window)
	for i := range bad {
		bad[i] += e.Offset
	}
	return bad
}

// registerLine is what registers the entry:
// :name:M:offset:magic:mask:interpreter:flags, with every magic and mask
// byte written as \xHH so that no byte can be read as a separator.
func (e Entry) registerLine() string {
	if e.Extension != "" {
		return fmt.Sprintf(":%s:E::%s::%s:%s", e.Name, e.Extension, e.Interpreter, e.Flags)
	}
	return fmt.Sprintf(":%s:M:%d:%s:%s:%s:%s",
		e.Name, e.Offset, escape(e.Magic), escape(e.Mask), e.Interpreter, e.Flags)
}

func escape(b []byte) string {
	var s strings.Builder
	for _, c := range b {
		fmt.Fprintf(&s, `\x%02x`, c)
	}
	return s.String()
}

// describe is the one-line form used in conflict messages.
func (e Entry) describe() string {
	state := "enabled"
	if !e.Enabled {
		state = "disabled"
	}
	return fmt.Sprintf("interpreter %s, flags %q, %s", e.Interpreter, e.Flags, state)
}

// describeMatch is what the entry matches, for conflict messages where
// that differs.
func (e Entry) describeMatch() string {
	if e.Extension != "" {
		return "extension " + e.Extension
	}
	return fmt.Sprintf("offset %d, magic %x, mask %x", e.Offset, e.Magic, e.maskOrOnes())
}
