package binfmt

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/crossdock/crossdock/internal/errdefs"
)

// Action says what Install or Uninstall did for one handler.
type Action string

// The actions Install and Uninstall report.
const (
	Registered Action = "registered" // a new entry was registered
	Replaced   Action = "replaced"   // a different entry was removed, then registered
	Unchanged  Action = "unchanged"  // the same entry was there; nothing was written
	Enabled    Action = "enabled"    // the same entry was there, disabled; it was enabled
	Native     Action = "native"     // the host runs this architecture itself; skipped
	Removed    Action = "removed"    // Uninstall removed the entry
	Absent     Action = "absent"     // Uninstall found no entry
)

// Result reports what Install or Uninstall did for one handler.
type Result struct {
	Handler Handler
	Action  Action
	// Entry is the entry as the kernel shows it after Install, or the one
	// Uninstall removed.
	Entry Entry
	// Previous is the entry that Replaced removed.
	Previous *Entry
	// DropIn is the systemd-binfmt file written or removed, if any.
	DropIn string
}

// Want returns the entry Install registers for h: its static qemu found in
// the search path, the magic and mask from the table, and the flags the
// kernel supports (see the options).
func Want(h Handler, opts ...Option) (Entry, error) {
	return newOptions(opts).want(h)
}

func (o options) want(h Handler) (Entry, error) {
	interp, err := o.findInterpreter(h)
	if err != nil {
		return Entry{}, err
	}
	return Entry{Name: h.Name(), Enabled: true, Interpreter: interp,
		Flags: wantedFlags(o.release), Magic: h.Magic(), Mask: h.Mask()}, nil
}

// Install registers the qemu-user handler h with binfmt_misc.
//
// The entry already registered under h's name is read first. The same
// entry means nothing is written. A different one is a conflict (an error
// wrapping ErrConflict that shows both) unless WithReplace is given; then
// it is removed, h registered, and the result read back and confirmed.
// The interpreter must exist and be static, since crossdock registers with
// flag F; otherwise nothing is written. A host architecture is skipped
// (Action Native).
func Install(h Handler, opts ...Option) (Result, error) {
	o := newOptions(opts)
	res := Result{Handler: h}
	if native(h, o.hostMachine) {
		res.Action = Native
		return res, nil
	}

	want, err := o.want(h)
	if err != nil {
		return res, err
	}
	if err := o.checkFixable(want.Interpreter, h); err != nil {
		return res, err
	}
	if err := o.checkMounted(); err != nil {
		return res, err
	}
	if err := o.checkEnabled(); err != nil {
		return res, err
	}
	if o.persist {
		if err := o.checkPersistDir(); err != nil {
			return res, err
		}
	}

	res.Action, res.Previous, err = o.register(want, true)
	if err != nil {
		return res, err
	}
	if res.Entry, err = o.confirm(want); err != nil {
		return res, err
	}
	if o.persist {
		if res.DropIn, err = o.writeDropIn(h, want); err != nil {
			return res, err
		}
	}
	return res, nil
}

// register brings the kernel's entry to want and says how. When another
// process registers the same name between our read and our write, the
// kernel answers EEXIST, and (once) the entry is read and compared again.
func (o options) register(want Entry, retry bool) (Action, *Entry, error) {
	have, err := o.readEntry(want.Name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		err = o.write(registerFile, want.registerLine())
		if errors.Is(err, syscall.EEXIST) && retry {
			return o.register(want, false)
		}
		return Registered, nil, err
	case err != nil:
		return "", nil, err
	case have.Same(want) && have.Enabled:
		return Unchanged, nil, nil
	case have.Same(want):
		return Enabled, nil, o.write(want.Name, "1")
	case !o.replace:
		return "", nil, conflict(have, want)
	}

	if err := o.write(want.Name, "-1"); err != nil {
		return "", nil, fmt.Errorf("remove %s: %w", want.Name, err)
	}
	if err := o.write(registerFile, want.registerLine()); err != nil {
		return "", nil, o.restore(have, err)
	}
	return Replaced, &have, nil
}

