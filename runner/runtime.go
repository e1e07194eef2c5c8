package runner

import (
	"context"
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"

	"github.com/crossdock/crossdock/internal/errdefs"
	"github.com/crossdock/crossdock/internal/flock"
)

// Runtime creates and runs containers whose state lives under one root.
// Any number of Runtimes, in any number of processes, may share a root.
type Runtime struct {
	root      string // state under root/containers, volumes under root/volumes
	helper    string // the static crossdock binary: init and shim
	runc      string
	runcRoot  string
	images    ImageSource
	hostCheck func(platform string) error

	staticOnce sync.Once
	staticErr  error // why the helper cannot be a container's init
}

// Option changes how New sets up a Runtime.
type Option func(*Runtime)

// WithHelperBinary sets the static crossdock binary that becomes each
// container's init and each detached container's shim. The default is the
// running executable (os.Executable), which must be built with
// CGO_ENABLED=0.
func WithHelperBinary(path string) Option { return func(r *Runtime) { r.helper = path } }

// WithRunc sets the runc binary. The default is "runc" on PATH.
func WithRunc(path string) Option { return func(r *Runtime) { r.runc = path } }

// WithImages sets where images come from. The default is crossdock's store
// under the same root (package snapshotter), pulling what is missing.
func WithImages(src ImageSource) Option { return func(r *Runtime) { r.images = src } }

// WithPlatformCheck sets the test run before a container of a foreign
// platform starts; its error is returned as is. The default asks package
// binfmt whether a handler can run the platform here.
func WithPlatformCheck(check func(platform string) error) Option {
	return func(r *Runtime) { r.hostCheck = check }
}

// New returns a Runtime rooted at root (created if absent). It fails with an
// errdefs.Host error when runc is missing. A helper binary that is not
// static fails each start instead (listing, logs and volumes work without).
func New(root string, opts ...Option) (*Runtime, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("runtime root %s: %w", root, err)
	}
	r := &Runtime{root: abs, runc: "runc"}
	for _, o := range opts {
		o(r)
	}
	if r.helper == "" {
		if r.helper, err = os.Executable(); err != nil {
			return nil, fmt.Errorf("find crossdock's own binary: %w", err)
		}
	}
	if r.runc, err = exec.LookPath(r.runc); err != nil {
		return nil, errdefs.Host(fmt.Errorf("runc not found (apt-get install runc): %w", err))
	}
	if r.images == nil {
		r.images = storeImages(abs)
	}
	if r.hostCheck == nil {
		r.hostCheck = binfmtCheck
	}
	r.runcRoot = filepath.Join(abs, "runc")
	for _, d := range []string{r.containersDir(), r.volumesDir(), r.runcRoot} {
		if err := os.MkdirAll(d, 0o711); err != nil {
			return nil, fmt.Errorf("runtime root: %w", err)
		}
	}
	return r, nil
}

// checkStatic refuses a helper binary that needs a dynamic loader: it runs
// inside images that may not have one (or have one of another architecture).
func checkStatic(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return errdefs.Host(fmt.Errorf("init binary %s: %w", path, err))
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return errdefs.Host(fmt.Errorf("init binary %s is dynamically linked: "+
				"build crossdock with CGO_ENABLED=0", path))
		}
	}
	return nil
}

// checkHelper reports, once per Runtime, whether the helper binary can be
// a container's init.
func (r *Runtime) checkHelper() error {
	r.staticOnce.Do(func() { r.staticErr = checkStatic(r.helper) })
	return r.staticErr
}

func (r *Runtime) containersDir() string { return filepath.Join(r.root, "containers") }
func (r *Runtime) volumesDir() string    { return filepath.Join(r.root, "volumes") }
func (r *Runtime) dir(id string) string  { return filepath.Join(r.containersDir(), id) }

// lock takes the root-wide lock that orders changes to container state:
// creating (names must stay unique), status changes and removal.
func (r *Runtime) lock(ctx context.Context) (*flock.Lock, error) {
	return flock.Exclusive(ctx, filepath.Join(r.containersDir(), ".lock"))
}
