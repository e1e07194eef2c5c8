package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/pflag"

	"github.com/crossdock/crossdock/binfmt"
	"github.com/crossdock/crossdock/internal/errdefs"
)

// defaultArches are the handlers install and uninstall act on without
// --arch: the robots' 32-bit ARM and 64-bit ARM boards.
const defaultArches = "arm,aarch64"

func init() {
	register("binfmt", func() *command {
		return &command{
			name:    "binfmt",
			summary: "register qemu-user handlers so ARM binaries run on this host",
			usage:   "binfmt install|uninstall|status|doctor [flags]",
			example: "crossdock binfmt install --arch arm",
			subs: []*command{newBinfmtInstall(), newBinfmtUninstall(),
				newBinfmtStatus(), newBinfmtDoctor()},
		}
	})
}

// binfmtFlags are the folders every binfmt subcommand can be pointed at.
type binfmtFlags struct {
	root, dropIns string
}

func (b *binfmtFlags) add(fs *pflag.FlagSet) {
	fs.StringVar(&b.root, "binfmt-root", binfmt.DefaultRoot, "binfmt_misc folder")
	fs.StringVar(&b.dropIns, "binfmt-d", binfmt.DefaultPersistDir, "folder of systemd-binfmt drop-ins")
}

// options turns the flags into binfmt options; every write to
// binfmt_misc is logged at debug level.
func (b *binfmtFlags) options(e *env) ([]binfmt.Option, error) {
	if b.root == "" {
		return nil, usageError("--binfmt-root: empty path")
	}
	if b.dropIns == "" {
		return nil, usageError("--binfmt-d: empty path")
	}
	return []binfmt.Option{binfmt.WithRoot(b.root), binfmt.WithPersistDir(b.dropIns),
		binfmt.WithWriteLog(func(path, data string) {
			e.log.Debug("binfmt_misc write", "file", path, "data", data)
		})}, nil
}

// noArgs refuses arguments, naming the first.
func noArgs(cmd string, args []string) error {
	if len(args) != 0 {
		return usageError("binfmt %s takes no arguments, got %q", cmd, args[0])
	}
	return nil
}

// eachArch runs f for every handler, on past failures, and returns an
// error listing each failure, with the exit code of the worst of them.
func eachArch(verb string, hs []binfmt.Handler, f func(h binfmt.Handler) error) error {
	if len(hs) == 1 {
		return f(hs[0])
	}
	var failed []string
	worst := 0
	for _, h := range hs {
		if err := f(h); err != nil {
			failed = append(failed, h.Name()+": "+err.Error())
			worst = max(worst, errdefs.Code(err))
		}
	}
	if len(failed) == 0 {
		return nil
	}
	err := fmt.Errorf("binfmt %s: %d of %d failed:\n  %s", verb, len(failed), len(hs), strings.Join(failed, "\n  "))
	switch worst {
	case 2:
		return errdefs.Invalid(err)
	case 3:
		return errdefs.Host(err)
	}
	return errdefs.Failed(err)
}

// parseArches turns "arm,aarch64" or "all" into handlers.
func parseArches(list string) ([]binfmt.Handler, error) {
	if list == "all" {
		return binfmt.Handlers(), nil
	}
	var hs []binfmt.Handler
	for _, a := range strings.Split(list, ",") {
		if a = strings.TrimSpace(a); a == "" {
			continue
		}
		h, err := binfmt.HandlerFor(a)
		if err != nil {
			return nil, fmt.Errorf("--arch: %w", err)
		}
		hs = append(hs, h)
	}
	if len(hs) == 0 {
		return nil, usageError("--arch %q names no architecture", list)
	}
	return hs, nil
}

func newBinfmtInstall() *command {
	fs := newFlags("install")
	var bf binfmtFlags
	arches := fs.String("arch", defaultArches, "architectures, comma-separated, or all")
	persist := fs.Bool("persist", false, "also write a systemd-binfmt drop-in so the handler survives a reboot")
	replace := fs.Bool("replace", false, "replace a different handler registered under the same name")
	interp := fs.String("interpreter", "", "static qemu to register (default: qemu-ARCH-static on PATH, then /usr/bin); one --arch only")
	bf.add(fs)
	return &command{
		name:    "install",
		summary: "register qemu-user handlers with binfmt_misc (flags F, and P, O, C)",
		usage:   "binfmt install [--arch LIST] [--persist] [--replace]",
		example: "crossdock binfmt install --arch arm --persist",
		flags:   fs,
		run: func(ctx context.Context, e *env, args []string) error {
			if err := noArgs("install", args); err != nil {
				return err
			}
			hs, err := parseArches(*arches)
			if err != nil {
				return err
			}
			opts, err := bf.options(e)
			if err != nil {
				return err
			}
			if fs.Changed("interpreter") && *interp == "" {
				return usageError("--interpreter: empty path")
			}
			if *interp != "" {
				if len(hs) != 1 {
					return usageError("--interpreter needs exactly one --arch, not %q", *arches)
				}
				opts = append(opts, binfmt.WithInterpreter(*interp))
			}
			if *persist {
				opts = append(opts, binfmt.WithPersist())
			}
			if *replace {
				opts = append(opts, binfmt.WithReplace())
			}
			return eachArch("install", hs, func(h binfmt.Handler) error {
				res, err := binfmt.Install(h, opts...)
				if err == nil {
					printInstalled(e.stdout, res)
				}
				return err
			})
		},
	}
}