// restore registers have again after its replacement failed with err, and
// says whether that worked.
func (o options) restore(have Entry, err error) error {
	rerr := o.write(registerFile, have.registerLine())
	if rerr == nil && !have.Enabled {
		rerr = o.write(have.Name, "0")
	}
	if rerr == nil {
		return fmt.Errorf("replace %s: %w; the previous handler is back (%s)", have.Name, err, have.describe())
	}
	cmd := fmt.Sprintf("printf '%%s' '%s' > %s", have.registerLine(), filepath.Join(DefaultRoot, registerFile))
	if !have.Enabled {
		cmd += " && echo 0 > " + filepath.Join(DefaultRoot, have.Name)
	}
	return fmt.Errorf("replace %s: %w; restoring the previous handler failed too (%v): "+
		"handler %s is gone; to get it back run: %s", have.Name, err, rerr, have.Name, cmd)
}

// confirm reads the entry back and checks that the kernel holds want.
func (o options) confirm(want Entry) (Entry, error) {
	got, err := o.readEntry(want.Name)
	if err != nil {
		return Entry{}, fmt.Errorf("read back: %w", err)
	}
	if !got.Same(want) || !got.Enabled {
		return got, fmt.Errorf("read back %s: kernel holds %s, wanted %s",
			want.Name, got.describe(), want.describe())
	}
	return got, nil
}

func conflict(have, want Entry) error {
	var diff []string
	if have.Interpreter != want.Interpreter {
		diff = append(diff, "interpreter")
	}
	if normalizeFlags(have.Flags) != normalizeFlags(want.Flags) {
		diff = append(diff, "flags")
	}
	if have.Offset != want.Offset || have.Extension != "" {
		diff = append(diff, "offset")
	}
	if !have.Same(Entry{Interpreter: have.Interpreter, Flags: have.Flags,
		Offset: have.Offset, Magic: want.Magic, Mask: want.Mask}) {
		diff = append(diff, "magic/mask")
	}
	haveText, wantText := have.describe(), want.describe()
	if have.Offset != want.Offset || !bytes.Equal(have.maskOrOnes(), want.maskOrOnes()) ||
		!bytes.Equal(have.maskedMagic(), want.maskedMagic()) || have.Extension != "" {
		haveText, wantText = haveText+", "+have.describeMatch(), wantText+", "+want.describeMatch()
	}
	return errdefs.Host(fmt.Errorf("handler %s: %w (%s differ):\n  registered: %s\n  wanted:     %s\nrun with --replace to replace it",
		want.Name, ErrConflict, strings.Join(diff, ", "), haveText, wantText))
}

// Uninstall removes the handler named after h from binfmt_misc, and
// crossdock's drop-in for it. Drop-ins of other names are left alone. An
// entry another tool registered (its interpreter is not the qemu-ARCH-static
// crossdock registers) is left alone too, with an error wrapping
// ErrConflict naming its interpreter, unless WithForce is given. With
// binfmt_misc not mounted the error wraps ErrNotMounted.
func Uninstall(h Handler, opts ...Option) (Result, error) {
	o := newOptions(opts)
	res := Result{Handler: h, Action: Absent}

	var err error
	if res.DropIn, err = o.removeDropIn(h); err != nil {
		return res, err
	}
	if err := o.checkMounted(); err != nil {
		return res, err
	}
	have, err := o.readEntry(h.Name())
	if errors.Is(err, fs.ErrNotExist) {
		return res, nil
	}
	if err != nil {
		return res, err
	}
	if !o.force && !o.ours(h, have) {
		return res, errdefs.Invalid(fmt.Errorf("handler %s: %w: it looks like another tool's (%s), "+
			"not crossdock's (%s); --force removes it", h.Name(), ErrConflict, have.describe(), h.Program()))
	}
	if err := o.write(h.Name(), "-1"); err != nil {
		return res, fmt.Errorf("remove %s: %w", h.Name(), err)
	}
	res.Action, res.Entry = Removed, have
	return res, nil
}

// ours reports whether e looks like the entry Install writes for h: the
// interpreter Install would pick, or any file named qemu-ARCH-static.
//
// TODO: binfmt_misc does not record who registered an entry, so this is a
// guess: an entry multiarch/qemu-user-static registered (also with a
// qemu-ARCH-static) is removed without --force.
func (o options) ours(h Handler, e Entry) bool {
	if want, err := o.want(h); err == nil && want.Interpreter == e.Interpreter {
		return true
	}
	return filepath.Base(e.Interpreter) == h.Program() && e.Extension == ""
}
