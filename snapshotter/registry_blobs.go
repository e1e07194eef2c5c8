package snapshotter

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/crossdock/crossdock/internal/atomicfile"
)

// diskBlobs keeps the embedded registry's blobs in dir/sha256/<hex>,
// shared by every repository. A blob is hashed on the way in and renamed
// into place only if it matches its digest, so Stat trusts the file's size
// and never hashes it again.
type diskBlobs struct {
	dir string
}

var (
	_ registry.BlobStatHandler   = (*diskBlobs)(nil)
	_ registry.BlobPutHandler    = (*diskBlobs)(nil)
	_ registry.BlobDeleteHandler = (*diskBlobs)(nil)
)

func newDiskBlobs(dir string) (*diskBlobs, error) {
	if err := os.MkdirAll(filepath.Join(dir, "sha256"), 0o755); err != nil {
		return nil, fmt.Errorf("registry blobs %s: %w", dir, err)
	}
	return &diskBlobs{dir: dir}, nil
}

func (b *diskBlobs) path(h v1.Hash) (string, error) {
	if _, ok := hashOf(h.Hex); !ok || h.Algorithm != "sha256" {
		return "", fmt.Errorf("digest %s: only sha256 is supported", h)
	}
	return filepath.Join(b.dir, h.Algorithm, h.Hex), nil
}

func (b *diskBlobs) Stat(_ context.Context, _ string, h v1.Hash) (int64, error) {
	p, err := b.path(h)
	if err != nil {
		return 0, registry.ErrNotFound
	}
	fi, err := os.Stat(p)
	if errors.Is(err, os.ErrNotExist) {
		return 0, registry.ErrNotFound
	}
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

func (b *diskBlobs) Get(_ context.Context, _ string, h v1.Hash) (io.ReadCloser, error) {
	p, err := b.path(h)
	if err != nil {
		return nil, registry.ErrNotFound
	}
	f, err := os.Open(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, registry.ErrNotFound
	}
	return f, err
}

func (b *diskBlobs) Put(_ context.Context, _ string, h v1.Hash, rc io.ReadCloser) error {
	defer rc.Close()
	p, err := b.path(h)
	if err != nil {
		return err
	}
	return atomicfile.Write(p, 0o444, func(w io.Writer) error {
		sum := sha256.New()
		if _, err := io.Copy(io.MultiWriter(w, sum), rc); err != nil {
			return err
		}
		if got := hex.EncodeToString(sum.Sum(nil)); got != h.Hex {
			return fmt.Errorf("blob %s: %w: got sha256:%s", h, errDigestMismatch, got)
		}
		return nil
	})
}

func (b *diskBlobs) Delete(_ context.Context, _ string, h v1.Hash) error {
	p, err := b.path(h)
	if err != nil {
		return registry.ErrNotFound
	}
	return os.Remove(p)
}
