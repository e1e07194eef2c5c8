package snapshotter

import (
	"errors"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/crossdock/crossdock/internal/errdefs"
)

// entry is one index entry to build: a platform ("" for none) and
// annotations.
type entry struct {
	name        string // label used by the test
	platform    *v1.Platform
	annotations map[string]string
}

func plat(os, arch, variant string) *v1.Platform {
	return &v1.Platform{OS: os, Architecture: arch, Variant: variant}
}

// buildIndex makes an index of random images, one per entry, and returns
// the digest of each entry by its label.
func buildIndex(t *testing.T, mt types.MediaType, entries []entry) (v1.ImageIndex, map[string]v1.Hash) {
	t.Helper()
	idx := mutate.IndexMediaType(empty.Index, mt)
	digests := map[string]v1.Hash{}
	for _, e := range entries {
		img, err := random.Image(64, 1)
		assert.NilError(t, err)
		if mt == types.DockerManifestList {
			img = mutate.MediaType(img, types.DockerManifestSchema2)
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img,
			Descriptor: v1.Descriptor{Platform: e.platform, Annotations: e.annotations}})
		h, err := img.Digest()
		assert.NilError(t, err)
		digests[e.name] = h
	}
	return idx, digests
}

// P1: a missing variant, arm vs arm64.
func TestSelectManifestP1(t *testing.T) {
	i1, d1 := buildIndex(t, types.DockerManifestList, []entry{
		{name: "A", platform: plat("linux", "amd64", "")},
		{name: "B", platform: plat("linux", "arm", "")},
		{name: "C", platform: plat("linux", "arm64", "")},
	})
	i2, _ := buildIndex(t, types.OCIImageIndex, []entry{
		{name: "A", platform: plat("linux", "amd64", "")},
		{name: "D", platform: plat("linux", "arm64", "v7")},
	})
	for _, tc := range []struct{ want, got string }{
		{"linux/arm/v7", "B"}, {"linux/arm", "B"}, {"linux/arm64/v8", "C"},
		{"linux/arm64", "C"}, {"linux/amd64", "A"},
	} {
		d, err := SelectManifest(i1, tc.want)
		assert.NilError(t, err, tc.want)
		assert.Check(t, is.Equal(d.Digest, d1[tc.got]), "%s should pick %s", tc.want, tc.got)
	}

	_, err := SelectManifest(i2, "linux/arm/v7")
	assert.Check(t, errors.Is(err, ErrNoPlatform), "%v", err)
	assert.Check(t, errors.Is(err, errdefs.ErrNotFound))
	assert.Check(t, is.ErrorContains(err, "linux/arm/v7"))
	assert.Check(t, is.ErrorContains(err, "linux/amd64"))
	// The broken arm64/v7 entry is never chosen; it is listed, marked.
	assert.Check(t, is.ErrorContains(err, "linux/arm64/v7 (not a valid platform)"))
	_, err = SelectManifest(i2, "linux/arm64")
	assert.Check(t, errors.Is(err, ErrNoPlatform), "arm64 request must not get arm64/v7: %v", err)
}

// P2: attestation entries are not platforms.
func TestPlatformsP2(t *testing.T) {
	att := map[string]string{AttestationAnnotation: "attestation-manifest"}
	idx, d := buildIndex(t, types.OCIImageIndex, []entry{
		{name: "amd64", platform: plat("linux", "amd64", "")},
		{name: "att1", platform: plat("unknown", "unknown", ""), annotations: att},
		{name: "arm", platform: plat("linux", "arm", "v7")},
		{name: "att2", platform: plat("unknown", "unknown", ""), annotations: att},
	})
	ps, err := Platforms(idx)
	assert.NilError(t, err)
	var got []string
	for _, p := range ps {
		got = append(got, FormatPlatform(p))
	}
	assert.DeepEqual(t, got, []string{"linux/amd64", "linux/arm/v7"})

	_, err = SelectManifest(idx, "unknown/unknown")
	assert.Check(t, errors.Is(err, errdefs.ErrInvalid), "%v", err)
	sel, err := SelectManifest(idx, "linux/arm/v7")
	assert.NilError(t, err)
	assert.Check(t, is.Equal(sel.Digest, d["arm"]))
}

