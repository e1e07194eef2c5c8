package binfmt

import (
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/containerd/platforms"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/crossdock/crossdock/internal/errdefs"
)

// Diagnosis says whether binaries of one platform run on this host, how,
// and if not, why not and what fixes it.
type Diagnosis struct {
	Platform v1.Platform `json:"platform"`
	File     string      `json:"file,omitempty"` // set by CheckFile
	Handler  string      `json:"handler"`        // the table's entry name, e.g. qemu-arm
	Native   bool        `json:"native"`         // the host CPU runs it
	// Entry is the binfmt_misc entry that runs the binary, or, when none
	// does, the one named Handler, if it exists.
	Entry *Entry `json:"entry,omitempty"`
	Runs  bool   `json:"runs"`
	// Reason explains the verdict in one sentence.
	Reason string `json:"reason"`
	// Fix is the command that makes it run, when it does not.
	Fix string `json:"fix,omitempty"`
	// Warnings are things that work, but not as a user may expect.
	Warnings []string `json:"warnings,omitempty"`
}

// Check says whether a plain ELF executable for platform (an OCI platform
// such as "linux/arm/v7") runs on this host, natively or through a
// binfmt_misc handler, inside containers too. When it does not, the error
// wraps one of ErrNotMounted, ErrDisabled, ErrNoHandler, ErrNoInterpreter,
// ErrMismatch or ErrNoFixBinary, is marked as a host requirement, and says
// the same as the Diagnosis's Reason and Fix.
func Check(platform string, opts ...Option) (Diagnosis, error) {
	p, err := platforms.Parse(platform)
	if err != nil {
		return Diagnosis{}, errdefs.Invalid(fmt.Errorf("platform %q: %w", platform, err))
	}
	h, err := HandlerFor(platforms.Format(p))
	if err != nil {
		return Diagnosis{}, err
	}
	d := Diagnosis{Platform: v1.Platform{OS: p.OS, Architecture: p.Architecture, Variant: p.Variant}}
	return d, newOptions(opts).diagnose(&d, h, h.Magic())
}

// CheckFile is Check for the binary at path, with its own header: a file
// that a handler's magic and mask reject is reported with the header bytes
// at fault. A file that is not ELF gives an error wrapping ErrNotELF,
// marked as bad input.
func CheckFile(path string, opts ...Option) (Diagnosis, error) {
	f, err := os.Open(path)
	if err != nil {
		return Diagnosis{}, errdefs.Invalid(fmt.Errorf("doctor: %w", err))
	}
	defer f.Close()
	info, err := Identify(f)
	if err != nil {
		return Diagnosis{}, fmt.Errorf("doctor %s: %w", path, err)
	}
	header := make([]byte, 128) // binfmt_misc looks at the first 128 bytes
	n, err := f.ReadAt(header, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return Diagnosis{}, fmt.Errorf("doctor %s: %w", path, err)
	}

	d := Diagnosis{Platform: info.Platform(), File: path}
	if info.Type != elf.ET_EXEC && info.Type != elf.ET_DYN {
		return d, errdefs.Invalid(fmt.Errorf("%s: not an executable but %s", path, info.Type))
	}
	h, ok := handlerForELF(info)
	if !ok {
		return d, errdefs.Invalid(fmt.Errorf("%s: %w: %s", path, ErrUnknownArch, d.Platform))
	}
	return d, newOptions(opts).diagnose(&d, h, header[:n])
}

// diagnose fills d for binaries of handler h that start with header.
func (o options) diagnose(d *Diagnosis, h Handler, header []byte) error {
	d.Handler = h.Name()
	fix := "crossdock binfmt install --arch " + h.Arch
	fail := func(sentinel error, fixCmd, format string, a ...any) error {
		d.Reason, d.Fix = fmt.Sprintf(format, a...), fixCmd
		return errdefs.Host(fmt.Errorf("%s: %w: %s (fix: %s)", d.subject(), sentinel, d.Reason, d.Fix))
	}

	if native(h, o.hostMachine) {
		d.Native, d.Runs = true, true
		d.Reason = "the " + o.hostMachine + " host runs it natively"
		return nil
	}
	if err := o.checkMounted(); err != nil {
		return fail(ErrNotMounted, mountHint+" && "+fix, "binfmt_misc is not mounted at %s", o.root)
	}
	on, err := o.globallyEnabled()
	if err != nil {
		return err
	}
	if !on {
		return fail(ErrDisabled, "echo 1 > "+o.root+"/status",
			"binfmt_misc is disabled as a whole (%s/status)", o.root)
	}

	entries, err := o.readEntries()
	if err != nil {
		return err
	}
	if e, ok := pick(entries, h, header); ok {
		d.Entry = &e
		return o.judge(d, e, fix, fail)
	}
	return o.explain(d, entries, h, header, fix, fail)
}

