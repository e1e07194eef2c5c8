package snapshotter

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/crossdock/crossdock/internal/errdefs"
)

// Entry describes one named image in the store.
type Entry struct {
	Name      string        // full reference, registry included
	Digest    v1.Hash       // of the index or image manifest
	MediaType string        // of that manifest
	Platforms []v1.Platform // those whose manifests are in the store
	Missing   []v1.Platform // those the index lists but that were not pulled
	Size      int64         // bytes of every blob in the store it uses
	Created   time.Time     // the latest creation time among its configs
	Err       error         // why the entry could not be read (a missing or bad manifest), or nil
}

// List describes every named image, sorted by name. An image whose
// manifests cannot be read is listed with Err set, not left out.
func (s *Store) List(ctx context.Context) ([]Entry, error) {
	im, err := s.readIndexShared(ctx)
	if err != nil {
		return nil, err
	}
	var out []Entry
	for _, d := range im.Manifests {
		name := d.Annotations[RefNameAnnotation]
		if name == "" {
			continue
		}
		e, err := s.describe(name, d)
		if err != nil {
			e = Entry{Name: name, Digest: d.Digest, MediaType: string(d.MediaType), Err: fmt.Errorf("%s: %w", name, err)}
		}
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// describe walks one named manifest and sums what the store holds of it.
func (s *Store) describe(name string, d v1.Descriptor) (Entry, error) {
	e := Entry{Name: name, Digest: d.Digest, MediaType: string(d.MediaType)}
	sizes := map[v1.Hash]int64{d.Digest: d.Size}
	var images []v1.Descriptor
	if d.MediaType.IsIndex() {
		idx, err := s.openIndex(d)
		if err != nil {
			return e, err
		}
		im, err := idx.IndexManifest()
		if err != nil {
			return e, err
		}
		for _, c := range im.Manifests {
			if !runnable(c) {
				if s.hasBlob(c.Digest) && c.MediaType.IsImage() {
					var ignored Entry // an attestation has no platform of its own
					if _, err := s.sizeImage(c, sizes, false, &ignored); err != nil {
						return e, err
					}
				}
				continue
			}
			if !s.hasBlob(c.Digest) {
				e.Missing = append(e.Missing, *c.Platform)
				continue
			}
			e.Platforms = append(e.Platforms, *c.Platform)
			images = append(images, c)
		}
	} else {
		images = append(images, d)
	}

	for _, c := range images {
		created, err := s.sizeImage(c, sizes, d.MediaType.IsImage(), &e)
		if err != nil {
			return e, err
		}
		if created.After(e.Created) {
			e.Created = created
		}
	}
	for _, n := range sizes {
		e.Size += n
	}
	return e, nil
}

// sizeImage adds an image's blobs to sizes and returns its creation time.
// For a lone image (platform true) the config's platform goes into e.
func (s *Store) sizeImage(d v1.Descriptor, sizes map[v1.Hash]int64, platform bool, e *Entry) (time.Time, error) {
	raw, err := s.blob(d.Digest)
	if err != nil {
		return time.Time{}, err
	}
	sizes[d.Digest] = int64(len(raw))
	mf, err := v1.ParseManifest(bytesReader(raw))
	if err != nil {
		return time.Time{}, errdefs.Invalid(fmt.Errorf("manifest %s: %w", d.Digest, err))
	}
	sizes[mf.Config.Digest] = mf.Config.Size
	for _, l := range mf.Layers {
		sizes[l.Digest] = l.Size
	}
	cfg, err := s.blob(mf.Config.Digest)
	if err != nil {
		return time.Time{}, err
	}
	var cf struct {
		Created      time.Time `json:"created"`
		OS           string    `json:"os"`
		Architecture string    `json:"architecture"`
		Variant      string    `json:"variant"`
	}
	json.Unmarshal(cfg, &cf) //nolint:errcheck // not every config is an image config
	if platform && cf.OS != "" {
		e.Platforms = append(e.Platforms, v1.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant})
	}
	return cf.Created, nil
}
