package snapshotter

import (
	"archive/tar"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/crossdock/crossdock/internal/errdefs"
)

// ContainerdNameAnnotation is the index.json annotation that containerd
// and Docker 25+ read an image's full name from.
const ContainerdNameAnnotation = "io.containerd.image.name"

// Save writes refs to w as one tar file in two formats at once, the way
// Docker 25 and later write docker save files:
//
//   - an OCI image layout (oci-layout, index.json, blobs/sha256/...), whose
//     index.json names each image with its whole index, every platform
//     and attestation kept, when the store holds all of it (otherwise the
//     manifest picked for platform); crossdock load, containerd and Docker
//     25+ read this part;
//   - a manifest.json beside it, pointing into the same blobs, which every
//     docker load reads (Debian 12's docker.io 20.10 included). That
//     format tags one image per name: the one SelectManifest picks for
//     platform ("" means the host's); the other platforms are in it too and
//     load untagged. Attestations are left out of it.
func (s *Store) Save(ctx context.Context, w io.Writer, refs []string, platform string) error {
	var sv saver
	sv.s = s
	sv.blobs = map[v1.Hash]int64{}
	sv.index = v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex}
	for _, ref := range refs {
		if err := sv.add(ctx, ref, platform); err != nil {
			return err
		}
	}
	return sv.write(w)
}

// dockerEntry is one image of manifest.json.
type dockerEntry struct {
	Config   string
	RepoTags []string
	Layers   []string
}

type saver struct {
	s        *Store
	blobs    map[v1.Hash]int64 // every blob to write, with its size
	index    v1.IndexManifest
	manifest []dockerEntry
}

func blobName(h v1.Hash) string { return "blobs/" + h.Algorithm + "/" + h.Hex }

func (sv *saver) add(ctx context.Context, ref, platform string) error {
	r, err := ParseReference(ref)
	if err != nil {
		return err
	}
	tag, ok := r.(name.Tag)
	if !ok {
		return errdefs.Invalid(fmt.Errorf("save %s: docker load needs a tag, not a digest", ref))
	}
	chosen, err := sv.s.Image(ctx, ref, platform)
	if err != nil {
		return fmt.Errorf("save: %w", err)
	}
	chosenDesc, err := descriptorOf(chosen)
	if err != nil {
		return err
	}
	d, err := sv.s.resolve(ctx, ref)
	if err != nil {
		return err
	}

	top := chosenDesc
	images := []v1.Descriptor{chosenDesc}
	if d.MediaType.IsIndex() {
		others, complete, err := sv.indexImages(d, chosenDesc.Digest)
		if err != nil {
			return fmt.Errorf("save %s: %w", ref, err)
		}
		images = append(images, others...)
		if complete {
			top = d
			sv.walk(d)
		}
	}
	for i, img := range images {
		if err := sv.addImage(img, i == 0, tag); err != nil {
			return fmt.Errorf("save %s: %w", ref, err)
		}
	}
	top.Annotations = map[string]string{
		ContainerdNameAnnotation: tag.Name(),
		RefNameAnnotation:        tag.TagStr(),
	}
	top.Platform = nil
	sv.index.Manifests = append(sv.index.Manifests, top)
	return nil
}

// indexImages lists the runnable images of an index other than chosen that
// the store holds, and says whether it holds every entry.
func (sv *saver) indexImages(d v1.Descriptor, chosen v1.Hash) ([]v1.Descriptor, bool, error) {
	idx, err := sv.s.openIndex(d)
	if err != nil {
		return nil, false, err
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, false, err
	}
	complete := true
	var out []v1.Descriptor
	for _, c := range im.Manifests {
		if !sv.s.hasBlob(c.Digest) {
			complete = false
			continue
		}
		if runnable(c) && c.Digest != chosen {
			out = append(out, c)
		}
	}
	return out, complete, nil
}

// walk adds every blob that d reaches in the store.
func (sv *saver) walk(d v1.Descriptor) {
	sv.blobs[d.Digest] = d.Size
	raw, err := sv.s.blob(d.Digest)
	if err != nil {
		return
	}
	if d.MediaType.IsIndex() {
		if im, err := v1.ParseIndexManifest(bytesReader(raw)); err == nil {
			for _, c := range im.Manifests {
				sv.walk(c)
			}
		}
		return
	}
	if mf, err := v1.ParseManifest(bytesReader(raw)); err == nil {
		sv.blobs[mf.Config.Digest] = mf.Config.Size
		for _, l := range mf.Layers {
			sv.blobs[l.Digest] = l.Size
		}
	}
}

// addImage adds an image's blobs and its manifest.json entry, tagged or not.
func (sv *saver) addImage(d v1.Descriptor, tagged bool, tag name.Tag) error {
	sv.walk(d)
	raw, err := sv.s.blob(d.Digest)
	if err != nil {
		return err
	}
	mf, err := v1.ParseManifest(bytesReader(raw))
	if err != nil {
		return fmt.Errorf("manifest %s: %w", d.Digest, err)
	}
	e := dockerEntry{Config: blobName(mf.Config.Digest), RepoTags: []string{}}
	if tagged {
		e.RepoTags = []string{tag.Name()}
	}
	for _, l := range mf.Layers {
		e.Layers = append(e.Layers, blobName(l.Digest))
	}
	sv.manifest = append(sv.manifest, e)
	return nil
}

// write emits the tar: oci-layout, the blobs in digest order, index.json
// and manifest.json.
func (sv *saver) write(w io.Writer) error {
	tw := tar.NewWriter(w)
	if err := tarFile(tw, "oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`)); err != nil {
		return err
	}
	var hs []v1.Hash
	for h := range sv.blobs {
		hs = append(hs, h)
	}
	sort.Slice(hs, func(i, j int) bool { return hs[i].String() < hs[j].String() })
	for _, h := range hs {
		if err := sv.writeBlob(tw, h); err != nil {
			return err
		}
	}
	index, err := json.Marshal(sv.index)
	if err != nil {
		return err
	}
	manifest, err := json.Marshal(sv.manifest)
	if err != nil {
		return err
	}
	if err := tarFile(tw, "index.json", index); err != nil {
		return err
	}
	if err := tarFile(tw, "manifest.json", manifest); err != nil {
		return err
	}
	return tw.Close()
}

func (sv *saver) writeBlob(tw *tar.Writer, h v1.Hash) error {
	f, err := os.Open(sv.s.blobPath(h))
	if err != nil {
		return errdefs.NotFound(fmt.Errorf("save: blob %s: %w", h, err))
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	hdr := &tar.Header{Name: blobName(h), Mode: 0o444, Size: fi.Size(), Typeflag: tar.TypeReg}
	if err := tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("save: %w", err)
	}
	if _, err := io.Copy(tw, f); err != nil {
		return fmt.Errorf("save: blob %s: %w", h, err)
	}
	return nil
}

func tarFile(tw *tar.Writer, name string, data []byte) error {
	hdr := &tar.Header{Name: name, Mode: 0o444, Size: int64(len(data)), Typeflag: tar.TypeReg}
	if err := tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("save: %w", err)
	}
	_, err := tw.Write(data)
	return err
}
