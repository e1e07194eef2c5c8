package builder

import (
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/containerd/stargz-snapshotter/estargz"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/crossdock/crossdock/internal/atomicfile"
)

// Layer compression settings. They are part of the output, so they are
// fixed: changing them changes every digest (bump builderVersion too).
const (
	compressionLevel = gzip.DefaultCompression
	// estargzWorkers fixes how estargz.Build splits a layer into gzip
	// streams; the default (GOMAXPROCS) would make digests depend on the
	// host's CPU count.
	estargzWorkers = 4
)

// layerRecord is what the cache keeps about a built layer.
type layerRecord struct {
	Digest           v1.Hash `json:"digest"`
	DiffID           v1.Hash `json:"diffID"`
	Size             int64   `json:"size"`
	TOCDigest        string  `json:"tocDigest"`
	UncompressedSize int64   `json:"uncompressedSize"`
}

// annotations are the eStargz annotations for the layer's descriptor.
func (r *layerRecord) annotations() map[string]string {
	return map[string]string{
		estargz.TOCJSONDigestAnnotation:         r.TOCDigest,
		estargz.StoreUncompressedSizeAnnotation: fmt.Sprint(r.UncompressedSize),
	}
}

// layerKey hashes everything a layer's bytes depend on.
func layerKey(parts ...any) string {
	h := sha256.New()
	enc := json.NewEncoder(h)
	_ = enc.Encode(builderVersion)
	for _, p := range parts {
		_ = enc.Encode(p)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// cachedLayer returns the layer stored under key, building it with fill
// when it is not there. Blobs and records are written atomically, so an
// interrupted build leaves nothing a later build would trust.
func (b *build) cachedLayer(ctx context.Context, key string, prio []string,
	fill func(*tree) error) (*layerRecord, bool, error) {
	recPath := filepath.Join(b.opts.cacheDir, "layers", key+".json")
	if rec, err := b.readRecord(recPath); err == nil {
		return rec, true, nil
	}

	t := newTree()
	if err := fill(t); err != nil {
		return nil, false, err
	}
	rec, err := b.writeLayer(ctx, t, prio)
	if err != nil {
		return nil, false, err
	}
	data, _ := json.MarshalIndent(rec, "", "  ")
	if err := os.MkdirAll(filepath.Dir(recPath), 0o755); err != nil {
		return nil, false, err
	}
	if err := atomicfile.WriteFile(recPath, data, 0o644); err != nil {
		return nil, false, fmt.Errorf("cache layer: %w", err)
	}
	return rec, false, nil
}

func (b *build) readRecord(recPath string) (*layerRecord, error) {
	data, err := os.ReadFile(recPath)
	if err != nil {
		return nil, err
	}
	var rec layerRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, err
	}
	fi, err := os.Stat(b.blobPath(rec.Digest))
	if err != nil || fi.Size() != rec.Size {
		return nil, errors.New("blob missing")
	}
	return &rec, nil
}

func (b *build) blobPath(h v1.Hash) string {
	return filepath.Join(b.opts.cacheDir, "blobs", h.Algorithm, h.Hex)
}

// writeLayer writes t as a tar, converts it to eStargz and stores the blob.
func (b *build) writeLayer(ctx context.Context, t *tree, prio []string) (*layerRecord, error) {
	tmpDir := b.tmp.dir
	tarFile, err := os.CreateTemp(tmpDir, "layer-*.tar")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tarFile.Name())
	defer tarFile.Close()
	if err := t.write(tarFile, b.epoch); err != nil {
		return nil, err
	}
	size, err := tarFile.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil, err
	}

	var missed []string
	blob, err := estargz.Build(io.NewSectionReader(tarFile, 0, size),
		estargz.WithContext(ctx),
		estargz.WithCompressionLevel(compressionLevel),
		estargz.WithParallelism(estargzWorkers),
		estargz.WithPrioritizedFiles(prio),
		estargz.WithAllowPrioritizeNotFound(&missed))
	if err != nil {
		return nil, fmt.Errorf("estargz: %w", err)
	}
	defer blob.Close()

	out, err := os.CreateTemp(tmpDir, "blob-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(out.Name())
	defer out.Close()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(out, h), blob)
	if err != nil {
		return nil, fmt.Errorf("estargz: %w", err)
	}
	if err := out.Sync(); err != nil {
		return nil, err
	}
	usize, err := blob.UncompressedSize()
	if err != nil {
		return nil, err
	}
	rec := &layerRecord{
		Digest:           v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(h.Sum(nil))},
		DiffID:           mustHash(blob.DiffID().String()),
		Size:             n,
		TOCDigest:        blob.TOCDigest().String(),
		UncompressedSize: usize,
	}
	dst := b.blobPath(rec.Digest)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return nil, err
	}
	if err := os.Rename(out.Name(), dst); err != nil {
		return nil, err
	}
	return rec, nil
}

func mustHash(s string) v1.Hash {
	h, err := v1.NewHash(s)
	if err != nil {
		panic(err)
	}
	return h
}

// blobLayer is a v1.Layer over an eStargz blob in the cache.
type blobLayer struct {
	rec  *layerRecord
	path string
}

var _ v1.Layer = (*blobLayer)(nil)

func (l *blobLayer) Digest() (v1.Hash, error)             { return l.rec.Digest, nil }
func (l *blobLayer) DiffID() (v1.Hash, error)             { return l.rec.DiffID, nil }
func (l *blobLayer) Size() (int64, error)                 { return l.rec.Size, nil }
func (l *blobLayer) MediaType() (types.MediaType, error)  { return types.OCILayer, nil }
func (l *blobLayer) Compressed() (io.ReadCloser, error)   { return os.Open(l.path) }
func (l *blobLayer) Uncompressed() (io.ReadCloser, error) { return gunzip(l.path) }

func gunzip(p string) (io.ReadCloser, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	zr, err := gzip.NewReader(f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return readCloser{zr, f}, nil
}

type readCloser struct {
	io.Reader
	f *os.File
}

func (r readCloser) Close() error { return r.f.Close() }

// treeLayer builds (or finds in the cache) the layer for a tree whose
// content is already known, keyed by that content.
func (b *build) treeLayer(ctx context.Context, t *tree) (*layerRecord, error) {
	d, err := t.digest()
	if err != nil {
		return nil, err
	}
	key := layerKey("tree", d, b.epoch.Unix(), b.prio())
	rec, _, err := b.cachedLayer(ctx, key, b.prio(), func(dst *tree) error {
		*dst = *t
		return nil
	})
	return rec, err
}

// prio lists the files to put first in every layer: the entrypoint and
// the spec's prefetch list.
func (b *build) prio() []string {
	var out []string
	if ep := b.spec.Config.Entrypoint; len(ep) > 0 && strings.HasPrefix(ep[0], "/") {
		out = append(out, clean(ep[0]))
	}
	for _, p := range b.spec.Prefetch {
		out = append(out, clean(p))
	}
	return out
}
