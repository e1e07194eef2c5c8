package builder

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/crossdock/crossdock/builder/debian"
	"github.com/crossdock/crossdock/internal/errdefs"
)

// archive is the Debian archive a debian source reads: the mirror from
// WithMirror, else the spec's, else the host's apt sources.
func (b *build) archive(suite string) (debian.Archive, error) {
	host, hostErr := debian.HostArchive()
	a := debian.Archive{Suite: suite, Components: []string{"main"}}
	switch {
	case b.opts.mirror != "":
		a.Mirror = b.opts.mirror
	case b.spec.Mirror != "":
		a.Mirror = b.spec.Mirror
	case hostErr != nil:
		return a, errdefs.Invalid(fmt.Errorf("debian: no mirror in the spec or --mirror, "+
			"and the host's apt sources name none: %w", hostErr))
	default:
		a.Mirror = host.Mirror
	}
	if hostErr == nil && strings.TrimSuffix(host.Mirror, "/") == strings.TrimSuffix(a.Mirror, "/") {
		a.Components, a.Keyring = host.Components, host.Keyring
	}
	return a, nil
}

func (b *build) debianCache() string { return filepath.Join(b.opts.cacheDir, "debian") }

// pinDebian resolves the source's packages and their dependencies for
// every Debian architecture the targets need.
func (b *build) pinDebian(ctx context.Context, i int, src *Source, prev *LockedLayer) (*LockedDebian, error) {
	d := src.Debian
	var arches []string
	for _, t := range b.targets {
		arches = append(arches, t.Debian)
	}
	if prev != nil && prev.Debian != nil && covered(prev.Debian.Packages, arches) {
		return prev.Debian, nil
	}
	if b.opts.locked {
		return nil, errdefs.Invalid(fmt.Errorf("lockfile %s: layer %d (debian) pins no "+
			"packages for %v (run crossdock lock)", b.opts.lockPath, i+1, arches))
	}
	a, err := b.archive(d.Suite)
	if err != nil {
		return nil, err
	}
	out := &LockedDebian{Mirror: a.Mirror, Suite: d.Suite, Packages: map[string][]LockedPackage{}}
	for _, arch := range arches {
		if _, done := out.Packages[arch]; done {
			continue
		}
		ix, err := a.Index(ctx, arch, debian.WithCacheDir(b.debianCache()))
		if err != nil {
			return nil, fmt.Errorf("%s:%d: debian %s %s: %w", b.spec.Path, src.Line, d.Suite, arch, err)
		}
		pkgs, err := ix.Resolve(d.Packages, debian.ResolveOptions{})
		if err != nil {
			return nil, errdefs.Invalid(fmt.Errorf("%s:%d: %w", b.spec.Path, src.Line, err))
		}
		for _, p := range pkgs {
			out.Packages[arch] = append(out.Packages[arch], LockedPackage{Name: p.Name,
				Version: p.Version, Architecture: p.Architecture, Filename: p.Filename,
				SHA256: p.SHA256, Size: p.Size})
		}
	}
	return out, nil
}

// debianLayer unpacks the pinned packages for t: every data.tar entry, then
// the fixups that maintainer scripts would have made. No maintainer script
// runs.
func (b *build) debianLayer(ctx context.Context, i int, pin *LockedDebian, t target) (*layerRecord, error) {
	pkgs := pin.Packages[t.Debian]
	if len(pkgs) == 0 {
		return nil, errdefs.Invalid(fmt.Errorf("lockfile %s: layer %d (debian) pins no "+
			"packages for %s (run crossdock lock)", b.opts.lockPath, i+1, t.Debian))
	}
	// TODO: the key does not cover builder/debian's fixups; when they
	// change, a cached Debian layer is reused until builderVersion is
	// bumped, and users see the old fixups.
	key := layerKey("debian", pkgs, b.epoch.Unix(), b.prio())
	// The spool holds file contents until the tree is written; it is
	// removed at once and kept open, so nothing is left if the build dies.
	spool, err := os.CreateTemp(b.tmp.dir, "debs-*")
	if err != nil {
		return nil, err
	}
	os.Remove(spool.Name())
	defer spool.Close()
	rec, cached, err := b.cachedLayer(ctx, key, b.prio(), func(tr *tree) error {
		return b.unpackDebs(ctx, tr, spool, pin, pkgs, t)
	})
	if err == nil && cached {
		b.opts.report(Event{Platform: t.String(), Layer: i + 1, Kind: "debian", Step: "cached"})
	}
	return rec, err
}

func (b *build) unpackDebs(ctx context.Context, tr *tree, spool *os.File, pin *LockedDebian,
	pkgs []LockedPackage, t target) error {
	a, err := b.archive(pin.Suite)
	if err != nil {
		return err
	}
	debs, err := b.fetchDebs(ctx, a, pkgs, t)
	if err != nil {
		return err
	}

	var off int64
	err = debian.Unpack(debs, func(h *tar.Header, r io.Reader) error {
		if h.Typeflag != tar.TypeReg && h.Typeflag != tar.TypeRegA {
			tr.add(h, nil)
			return nil
		}
		n, err := io.Copy(spool, r)
		if err != nil {
			return err
		}
		start := off
		off += n
		tr.add(h, func() (io.Reader, error) { return io.NewSectionReader(spool, start, n), nil })
		return nil
	})
	if err != nil {
		return fmt.Errorf("debian packages for %s: %w", t.Debian, err)
	}
	return nil
}

// fetchDebs downloads the pinned .debs, a few at a time, each checked
// against the lockfile's sha256.
func (b *build) fetchDebs(ctx context.Context, a debian.Archive, pkgs []LockedPackage,
	t target) ([]debian.Deb, error) {
	debs := make([]debian.Deb, len(pkgs))
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(4)
	for i, p := range pkgs {
		g.Go(func() error {
			want := debian.Package{Name: p.Name, Version: p.Version, Architecture: p.Architecture,
				Filename: p.Filename, SHA256: p.SHA256, Size: p.Size}
			path, err := debian.Fetch(ctx, a, want, b.debianCache())
			if errors.Is(err, debian.ErrDigestMismatch) {
				// The sum checked is the lock's, not the index's: say so
				// (the debian package's message names the signed index).
				return errdefs.Invalid(fmt.Errorf("lockfile %s: debian package %s %s (%s), "+
					"file %s: %w: the mirror's file does not have the sha256 the lockfile "+
					"pins (%s); fix the lock or run crossdock lock", b.opts.lockPath, p.Name,
					p.Version, t.Debian, p.Filename, debian.ErrDigestMismatch, p.SHA256))
			}
			if err != nil {
				return fmt.Errorf("debian package %s %s (%s): %w", p.Name, p.Version, t.Debian, err)
			}
			debs[i] = debian.Deb{Package: want, Path: path}
			return nil
		})
	}
	return debs, g.Wait()
}