// The order of the entries never changes the choice, and fallbacks pick
// the closest variant.
func TestSelectManifestBestMatch(t *testing.T) {
	all := []entry{
		{name: "v5", platform: plat("linux", "arm", "v5")},
		{name: "v6", platform: plat("linux", "arm", "v6")},
		{name: "v7", platform: plat("linux", "arm", "v7")},
		{name: "arm64", platform: plat("linux", "arm64", "v8")},
		{name: "386", platform: plat("linux", "386", "")},
	}
	cases := []struct {
		name    string
		entries []string
		want    string
		got     string // "" means no match
	}{
		{name: "v7 first", entries: []string{"v7", "v6", "v5"}, want: "linux/arm/v7", got: "v7"},
		{name: "v7 last", entries: []string{"v5", "v6", "v7"}, want: "linux/arm/v7", got: "v7"},
		{name: "v7 middle", entries: []string{"v6", "v7", "v5"}, want: "linux/arm/v7", got: "v7"},
		{name: "v6 only for v7", entries: []string{"v6"}, want: "linux/arm/v7", got: "v6"},
		{name: "v6 before v5", entries: []string{"v5", "v6"}, want: "linux/arm/v7", got: "v6"},
		{name: "v6 request never gets v7", entries: []string{"v7"}, want: "linux/arm/v6", got: ""},
		{name: "arm64 never for arm", entries: []string{"arm64"}, want: "linux/arm/v7", got: ""},
		{name: "arm never for arm64", entries: []string{"v7"}, want: "linux/arm64", got: ""},
		{name: "arm64 v8 explicit, asked bare", entries: []string{"arm64", "v7"}, want: "linux/arm64", got: "arm64"},
		{name: "arm64 v8 explicit, asked v8", entries: []string{"v7", "arm64"}, want: "linux/arm64/v8", got: "arm64"},
		{name: "386 never for amd64", entries: []string{"386"}, want: "linux/amd64", got: ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var es []entry
			for _, n := range tc.entries {
				for _, e := range all {
					if e.name == n {
						es = append(es, e)
					}
				}
			}
			idx, d := buildIndex(t, types.OCIImageIndex, es)
			sel, err := SelectManifest(idx, tc.want)
			if tc.got == "" {
				assert.Check(t, errors.Is(err, ErrNoPlatform), "got %v", sel.Platform)
				return
			}
			assert.NilError(t, err)
			assert.Check(t, is.Equal(sel.Digest, d[tc.got]))
		})
	}
}

// An arm64 entry with no variant and one with v8 are the same platform;
// the choice between two equal entries goes by digest, not by order.
func TestSelectManifestTiesIgnoreOrder(t *testing.T) {
	es := []entry{
		{name: "bare", platform: plat("linux", "arm64", "")},
		{name: "v8", platform: plat("linux", "arm64", "v8")},
	}
	idx, d := buildIndex(t, types.OCIImageIndex, es)
	first, err := SelectManifest(idx, "linux/arm64")
	assert.NilError(t, err)

	im, err := idx.IndexManifest()
	assert.NilError(t, err)
	im.Manifests[0], im.Manifests[1] = im.Manifests[1], im.Manifests[0]
	swapped, err := selectFrom(im.Manifests, v1.Platform{OS: "linux", Architecture: "arm64"})
	assert.NilError(t, err)
	assert.Check(t, is.Equal(first.Digest, swapped.Digest))
	assert.Check(t, first.Digest == d["bare"] || first.Digest == d["v8"])
}

func TestParsePlatform(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"linux/arm", "linux/arm/v7"},
		{"linux/arm/v7", "linux/arm/v7"},
		{"linux/armhf", "linux/arm/v7"},
		{"linux/aarch64", "linux/arm64"},
		{"linux/arm64/v8", "linux/arm64"},
		{"linux/x86_64", "linux/amd64"},
	} {
		p, err := ParsePlatform(tc.in)
		assert.NilError(t, err, tc.in)
		assert.Check(t, is.Equal(FormatPlatform(p), tc.want), tc.in)
	}
	for _, junk := range []string{"linux", "amd64x", "linux/foo", "plan9000/amd64", "linux/arm/v9", "linux/arm64/v7", "a/b/c/d", "linux/*"} {
		_, err := ParsePlatform(junk)
		assert.Check(t, errors.Is(err, errdefs.ErrInvalid), "%q: %v", junk, err)
		if err != nil {
			assert.Check(t, is.ErrorContains(err, junk))
		}
	}
	host, err := ParsePlatform("")
	assert.NilError(t, err)
	assert.Check(t, host.OS == "linux" && host.Architecture != "")
}
