package snapshotter

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

// The "on offer" list names every entry that is not an attestation,
// marking those that cannot be chosen.
func TestNoPlatformListsEveryEntry(t *testing.T) {
	idx, _ := buildIndex(t, types.OCIImageIndex, []entry{
		{name: "amd", platform: plat("linux", "amd64", "")},
		{name: "bad", platform: plat("linux", "arm64", "v7")},
		{name: "none"},
		{name: "att", platform: plat("unknown", "unknown", ""),
			annotations: map[string]string{AttestationAnnotation: "attestation-manifest"}},
	})
	inner, _ := buildIndex(t, types.OCIImageIndex, []entry{{name: "riscv", platform: plat("linux", "riscv64", "")}})
	idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: inner})

	_, err := SelectManifest(idx, "linux/arm/v7")
	assert.Assert(t, err != nil)
	for _, want := range []string{"linux/amd64", "linux/arm64/v7 (not a valid platform)",
		"an entry without a platform", "a nested index"} {
		assert.Check(t, is.ErrorContains(err, want))
	}
	assert.Check(t, !strings.Contains(err.Error(), "unknown"), "%v", err)
}

// Pulling arm/v7 from an index with only v6 and v5 picks v6 and says so.
func TestPullReportsFallback(t *testing.T) {
	ctx := context.Background()
	addr := startEmbedded(t)
	idx, d := buildIndex(t, types.OCIImageIndex, []entry{
		{name: "v5", platform: plat("linux", "arm", "v5")},
		{name: "v6", platform: plat("linux", "arm", "v6")},
		{name: "amd", platform: plat("linux", "amd64", "")},
	})
	r, err := name.ParseReference(addr + "/owner/old:v1")
	assert.NilError(t, err)
	assert.NilError(t, remote.WriteIndex(r, idx))

	s := openTemp(t)
	var got []Choice
	_, err = s.Pull(ctx, r.String(), WithPlatform("linux/arm/v7"), WithChoice(func(c Choice) { got = append(got, c) }))
	assert.NilError(t, err)
	assert.Assert(t, is.Len(got, 1))
	assert.Check(t, is.Equal(got[0].Digest, d["v6"]))
	assert.Check(t, is.Equal(FormatPlatform(got[0].Chosen), "linux/arm/v6"))
	assert.Check(t, is.Contains(got[0].Fallback, "linux/arm/v7"))

	got = nil
	_, err = s.Pull(ctx, r.String(), WithPlatform("linux/amd64"), WithChoice(func(c Choice) { got = append(got, c) }))
	assert.NilError(t, err)
	assert.Assert(t, is.Len(got, 1))
	assert.Check(t, is.Equal(got[0].Fallback, ""))
}

// Pushing an index pulled for one platform names what is missing: the
// other platforms, and attestations as attestations, not unknown/unknown.
func TestPushNamesMissingEntries(t *testing.T) {
	ctx := context.Background()
	addr := startEmbedded(t)
	idx, _ := buildIndex(t, types.OCIImageIndex, []entry{
		{name: "amd", platform: plat("linux", "amd64", "")},
		{name: "arm", platform: plat("linux", "arm", "v7")},
		{name: "att", platform: plat("unknown", "unknown", ""),
			annotations: map[string]string{AttestationAnnotation: "attestation-manifest"}},
	})
	r, err := name.ParseReference(addr + "/owner/part:v1")
	assert.NilError(t, err)
	assert.NilError(t, remote.WriteIndex(r, idx))
	s := openTemp(t)
	_, err = s.Pull(ctx, r.String(), WithPlatform("linux/amd64"))
	assert.NilError(t, err)
	err = s.Push(ctx, r.String(), WithTarget(addr+"/owner/part:v2"))
	assert.Check(t, is.ErrorContains(err, "linux/arm/v7"))
	assert.Check(t, is.ErrorContains(err, "the attestation sha256:"))
	assert.Check(t, err != nil && !strings.Contains(err.Error(), "unknown/unknown"), "%v", err)
}
