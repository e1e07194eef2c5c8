package snapshotter

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

func saveTo(t *testing.T, s *Store, platform string, refs ...string) string {
	t.Helper()
	var buf bytes.Buffer
	assert.NilError(t, s.Save(context.Background(), &buf, refs, platform))
	p := filepath.Join(t.TempDir(), "images.tar")
	assert.NilError(t, os.WriteFile(p, buf.Bytes(), 0o644))
	return p
}

// A saved index, attestations included, loads back with its digest and
// every platform.
func TestSaveLoadKeepsIndex(t *testing.T) {
	ctx := context.Background()
	src := openTemp(t)
	idx := attestedIndex(t)
	want := digests(t, idx)
	_, err := src.WriteIndex(ctx, "owner/att:v1", idx)
	assert.NilError(t, err)
	file := saveTo(t, src, "linux/arm/v7", "owner/att:v1")

	// The docker part tags the arm image and lists the amd64 one untagged.
	m, err := tarball.LoadManifest(func() (io.ReadCloser, error) { return os.Open(file) })
	assert.NilError(t, err)
	assert.Assert(t, is.Len(m, 2))
	tagged := 0
	for _, e := range m {
		tagged += len(e.RepoTags)
	}
	assert.Check(t, is.Equal(tagged, 1))
	dst := openTemp(t)
	names, err := dst.Load(ctx, file)
	assert.NilError(t, err)
	assert.DeepEqual(t, names, []string{DefaultRegistry() + "/owner/att:v1"})
	got, err := dst.Index(ctx, "owner/att:v1")
	assert.NilError(t, err)
	assert.DeepEqual(t, digests(t, got), want)
	bad, err := dst.Verify(ctx, false)
	assert.NilError(t, err)
	assert.Check(t, is.Len(bad, 0))
}

// An index pulled for one platform is saved as that platform's image.
func TestSaveLoadPartialIndex(t *testing.T) {
	ctx := context.Background()
	addr := startEmbedded(t)
	src := openTemp(t)
	_, err := src.WriteIndex(ctx, addr+"/owner/app:v1", twoPlatformIndex(t, 512, 1))
	assert.NilError(t, err)
	assert.NilError(t, src.Push(ctx, addr+"/owner/app:v1"))
	part := openTemp(t)
	_, err = part.Pull(ctx, addr+"/owner/app:v1", WithPlatform("linux/arm/v7"))
	assert.NilError(t, err)
	file := saveTo(t, part, "linux/arm/v7", addr+"/owner/app:v1")

	dst := openTemp(t)
	_, err = dst.Load(ctx, file)
	assert.NilError(t, err)
	img, err := dst.Image(ctx, addr+"/owner/app:v1", "linux/arm/v7")
	assert.NilError(t, err)
	want, err := part.Image(ctx, addr+"/owner/app:v1", "linux/arm/v7")
	assert.NilError(t, err)
	gd, _ := img.Digest()
	wd, _ := want.Digest()
	assert.Check(t, is.Equal(gd, wd))
}

// A plain docker save file (manifest.json only) loads by its tags; tar
// entries outside the layout are never written anywhere.
func TestLoadDockerFormat(t *testing.T) {
	ctx := context.Background()
	img, err := random.Image(1024, 2)
	assert.NilError(t, err)
	tag, err := name.NewTag("127.0.0.1:5115/owner/old:v1")
	assert.NilError(t, err)
	var buf bytes.Buffer
	assert.NilError(t, tarball.Write(tag, img, &buf))
	tw := tar.NewWriter(&buf) // appended after the end blocks: ignored
	tw.Close()
	file := filepath.Join(t.TempDir(), "old.tar")
	assert.NilError(t, os.WriteFile(file, buf.Bytes(), 0o644))

	s := openTemp(t)
	names, err := s.Load(ctx, file)
	assert.NilError(t, err)
	assert.DeepEqual(t, names, []string{"127.0.0.1:5115/owner/old:v1"})
	got, err := s.Image(ctx, "127.0.0.1:5115/owner/old:v1", "")
	assert.NilError(t, err)
	gd, _ := got.Digest()
	wd, _ := img.Digest()
	assert.Check(t, is.Equal(gd, wd))
}

func TestLoadIgnoresEscapingEntries(t *testing.T) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, n := range []string{"../escape", "blobs/sha256/../../escape2", "index.json"} {
		data := []byte(`{"schemaVersion":2,"manifests":[]}`)
		assert.NilError(t, tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}))
		_, err := tw.Write(data)
		assert.NilError(t, err)
	}
	assert.NilError(t, tw.Close())
	dir := t.TempDir()
	file := filepath.Join(dir, "evil.tar")
	assert.NilError(t, os.WriteFile(file, buf.Bytes(), 0o644))

	s := openTemp(t)
	_, err := s.Load(context.Background(), file)
	assert.Check(t, is.ErrorContains(err, "evil.tar"))
	for _, p := range []string{filepath.Join(s.Root(), "..", "escape"), filepath.Join(s.Root(), "escape2")} {
		_, err := os.Stat(p)
		assert.Check(t, os.IsNotExist(err), p)
	}
}
