package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/pflag"

	"github.com/crossdock/crossdock/internal/errdefs"
)

// command is one subcommand, or a group of them (binfmt, registry, volume,
// stack) when subs is set.
type command struct {
	name    string
	summary string // one lower-case line for the command list
	usage   string // the synopsis after "crossdock "
	example string // one example line, shown in --help
	flags   *pflag.FlagSet
	subs    []*command
	// run is called with the arguments left after flag parsing.
	run func(ctx context.Context, env *env, args []string) error
}

// env is what every command gets: the streams, the logger and the global
// options.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	log            *slog.Logger
	root           string // $CROSSDOCK_ROOT or the default store folder
	logFormat      string // text or json
	debug          bool
}

// commands maps a top-level name to its constructor. A command is built anew
// for every invocation, so flag values never leak from one run to the next
// (tests call run many times in one process).
var commands = map[string]func() *command{}

// register adds a top-level command. It is called from init functions.
func register(name string, newCmd func() *command) {
	if _, dup := commands[name]; dup {
		panic("crossdock: command registered twice: " + name)
	}
	commands[name] = newCmd
}

// newFlags returns the FlagSet for a command, with the global flags added.
func newFlags(name string) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SortFlags = false
	return fs
}

type globals struct {
	root      string
	logFormat string
	debug     bool
	help      bool
}

func (g *globals) add(fs *pflag.FlagSet) {
	fs.StringVar(&g.root, "root", defaultRoot(), "store folder (env CROSSDOCK_ROOT)")
	fs.StringVar(&g.logFormat, "log-format", "text", "log format: text or json")
	fs.BoolVar(&g.debug, "debug", false, "print debug logs")
	fs.BoolVarP(&g.help, "help", "h", false, "show help")
}

// defaultRoot is $CROSSDOCK_ROOT, else /var/lib/crossdock for root, else
// $XDG_DATA_HOME/crossdock (~/.local/share/crossdock).
func defaultRoot() string {
	if r := os.Getenv("CROSSDOCK_ROOT"); r != "" {
		return r
	}
	if os.Geteuid() == 0 {
		return "/var/lib/crossdock"
	}
	if x := os.Getenv("XDG_DATA_HOME"); x != "" {
		return filepath.Join(x, "crossdock")
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".local", "share", "crossdock")
}

// errHelp is returned after help was printed on request.
var errHelp = errors.New("help shown")

func isQuietExit(err error) bool {
	var ee errdefs.ExitError
	return errors.Is(err, errHelp) || errors.As(err, &ee)
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	lead, args, err := leadingGlobals(args)
	if err != nil {
		return err
	}
	if len(args) > 0 && args[0] == "help" && len(args) > 1 {
		// "crossdock help binfmt install" is "crossdock binfmt install --help".
		args = append(args[1:], "--help")
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printTop(stdout)
		if len(args) == 0 {
			return errdefs.Invalid(errors.New("no command given"))
		}
		return errHelp
	}
	newCmd, ok := commands[args[0]]
	if !ok {
		return errdefs.Invalid(fmt.Errorf("unknown command %q (see crossdock --help)", args[0]))
	}
	return newCmd().exec(ctx, []string{args[0]}, lead, args[1:], stdin, stdout, stderr)
}

// leadingGlobals takes the global flags that stand before a command name
// ("crossdock --root /x images") off args, so that they can be handed to
// the command that finally runs.
func leadingGlobals(args []string) (lead, rest []string, err error) {
	for len(args) > 0 && strings.HasPrefix(args[0], "-") && args[0] != "-h" && args[0] != "--help" {
		a := args[0]
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		switch name {
		case "debug":
			lead, args = append(lead, a), args[1:]
		case "root", "log-format":
			if hasValue {
				lead, args = append(lead, a), args[1:]
				continue
			}
			if len(args) < 2 {
				return nil, nil, errdefs.Invalid(fmt.Errorf("flag needs an argument: %s", a))
			}
			lead, args = append(lead, a, args[1]), args[2:]
		default:
			return nil, nil, errdefs.Invalid(fmt.Errorf(
				"unknown global flag %q before the command (globals: --root, --log-format, --debug)", a))
		}
	}
	return lead, args, nil
}

func (c *command) exec(ctx context.Context, path, lead, args []string, stdin io.Reader,
	stdout, stderr io.Writer) error {
	if len(c.subs) > 0 {
		more, rest, err := leadingGlobals(args)
		if err != nil {
			return err
		}
		lead, args = append(lead, more...), rest
		if len(args) > 0 && args[0] == "help" {
			args = append(args[1:], "--help")
		}
		if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
			c.printHelp(stdout, path)
			if len(args) == 0 {
				return errdefs.Invalid(fmt.Errorf("%s: no subcommand given", strings.Join(path, " ")))
			}
			return errHelp
		}
		for _, s := range c.subs {
			if s.name == args[0] {
				return s.exec(ctx, append(path, s.name), lead, args[1:], stdin, stdout, stderr)
			}
		}
		return errdefs.Invalid(fmt.Errorf("%s: unknown subcommand %q", strings.Join(path, " "), args[0]))
	}

	fs := c.flags
	if fs == nil {
		fs = newFlags(c.name)
		c.flags = fs
	}
	var g globals
	g.add(fs)
	fs.SetOutput(io.Discard)
	if err := fs.Parse(append(lead, args...)); err != nil {
		return errdefs.Invalid(fmt.Errorf("%s: %w", strings.Join(path, " "), err))
	}
	if g.help {
		c.printHelp(stdout, path)
		return errHelp
	}
	if g.logFormat != "text" && g.logFormat != "json" {
		return errdefs.Invalid(fmt.Errorf("--log-format %q: want text or json", g.logFormat))
	}

	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, root: g.root,
		logFormat: g.logFormat, debug: g.debug}
	e.log = newLogger(stderr, g.logFormat, g.debug)
	return c.run(ctx, e, fs.Args())
}

func newLogger(w io.Writer, format string, debug bool) *slog.Logger {
	opts := &slog.HandlerOptions{Level: slog.LevelInfo}
	if debug {
		opts.Level = slog.LevelDebug
	}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func (c *command) printHelp(w io.Writer, path []string) {
	fmt.Fprintf(w, "%s\n\nusage: crossdock %s\n", c.summary, c.usage)
	if len(c.subs) > 0 {
		fmt.Fprintln(w, "\nsubcommands:")
		for _, s := range c.subs {
			fmt.Fprintf(w, "  %-12s %s\n", s.name, s.summary)
		}
	}
	if c.flags != nil && c.flags.HasFlags() {
		fmt.Fprintf(w, "\nflags:\n%s", c.flags.FlagUsages())
	}
	if c.example != "" {
		fmt.Fprintf(w, "\nexample:\n  %s\n", c.example)
	}
}

func printTop(w io.Writer) {
	fmt.Fprintln(w, "crossdock: build, ship, run and test multi-architecture robot images")
	fmt.Fprintln(w, "\nusage: crossdock COMMAND [flags] [args]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-12s %s\n", n, commands[n]().summary)
	}
	fmt.Fprintln(w, "\nglobal flags: --root DIR, --log-format text|json, --debug, -h/--help")
	fmt.Fprintln(w, "example:\n  crossdock run --rm --platform linux/arm/v7 IMAGE uname -m")
}

// usageError marks a misuse of a command's arguments.
func usageError(format string, a ...any) error {
	return errdefs.Invalid(fmt.Errorf(format, a...))
}
