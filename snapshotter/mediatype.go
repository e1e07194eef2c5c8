package snapshotter

import (
	"bytes"

	"github.com/google/go-containerregistry/pkg/v1/types"
)

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
