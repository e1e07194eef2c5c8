package snapshotter

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/sync/errgroup"

	"github.com/crossdock/crossdock/internal/atomicfile"
)

// Progress reports how far one blob has come while it is written to the
// store. Blobs already in the store are reported once, with Done set and
// Cached true.
type Progress struct {
	Digest   v1.Hash
	Total    int64 // size from the descriptor; 0 if unknown
	Complete int64 // bytes written so far
	Done     bool
	Cached   bool
}

// blobWriter copies the blobs of images and indexes into the store. It
// records every digest it saw, so the caller can check that they are all
// still there when it names the result.
type blobWriter struct {
	s        *Store
	progress func(Progress)
	jobs     int
	verify   bool // hash blobs already in the store before trusting them

	mu   sync.Mutex
	seen map[v1.Hash]bool
}

func (s *Store) newBlobWriter(progress func(Progress)) *blobWriter {
	if progress == nil {
		progress = func(Progress) {}
	}
	return &blobWriter{s: s, progress: progress, jobs: 4, seen: map[v1.Hash]bool{}}
}

func (s *Store) blobPath(h v1.Hash) string {
	return filepath.Join(s.content, "blobs", h.Algorithm, h.Hex)
}

func (s *Store) hasBlob(h v1.Hash) bool {
	_, err := os.Stat(s.blobPath(h))
	return err == nil
}

// writeBlob stores the bytes open returns under h. They are hashed on the
// way in and renamed into place only if they match h, so a killed or
// corrupted transfer never leaves a wrong blob behind a valid name.
func (w *blobWriter) writeBlob(ctx context.Context, h v1.Hash, size int64, open func() (io.ReadCloser, error)) error {
	w.mu.Lock()
	w.seen[h] = true
	w.mu.Unlock()
	if h.Algorithm != "sha256" {
		return fmt.Errorf("blob %s: only sha256 digests are supported", h)
	}
	if w.cachedOK(h, size) {
		w.progress(Progress{Digest: h, Total: size, Complete: size, Done: true, Cached: true})
		return nil
	}

	var err error
	delay := 200 * time.Millisecond
	for attempt := 1; attempt <= attempts; attempt++ {
		if err = ctx.Err(); err != nil {
			return err
		}
		err = w.copyBlob(h, size, open)
		if err == nil || errors.Is(err, errDigestMismatch) {
			break
		}
		time.Sleep(delay)
		delay *= 2
	}
	if err != nil {
		return fmt.Errorf("blob %s: %w", h, err)
	}
	w.progress(Progress{Digest: h, Total: size, Complete: size, Done: true})
	return nil
}

// cachedOK reports whether the store already holds a good copy of h: its
// size matches (when size is known), and with verify its bytes hash to h.
// A bad copy is fetched again and replaced.
func (w *blobWriter) cachedOK(h v1.Hash, size int64) bool {
	fi, err := os.Stat(w.s.blobPath(h))
	if err != nil || size > 0 && fi.Size() != size {
		return false
	}
	if w.verify {
		ok, err := w.s.blobMatches(h)
		return err == nil && ok
	}
	return true
}

// errDigestMismatch is returned by copyBlob for bytes that do not hash to
// the blob's name.
var errDigestMismatch = errors.New("content does not match its digest")

func (w *blobWriter) copyBlob(h v1.Hash, size int64, open func() (io.ReadCloser, error)) error {
	rc, err := open()
	if err != nil {
		return err
	}
	defer rc.Close()

	return atomicfile.Write(w.s.blobPath(h), 0o444, func(f io.Writer) error {
		hasher := sha256.New()
		cw := &countingWriter{report: func(n int64) {
			w.progress(Progress{Digest: h, Total: size, Complete: n})
		}}
		if _, err := io.Copy(io.MultiWriter(f, hasher, cw), rc); err != nil {
			return err
		}
		got := "sha256:" + hex.EncodeToString(hasher.Sum(nil))
		if got != h.String() {
			return fmt.Errorf("%w: got %s", errDigestMismatch, got)
		}
		if size > 0 && cw.n != size {
			return fmt.Errorf("%w: got %d bytes, want %d", errDigestMismatch, cw.n, size)
		}
		return nil
	})
}

// countingWriter counts bytes and reports the running total.
type countingWriter struct {
	n      int64
	report func(int64)
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	c.report(c.n)
	return len(p), nil
}

// writeBytes stores a blob already in memory (a manifest or a config).
func (w *blobWriter) writeBytes(ctx context.Context, h v1.Hash, data []byte) error {
	return w.writeBlob(ctx, h, int64(len(data)), func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	})
}

