package snapshotter

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// PruneReport says what Prune removed.
type PruneReport struct {
	Blobs     []v1.Hash // unreferenced blobs
	Bytes     int64     // their total size
	Temp      int       // leftover temporary files of killed writes
	Snapshots []v1.Hash // unreferenced snapshots, by chain ID
}

// Prune removes every blob no named image reaches, the temporary files
// that killed writes left, and the snapshots no named image uses. What a
// lease (see Lease) names is kept, named or not. It holds
// the exclusive lock, so it waits for writes in progress.
func (s *Store) Prune(ctx context.Context) (PruneReport, error) {
	var rep PruneReport
	l, err := s.exclusive(ctx)
	if err != nil {
		return rep, err
	}
	defer l.Unlock()

	keep, chains, err := s.reachable()
	if err != nil {
		return rep, err
	}
	if err := s.addLeased(keep, chains); err != nil {
		return rep, fmt.Errorf("prune: %w", err)
	}
	dir := filepath.Join(s.content, "blobs", "sha256")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return rep, fmt.Errorf("prune: %w", err)
	}
	for _, e := range entries {
		h, isBlob := hashOf(e.Name())
		if isBlob && keep[h] {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // removed by someone else
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
			return rep, fmt.Errorf("prune %s: %w", e.Name(), err)
		}
		if isBlob {
			rep.Blobs = append(rep.Blobs, h)
			rep.Bytes += info.Size()
		} else {
			rep.Temp++
		}
	}

	// index.json is only written under the exclusive lock, which Prune
	// holds: its temporary files here are all from killed writers.
	rep.Temp += removeStale(filepath.Join(s.content, ".index.json.tmp-*"), 0)
	// The registry's uploads take no store lock; only old ones are stale.
	rep.Temp += removeStale(filepath.Join(s.root, "registry", "blobs", "sha256", ".*.tmp-*"), time.Hour)

	rep.Snapshots, err = s.snapshots().Prune(ctx, chains)
	if err != nil {
		return rep, err
	}
	return rep, nil
}

// removeStale removes the files matching pattern last changed more than
// age ago, and returns how many it removed.
func removeStale(pattern string, age time.Duration) int {
	matches, _ := filepath.Glob(pattern)
	n := 0
	for _, m := range matches {
		fi, err := os.Lstat(m)
		if err != nil || !fi.Mode().IsRegular() || time.Since(fi.ModTime()) < age {
			continue
		}
		if os.Remove(m) == nil {
			n++
		}
	}
	return n
}

// hashOf turns a file name in blobs/sha256 into its digest.
func hashOf(name string) (v1.Hash, bool) {
	if len(name) != 64 || strings.Trim(name, "0123456789abcdef") != "" {
		return v1.Hash{}, false
	}
	return v1.Hash{Algorithm: "sha256", Hex: name}, true
}

// reachable walks index.json and returns every blob a named image reaches,
// and the chain IDs of every image whose config is in the store.
func (s *Store) reachable() (map[v1.Hash]bool, map[v1.Hash]bool, error) {
	im, err := s.readIndex()
	if err != nil {
		return nil, nil, err
	}
	blobs, chains := map[v1.Hash]bool{}, map[v1.Hash]bool{}
	var walk func(d v1.Descriptor) error
	walk = func(d v1.Descriptor) error {
		blobs[d.Digest] = true
		raw, err := s.blob(d.Digest)
		if err != nil {
			return nil // a platform that was not pulled
		}
		if d.MediaType.IsIndex() {
			idx, err := v1.ParseIndexManifest(bytesReader(raw))
			if err != nil {
				return fmt.Errorf("index %s: %w", d.Digest, err)
			}
			for _, c := range idx.Manifests {
				if err := walk(c); err != nil {
					return err
				}
			}
			return nil
		}
		return s.walkImage(d.Digest, raw, blobs, chains)
	}
	for _, d := range im.Manifests {
		if err := walk(d); err != nil {
			return nil, nil, err
		}
	}
	return blobs, chains, nil
}

func (s *Store) walkImage(h v1.Hash, raw []byte, blobs, chains map[v1.Hash]bool) error {
	mf, err := v1.ParseManifest(bytesReader(raw))
	if err != nil {
		return fmt.Errorf("manifest %s: %w", h, err)
	}
	blobs[mf.Config.Digest] = true
	for _, l := range mf.Layers {
		blobs[l.Digest] = true
	}
	cfg, err := s.blob(mf.Config.Digest)
	if err != nil {
		return nil
	}
	cf, err := v1.ParseConfigFile(bytesReader(cfg))
	if err != nil {
		return nil // an artifact, such as an attestation, has no rootfs
	}
	for _, c := range ChainIDs(cf.RootFS.DiffIDs) {
		chains[c] = true
	}
	return nil
}

// Verify hashes every blob in the store again and returns those whose
// bytes no longer match their names, and the blobs named images need that
// are missing. With repair it removes the corrupt blobs, so that the next
// pull fetches them again, and drops the names whose content is no longer
// whole. VerifyAll says more.
func (s *Store) Verify(ctx context.Context, repair bool) ([]v1.Hash, error) {
	rep, err := s.VerifyAll(ctx, repair)
	return append(rep.Corrupt, rep.Missing...), err
}

func (s *Store) blobMatches(h v1.Hash) (bool, error) {
	f, err := os.Open(s.blobPath(h))
	if err != nil {
		return false, fmt.Errorf("verify %s: %w", h, err)
	}
	defer f.Close()
	sum := sha256.New()
	if _, err := io.Copy(sum, f); err != nil {
		return false, fmt.Errorf("verify %s: %w", h, err)
	}
	return hex.EncodeToString(sum.Sum(nil)) == h.Hex, nil
}
