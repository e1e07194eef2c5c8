package snapshotter

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/crossdock/crossdock/internal/errdefs"
)

// resolve finds what ref names in the store: a name (normalized as
// ParseReference does), a name@digest, or a bare digest (sha256:...) of a
// named manifest or of any manifest in the store.
func (s *Store) resolve(ctx context.Context, ref string) (v1.Descriptor, error) {
	im, err := s.readIndexShared(ctx)
	if err != nil {
		return v1.Descriptor{}, err
	}
	if h, err := v1.NewHash(ref); err == nil {
		return s.resolveDigest(im, ref, h)
	}
	if h, ok, err := expandShort(im, ref); err != nil {
		return v1.Descriptor{}, err
	} else if ok {
		return s.resolveDigest(im, ref, h)
	}
	r, err := ParseReference(ref)
	if err != nil {
		return v1.Descriptor{}, err
	}
	name := refName(r)
	for _, d := range im.Manifests {
		if d.Annotations[RefNameAnnotation] == name {
			return d, nil
		}
	}
	if at := strings.LastIndexByte(ref, '@'); at >= 0 {
		if h, err := v1.NewHash(ref[at+1:]); err == nil {
			return s.resolveDigest(im, ref, h)
		}
	}
	return v1.Descriptor{}, errdefs.NotFound(fmt.Errorf("image %q is not in the store (%s)", ref, name))
}

func (s *Store) resolveDigest(im *v1.IndexManifest, ref string, h v1.Hash) (v1.Descriptor, error) {
	for _, d := range im.Manifests {
		if d.Digest == h {
			return d, nil
		}
	}
	data, err := os.ReadFile(s.blobPath(h))
	if err != nil {
		return v1.Descriptor{}, errdefs.NotFound(fmt.Errorf("image %q is not in the store", ref))
	}
	var probe struct {
		MediaType string `json:"mediaType"`
		Manifests []any  `json:"manifests"`
		Layers    []any  `json:"layers"`
	}
	if err := json.Unmarshal(data, &probe); err != nil || probe.Manifests == nil && probe.Layers == nil {
		return v1.Descriptor{}, errdefs.Invalid(fmt.Errorf("%q names a blob that is not a manifest", ref))
	}
	d := v1.Descriptor{Digest: h, Size: int64(len(data)), MediaType: mediaTypeOf(probe.MediaType, probe.Manifests != nil)}
	return d, nil
}

// Index returns the index that ref names. For a name that holds a single
// image, it returns a one-entry index built around it (whose digest is not
// one the store holds). Only the platforms that were pulled have their
// manifests in the store; Platforms still lists all of them.
func (s *Store) Index(ctx context.Context, ref string) (v1.ImageIndex, error) {
	d, err := s.resolve(ctx, ref)
	if err != nil {
		return nil, err
	}
	if d.MediaType.IsIndex() {
		idx, err := s.openIndex(d)
		if err != nil {
			return nil, fmt.Errorf("index %s (%s): %w", ref, d.Digest, err)
		}
		return idx, nil
	}
	img, err := s.openImage(d)
	if err != nil {
		return nil, fmt.Errorf("image %s (%s): %w", ref, d.Digest, err)
	}
	return wrapImage(img)
}

// wrapImage builds a one-entry index for a single image, with the platform
// its config records.
func wrapImage(img v1.Image) (v1.ImageIndex, error) {
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	add := mutate.IndexAddendum{Add: img}
	if cf.OS != "" && cf.Architecture != "" {
		add.Descriptor.Platform = &v1.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant}
	}
	return mutate.AppendManifests(empty.Index, add), nil
}

// TODO: readers hold the store lock only while reading index.json, not
// while reading blobs, so a prune that runs at the same time as a run of
// a just-removed image can delete blobs under it; the user sees a "blob
// is not in the store" error and must pull again.
// Image returns the image ref names for platform ("" means the host's).
// For an index it picks the entry as SelectManifest does; an error wraps
// ErrNoPlatform if the index has none that fits, and errdefs.NotFound if it
// has one that was not pulled.
func (s *Store) Image(ctx context.Context, ref, platform string) (v1.Image, error) {
	want, err := ParsePlatform(platform)
	if err != nil {
		return nil, err
	}
	d, err := s.resolve(ctx, ref)
	if err != nil {
		return nil, err
	}
	if d.MediaType.IsImage() {
		return s.checkedImage(ref, d, want)
	}

	idx, err := s.Index(ctx, ref)
	if err != nil {
		return nil, err
	}
	sel, err := SelectManifest(idx, FormatPlatform(want))
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", ref, err)
	}
	if !s.hasBlob(sel.Digest) {
		return nil, errdefs.NotFound(fmt.Errorf("image %s: platform %s (%s) was not pulled; pull it with --platform %s",
			ref, FormatPlatform(*sel.Platform), sel.Digest, FormatPlatform(want)))
	}
	img, err := s.openImage(sel)
	if err != nil {
		return nil, fmt.Errorf("image %s: manifest %s: %w", ref, sel.Digest, err)
	}
	return img, nil
}

// checkedImage opens a single image and checks its config's platform.
func (s *Store) checkedImage(ref string, d v1.Descriptor, want v1.Platform) (v1.Image, error) {
	h := d.Digest
	img, err := s.openImage(d)
	if err != nil {
		return nil, fmt.Errorf("image %s (%s): %w", ref, h, err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("image %s: read config: %w", ref, err)
	}
	if cf.OS == "" || cf.Architecture == "" {
		return img, nil
	}
	got := v1.Descriptor{MediaType: imageMediaType, Digest: h,
		Platform: &v1.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant}}
	if _, err := selectFrom([]v1.Descriptor{got}, want); err != nil {
		return nil, fmt.Errorf("image %s: %w", ref, err)
	}
	return img, nil
}

// shortDigestRE matches the short digest images prints (12 hex digits, or
// more), with or without sha256:.
var shortDigestRE = regexp.MustCompile(`^(sha256:)?[0-9a-f]{12,63}$`)

// expandShort turns a digest prefix into the full digest of the one named
// manifest it starts. A prefix that starts none is not a digest (false);
// one that starts several is an errdefs.Invalid error.
func expandShort(im *v1.IndexManifest, ref string) (v1.Hash, bool, error) {
	if !shortDigestRE.MatchString(ref) {
		return v1.Hash{}, false, nil
	}
	prefix := strings.TrimPrefix(ref, "sha256:")
	var found []v1.Hash
	for _, d := range im.Manifests {
		if strings.HasPrefix(d.Digest.Hex, prefix) && !slices.Contains(found, d.Digest) {
			found = append(found, d.Digest)
		}
	}
	switch {
	case len(found) == 1:
		return found[0], true, nil
	case len(found) > 1:
		return v1.Hash{}, false, errdefs.Invalid(fmt.Errorf("digest prefix %q matches %d images; give more digits", ref, len(found)))
	case strings.HasPrefix(ref, "sha256:"):
		return v1.Hash{}, false, errdefs.NotFound(fmt.Errorf("image %q is not in the store", ref))
	}
	return v1.Hash{}, false, nil
}
