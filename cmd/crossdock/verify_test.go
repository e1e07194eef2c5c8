package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/crossdock/crossdock/snapshotter"
)

// firstLayer returns the digest of the first layer of the amd64 image of
// ref's index.
func firstLayer(t *testing.T, root, ref string) v1.Hash {
	t.Helper()
	s, err := snapshotter.Open(root, snapshotter.WithoutAutoServe())
	assert.NilError(t, err)
	img, err := s.Image(context.Background(), ref, "linux/amd64")
	assert.NilError(t, err)
	mf, err := img.Manifest()
	assert.NilError(t, err)
	return mf.Layers[0].Digest
}

func blobFile(root string, h v1.Hash) string {
	return filepath.Join(root, "content", "blobs", "sha256", h.Hex)
}

// store verify notices missing blobs and a torn index.json; --repair drops
// the names it leaves incomplete; images lists the readable images and
// marks a broken one.
func TestStoreVerifyIncomplete(t *testing.T) {
	const ref = "owner/robot:v1"
	t.Run("missing layer", func(t *testing.T) {
		root, _ := storeWithIndex(t, ref)
		l := firstLayer(t, root, ref)
		assert.NilError(t, os.Remove(blobFile(root, l)))
		code, out, errOut := runCLI(t, "store", "verify", "--root", root)
		assert.Equal(t, code, 1, errOut)
		assert.Check(t, is.Contains(out, "missing "+l.String()))
		assert.Check(t, is.Contains(out, "broken "))
	})
	t.Run("repair drops the names it breaks", func(t *testing.T) {
		root, _ := storeWithIndex(t, ref)
		l := firstLayer(t, root, ref)
		assert.NilError(t, os.Chmod(blobFile(root, l), 0o644))
		assert.NilError(t, os.WriteFile(blobFile(root, l), []byte("junk"), 0o644))
		code, _, _ := runCLI(t, "store", "verify", "--repair", "--root", root)
		assert.Equal(t, code, 1)
		code, _, errOut := runCLI(t, "store", "verify", "--root", root)
		assert.Equal(t, code, 0, errOut)
		code, out, errOut := runCLI(t, "images", "--root", root)
		assert.Equal(t, code, 0, errOut)
		assert.Check(t, !is.Contains(out, "owner/robot")().Success(), out)
	})
	t.Run("torn index.json", func(t *testing.T) {
		root, _ := storeWithIndex(t, ref)
		p := filepath.Join(root, "content", "index.json")
		data, err := os.ReadFile(p)
		assert.NilError(t, err)
		assert.NilError(t, os.WriteFile(p, data[:len(data)/2], 0o644))
		code, _, errOut := runCLI(t, "store", "verify", "--root", root)
		assert.Equal(t, code, 1, errOut)
		assert.Check(t, is.Contains(errOut, "index.json"))
	})
	t.Run("images lists the rest", func(t *testing.T) {
		root, _ := storeWithIndex(t, ref)
		s, err := snapshotter.Open(root, snapshotter.WithoutAutoServe())
		assert.NilError(t, err)
		img, err := random.Image(64, 1)
		assert.NilError(t, err)
		h, err := s.WriteImage(context.Background(), "owner/gone:v1", img)
		assert.NilError(t, err)
		assert.NilError(t, os.Remove(blobFile(root, h)))
		code, out, errOut := runCLI(t, "images", "--root", root)
		assert.Equal(t, code, 1, errOut)
		assert.Check(t, is.Contains(out, "/owner/robot:v1"))
		assert.Check(t, is.Regexp(`/owner/gone:v1 +sha256:[0-9a-f]{12} +BROKEN`, out))
		assert.Check(t, is.Contains(errOut, "owner/gone:v1"))
	})
}
