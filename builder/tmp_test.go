package builder

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"gotest.tools/v3/assert"

	"github.com/crossdock/crossdock/internal/flock"
)

// TestBuildRemovesWhatKilledBuildsLeft fills CACHE/tmp as killed builds
// leave it, next to a live build's folder, and checks that a build removes
// the dead ones only, and its own.
func TestBuildRemovesWhatKilledBuildsLeft(t *testing.T) {
	cache := t.TempDir()
	tmp := filepath.Join(cache, "tmp")
	mk := func(name string) string {
		p := filepath.Join(tmp, name)
		assert.NilError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		assert.NilError(t, os.WriteFile(p, make([]byte, 1<<20), 0o644))
		return p
	}
	mk("build-dead.lock")
	mk("build-dead/layer-1.tar")
	mk("build-nolock/blob-2")
	old := mk("layer-3.tar") // from a builder of before the per-build folders
	long := time.Now().Add(-time.Hour)
	assert.NilError(t, os.Chtimes(old, long, long))
	recent := mk("layer-4.tar")
	live := mk("build-live/layer-5.tar")
	lk, err := flock.Exclusive(context.Background(), filepath.Join(tmp, "build-live.lock"))
	assert.NilError(t, err)
	defer lk.Unlock()

	p := writeSpec(t, "name: a/b:1\nplatforms: [linux/amd64]\nlayers:\n  - files: [{src: f, dest: /f}]\n",
		map[string]string{"f": "x"})
	s, err := Load(p)
	assert.NilError(t, err)
	_, err = Build(context.Background(), s, WithCacheDir(cache))
	assert.NilError(t, err)

	var left []string
	ents, err := os.ReadDir(tmp)
	assert.NilError(t, err)
	for _, e := range ents {
		left = append(left, e.Name())
	}
	assert.DeepEqual(t, left, []string{"build-live", "build-live.lock", filepath.Base(recent)})
	_, err = os.Stat(live)
	assert.NilError(t, err)
}

func TestIndexEntriesHaveNoArtifactType(t *testing.T) {
	p := writeSpec(t, "name: a/b:1\nlayers:\n  - files: [{src: f, dest: /f}]\n", map[string]string{"f": "x"})
	s, err := Load(p)
	assert.NilError(t, err)
	res, err := Build(context.Background(), s, WithCacheDir(t.TempDir()))
	assert.NilError(t, err)
	im, err := res.Index.IndexManifest()
	assert.NilError(t, err)
	assert.Equal(t, len(im.Manifests), 2)
	for _, d := range im.Manifests {
		assert.Equal(t, d.ArtifactType, "", "%s", d.Platform)
		assert.Assert(t, d.Platform != nil)
		img, err := res.Index.Image(d.Digest)
		assert.NilError(t, err)
		h, err := img.Digest()
		assert.NilError(t, err)
		assert.Equal(t, h, d.Digest)
	}
}
