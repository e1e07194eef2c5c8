package builder

import (
	"archive/tar"
	"bytes"
	"io"
	"path"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"gotest.tools/v3/assert"
	"os"
)

// testRoot holds what outlives one test: the hello-go builds.
var testRoot string

func TestMain(m *testing.M) {
	var err error
	if testRoot, err = os.MkdirTemp("", "crossdock-builder-test-"); err != nil {
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(testRoot)
	os.Exit(code)
}

// readFromImage returns the content of name from the image's layers (the
// last layer that has it).
func readFromImage(t *testing.T, img v1.Image, name string) *bytes.Reader {
	t.Helper()
	layers, err := img.Layers()
	assert.NilError(t, err)
	var found []byte
	for _, l := range layers {
		rc, err := l.Uncompressed()
		assert.NilError(t, err)
		tr := tar.NewReader(rc)
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			assert.NilError(t, err)
			if path.Clean(h.Name) == name && h.Typeflag == tar.TypeReg {
				found, err = io.ReadAll(tr)
				assert.NilError(t, err)
			}
		}
		rc.Close()
	}
	assert.Assert(t, found != nil, "%s not in the image", name)
	return bytes.NewReader(found)
}

func readAll(t *testing.T, l v1.Layer) *bytes.Reader {
	t.Helper()
	rc, err := l.Compressed()
	assert.NilError(t, err)
	defer rc.Close()
	data, err := io.ReadAll(rc)
	assert.NilError(t, err)
	return bytes.NewReader(data)
}
