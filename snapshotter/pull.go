package snapshotter

import (
	"context"
	"errors"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/crossdock/crossdock/internal/errdefs"
)

// PullOption configures Pull.
type PullOption func(*pullOptions)

type pullOptions struct {
	platform    string
	platformSet bool
	all         bool
	verify      bool
	progress    func(Progress)
	choice      func(Choice)
}

// WithChoice sets a function told which entry of an index Pull picked for
// the platform, and why when it is not an exact match (an arm/v6 image for
// an arm/v7 request).
func WithChoice(f func(Choice)) PullOption {
	return func(o *pullOptions) { o.choice = f }
}

// WithVerifyCached hashes the blobs the store already holds before
// reusing them (default: only their sizes are checked); a blob that fails
// is fetched again.
func WithVerifyCached() PullOption {
	return func(o *pullOptions) { o.verify = true }
}

// WithPlatform pulls only the manifest of an index that SelectManifest
// picks for p (default: the host's platform).
func WithPlatform(p string) PullOption {
	return func(o *pullOptions) { o.platform, o.platformSet = p, true }
}

// WithAllPlatforms pulls every entry of an index, attestations included,
// so that the index can be pushed again with its digest unchanged.
func WithAllPlatforms() PullOption {
	return func(o *pullOptions) { o.all = true }
}

// WithPullProgress sets a function told about every blob as it arrives.
// It is called from several goroutines at once.
func WithPullProgress(f func(Progress)) PullOption {
	return func(o *pullOptions) { o.progress = f }
}

// Pull copies ref from its registry into the store and names it ref. For
// an index it stores the index manifest and the entry for one platform
// (WithPlatform, default the host's), or every entry (WithAllPlatforms).
// Every blob is checked against its digest before it is named. It returns
// the digest of the index or image manifest.
func (s *Store) Pull(ctx context.Context, ref string, opts ...PullOption) (v1.Hash, error) {
	var o pullOptions
	for _, f := range opts {
		f(&o)
	}
	if o.all && o.platformSet {
		return v1.Hash{}, errdefs.Invalid(errors.New("pull: a platform and all platforms were both asked for"))
	}
	want, err := ParsePlatform(o.platform)
	if err != nil {
		return v1.Hash{}, err
	}
	r, err := ParseReference(ref)
	if err != nil {
		return v1.Hash{}, err
	}
	ropts, stop, err := s.remoteFor(ctx, r)
	if err != nil {
		return v1.Hash{}, err
	}
	defer stop()

	desc, err := retrying(ctx, func() (*remote.Descriptor, error) {
		return remote.Get(r, ropts...)
	})
	if err != nil {
		return v1.Hash{}, remoteError(ref, err)
	}
	if desc.MediaType.IsIndex() {
		return s.pullIndex(ctx, ref, desc, want, o)
	}
	img, err := desc.Image()
	if err != nil {
		return v1.Hash{}, remoteError(ref, err)
	}
	if !o.all {
		if err := checkPlatform(ctx, img, want); err != nil {
			return v1.Hash{}, fmt.Errorf("pull %s: %w", ref, err)
		}
	}
	return s.writeWith(ctx, ref, o.progress, func(w *blobWriter) (v1.Descriptor, error) {
		w.verify = o.verify
		if _, err := w.writeImage(ctx, img); err != nil {
			return v1.Descriptor{}, err
		}
		return descriptorOf(img)
	})
}

func (s *Store) pullIndex(ctx context.Context, ref string, desc *remote.Descriptor, want v1.Platform, o pullOptions) (v1.Hash, error) {
	idx, err := desc.ImageIndex()
	if err != nil {
		return v1.Hash{}, remoteError(ref, err)
	}
	var keep func(v1.Descriptor) bool
	if !o.all {
		sel, err := SelectManifest(idx, FormatPlatform(want))
		if err != nil {
			return v1.Hash{}, fmt.Errorf("pull %s: %w", ref, err)
		}
		keep = func(d v1.Descriptor) bool { return d.Digest == sel.Digest }
		if o.choice != nil {
			o.choice(explainChoice(want, sel))
		}
	}
	return s.writeWith(ctx, ref, o.progress, func(w *blobWriter) (v1.Descriptor, error) {
		w.verify = o.verify
		if _, err := w.writeIndex(ctx, idx, keep); err != nil {
			return v1.Descriptor{}, err
		}
		return descriptorOf(idx)
	})
}

// checkPlatform refuses a lone image whose config names a platform that
// does not fit want.
func checkPlatform(ctx context.Context, img v1.Image, want v1.Platform) error {
	cf, err := readConfig(ctx, img)
	if err != nil {
		return fmt.Errorf("read config: %w", err)
	}
	if cf.OS == "" || cf.Architecture == "" {
		return nil
	}
	d := v1.Descriptor{MediaType: imageMediaType,
		Platform: &v1.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant}}
	_, err = selectFrom([]v1.Descriptor{d}, want)
	return err
}
