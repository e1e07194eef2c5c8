package snapshotter

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/crossdock/crossdock/internal/errdefs"
)

// Writers in several goroutines, each with its own Store value (as
// separate processes would have), leave an index.json naming every image.
func TestConcurrentWriters(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	const n = 6
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := Open(root, WithoutAutoServe())
			if err != nil {
				errs[i] = err
				return
			}
			idx := twoPlatformIndex(t, 2048, 2)
			_, errs[i] = s.WriteIndex(ctx, fmt.Sprintf("owner/app%d:v1", i), idx)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		assert.NilError(t, err)
	}

	data, err := os.ReadFile(filepath.Join(root, "content", "index.json"))
	assert.NilError(t, err)
	var im v1.IndexManifest
	assert.NilError(t, json.Unmarshal(data, &im))
	assert.Check(t, is.Len(im.Manifests, n))
	s, err := Open(root)
	assert.NilError(t, err)
	for i := 0; i < n; i++ {
		_, err := s.Image(ctx, fmt.Sprintf("owner/app%d:v1", i), "linux/arm/v7")
		assert.Check(t, err)
	}
	bad, err := s.Verify(ctx, false)
	assert.NilError(t, err)
	assert.Check(t, is.Len(bad, 0))
}

// A blob whose bytes do not hash to its name never lands in the store.
func TestWriteBlobRefusesWrongBytes(t *testing.T) {
	s := openTemp(t)
	w := s.newBlobWriter(nil)
	h, _, err := v1.SHA256(bytes.NewReader([]byte("right")))
	assert.NilError(t, err)
	err = w.writeBlob(context.Background(), h, 5, func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader([]byte("wrong"))), nil
	})
	assert.Check(t, errors.Is(err, errDigestMismatch), "%v", err)
	assert.Check(t, !s.hasBlob(h))
	entries, err := os.ReadDir(filepath.Join(s.ContentDir(), "blobs", "sha256"))
	assert.NilError(t, err)
	assert.Check(t, is.Len(entries, 0), "temporary files left behind")
}

func TestTagRemovePruneVerify(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	img, err := random.Image(4096, 2)
	assert.NilError(t, err)
	h, err := s.WriteImage(ctx, "owner/app", img)
	assert.NilError(t, err)

	// Names are normalized: no host means the default registry, no tag
	// means latest.
	list, err := s.List(ctx)
	assert.NilError(t, err)
	assert.Assert(t, is.Len(list, 1))
	assert.Check(t, is.Equal(list[0].Name, DefaultRegistry()+"/owner/app:latest"))
	assert.Check(t, is.Equal(list[0].Digest, h))
	assert.Check(t, list[0].Size > 8192)

	assert.NilError(t, s.Tag(ctx, "owner/app:latest", "owner/app:stable"))
	for _, ref := range []string{"owner/app:stable", h.String(), "owner/app@" + h.String()} {
		got, err := s.Image(ctx, ref, "")
		assert.NilError(t, err, ref)
		d, _ := got.Digest()
		assert.Check(t, is.Equal(d, h), ref)
	}

	_, err = s.Remove(ctx, "owner/app:latest", "owner/nothere:v1")
	assert.Check(t, errors.Is(err, errdefs.ErrNotFound))
	assert.Check(t, is.ErrorContains(err, "owner/nothere:v1"))
	removed, err := s.Remove(ctx, "owner/app:latest")
	assert.NilError(t, err)
	assert.Check(t, is.Len(removed, 1))

	// Still named by :stable, so prune keeps everything.
	rep, err := s.Prune(ctx)
	assert.NilError(t, err)
	assert.Check(t, is.Len(rep.Blobs, 0))
	_, err = s.Remove(ctx, h.String())
	assert.NilError(t, err)
	rep, err = s.Prune(ctx)
	assert.NilError(t, err)
	assert.Check(t, is.Len(rep.Blobs, 4), "2 layers, a config and a manifest")
	_, err = s.Image(ctx, "owner/app:stable", "")
	assert.Check(t, errors.Is(err, errdefs.ErrNotFound))

	// Verify finds a blob corrupted on disk; --repair removes it.
	h2, err := s.WriteImage(ctx, "owner/app:v2", img)
	assert.NilError(t, err)
	p := s.blobPath(h2)
	assert.NilError(t, os.Chmod(p, 0o644))
	assert.NilError(t, os.WriteFile(p, []byte("{}"), 0o644))
	bad, err := s.Verify(ctx, false)
	assert.NilError(t, err)
	assert.DeepEqual(t, bad, []v1.Hash{h2})
	_, err = s.Verify(ctx, true)
	assert.NilError(t, err)
	bad, err = s.Verify(ctx, false)
	assert.NilError(t, err)
	assert.Check(t, is.Len(bad, 0))
}

func TestBadReferences(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	for _, ref := range []string{"Owner/App", "owner/app:bad tag", "owner/app@sha256:abc", ""} {
		_, err := s.Image(ctx, ref, "")
		assert.Check(t, errors.Is(err, errdefs.ErrInvalid), "%q: %v", ref, err)
	}
	_, err := s.Index(ctx, "owner/absent:v1")
	assert.Check(t, errors.Is(err, errdefs.ErrNotFound))
	assert.Check(t, is.ErrorContains(err, "owner/absent:v1"))
}

// Prune running while images are written never leaves a named image
// with a blob missing: writers hold the shared lock while they store
// blobs, and check them again before naming the result.
func TestPruneDuringWrites(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	root := t.TempDir()
	pruner, err := Open(root, WithoutAutoServe())
	assert.NilError(t, err)
	done := make(chan error, 1)
	go func() {
		for ctx.Err() == nil {
			if _, err := pruner.Prune(ctx); err != nil && ctx.Err() == nil {
				done <- err
				return
			}
			time.Sleep(2 * time.Millisecond) // let writers take the lock

		}
		done <- nil
	}()

	s, err := Open(root, WithoutAutoServe())
	assert.NilError(t, err)
	for i := 0; i < 8; i++ {
		_, err := s.WriteIndex(ctx, fmt.Sprintf("owner/p%d:v1", i), twoPlatformIndex(t, 1024, 2))
		assert.NilError(t, err)
	}
	cancel()
	assert.NilError(t, <-done)

	for i := 0; i < 8; i++ {
		for _, p := range []string{"linux/amd64", "linux/arm/v7"} {
			img, err := s.Image(context.Background(), fmt.Sprintf("owner/p%d:v1", i), p)
			assert.NilError(t, err)
			layers, err := img.Layers()
			assert.NilError(t, err)
			for _, l := range layers {
				rc, err := l.Compressed()
				assert.NilError(t, err)
				rc.Close()
			}
		}
	}
}

// The store's content folder is a plain OCI image layout that other tools
// (here go-containerregistry's layout package) read, names included.
func TestContentIsOCILayout(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	idx := twoPlatformIndex(t, 512, 1)
	want, err := s.WriteIndex(ctx, "owner/app:v1", idx)
	assert.NilError(t, err)

	root, err := layout.ImageIndexFromPath(s.ContentDir())
	assert.NilError(t, err)
	im, err := root.IndexManifest()
	assert.NilError(t, err)
	assert.Assert(t, is.Len(im.Manifests, 1))
	assert.Check(t, is.Equal(im.Manifests[0].Annotations[RefNameAnnotation], DefaultRegistry()+"/owner/app:v1"))
	got, err := root.ImageIndex(want)
	assert.NilError(t, err)
	assert.DeepEqual(t, digests(t, got), digests(t, idx))
}
