package crosstest

import (
	"context"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/crossdock/crossdock/runner"
	"github.com/crossdock/crossdock/snapshotter"
)

// StoreImages reads images (for File, ImageConfig and metadata steps) from
// crossdock's store under root, unpacked into the store's shared
// snapshots, as the runner does. It never pulls: the runtime pulls what a
// stack needs when the stack comes up.
func StoreImages(root string) runner.ImageSource {
	return runner.ImageFunc(func(ctx context.Context, ref, platform string) (runner.Image, error) {
		s, err := snapshotter.Open(root, snapshotter.WithoutAutoServe())
		if err != nil {
			return runner.Image{}, err
		}
		img, err := s.Image(ctx, ref, platform)
		if err != nil {
			return runner.Image{}, err
		}
		cf, err := img.ConfigFile()
		if err != nil {
			return runner.Image{}, fmt.Errorf("image %s: config: %w", ref, err)
		}
		layers, err := s.Unpack(ctx, img)
		if err != nil {
			return runner.Image{}, fmt.Errorf("image %s: %w", ref, err)
		}
		p := snapshotter.FormatPlatform(v1.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant})
		return runner.Image{Platform: p, Layers: layers, Config: cf.Config}, nil
	})
}