func printInstalled(w io.Writer, r binfmt.Result) {
	name := r.Handler.Name()
	switch r.Action {
	case binfmt.Native:
		fmt.Fprintf(w, "%s: skipped: this host runs %s natively\n", name, r.Handler.Platform)
		return
	case binfmt.Replaced:
		fmt.Fprintf(w, "%s: replaced %s (flags %s)\n", name, r.Previous.Interpreter, r.Previous.Flags)
	}
	fmt.Fprintf(w, "%s: %s: %s, flags %s\n", name, r.Action, r.Entry.Interpreter, r.Entry.Flags)
	if r.DropIn != "" {
		fmt.Fprintf(w, "%s: wrote %s\n", name, r.DropIn)
	}
}

func newBinfmtUninstall() *command {
	fs := newFlags("uninstall")
	var bf binfmtFlags
	arches := fs.String("arch", defaultArches, "architectures, comma-separated, or all")
	force := fs.Bool("force", false, "also remove a handler another tool registered (another interpreter than qemu-ARCH-static)")
	bf.add(fs)
	return &command{
		name:    "uninstall",
		summary: "remove qemu-user handlers and crossdock's systemd-binfmt drop-ins",
		usage:   "binfmt uninstall [--arch LIST] [--force]",
		example: "crossdock binfmt uninstall --arch arm",
		flags:   fs,
		run: func(ctx context.Context, e *env, args []string) error {
			if err := noArgs("uninstall", args); err != nil {
				return err
			}
			hs, err := parseArches(*arches)
			if err != nil {
				return err
			}
			opts, err := bf.options(e)
			if err != nil {
				return err
			}
			if *force {
				opts = append(opts, binfmt.WithForce())
			}
			return eachArch("uninstall", hs, func(h binfmt.Handler) error {
				res, err := binfmt.Uninstall(h, opts...)
				if res.DropIn != "" {
					fmt.Fprintf(e.stdout, "%s: removed %s\n", h.Name(), res.DropIn)
				}
				if err != nil {
					return err
				}
				if res.Action == binfmt.Removed {
					fmt.Fprintf(e.stdout, "%s: removed (was %s, flags %s)\n",
						h.Name(), res.Entry.Interpreter, res.Entry.Flags)
				} else {
					fmt.Fprintf(e.stdout, "%s: not registered\n", h.Name())
				}
				return nil
			})
		},
	}
}

func newBinfmtStatus() *command {
	fs := newFlags("status")
	var bf binfmtFlags
	asJSON := fs.Bool("json", false, "print JSON")
	bf.add(fs)
	return &command{
		name:    "status",
		summary: "list the registered binfmt_misc handlers",
		usage:   "binfmt status [--json]",
		example: "crossdock binfmt status --json",
		flags:   fs,
		run: func(ctx context.Context, e *env, args []string) error {
			if err := noArgs("status", args); err != nil {
				return err
			}
			opts, err := bf.options(e)
			if err != nil {
				return err
			}
			st, err := binfmt.ReadStatus(opts...)
			if err != nil {
				return err
			}
			if *asJSON {
				return newJSONEncoder(e.stdout).Encode(st)
			}
			printStatus(e.stdout, st)
			return nil
		},
	}
}

func printStatus(w io.Writer, st binfmt.Status) {
	fmt.Fprintln(w, st)
	if len(st.Handlers) == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSTATE\tFLAGS\tPLATFORM\tINTERPRETER\tDROP-IN")
	for _, h := range st.Handlers {
		state, interp, platform := "enabled", h.Interpreter, h.Platform
		if !h.Enabled {
			state = "disabled"
		}
		if h.InterpreterMissing {
			interp += " (missing)"
		}
		if platform == "" {
			platform = "-"
		}
		drop := h.DropIn
		if drop == "" {
			drop = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", h.Name, state, h.Flags, platform, interp, drop)
	}
	tw.Flush()
}

func newBinfmtDoctor() *command {
	fs := newFlags("doctor")
	var bf binfmtFlags
	platform := fs.String("platform", "", "check a platform (e.g. linux/arm/v7) instead of a file")
	asJSON := fs.Bool("json", false, "print the diagnosis as JSON")
	bf.add(fs)
	return &command{
		name:    "doctor",
		summary: "say whether a binary or platform runs on this host, and if not, why",
		usage:   "binfmt doctor FILE | --platform PLATFORM",
		example: "crossdock binfmt doctor --platform linux/arm/v7",
		flags:   fs,
		run: func(ctx context.Context, e *env, args []string) error {
			var d binfmt.Diagnosis
			opts, err := bf.options(e)
			if err != nil {
				return err
			}
			switch {
			case *platform != "" && len(args) == 0:
				d, err = binfmt.Check(*platform, opts...)
			case *platform == "" && len(args) == 1:
				d, err = binfmt.CheckFile(args[0], opts...)
			default:
				return usageError("binfmt doctor takes one FILE or --platform PLATFORM")
			}
			if err != nil && !errors.Is(err, errdefs.ErrHost) {
				return err // bad input, or the check itself failed
			}
			if *asJSON {
				if jerr := newJSONEncoder(e.stdout).Encode(d); jerr != nil {
					return jerr
				}
			} else {
				printDiagnosis(e.stdout, d)
			}
			if err != nil {
				return errdefs.ExitError{Code: errdefs.Code(err)} // printed above
			}
			return nil
		},
	}
}

func printDiagnosis(w io.Writer, d binfmt.Diagnosis) {
	subject := d.Platform.String()
	if d.File != "" {
		subject = d.File + " (" + subject + ")"
	}
	verdict := "runs here"
	if !d.Runs {
		verdict = "will not run here"
	}
	fmt.Fprintf(w, "%s: %s: %s\n", subject, verdict, d.Reason)
	for _, warn := range d.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warn)
	}
	if d.Fix != "" {
		fmt.Fprintf(w, "fix: %s\n", d.Fix)
	}
}

// newJSONEncoder indents, and leaves &, < and > as they are: the fix
// commands hold "&&".
func newJSONEncoder(w io.Writer) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc
}
