package snapshotter

import (
	"context"
	"fmt"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// snapshots returns the unpacked-layer cache at root/snapshots.
func (s *Store) snapshots() *Snapshots {
	return NewSnapshots(filepath.Join(s.root, "snapshots"))
}

// Unpack makes sure every layer of img is unpacked into a snapshot and
// returns the snapshot folders, lowest layer first, ready to be the lower
// folders of an overlay. Layers whose media type is not a filesystem layer
// (attestations, in-toto statements) are refused, not fed to the tar
// reader.
func (s *Store) Unpack(ctx context.Context, img v1.Image) ([]string, error) {
	mf, err := img.Manifest()
	if err != nil {
		return nil, fmt.Errorf("unpack: read manifest: %w", err)
	}
	for _, d := range mf.Layers {
		if !d.MediaType.IsLayer() {
			return nil, fmt.Errorf("unpack: layer %s has media type %q, which is not a filesystem layer", d.Digest, d.MediaType)
		}
	}
	layers, err := img.Layers()
	if err != nil {
		return nil, fmt.Errorf("unpack: list layers: %w", err)
	}
	dirs, err := s.snapshots().Prepare(ctx, layers)
	if err != nil {
		return nil, fmt.Errorf("unpack: %w", err)
	}
	return dirs, nil
}
