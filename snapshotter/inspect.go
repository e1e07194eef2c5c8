package snapshotter

import (
	"context"
	"encoding/json"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Inspection is what the store knows of one image: its index (if it is
// one) and, for each manifest, the manifest and its config.
type Inspection struct {
	Ref       string              `json:"ref"`
	Digest    v1.Hash             `json:"digest"`
	MediaType string              `json:"mediaType"`
	Index     *v1.IndexManifest   `json:"index,omitempty"`
	Manifests []InspectedManifest `json:"manifests"`
}

// InspectedManifest is one image manifest of an Inspection. Manifest and
// Config are empty for an entry that was not pulled.
type InspectedManifest struct {
	Descriptor v1.Descriptor   `json:"descriptor"`
	Pulled     bool            `json:"pulled"`
	Manifest   *v1.Manifest    `json:"manifest,omitempty"`
	Config     json.RawMessage `json:"config,omitempty"`
}

// Inspect describes the image ref names. With a platform it keeps only the
// manifest SelectManifest picks for it; with "" it keeps every entry.
func (s *Store) Inspect(ctx context.Context, ref, platform string) (*Inspection, error) {
	d, err := s.resolve(ctx, ref)
	if err != nil {
		return nil, err
	}
	out := &Inspection{Ref: ref, Digest: d.Digest, MediaType: string(d.MediaType)}
	entries := []v1.Descriptor{d}
	if d.MediaType.IsIndex() {
		idx, err := s.openIndex(d)
		if err != nil {
			return nil, err
		}
		if out.Index, err = idx.IndexManifest(); err != nil {
			return nil, fmt.Errorf("inspect %s: %w", ref, err)
		}
		entries = out.Index.Manifests
		if platform != "" {
			sel, err := SelectManifest(idx, platform)
			if err != nil {
				return nil, fmt.Errorf("inspect %s: %w", ref, err)
			}
			entries = []v1.Descriptor{sel}
		}
	} else if platform != "" {
		if _, err := s.Image(ctx, ref, platform); err != nil {
			return nil, err
		}
	}

	for _, e := range entries {
		m, err := s.inspectManifest(e)
		if err != nil {
			return nil, fmt.Errorf("inspect %s: %w", ref, err)
		}
		out.Manifests = append(out.Manifests, m)
	}
	return out, nil
}

func (s *Store) inspectManifest(d v1.Descriptor) (InspectedManifest, error) {
	m := InspectedManifest{Descriptor: d}
	if !s.hasBlob(d.Digest) || d.MediaType.IsIndex() {
		return m, nil
	}
	raw, err := s.blob(d.Digest)
	if err != nil {
		return m, err
	}
	if m.Manifest, err = v1.ParseManifest(bytesReader(raw)); err != nil {
		return m, fmt.Errorf("manifest %s: %w", d.Digest, err)
	}
	m.Pulled = true
	cfg, err := s.blob(m.Manifest.Config.Digest)
	if err != nil {
		return m, err
	}
	if json.Valid(cfg) {
		m.Config = cfg
	}
	return m, nil
}
