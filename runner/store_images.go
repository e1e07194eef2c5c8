package runner

import (
	"context"
	"errors"
	"fmt"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/crossdock/crossdock/internal/errdefs"
	"github.com/crossdock/crossdock/snapshotter"
)

// storeImages reads images from crossdock's store under root, pulling an
// image that is not there (as `docker run` does), and unpacks their layers
// into the store's shared snapshots.
func storeImages(root string) ImageSource {
	return ImageFunc(func(ctx context.Context, ref, platform string) (Image, error) {
		s, err := snapshotter.Open(root)
		if err != nil {
			return Image{}, err
		}
		img, err := s.Image(ctx, ref, platform)
		if errors.Is(err, errdefs.ErrNotFound) && !inStore(ctx, s, ref) {
			if isLocalName(ref) {
				return Image{}, errdefs.NotFound(fmt.Errorf("image %s is not in the store, "+
					"and %s names are local only (build it with crossdock build)", ref, localRegistry))
			}
			if _, perr := s.Pull(ctx, ref, snapshotter.WithPlatform(platform)); perr != nil {
				return Image{}, fmt.Errorf("%w (pull: %w)", err, perr)
			}
			img, err = s.Image(ctx, ref, platform)
		}
		if err != nil {
			return Image{}, err
		}
		return unpacked(ctx, s, ref, img)
	})
}

// localRegistry is the registry part of the builder's local-only names:
// never pulled, never looked up in DNS.
const localRegistry = "crossdock.local"

func isLocalName(ref string) bool {
	return ref == localRegistry || strings.HasPrefix(ref, localRegistry+"/")
}

// inStore reports whether the store holds the name ref at all (for any
// platform): only a name it lacks is pulled. One it holds without the
// platform asked for fails locally, listing those on offer.
func inStore(ctx context.Context, s *snapshotter.Store, ref string) bool {
	_, err := s.Index(ctx, ref)
	return !errors.Is(err, errdefs.ErrNotFound)
}

func unpacked(ctx context.Context, s *snapshotter.Store, ref string, img v1.Image) (Image, error) {
	cf, err := img.ConfigFile()
	if err != nil {
		return Image{}, fmt.Errorf("image %s: config: %w", ref, err)
	}
	layers, err := s.Unpack(ctx, knownDiffIDs{Image: img, diffIDs: cf.RootFS.DiffIDs})
	if err != nil {
		return Image{}, fmt.Errorf("image %s: %w", ref, err)
	}
	p := v1.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant}
	return Image{Platform: snapshotter.FormatPlatform(p), Layers: layers, Config: cf.Config}, nil
}

// hostPlatform is the platform crossdock runs on, such as linux/amd64.
func hostPlatform() string { return snapshotter.FormatPlatform(snapshotter.HostPlatform()) }

// samePlatform compares two platform strings after normalizing them
// (linux/arm is linux/arm/v7).
func samePlatform(a, b string) bool {
	pa, errA := snapshotter.ParsePlatform(a)
	pb, errB := snapshotter.ParsePlatform(b)
	return errA == nil && errB == nil && snapshotter.FormatPlatform(pa) == snapshotter.FormatPlatform(pb)
}

// knownDiffIDs gives an image's layers the diffIDs its config lists, so
// that finding snapshots already unpacked does not decompress and hash
// every layer again (a store layer otherwise computes its diffID from its
// content). The config is named by the manifest's digest, and a layer that
// still has to be unpacked is checked against its diffID as it is.
type knownDiffIDs struct {
	v1.Image
	diffIDs []v1.Hash
}

func (k knownDiffIDs) Layers() ([]v1.Layer, error) {
	layers, err := k.Image.Layers()
	if err != nil || len(layers) != len(k.diffIDs) {
		return layers, err
	}
	out := make([]v1.Layer, len(layers))
	for i, l := range layers {
		out[i] = diffIDLayer{Layer: l, diffID: k.diffIDs[i]}
	}
	return out, nil
}

type diffIDLayer struct {
	v1.Layer
	diffID v1.Hash
}

func (l diffIDLayer) DiffID() (v1.Hash, error) { return l.diffID, nil }
