package snapshotter

import (
	"context"
	"errors"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
)

// WriteIndex stores every blob of idx (all platforms, attestations too) and
// names it ref. It returns the index digest.
func (s *Store) WriteIndex(ctx context.Context, ref string, idx v1.ImageIndex) (v1.Hash, error) {
	return s.write(ctx, ref, func(w *blobWriter) (v1.Descriptor, error) {
		if _, err := w.writeIndex(ctx, idx, nil); err != nil {
			return v1.Descriptor{}, err
		}
		return descriptorOf(idx)
	})
}

// WriteImage stores every blob of img and names it ref. It returns the
// manifest digest.
func (s *Store) WriteImage(ctx context.Context, ref string, img v1.Image) (v1.Hash, error) {
	return s.write(ctx, ref, func(w *blobWriter) (v1.Descriptor, error) {
		if _, err := w.writeImage(ctx, img); err != nil {
			return v1.Descriptor{}, err
		}
		return descriptorOf(img)
	})
}

// errPruned means a concurrent prune removed blobs a write had stored
// before the write could name them.
var errPruned = errors.New("blobs were pruned while being written")

// write runs fill under the shared lock (so that prune waits), then names
// its result under the exclusive lock, after checking that no blob went
// missing in between. It tries again if one did.
func (s *Store) write(ctx context.Context, ref string, fill func(w *blobWriter) (v1.Descriptor, error)) (v1.Hash, error) {
	return s.writeWith(ctx, ref, nil, fill)
}

func (s *Store) writeWith(ctx context.Context, ref string, progress func(Progress), fill func(w *blobWriter) (v1.Descriptor, error)) (v1.Hash, error) {
	r, err := ParseReference(ref)
	if err != nil {
		return v1.Hash{}, err
	}
	name := refName(r)

	for attempt := 0; ; attempt++ {
		w := s.newBlobWriter(progress)
		desc, err := s.fillShared(ctx, w, fill)
		if err != nil {
			return v1.Hash{}, fmt.Errorf("write %s: %w", name, err)
		}
		err = s.updateIndex(ctx, func(im *v1.IndexManifest) error {
			if gone := w.missing(); len(gone) > 0 {
				return fmt.Errorf("%w: %s", errPruned, gone[0])
			}
			setName(im, name, desc)
			return nil
		})
		if errors.Is(err, errPruned) && attempt < 3 {
			continue
		}
		if err != nil {
			return v1.Hash{}, fmt.Errorf("write %s: %w", name, err)
		}
		return desc.Digest, nil
	}
}

func (s *Store) fillShared(ctx context.Context, w *blobWriter, fill func(w *blobWriter) (v1.Descriptor, error)) (v1.Descriptor, error) {
	l, err := s.shared(ctx)
	if err != nil {
		return v1.Descriptor{}, err
	}
	defer l.Unlock()
	return fill(w)
}

// descriptorOf describes an image or an index by its manifest.
func descriptorOf(m partial.Describable) (v1.Descriptor, error) {
	d, err := partial.Descriptor(m)
	if err != nil {
		return v1.Descriptor{}, fmt.Errorf("describe manifest: %w", err)
	}
	return v1.Descriptor{MediaType: d.MediaType, Digest: d.Digest, Size: d.Size}, nil
}