// writeImage stores an image's layers, config and manifest, in that order,
// so that a manifest is never in the store without what it names.
func (w *blobWriter) writeImage(ctx context.Context, img v1.Image) (v1.Hash, error) {
	mf, err := retrying(ctx, img.Manifest)
	if err != nil {
		return v1.Hash{}, fmt.Errorf("read manifest: %w", err)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(w.jobs)
	for _, d := range mf.Layers {
		g.Go(func() error {
			return w.writeBlob(gctx, d.Digest, d.Size, func() (io.ReadCloser, error) {
				l, err := img.LayerByDigest(d.Digest)
				if err != nil {
					return nil, err
				}
				return l.Compressed()
			})
		})
	}
	if err := g.Wait(); err != nil {
		return v1.Hash{}, err
	}

	err = w.writeBlob(ctx, mf.Config.Digest, mf.Config.Size, func() (io.ReadCloser, error) {
		return configBlob(img, mf.Config.Digest)
	})
	if err != nil {
		return v1.Hash{}, fmt.Errorf("config: %w", err)
	}
	return w.writeManifest(ctx, img)
}

// rawManifest is what images and indexes have in common.
type rawManifest interface {
	RawManifest() ([]byte, error)
	Digest() (v1.Hash, error)
}

func (w *blobWriter) writeManifest(ctx context.Context, m rawManifest) (v1.Hash, error) {
	raw, err := m.RawManifest()
	if err != nil {
		return v1.Hash{}, fmt.Errorf("read manifest: %w", err)
	}
	h, err := m.Digest()
	if err != nil {
		return v1.Hash{}, fmt.Errorf("digest manifest: %w", err)
	}
	return h, w.writeBytes(ctx, h, raw)
}

// writeIndex stores the entries of idx that keep accepts (all of them for a
// nil keep), then the index manifest itself. Nested indexes are stored
// whole.
func (w *blobWriter) writeIndex(ctx context.Context, idx v1.ImageIndex, keep func(v1.Descriptor) bool) (v1.Hash, error) {
	im, err := retrying(ctx, idx.IndexManifest)
	if err != nil {
		return v1.Hash{}, fmt.Errorf("read index manifest: %w", err)
	}
	for _, d := range im.Manifests {
		if keep != nil && !keep(d) {
			continue
		}
		switch {
		case d.MediaType.IsIndex():
			child, err := retrying(ctx, func() (v1.ImageIndex, error) { return idx.ImageIndex(d.Digest) })
			if err != nil {
				return v1.Hash{}, fmt.Errorf("index %s: %w", d.Digest, err)
			}
			if _, err := w.writeIndex(ctx, child, nil); err != nil {
				return v1.Hash{}, err
			}
		case d.MediaType.IsImage():
			img, err := retrying(ctx, func() (v1.Image, error) { return idx.Image(d.Digest) })
			if err != nil {
				return v1.Hash{}, fmt.Errorf("manifest %s: %w", d.Digest, err)
			}
			if _, err := w.writeImage(ctx, img); err != nil {
				return v1.Hash{}, fmt.Errorf("manifest %s: %w", d.Digest, err)
			}
		default:
			return v1.Hash{}, fmt.Errorf("index entry %s: unsupported media type %q", d.Digest, d.MediaType)
		}
	}
	return w.writeManifest(ctx, idx)
}

// missing lists the digests this writer saw that are no longer in the
// store (a concurrent prune removed them).
func (w *blobWriter) missing() []v1.Hash {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []v1.Hash
	for h := range w.seen {
		if !w.s.hasBlob(h) {
			out = append(out, h)
		}
	}
	return out
}

// configBlob opens an image's config blob. It asks for it as a layer
// first, which a remote image fetches afresh on every call, and falls back
// to the raw config for images that cannot serve it that way.
// (go-containerregistry's remote image keeps a config whose download was
// cut off, so RawConfigFile cannot be retried.)
func configBlob(img v1.Image, h v1.Hash) (io.ReadCloser, error) {
	if l, err := img.LayerByDigest(h); err == nil {
		if rc, err := l.Compressed(); err == nil {
			return rc, nil
		} else if transient(err) {
			return nil, err
		}
	}
	cfg, err := img.RawConfigFile()
	if err != nil {
		return nil, err
	}
	return io.NopCloser(bytes.NewReader(cfg)), nil
}

// readConfig reads and parses an image's config, trying again when the
// transfer is cut off.
func readConfig(ctx context.Context, img v1.Image) (*v1.ConfigFile, error) {
	mf, err := retrying(ctx, img.Manifest)
	if err != nil {
		return nil, err
	}
	return retrying(ctx, func() (*v1.ConfigFile, error) {
		rc, err := configBlob(img, mf.Config.Digest)
		if err != nil {
			return nil, err
		}
		defer rc.Close()
		return v1.ParseConfigFile(rc)
	})
}
