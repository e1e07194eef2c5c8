package snapshotter

import (
	"context"
	"fmt"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/crossdock/crossdock/internal/errdefs"
)

// PushOption configures Push.
type PushOption func(*pushOptions)

type pushOptions struct {
	target   string
	progress func(Progress)
}

// WithTarget pushes to another reference than the local name (default:
// the local name, whose registry part says where it goes).
func WithTarget(ref string) PushOption {
	return func(o *pushOptions) { o.target = ref }
}

// WithPushProgress sets a function told how many bytes of the whole push
// were sent (Progress.Digest is empty).
func WithPushProgress(f func(Progress)) PushOption {
	return func(o *pushOptions) { o.progress = f }
}

// Push copies the image or index ref names in the store to a registry,
// every digest unchanged. An index must be complete: an image pulled for
// one platform cannot be pushed as the whole index.
func (s *Store) Push(ctx context.Context, ref string, opts ...PushOption) error {
	o := pushOptions{target: ref}
	for _, f := range opts {
		f(&o)
	}
	d, err := s.resolve(ctx, ref)
	if err != nil {
		return err
	}
	target, err := ParseReference(o.target)
	if err != nil {
		return err
	}
	if err := digestMatches(target, d.Digest); err != nil {
		return fmt.Errorf("push %s: %w", ref, err)
	}
	ropts, stop, err := s.remoteFor(ctx, target)
	if err != nil {
		return err
	}
	defer stop()

	var idx v1.ImageIndex
	var img v1.Image
	if d.MediaType.IsIndex() {
		if idx, err = s.openIndex(d); err != nil {
			return err
		}
		if err := s.complete(ref, idx); err != nil {
			return err
		}
	} else if img, err = s.openImage(d); err != nil {
		return err
	}

	if o.progress != nil {
		updates := make(chan v1.Update, 16)
		done := make(chan struct{})
		go func() {
			defer close(done)
			for u := range updates {
				o.progress(Progress{Total: u.Total, Complete: u.Complete})
			}
		}()
		defer func() { <-done }()
		ropts = append(ropts, remote.WithProgress(updates))
	}

	if idx != nil {
		return pushError(o.target, remote.WriteIndex(target, idx, ropts...))
	}
	return pushError(o.target, remote.Write(target, img, ropts...))
}

func pushError(ref string, err error) error {
	if err == nil {
		return nil
	}
	return remoteError(ref, fmt.Errorf("push: %w", err))
}

// complete checks that every manifest an index lists is in the store.
func (s *Store) complete(ref string, idx v1.ImageIndex) error {
	im, err := idx.IndexManifest()
	if err != nil {
		return err
	}
	var missing []string
	for _, c := range im.Manifests {
		if s.hasBlob(c.Digest) {
			continue
		}
		what := c.Digest.String()
		switch {
		case IsAttestation(c):
			what = "the attestation " + short(c.Digest)
		case c.Platform != nil:
			what = FormatPlatform(*c.Platform)
		}
		missing = append(missing, what)
	}
	if len(missing) > 0 {
		return errdefs.Invalid(fmt.Errorf("push %s: the store lacks %s of its index (pulled for one platform); pull it with --all-platforms first",
			ref, strings.Join(missing, ", ")))
	}
	return nil
}
