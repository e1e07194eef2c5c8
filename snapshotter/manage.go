package snapshotter

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/crossdock/crossdock/internal/errdefs"
)

// Tag gives the image src names a second name, dst (replacing what dst
// named before). The blobs are shared; nothing is copied.
func (s *Store) Tag(ctx context.Context, src, dst string) error {
	d, err := s.resolve(ctx, src)
	if err != nil {
		return err
	}
	r, err := ParseReference(dst)
	if err != nil {
		return err
	}
	if err := digestMatches(r, d.Digest); err != nil {
		return fmt.Errorf("tag %s: %w", src, err)
	}
	return s.updateIndex(ctx, func(im *v1.IndexManifest) error {
		if !s.hasBlob(d.Digest) {
			return errdefs.NotFound(fmt.Errorf("tag %s: manifest %s is gone", src, d.Digest))
		}
		setName(im, refName(r), d)
		return nil
	})
}

// Remove drops names from the store. A bare digest drops every name that
// points at it. The blobs stay until Prune. It returns the names removed;
// a reference that names nothing is an errdefs.NotFound error, and then
// nothing is removed.
func (s *Store) Remove(ctx context.Context, refs ...string) ([]string, error) {
	type target struct {
		name   string
		digest v1.Hash
	}
	var targets []target
	im, err := s.readIndexShared(ctx)
	if err != nil {
		return nil, err
	}
	for _, ref := range refs {
		if h, err := v1.NewHash(ref); err == nil {
			targets = append(targets, target{digest: h})
			continue
		}
		if h, ok, err := expandShort(im, ref); err != nil {
			return nil, err
		} else if ok {
			targets = append(targets, target{digest: h})
			continue
		}
		r, err := ParseReference(ref)
		if err != nil {
			return nil, err
		}
		targets = append(targets, target{name: refName(r)})
	}

	var removed []string
	err = s.updateIndex(ctx, func(im *v1.IndexManifest) error {
		keep := im.Manifests[:0:0]
		hit := make([]bool, len(targets))
		for _, d := range im.Manifests {
			name := d.Annotations[RefNameAnnotation]
			drop := false
			for i, t := range targets {
				if t.name != "" && t.name == name || t.name == "" && t.digest == d.Digest {
					drop, hit[i] = true, true
				}
			}
			if drop {
				removed = append(removed, name)
				continue
			}
			keep = append(keep, d)
		}
		for i, ok := range hit {
			if !ok {
				return errdefs.NotFound(fmt.Errorf("image %q is not in the store", refs[i]))
			}
		}
		im.Manifests = keep
		return nil
	})
	if err != nil {
		return nil, err
	}
	return removed, nil
}

// digestMatches refuses a name@digest reference whose digest is not h:
// a name must never claim content it does not have.
func digestMatches(r name.Reference, h v1.Hash) error {
	if dg, ok := r.(name.Digest); ok && dg.DigestStr() != h.String() {
		return errdefs.Invalid(fmt.Errorf("%s: the image is %s, not the digest the reference names", r, h))
	}
	return nil
}
