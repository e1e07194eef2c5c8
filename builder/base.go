package builder

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/crossdock/crossdock/internal/errdefs"
	"github.com/crossdock/crossdock/snapshotter"
)

// WithStore looks base images up in the local store at root before asking
// their registry (default: registries only).
func WithStore(root string) Option {
	return func(o *options) error { o.storeRoot = root; return nil }
}

// LocalRegistry is the registry part of the names crossdock gives images
// it builds; it is not a host, so such names are never looked up remotely.
const LocalRegistry = "crossdock.local"

// IsLocalRef reports whether r names an image under LocalRegistry.
func IsLocalRef(r name.Reference) bool {
	return r.Context().RegistryStr() == LocalRegistry
}

// pinBase records the manifest digest of the base image for every target.
func (b *build) pinBase(ctx context.Context, src *Source, prev *LockedLayer) (*LockedBase, error) {
	if prev != nil && prev.Base != nil && covered(prev.Base.Platforms, b.targetNames()) {
		return prev.Base, nil
	}
	out := &LockedBase{Ref: src.Base.Ref, Platforms: map[string]string{}}
	for _, t := range b.targets {
		img, err := b.lookupBase(ctx, src.Base.Ref, t)
		if err != nil {
			return nil, err
		}
		h, err := img.Digest()
		if err != nil {
			return nil, fmt.Errorf("base %s for %s: %w", src.Base.Ref, t, err)
		}
		out.Platforms[t.String()] = h.String()
	}
	return out, nil
}

// baseImage opens the pinned base image for t and checks its digest.
func (b *build) baseImage(ctx context.Context, pin *LockedBase, t target) (v1.Image, error) {
	want, ok := pin.Platforms[t.String()]
	if !ok {
		return nil, errdefs.Invalid(fmt.Errorf("lockfile %s: base %s has no pin for %s "+
			"(run crossdock lock)", b.opts.lockPath, pin.Ref, t))
	}
	img, err := b.lookupBase(ctx, pin.Ref, t)
	if err != nil {
		return nil, err
	}
	h, err := img.Digest()
	if err != nil {
		return nil, err
	}
	if h.String() != want {
		return nil, errdefs.Invalid(fmt.Errorf("base %s for %s is %s, the lockfile pins %s "+
			"(run crossdock lock to take the new one)", pin.Ref, t, h, want))
	}
	return img, nil
}

// lookupBase finds ref for t in the local store, else in its registry.
func (b *build) lookupBase(ctx context.Context, ref string, t target) (v1.Image, error) {
	if b.opts.storeRoot != "" {
		st, err := snapshotter.Open(b.opts.storeRoot)
		if err != nil {
			return nil, err
		}
		img, err := st.Image(ctx, ref, t.String())
		if err == nil {
			return img, nil
		}
		if !errors.Is(err, errdefs.ErrNotFound) {
			return nil, fmt.Errorf("base %s for %s: %w", ref, t, err)
		}
	}
	at := b.at(b.spec.Layers[0].Line) // a base is always the first source
	r, err := name.ParseReference(ref)
	if err != nil {
		return nil, errdefs.Invalid(fmt.Errorf("%s: base %q: %w", at, ref, err))
	}
	if IsLocalRef(r) {
		return nil, errdefs.NotFound(fmt.Errorf("%s: base %s for %s: not in the local store "+
			"(names under %s are local only, never fetched: build or load it first)",
			at, ref, t, LocalRegistry))
	}
	img, err := remote.Image(r, remote.WithContext(ctx), remote.WithPlatform(t.Platform))
	if err != nil {
		return nil, errdefs.NotFound(fmt.Errorf("base %s for %s: %w", ref, t, err))
	}
	return img, nil
}

// fromBase appends the base image's layers, with their descriptors'
// annotations, and returns its config and history.
//
// TODO: base layers are kept as they are, not converted to eStargz; an
// image on a plain-gzip base is only partly lazily pullable.
func (b *build) fromBase(img, base v1.Image) (v1.Image, *v1.ConfigFile, []v1.History, error) {
	cf, err := base.ConfigFile()
	if err != nil {
		return nil, nil, nil, err
	}
	m, err := base.Manifest()
	if err != nil {
		return nil, nil, nil, err
	}
	layers, err := base.Layers()
	if err != nil {
		return nil, nil, nil, err
	}
	var adds []mutate.Addendum
	for i, l := range layers {
		adds = append(adds, mutate.Addendum{Layer: l, MediaType: m.Layers[i].MediaType,
			Annotations: m.Layers[i].Annotations})
	}
	img, err = mutate.Append(img, adds...)
	if err != nil {
		return nil, nil, nil, err
	}
	return img, cf, append([]v1.History(nil), cf.History...), nil
}

func (b *build) targetNames() []string {
	var out []string
	for _, t := range b.targets {
		out = append(out, t.String())
	}
	return out
}
