// Package testimage makes small images from folders for crossdock's tests:
// a folder becomes one layer owned by root, and the layer an image for a
// platform, written into a store.
package testimage

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"gotest.tools/v3/assert"

	"github.com/crossdock/crossdock/snapshotter"
)

// Tar writes the tree under dir as a tar stream, every entry owned by root,
// symlinks kept as links.
func Tar(w io.Writer, dir string) error {
	tw := tar.NewWriter(w)
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if rel == "." {
			return nil
		}
		link := ""
		if fi.Mode()&os.ModeSymlink != 0 {
			if link, err = os.Readlink(p); err != nil {
				return err
			}
		}
		hdr, err := tar.FileInfoHeader(fi, link)
		if err != nil {
			return err
		}
		hdr.Name = filepath.ToSlash(rel)
		if fi.IsDir() {
			hdr.Name += "/"
		}
		hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname = 0, 0, "", ""
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if !fi.Mode().IsRegular() {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(tw, f)
		return err
	})
	if err != nil {
		return err
	}
	return tw.Close()
}

// Layer returns the tree under dir as one layer.
func Layer(t testing.TB, dir string) v1.Layer {
	t.Helper()
	var buf bytes.Buffer
	assert.NilError(t, Tar(&buf, dir))
	data := buf.Bytes()
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	})
	assert.NilError(t, err)
	return layer
}

// Store writes the tree under dir as a one-layer image for platform p, with
// config cfg, into the store at root under the name ref.
func Store(t testing.TB, root, ref string, p v1.Platform, dir string, cfg v1.Config) {
	t.Helper()
	img, err := mutate.AppendLayers(empty.Image, Layer(t, dir))
	assert.NilError(t, err)
	cf, err := img.ConfigFile()
	assert.NilError(t, err)
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = p.OS, p.Architecture, p.Variant
	cf.Config = cfg
	img, err = mutate.ConfigFile(img, cf)
	assert.NilError(t, err)

	s, err := snapshotter.Open(root)
	assert.NilError(t, err)
	_, err = s.WriteImage(context.Background(), ref, img)
	assert.NilError(t, err)
}
