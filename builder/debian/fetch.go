package debian

import (
	"context"

	"golang.org/x/sync/errgroup"
)

// Deb is a package and the path of its verified .deb file.
type Deb struct {
	Package
	Path string
}

// Fetch downloads the .deb of p from p.Mirror (or, when that is empty, as
// with a Package read back from a lockfile, the archive's mirror) into cacheDir
// (named by its sha256; "" means WithCacheDir or DefaultCacheDir) and
// returns its path. The file is checked against p.SHA256 and p.Size (taken
// from the signed index); a file that does not match fails with an error
// wrapping ErrDigestMismatch and naming the URL, and is not kept. A file
// already in the cache is checked again and reused. A download that fails
// on the network or with a server error is tried up to 3 times.
func Fetch(ctx context.Context, a Archive, p Package, cacheDir string, opts ...Option) (string, error) {
	if cacheDir != "" {
		opts = append(opts, WithCacheDir(cacheDir))
	}
	return newOptions(opts).fetchVerified(ctx, debURL(a, p), p.SHA256, p.Size)
}

// FetchAll fetches every package (see Fetch), a few at a time, and returns
// them in the order given. It stops at the first failure.
func FetchAll(ctx context.Context, a Archive, pkgs []Package, cacheDir string, opts ...Option) ([]Deb, error) {
	if cacheDir != "" {
		opts = append(opts, WithCacheDir(cacheDir))
	}
	o := newOptions(opts)

	debs := make([]Deb, len(pkgs))
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(4)
	for i, p := range pkgs {
		g.Go(func() error {
			path, err := o.fetchVerified(ctx, debURL(a, p), p.SHA256, p.Size)
			debs[i] = Deb{Package: p, Path: path}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return debs, nil
}

// debURL is where a package's .deb is: under the mirror its index came
// from, else under the caller's archive.
func debURL(a Archive, p Package) string {
	if p.Mirror != "" {
		a.Mirror = p.Mirror
	}
	return a.url(p.Filename)
}
