package builder

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"gotest.tools/v3/assert"

	"github.com/crossdock/crossdock/snapshotter"
)

// A base image from the local store: its layers come first, its config is
// kept under the spec's, and its digest per platform is pinned; a base
// that changes under a locked build is refused.
func TestBaseFromTheStore(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	st, err := snapshotter.Open(root)
	assert.NilError(t, err)

	base := func(seed int64) v1.ImageIndex {
		idx := mutate.IndexMediaType(empty.Index, "application/vnd.oci.image.index.v1+json")
		for _, p := range []v1.Platform{{OS: "linux", Architecture: "arm", Variant: "v7"},
			{OS: "linux", Architecture: "amd64"}} {
			img, err := random.Image(64+seed, 1)
			assert.NilError(t, err)
			cf, _ := img.ConfigFile()
			cf = cf.DeepCopy()
			cf.OS, cf.Architecture, cf.Variant = p.OS, p.Architecture, p.Variant
			cf.Config.Env = []string{"PATH=/bin", "FROM_BASE=1"}
			cf.Config.Cmd = []string{"/bin/base"}
			img, err = mutate.ConfigFile(img, cf)
			assert.NilError(t, err)
			p := p
			idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img,
				Descriptor: v1.Descriptor{Platform: &p}})
		}
		return idx
	}
	_, err = st.WriteIndex(ctx, "test/base:1", base(0))
	assert.NilError(t, err)

	p := writeSpec(t, `name: test/on-base:1
config:
  env: {PATH: /usr/bin:/bin, APP: "1"}
layers:
  - base: {ref: test/base:1}
  - files:
      - {src: app.txt, dest: /app/app.txt}
`, map[string]string{"app.txt": "app\n"})
	s, err := Load(p)
	assert.NilError(t, err)
	res, err := Build(ctx, s, WithStore(root), WithCacheDir(t.TempDir()))
	assert.NilError(t, err)
	assert.NilError(t, WriteLock(LockPath(s), res.Lock))

	im, _ := res.Index.IndexManifest()
	for _, d := range im.Manifests {
		img, _ := res.Index.Image(d.Digest)
		m, _ := img.Manifest()
		assert.Equal(t, len(m.Layers), 2, "base layer + files layer")
		cf, _ := img.ConfigFile()
		assert.DeepEqual(t, cf.Config.Env, []string{"PATH=/usr/bin:/bin", "FROM_BASE=1", "APP=1"})
		assert.DeepEqual(t, cf.Config.Cmd, []string{"/bin/base"})
		assert.Equal(t, cf.Variant, d.Platform.Variant)
		assert.Equal(t, len(cf.RootFS.DiffIDs), 2)
	}
	pins := res.Lock.Layers[0].Base.Platforms
	assert.Equal(t, len(pins), 2)

	// The base moves on: a locked build refuses the new one.
	_, err = st.WriteIndex(ctx, "test/base:1", base(1))
	assert.NilError(t, err)
	_, err = Build(ctx, s, WithStore(root), WithLocked(), WithCacheDir(t.TempDir()))
	assert.Assert(t, err != nil)
	// Either platform may fail first (they build at the same time).
	assert.Check(t, strings.Contains(err.Error(), "the lockfile pins "+pins["linux/arm/v7"]) ||
		strings.Contains(err.Error(), "the lockfile pins "+pins["linux/amd64"]), err.Error())
}

// A rebuild with nothing changed takes every layer from the cache and
// gives the same digest; a changed file gives another.
func TestRebuildFromCache(t *testing.T) {
	p := writeSpec(t, "name: test/c:1\nepoch: 5\nlayers:\n  - files:\n      - {src: a, dest: /a}\n",
		map[string]string{"a": "one"})
	s, err := Load(p)
	assert.NilError(t, err)
	cache := t.TempDir()
	first, err := Build(context.Background(), s, WithCacheDir(cache))
	assert.NilError(t, err)
	records := func() map[string]time.Time {
		out := map[string]time.Time{}
		paths, _ := filepath.Glob(filepath.Join(cache, "layers", "*.json"))
		for _, p := range paths {
			fi, err := os.Stat(p)
			assert.NilError(t, err)
			out[p] = fi.ModTime()
		}
		return out
	}
	before := records()
	assert.Equal(t, len(before), 1)
	time.Sleep(10 * time.Millisecond)
	second, err := Build(context.Background(), s, WithCacheDir(cache))
	assert.NilError(t, err)
	assert.Equal(t, first.Digest, second.Digest)
	assert.DeepEqual(t, records(), before) // nothing rebuilt, nothing rewritten

	other, err := Build(context.Background(), s, WithCacheDir(cache), WithSourceDateEpoch(6))
	assert.NilError(t, err)
	assert.Check(t, other.Digest != first.Digest, "the epoch is not in the layers")
}
