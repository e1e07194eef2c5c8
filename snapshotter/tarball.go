package snapshotter

import (
	"context"
	"fmt"
	"io"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/crossdock/crossdock/internal/errdefs"
)

// Save writes refs to w in the docker save format (manifest.json), which
// docker load reads from Docker 1.10 on. Every pulled platform of an index
// goes into the file, but the format tags one image per name: the one
// SelectManifest picks for platform ("" means the host's). The others are
// loaded untagged, by image ID. Attestations are left out.
func (s *Store) Save(ctx context.Context, w io.Writer, refs []string, platform string) error {
	images := map[name.Reference]v1.Image{}
	for _, ref := range refs {
		if err := s.saveOne(ctx, ref, platform, images); err != nil {
			return err
		}
	}
	if err := tarball.MultiRefWrite(images, w); err != nil {
		return fmt.Errorf("save: %w", err)
	}
	return nil
}

func (s *Store) saveOne(ctx context.Context, ref, platform string, images map[name.Reference]v1.Image) error {
	r, err := ParseReference(ref)
	if err != nil {
		return err
	}
	tag, ok := r.(name.Tag)
	if !ok {
		return errdefs.Invalid(fmt.Errorf("save %s: the docker format needs a tag, not a digest", ref))
	}
	chosen, err := s.Image(ctx, ref, platform)
	if err != nil {
		return fmt.Errorf("save: %w", err)
	}
	images[tag] = chosen

	d, err := s.resolve(ctx, ref)
	if err != nil || !d.MediaType.IsIndex() {
		return err
	}
	idx, err := s.openIndex(d)
	if err != nil {
		return err
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return err
	}
	chosenDigest, err := chosen.Digest()
	if err != nil {
		return err
	}
	for _, c := range im.Manifests {
		if !runnable(c) || c.Digest == chosenDigest || !s.hasBlob(c.Digest) {
			continue
		}
		img, err := s.openImage(c)
		if err != nil {
			return err
		}
		images[tag.Context().Digest(c.Digest.String())] = img
	}
	return nil
}

// TODO: Load skips untagged entries of manifest.json (the other platforms
// Save puts in a file), so a save and load round trip keeps one platform
// per name; users see only the tagged platform after crossdock load.
// TODO: Load does not read the OCI-layout tar files that Docker 25 and
// later write; a user gets "file manifest.json not found" for them.

// Load reads a docker save tar file at path (as docker save or Save write
// it) and stores every tagged image in it under its tags. It returns the
// names stored.
func (s *Store) Load(ctx context.Context, path string) ([]string, error) {
	opener := func() (io.ReadCloser, error) { return openFile(path) }
	m, err := tarball.LoadManifest(opener)
	if err != nil {
		return nil, errdefs.Invalid(fmt.Errorf("load %s: %w", path, err))
	}
	var names []string
	for _, entry := range m {
		for _, t := range entry.RepoTags {
			tag, err := name.NewTag(t)
			if err != nil {
				return names, errdefs.Invalid(fmt.Errorf("load %s: tag %q: %w", path, t, err))
			}
			img, err := tarball.Image(opener, &tag)
			if err != nil {
				return names, fmt.Errorf("load %s: %s: %w", path, t, err)
			}
			if _, err := s.WriteImage(ctx, t, img); err != nil {
				return names, err
			}
			names = append(names, t)
		}
	}
	if len(names) == 0 {
		return nil, errdefs.Invalid(fmt.Errorf("load %s: no tagged image in the file", path))
	}
	return names, nil
}
