package snapshotter

import (
	"context"
	"os"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

const inToto = types.MediaType("application/vnd.in-toto+json")

// attestedIndex is case P2's index: linux/amd64, linux/arm/v7 and two
// unknown/unknown attestation manifests, each with one in-toto "layer".
func attestedIndex(t *testing.T) v1.ImageIndex {
	t.Helper()
	base := twoPlatformIndex(t, 2048, 2)
	im, err := base.IndexManifest()
	assert.NilError(t, err)
	var idx v1.ImageIndex = mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for i, d := range im.Manifests {
		img, err := base.Image(d.Digest)
		assert.NilError(t, err)
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img,
			Descriptor: v1.Descriptor{Platform: d.Platform}})

		stmt := static.NewLayer([]byte(`{"_type":"https://in-toto.io/Statement/v0.1","n":`+string(rune('0'+i))+`}`), inToto)
		att, err := mutate.Append(empty.Image, mutate.Addendum{Layer: stmt, MediaType: inToto})
		assert.NilError(t, err)
		att = mutate.MediaType(att, types.OCIManifestSchema1)
		att = mutate.ConfigMediaType(att, types.OCIConfigJSON)
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: att, Descriptor: v1.Descriptor{
			Platform: &v1.Platform{OS: "unknown", Architecture: "unknown"},
			Annotations: map[string]string{AttestationAnnotation: "attestation-manifest",
				"vnd.docker.reference.digest": d.Digest.String()},
		}})
	}
	return idx
}

// P2: the platforms are exactly amd64 and arm/v7; pulling all platforms
// and unpacking each gives two rootfs trees and never feeds the in-toto
// blob to the tar reader; copying the index keeps its digest.
func TestAttestationsP2(t *testing.T) {
	ctx := context.Background()
	addr := startEmbedded(t)
	idx := attestedIndex(t)
	want, err := idx.Digest()
	assert.NilError(t, err)

	src := openTemp(t)
	_, err = src.WriteIndex(ctx, addr+"/owner/att:v1", idx)
	assert.NilError(t, err)
	assert.NilError(t, src.Push(ctx, addr+"/owner/att:v1"))

	dst := openTemp(t)
	got, err := dst.Pull(ctx, addr+"/owner/att:v1", WithAllPlatforms())
	assert.NilError(t, err)
	assert.Check(t, is.Equal(got, want), "copying the index changed its digest")

	pulled, err := dst.Index(ctx, addr+"/owner/att:v1")
	assert.NilError(t, err)
	ps, err := Platforms(pulled)
	assert.NilError(t, err)
	assert.Assert(t, is.Len(ps, 2))
	trees := 0
	for _, p := range ps {
		img, err := dst.Image(ctx, addr+"/owner/att:v1", FormatPlatform(p))
		assert.NilError(t, err)
		dirs, err := dst.Unpack(ctx, img)
		assert.NilError(t, err, FormatPlatform(p))
		assert.Check(t, is.Len(dirs, 2))
		for _, d := range dirs {
			_, err := os.Stat(d)
			assert.Check(t, err)
		}
		trees++
	}
	assert.Check(t, is.Equal(trees, 2))

	// Handing an attestation to Unpack directly is refused before any tar
	// reading, naming the layer.
	im, err := pulled.IndexManifest()
	assert.NilError(t, err)
	for _, d := range im.Manifests {
		if !IsAttestation(d) {
			continue
		}
		att, err := pulled.Image(d.Digest)
		assert.NilError(t, err)
		_, err = dst.Unpack(ctx, att)
		assert.Check(t, is.ErrorContains(err, "not a filesystem layer"))
	}
	entries, err := os.ReadDir(dst.Root() + "/snapshots")
	assert.NilError(t, err)
	chains := 0
	for _, e := range entries {
		if e.IsDir() {
			chains++
		}
	}
	assert.Check(t, is.Equal(chains, 4), "two layers per platform, nothing for attestations: %v", entries)
}
