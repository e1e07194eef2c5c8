package builder

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/crossdock/crossdock/internal/errdefs"
)

// resolve pins every layer source, taking pins from the old lock where it
// still matches the spec, and sets b.lock and b.epoch.
//
// TODO: a build of fewer platforms than the spec names that has to resolve
// anew (no matching lock entry) writes a lock covering only those
// platforms; the next build of the others resolves them again.
func (b *build) resolve(ctx context.Context) error {
	s := b.spec
	if b.old != nil && b.opts.locked && len(b.old.Layers) != len(s.Layers) {
		return errdefs.Invalid(fmt.Errorf("lockfile %s is stale: it pins %d layer "+
			"sources, %s has %d (run crossdock lock)", b.opts.lockPath,
			len(b.old.Layers), s.Path, len(s.Layers)))
	}
	lock := &Lockfile{Version: LockVersion}
	switch {
	case b.opts.epoch != nil:
		lock.Epoch = *b.opts.epoch
	case s.Epoch != nil:
		lock.Epoch = *s.Epoch
	case b.old != nil:
		lock.Epoch = b.old.Epoch
	}
	b.epoch = time.Unix(lock.Epoch, 0).UTC()

	for i := range s.Layers {
		src := &s.Layers[i]
		l := LockedLayer{Kind: src.Kind(), Source: sourceDigest(src)}
		var prev *LockedLayer
		if b.old != nil && i < len(b.old.Layers) && b.old.Layers[i].Source == l.Source {
			prev = &b.old.Layers[i]
		}
		if prev == nil && b.opts.locked {
			return errdefs.Invalid(fmt.Errorf("lockfile %s is stale: %s:%d: layer %d (%s) "+
				"changed since it was locked (run crossdock lock)",
				b.opts.lockPath, s.Path, src.Line, i+1, l.Kind))
		}
		b.opts.report(Event{Layer: i + 1, Kind: l.Kind, Step: "resolve"})
		if err := b.resolveLayer(ctx, i, src, prev, &l); err != nil {
			return err
		}
		if err := b.pinContent(ctx, src, &l); err != nil {
			return err
		}
		if prev != nil && b.opts.locked && !maps.Equal(prev.Files, l.Files) {
			return errdefs.Invalid(fmt.Errorf("lockfile %s is stale: %s:%d: layer %d (%s): "+
				"%s changed since it was locked (run crossdock lock)", b.opts.lockPath,
				s.Path, src.Line, i+1, l.Kind, pinsDiffer(prev.Files, l.Files)))
		}
		lock.Layers = append(lock.Layers, l)
	}
	b.lock = lock
	return nil
}

func (b *build) resolveLayer(ctx context.Context, i int, src *Source, prev, l *LockedLayer) error {
	switch {
	case src.Go != nil:
		g, err := b.pinGo(src.Go)
		if err != nil {
			return err
		}
		if prev != nil && prev.Go != nil && (prev.Go.GoMod != g.GoMod || prev.Go.GoSum != g.GoSum) &&
			b.opts.locked {
			return errdefs.Invalid(fmt.Errorf("lockfile %s is stale: go.mod or go.sum of %s "+
				"changed since it was locked (run crossdock lock)", b.opts.lockPath,
				src.Go.Module))
		}
		if prev != nil && prev.Go != nil && prev.Go.Toolchain != g.Toolchain && b.opts.locked {
			return errdefs.Invalid(fmt.Errorf("lockfile %s pins Go %s for %s:%d, this machine's "+
				"go is %s (install that Go, or run crossdock lock to take this one)",
				b.opts.lockPath, prev.Go.Toolchain, b.spec.Path, src.Line, g.Toolchain))
		}
		l.Go = g
	case src.URoot != nil:
		l.URoot = &LockedURoot{Version: URootVersion, Gobusybox: GobusyboxVersion,
			Commands: src.URoot.Commands}
		if prev != nil && prev.URoot != nil && prev.URoot.Version != URootVersion && b.opts.locked {
			return errdefs.Invalid(fmt.Errorf("lockfile %s pins u-root %s, this crossdock "+
				"builds %s (run crossdock lock)", b.opts.lockPath, prev.URoot.Version, URootVersion))
		}
	case src.Debian != nil:
		d, err := b.pinDebian(ctx, i, src, prev)
		if err != nil {
			return err
		}
		l.Debian = d
	case src.Base != nil:
		bl, err := b.pinBase(ctx, src, prev)
		if err != nil {
			return err
		}
		l.Base = bl
	}
	return nil
}

// pinContent records the build context's files a files or go source uses.
func (b *build) pinContent(ctx context.Context, src *Source, l *LockedLayer) error {
	var err error
	switch {
	case src.Files != nil:
		l.Files, err = b.pinFiles(src.Files)
	case src.Go != nil:
		l.Files, err = b.pinGoSources(ctx, src.Go, src.Line)
	}
	return err
}

// sourceDigest hashes a source's definition (after defaults were applied).
func sourceDigest(src *Source) string {
	data, _ := json.Marshal(src)
	return "sha256:" + sha256Hex(data)
}

// pinGo hashes the module's go.mod and go.sum, which pin its dependencies.
func (b *build) pinGo(g *GoSource) (*LockedGo, error) {
	dir, _ := inContext(b.spec.Context, g.Module, true)
	mod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return nil, errdefs.Invalid(fmt.Errorf("go module %s: %w", g.Module, err))
	}
	out := &LockedGo{GoMod: "sha256:" + sha256Hex(mod), Toolchain: b.goVer}
	if sum, err := os.ReadFile(filepath.Join(dir, "go.sum")); err == nil {
		out.GoSum = "sha256:" + sha256Hex(sum)
	}
	return out, nil
}

// platformsCovered reports whether have has an entry for every key in want.
func covered[V any](have map[string]V, want []string) bool {
	for _, w := range want {
		if _, ok := have[w]; !ok {
			return false
		}
	}
	return true
}

var _ = slices.Sort[[]string]
