package binfmt

import (
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"syscall"

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
// ErrWrongInterpreter, ErrDynamicInterpreter, ErrMismatch, ErrNoFixBinary
// or ErrCPULevel, is marked as a host requirement, and says the same as
// the Diagnosis's Reason and Fix. A platform that is not linux, or names
// a variant its architecture lacks (linux/arm64/v7), is bad input.
func Check(platform string, opts ...Option) (Diagnosis, error) {
	p, err := parsePlatform(platform)
	if err != nil {
		return Diagnosis{}, err
	}
	h, err := HandlerFor(p.String())
	if err != nil {
		return Diagnosis{}, err
	}
	d := Diagnosis{Platform: p}
	return d, newOptions(opts).diagnose(&d, h, h.Magic())
}

// CheckFile is Check for the binary at path, with its own header: a file
// that a handler's magic and mask reject is reported with the header bytes
// at fault. It also checks what only running the file on the host needs:
// its execute permission and, for a dynamically linked file, its loader
// (PT_INTERP) on the host; inside a container those come from the image,
// which is why Check does not look at them. A file that is not a regular
// file, not ELF, not executable or not a Linux binary is bad input (not
// ELF wraps ErrNotELF).
func CheckFile(path string, opts ...Option) (Diagnosis, error) {
	// O_NONBLOCK: opening a FIFO must not wait for a writer.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return Diagnosis{}, errdefs.Invalid(fmt.Errorf("doctor: %w", err))
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Diagnosis{}, fmt.Errorf("doctor %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return Diagnosis{}, errdefs.Invalid(fmt.Errorf("doctor %s: not a regular file (%s)", path, fileKind(fi.Mode())))
	}
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
		return d, errdefs.Invalid(fmt.Errorf("doctor %s: not an executable but %s", path, info.Type))
	}
	if d.Platform.OS != "linux" {
		return d, errdefs.Invalid(fmt.Errorf("doctor %s: a %s binary (OS ABI %s): only linux binaries run here",
			path, d.Platform.OS, info.OSABI))
	}
	h, ok := handlerForELF(info)
	if !ok {
		return d, errdefs.Invalid(fmt.Errorf("doctor %s: %w: %s (known: %s)", path, ErrUnknownArch, d.Platform, archList()))
	}
	if fi.Mode()&0o111 == 0 {
		return d, errdefs.Invalid(fmt.Errorf("doctor %s: not executable (mode %s); run: chmod +x %s", path, fi.Mode().Perm(), path))
	}
	o := newOptions(opts)
	if err := o.diagnose(&d, h, header[:n]); err != nil || info.Static() {
		return d, err
	}
	return d, o.checkLoader(&d, h, info)
}

// checkLoader fails a dynamically linked file whose loader the host lacks.
func (o options) checkLoader(d *Diagnosis, h Handler, info ELFInfo) error {
	if _, err := os.Stat(info.Interpreter); err == nil {
		return nil
	}
	d.Runs = false
	d.Reason = fmt.Sprintf("its loader %s is missing on this host (in a container the image brings its own)", info.Interpreter)
	d.Fix = ""
	if arch, ok := debianArches[h.Arch]; ok {
		d.Fix = fmt.Sprintf("dpkg --add-architecture %[1]s && apt-get update && apt-get install libc6:%[1]s", arch)
	}
	return errdefs.Host(fmt.Errorf("%s: %w: %s (fix: %s)", d.subject(), ErrNoLoader, d.Reason, d.Fix))
}

// debianArches names the Debian architecture of a handler's binaries.
var debianArches = map[string]string{
	"arm": "armhf", "aarch64": "arm64", "i386": "i386", "x86_64": "amd64",
	"riscv64": "riscv64", "ppc64le": "ppc64el", "s390x": "s390x",
}

func fileKind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a folder"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return m.Type().String()
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
		return o.nativeLevel(d)
	}
	if err := o.checkMounted(); err != nil {
		return fail(ErrNotMounted, mountHint+" && "+fix, "binfmt_misc is not mounted at %s", o.root)
	}
	on, err := o.globallyEnabled()
	if err != nil {
		return err
	}
	if !on {
		return fail(ErrDisabled, o.enableHint(), "binfmt_misc is disabled as a whole (%s/status)", o.root)
	}

	entries, err := o.readEntries()
	if err != nil {
		return err
	}
	if e, ok := pick(entries, h, header); ok {
		d.Entry = &e
		return o.judge(d, e, h, fix, fail)
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

// interpError is why a registered interpreter can't run the binary.
type interpError struct {
	sentinel error
	reason   string
}

func (e interpError) Error() string { return e.reason }
func (e interpError) Unwrap() error { return e.sentinel }

// judgeInterpreter checks the interpreter of an entry with flag F that
// exists: a program of the host's own architecture, static (inside a
// container the host's loader is not there) and, for a qemu-ARCH, h's.
// An interpreter that can't be read is given the benefit of the doubt.
func (o options) judgeInterpreter(e Entry, h Handler) error {
	info, err := IdentifyFile(e.Interpreter)
	if errors.Is(err, ErrNotELF) {
		return interpError{ErrWrongInterpreter, fmt.Sprintf("interpreter %s is not an ELF program", e.Interpreter)}
	}
	if err != nil {
		return nil
	}
	if err := o.checkInterpreter(e.Interpreter, info, h); err != nil {
		return interpError{ErrWrongInterpreter, strings.TrimPrefix(err.Error(), ErrWrongInterpreter.Error()+": ")}
	}
	if !info.Static() {
		return interpError{ErrDynamicInterpreter, fmt.Sprintf(
			"interpreter %s is dynamically linked (loader %s): containers without that loader fail to start it",
			e.Interpreter, info.Interpreter)}
	}
	return nil
}

// nativeLevel says whether the host CPU runs a native platform's binaries:
// for amd64 variants v2 to v4, whether it has that x86-64 level.
//
// TODO: only x86-64 levels are checked; an arm/v8 or arm64/v8.2 binary
// on an ARM host with an older CPU is reported as running natively, and
// fails with SIGILL.
func (o options) nativeLevel(d *Diagnosis) error {
	d.Native = true
	if d.Platform.Architecture == "amd64" && o.hostMachine == "x86_64" &&
		len(d.Platform.Variant) == 2 && d.Platform.Variant > "v1" {
		want := int(d.Platform.Variant[1] - '0')
		have, missing, err := amd64Level(o.cpuinfo)
		if err != nil {
			return err
		}
		if have < want {
			d.Reason = fmt.Sprintf("this CPU is x86-64-v%d and lacks %s, which %s needs",
				have, strings.Join(missing, " "), d.Platform.Variant)
			return errdefs.Host(fmt.Errorf("%s: %w: %s", d.subject(), ErrCPULevel, d.Reason))
		}
	}
	d.Runs = true
	d.Reason = "the " + o.hostMachine + " host runs it natively"
	return nil
}

func (d *Diagnosis) subject() string {
	if d.File != "" {
		return d.File + " (" + d.Platform.String() + ")"
	}
	return d.Platform.String()
}

type failFunc func(sentinel error, fix, format string, a ...any) error

// judge looks at the entry that will run the binary.
func (o options) judge(d *Diagnosis, e Entry, h Handler, fix string, fail failFunc) error {
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
	default:
		if err := o.judgeInterpreter(e, h); err != nil {
			return fail(errors.Unwrap(err), fix+" --replace", "handler %s: %s", e.Name, err.(interpError).reason)
		}
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
			if !entries[i].Enabled && entries[i].Extension == "" && len(entries[i].Mismatch(header)) == 0 {
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
