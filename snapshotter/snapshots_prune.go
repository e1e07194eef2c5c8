package snapshotter

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/sys/unix"

	"github.com/crossdock/crossdock/internal/flock"
)

// Prune removes every snapshot whose chain ID is not in keep, and returns
// the chain IDs it removed, sorted. A snapshot being prepared by another
// process is waited for, then removed if it is not kept.
//
// Prune itself does not know which snapshots containers use: the caller
// passes them in keep. Store.Prune does, from the leases the runner takes
// for every container (see lease.go).
func (s *Snapshots) Prune(ctx context.Context, keep map[v1.Hash]bool) ([]v1.Hash, error) {
	entries, err := os.ReadDir(s.dir)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("prune snapshots: %w", err)
	}

	var removed []v1.Hash
	for _, e := range entries {
		chain, ok := snapParseName(e.Name())
		if !ok || !e.IsDir() || keep[chain] {
			continue
		}
		if err := s.remove(ctx, chain); err != nil {
			return removed, err
		}
		removed = append(removed, chain)
	}
	sort.Slice(removed, func(i, j int) bool { return removed[i].Hex < removed[j].Hex })
	return removed, nil
}

// remove takes the snapshot of chain out of its name in one rename, so no
// reader sees it half removed, then deletes it. The lock file stays: a
// lock file removed while another process waits on it would let two
// processes hold the lock at once.
func (s *Snapshots) remove(ctx context.Context, chain v1.Hash) error {
	lock, err := flock.Exclusive(ctx, filepath.Join(s.dir, snapName(chain)+".lock"))
	if err != nil {
		return fmt.Errorf("prune snapshot %s: %w", chain, err)
	}
	defer lock.Unlock()

	doomed, err := os.MkdirTemp(s.dir, snapTmpPrefix+snapName(chain)+"-")
	if err != nil {
		return fmt.Errorf("prune snapshot %s: %w", chain, err)
	}
	err = os.Rename(filepath.Join(s.dir, snapName(chain)), filepath.Join(doomed, "old"))
	if err != nil && !os.IsNotExist(err) {
		os.Remove(doomed)
		return fmt.Errorf("prune snapshot %s: %w", chain, err)
	}
	if err := os.RemoveAll(doomed); err != nil {
		return fmt.Errorf("prune snapshot %s: %w", chain, err)
	}
	return nil
}

// snapSyncfs flushes the filesystem that holds p, so that a snapshot is on
// disk before its rename makes it visible: one syncfs instead of an fsync
// per file.
func snapSyncfs(p string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := unix.Syncfs(int(f.Fd())); err != nil {
		return fmt.Errorf("syncfs %s: %w", p, err)
	}
	return nil
}
