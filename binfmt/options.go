package binfmt

import (
	"os"
	"path/filepath"
)

// Defaults for the options below.
const (
	// DefaultRoot is where binfmt_misc is mounted.
	DefaultRoot = "/proc/sys/fs/binfmt_misc"
	// DefaultPersistDir is where systemd-binfmt reads local drop-ins.
	DefaultPersistDir = "/etc/binfmt.d"
)

// Option changes how the host operations work.
type Option func(*options)

type options struct {
	root        string
	persistDir  string
	persist     bool
	replace     bool
	searchPath  []string
	interpreter string // set: use this file, don't search
	release     string // uname release, e.g. "6.1.0-18-amd64"
	hostMachine string // uname machine, e.g. "x86_64"
	cpuinfo     string // where the CPU flags are read
	force       bool
	writeLog    func(path, data string)

	// kernel, if set, is told about every write to a file under root,
	// after it happened, and its error is the write's: tests use it to
	// play the kernel's part on a temporary root.
	kernel func(path string, data []byte) error
}

func newOptions(opts []Option) options {
	o := options{root: DefaultRoot, persistDir: DefaultPersistDir, cpuinfo: "/proc/cpuinfo"}
	for _, opt := range opts {
		opt(&o)
	}
	if o.release == "" || o.hostMachine == "" {
		release, machine := uname()
		if o.release == "" {
			o.release = release
		}
		if o.hostMachine == "" {
			o.hostMachine = machine
		}
	}
	if o.searchPath == nil {
		o.searchPath = append(filepath.SplitList(os.Getenv("PATH")), "/usr/bin")
	}
	return o
}

// WithRoot sets the binfmt_misc folder (default /proc/sys/fs/binfmt_misc).
// Tests point it at a temporary folder holding "register" and "status".
func WithRoot(dir string) Option { return func(o *options) { o.root = dir } }

// WithPersist makes Install also write a systemd-binfmt drop-in, so the
// handler comes back after a reboot (default: off).
func WithPersist() Option { return func(o *options) { o.persist = true } }

// WithPersistDir sets the folder for the drop-ins that Install writes and
// Uninstall removes (default /etc/binfmt.d).
func WithPersistDir(dir string) Option { return func(o *options) { o.persistDir = dir } }

// WithReplace lets Install remove a different handler registered under
// the same name before registering its own (default: such a handler is a
// conflict and nothing is written).
func WithReplace() Option { return func(o *options) { o.replace = true } }

// WithSearchPath sets the folders searched, in order, for the static
// qemu-user interpreters (default: $PATH, then /usr/bin).
func WithSearchPath(dirs ...string) Option {
	return func(o *options) { o.searchPath = append([]string{}, dirs...) }
}

// WithInterpreter makes Install register path as the interpreter instead
// of searching for qemu-ARCH-static (default: search). It must be a static
// executable.
func WithInterpreter(path string) Option { return func(o *options) { o.interpreter = path } }

// WithKernelRelease overrides the kernel release that decides which flags
// the kernel supports (default: uname -r).
func WithKernelRelease(release string) Option { return func(o *options) { o.release = release } }

// WithHostMachine overrides the host's machine name (default: uname -m);
// handlers for the host's own architectures are never installed.
func WithHostMachine(machine string) Option { return func(o *options) { o.hostMachine = machine } }

// WithCPUInfo sets the file the host CPU's flags are read from, to tell
// the x86-64 level (v2, v3, v4) it runs (default /proc/cpuinfo).
func WithCPUInfo(path string) Option { return func(o *options) { o.cpuinfo = path } }

// WithForce lets Uninstall remove an entry that another tool registered
// (one whose interpreter is not the qemu crossdock would register).
func WithForce() Option { return func(o *options) { o.force = true } }

// WithWriteLog has f told about every write to binfmt_misc (path and
// what was written), after it succeeded; the CLI logs them with --debug.
func WithWriteLog(f func(path, data string)) Option { return func(o *options) { o.writeLog = f } }

// withKernel installs the test hook described in options.kernel.
func withKernel(f func(path string, data []byte) error) Option {
	return func(o *options) { o.kernel = f }
}
