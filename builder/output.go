package builder

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/crossdock/crossdock/internal/errdefs"
)

// WriteOCILayout writes idx as an OCI image layout folder at dir, named ref
// (the org.opencontainers.image.ref.name annotation). The folder is written
// beside dir and renamed into place, so dir is either complete or absent;
// an existing dir is replaced.
func WriteOCILayout(dir, ref string, idx v1.ImageIndex) error {
	tmp := dir + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	p, err := layout.Write(tmp, empty.Index)
	if err != nil {
		return fmt.Errorf("oci layout %s: %w", dir, err)
	}
	ann := map[string]string{"org.opencontainers.image.ref.name": ref}
	if err := p.AppendIndex(idx, layout.WithAnnotations(ann)); err != nil {
		os.RemoveAll(tmp)
		return fmt.Errorf("oci layout %s: %w", dir, err)
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	return os.Rename(tmp, dir)
}

// WriteDockerTarball writes the image of one platform of idx as a tarball
// that `docker load` reads, tagged ref. A docker tarball holds one image
// per tag, so an index with several platforms needs platform to pick one
// ("" is allowed only for a one-platform index).
//
// TODO: several platforms cannot go in one docker tarball; users of Docker
// 25+ could load the OCI layout instead, but crossdock does not write one
// tarball per platform for them.
func WriteDockerTarball(file, ref string, idx v1.ImageIndex, platform string) error {
	tag, err := name.NewTag(ref)
	if err != nil {
		return errdefs.Invalid(fmt.Errorf("docker tarball: tag %q: %w", ref, err))
	}
	img, err := pickImage(idx, platform)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(file), "."+filepath.Base(file)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tarball.Write(tag, img, tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("docker tarball %s: %w", file, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), file)
}

// pickImage returns the image of idx for platform, or its only image.
func pickImage(idx v1.ImageIndex, platform string) (v1.Image, error) {
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	if platform == "" {
		if len(im.Manifests) != 1 {
			return nil, errdefs.Invalid(fmt.Errorf("docker tarball: the index has %d "+
				"platforms, a docker tarball holds one: pick it with --platform",
				len(im.Manifests)))
		}
		return idx.Image(im.Manifests[0].Digest)
	}
	t, err := parsePlatform(platform)
	if err != nil {
		return nil, errdefs.Invalid(err)
	}
	var offer []string
	for _, d := range im.Manifests {
		if d.Platform != nil && d.Platform.Equals(t.Platform) {
			return idx.Image(d.Digest)
		}
		if d.Platform != nil {
			offer = append(offer, d.Platform.String())
		}
	}
	return nil, errdefs.NotFound(fmt.Errorf("docker tarball: no image for %s in the "+
		"index (it has %v)", t, offer))
}