// pick finds the enabled entry whose magic and mask accept header,
// preferring the table's name for h.
//
// TODO: when several enabled entries match, the kernel uses the one
// registered last, which binfmt_misc does not show; doctor may then name
// the wrong one.
func pick(entries []Entry, h Handler, header []byte) (Entry, bool) {
	var found []Entry
	for _, e := range entries {
		if e.Enabled && e.Extension == "" && len(e.Mismatch(header)) == 0 {
			found = append(found, e)
		}
	}
	for _, e := range found {
		if e.Name == h.Name() {
			return e, true
		}
	}
	if len(found) > 0 {
		return found[0], true
	}
	return Entry{}, false
}

func (d *Diagnosis) subject() string {
	if d.File != "" {
		return d.File + " (" + d.Platform.String() + ")"
	}
	return d.Platform.String()
}

type failFunc func(sentinel error, fix, format string, a ...any) error

// judge looks at the entry that will run the binary.
func (o options) judge(d *Diagnosis, e Entry, fix string, fail failFunc) error {
	_, statErr := os.Stat(e.Interpreter)
	switch {
	case statErr != nil && !e.HasFlag('F'):
		return fail(ErrNoInterpreter, "apt-get install "+debianPackage+" && "+fix+" --replace",
			"handler %s names interpreter %s, which is missing", e.Name, e.Interpreter)
	case !e.HasFlag('F'):
		return fail(ErrNoFixBinary, fix+" --replace",
			"handler %s lacks flag F: containers without qemu inside fail with \"no such file or directory\"", e.Name)
	case statErr != nil:
		d.Warnings = append(d.Warnings, fmt.Sprintf(
			"interpreter %s is gone; the kernel still holds it open (flag F) until the handler is removed", e.Interpreter))
	}
	if !e.HasFlag('P') {
		d.Warnings = append(d.Warnings, fmt.Sprintf(
			"handler %s lacks flag P: programs get the path they were started from as argv[0], "+
				"not the argv[0] their caller gave (a symlink's name, a login shell's -sh)", e.Name))
	}
	d.Runs = true
	d.Reason = fmt.Sprintf("handler %s runs it with %s (flags %s)", e.Name, e.Interpreter, e.Flags)
	return nil
}

// explain says why no enabled entry takes the binary.
func (o options) explain(d *Diagnosis, entries []Entry, h Handler, header []byte,
	fix string, fail failFunc) error {
	var named *Entry
	for i := range entries {
		if entries[i].Name == h.Name() {
			named = &entries[i]
		}
	}
	if named == nil {
		for i := range entries { // a disabled entry of another name that would take it
			if !entries[i].Enabled && len(entries[i].Mismatch(header)) == 0 {
				named = &entries[i]
			}
		}
	}
	if named == nil {
		return fail(ErrNoHandler, fix, "no binfmt_misc handler for %s is registered", h.Name())
	}

	d.Entry = named
	bad := named.Mismatch(header)
	if len(bad) == 0 {
		return fail(ErrDisabled, "echo 1 > "+o.root+"/"+named.Name, "handler %s is disabled", named.Name)
	}
	return fail(ErrMismatch, fix+" --replace", "handler %s does not match the header: %s",
		named.Name, describeMismatch(*named, header, bad))
}

// describeMismatch names each rejected header byte: its offset, its ELF
// field, what the file has and what the handler wants under its mask.
func describeMismatch(e Entry, header []byte, bad []int) string {
	mask := e.maskOrOnes()
	var parts []string
	for _, off := range bad {
		i := off - e.Offset
		have := "none"
		if off < len(header) {
			have = fmt.Sprintf("%02x", header[off])
		}
		parts = append(parts, fmt.Sprintf("byte %d (%s) is %s, wants %02x under mask %02x",
			off, headerField(off), have, e.Magic[i]&mask[i], mask[i]))
	}
	return strings.Join(parts, "; ")
}

func headerField(off int) string {
	switch {
	case off < 4:
		return "ELF magic"
	case off == 4:
		return "class"
	case off == 5:
		return "byte order"
	case off == 6:
		return "ELF version"
	case off == 7:
		return "OS ABI"
	case off == 8:
		return "ABI version"
	case off < 16:
		return "padding"
	case off < 18:
		return "e_type"
	case off < 20:
		return "e_machine"
	}
	return "beyond e_machine"
}
