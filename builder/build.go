package builder

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/crossdock/crossdock/internal/errdefs"
)

// Result is a built image index, not yet stored anywhere: its blobs live in
// the builder's cache.
type Result struct {
	// Index holds one image manifest per platform, in the spec's order.
	Index v1.ImageIndex
	// Digest is the index digest.
	Digest v1.Hash
	// Lock pins every input the build used.
	Lock *Lockfile
}

// build is one Build or Lock call.
type build struct {
	spec    *Spec
	opts    *options
	targets []target
	old     *Lockfile // the lockfile found next to the spec, or nil
	lock    *Lockfile // the resolved pins
	epoch   time.Time
	goVer   string
	tmp     *buildTemp // this build's temporary folder, removed by Build and Lock

	claimMu sync.Mutex
	claims  map[string][2]int // image path -> first layer index and line putting a file there
	warned  map[string]bool
}

func newBuild(ctx context.Context, spec *Spec, opts []Option) (*build, error) {
	o, err := newOptions(spec, opts)
	if err != nil {
		return nil, errdefs.Invalid(err)
	}
	targets, err := parsePlatforms(o.platforms)
	if err != nil {
		return nil, errdefs.Invalid(err)
	}
	old, err := readLockIfAny(o.lockPath)
	if err != nil {
		return nil, err
	}
	if o.locked && old == nil {
		return nil, errdefs.Invalid(fmt.Errorf("--locked: no lockfile at %s "+
			"(run crossdock lock)", o.lockPath))
	}
	tmp, err := startTemp(ctx, filepath.Join(o.cacheDir, "tmp"))
	if err != nil {
		return nil, fmt.Errorf("cache dir: %w", err)
	}
	goVer := ""
	for _, l := range spec.Layers {
		if l.Go != nil || l.URoot != nil {
			if goVer, err = goVersion(ctx); err != nil {
				tmp.close()
				return nil, err
			}
			break
		}
	}
	return &build{spec: spec, opts: o, targets: targets, old: old, goVer: goVer, tmp: tmp}, nil
}

// Build resolves the spec's inputs (from its lockfile where it pins them),
// builds one image per platform and returns the index. Nothing is written
// outside the cache folder: storing or pushing the result is the caller's.
func Build(ctx context.Context, spec *Spec, opts ...Option) (*Result, error) {
	b, err := newBuild(ctx, spec, opts)
	if err != nil {
		return nil, err
	}
	defer b.tmp.close()
	if err := b.resolve(ctx); err != nil {
		return nil, err
	}
	idx, err := b.index(ctx)
	if err != nil {
		return nil, err
	}
	h, err := idx.Digest()
	if err != nil {
		return nil, err
	}
	b.opts.report(Event{Step: "done", Detail: h.String()})
	return &Result{Index: idx, Digest: h, Lock: b.lock}, nil
}

// Lock resolves every input of the spec anew (keeping nothing from an
// existing lockfile unless WithLocked is given) and returns the pins. The
// caller writes them with WriteLock.
func Lock(ctx context.Context, spec *Spec, opts ...Option) (*Lockfile, error) {
	b, err := newBuild(ctx, spec, opts)
	if err != nil {
		return nil, err
	}
	defer b.tmp.close()
	if !b.opts.locked {
		b.old = nil
	}
	if err := b.resolve(ctx); err != nil {
		return nil, err
	}
	return b.lock, nil
}

// goVersion is the Go toolchain's version; it is part of Go layers' keys.
func goVersion(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOVERSION").Output()
	if err != nil {
		return "", errdefs.Host(fmt.Errorf("go toolchain: %w (install Go from go.dev/dl "+
			"and put it on PATH)", err))
	}
	return strings.TrimSpace(string(out)), nil
}
