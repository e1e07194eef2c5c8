package snapshotter

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/crossdock/crossdock/internal/errdefs"
)

// blob reads a whole blob (a manifest or a config) from the store.
func (s *Store) blob(h v1.Hash) ([]byte, error) {
	data, err := os.ReadFile(s.blobPath(h))
	if os.IsNotExist(err) {
		return nil, errdefs.NotFound(fmt.Errorf("blob %s is not in the store", h))
	}
	return data, err
}

// storeImage is an image whose blobs are read from the store by digest.
type storeImage struct {
	s    *Store
	desc v1.Descriptor
	raw  []byte
}

var _ partial.CompressedImageCore = (*storeImage)(nil)

// openImage opens the image manifest d names.
func (s *Store) openImage(d v1.Descriptor) (v1.Image, error) {
	raw, err := s.blob(d.Digest)
	if err != nil {
		return nil, err
	}
	return partial.CompressedToImage(&storeImage{s: s, desc: d, raw: raw})
}

func (i *storeImage) MediaType() (types.MediaType, error) {
	if i.desc.MediaType != "" {
		return i.desc.MediaType, nil
	}
	var probe struct {
		MediaType string `json:"mediaType"`
	}
	json.Unmarshal(i.raw, &probe) //nolint:errcheck // an empty type falls back
	return mediaTypeOf(probe.MediaType, false), nil
}

func (i *storeImage) RawManifest() ([]byte, error) { return i.raw, nil }

func (i *storeImage) RawConfigFile() ([]byte, error) {
	mf, err := partial.Manifest(i)
	if err != nil {
		return nil, err
	}
	return i.s.blob(mf.Config.Digest)
}

func (i *storeImage) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	mf, err := partial.Manifest(i)
	if err != nil {
		return nil, err
	}
	if h == mf.Config.Digest {
		return &storeBlob{s: i.s, desc: mf.Config}, nil
	}
	for _, d := range mf.Layers {
		if d.Digest == h {
			return &storeBlob{s: i.s, desc: d}, nil
		}
	}
	return nil, fmt.Errorf("manifest %s has no layer %s", i.desc.Digest, h)
}

// storeBlob is a layer or config blob in the store.
type storeBlob struct {
	s    *Store
	desc v1.Descriptor
}

func (b *storeBlob) Digest() (v1.Hash, error) { return b.desc.Digest, nil }
func (b *storeBlob) Size() (int64, error)     { return b.desc.Size, nil }
func (b *storeBlob) MediaType() (types.MediaType, error) {
	return b.desc.MediaType, nil
}
func (b *storeBlob) Descriptor() (*v1.Descriptor, error) { return &b.desc, nil }

func (b *storeBlob) Compressed() (io.ReadCloser, error) {
	f, err := os.Open(b.s.blobPath(b.desc.Digest))
	if os.IsNotExist(err) {
		return nil, errdefs.NotFound(fmt.Errorf("layer %s is not in the store", b.desc.Digest))
	}
	return f, err
}

// storeIndex is an index whose manifests are read from the store.
type storeIndex struct {
	s    *Store
	desc v1.Descriptor
	raw  []byte
}

var _ v1.ImageIndex = (*storeIndex)(nil)

// openIndex opens the index manifest d names.
func (s *Store) openIndex(d v1.Descriptor) (v1.ImageIndex, error) {
	raw, err := s.blob(d.Digest)
	if err != nil {
		return nil, err
	}
	return &storeIndex{s: s, desc: d, raw: raw}, nil
}

func (x *storeIndex) MediaType() (types.MediaType, error) {
	im, err := x.IndexManifest()
	if err != nil {
		return "", err
	}
	if x.desc.MediaType != "" {
		return x.desc.MediaType, nil
	}
	return mediaTypeOf(string(im.MediaType), true), nil
}

func (x *storeIndex) Digest() (v1.Hash, error) { return partial.Digest(x) }
func (x *storeIndex) Size() (int64, error)     { return partial.Size(x) }
func (x *storeIndex) RawManifest() ([]byte, error) {
	return x.raw, nil
}

func (x *storeIndex) IndexManifest() (*v1.IndexManifest, error) {
	return v1.ParseIndexManifest(bytesReader(x.raw))
}

func (x *storeIndex) child(h v1.Hash) (v1.Descriptor, error) {
	im, err := x.IndexManifest()
	if err != nil {
		return v1.Descriptor{}, err
	}
	for _, d := range im.Manifests {
		if d.Digest == h {
			return d, nil
		}
	}
	return v1.Descriptor{}, errdefs.NotFound(fmt.Errorf("index %s has no manifest %s", x.desc.Digest, h))
}

func (x *storeIndex) Image(h v1.Hash) (v1.Image, error) {
	d, err := x.child(h)
	if err != nil {
		return nil, err
	}
	return x.s.openImage(d)
}

func (x *storeIndex) ImageIndex(h v1.Hash) (v1.ImageIndex, error) {
	d, err := x.child(h)
	if err != nil {
		return nil, err
	}
	return x.s.openIndex(d)
}

// imageMediaType is what a descriptor with no media type of its own is
// taken to be.
const imageMediaType = types.OCIManifestSchema1

// mediaTypeOf returns a manifest's media type, or the OCI default for an
// index or image manifest that does not state one.
func mediaTypeOf(mt string, isIndex bool) types.MediaType {
	switch {
	case mt != "":
		return types.MediaType(mt)
	case isIndex:
		return types.OCIImageIndex
	default:
		return imageMediaType
	}
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
