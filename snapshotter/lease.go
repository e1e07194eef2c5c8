package snapshotter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/crossdock/crossdock/internal/atomicfile"
	"github.com/crossdock/crossdock/internal/errdefs"
)

// A lease keeps an image's blobs and snapshots from Prune while something
// uses them (a container, running or not), even after the image's name is
// removed. Leases are files under root/leases, one per ID, written
// atomically; ReleaseLease removes one.

// leaseRecord is the content of a lease file.
type leaseRecord struct {
	Image  v1.Hash   `json:"image,omitzero"` // the manifest's digest; zero for LeaseLayers
	Blobs  []v1.Hash `json:"blobs"`          // manifest, config and layers
	Chains []v1.Hash `json:"chains"`         // snapshot chain IDs, lowest first
}

// leaseDir is the folder of lease files.
func (s *Store) leaseDir() string { return filepath.Join(s.root, "leases") }

// leasePath checks id and returns its file.
func (s *Store) leasePath(id string) (string, error) {
	if id == "" || id == "." || id == ".." || strings.ContainsAny(id, "/\x00") || strings.HasPrefix(id, ".") {
		return "", errdefs.Invalid(fmt.Errorf("lease id %q: must be a non-empty name without / that does not start with a dot", id))
	}
	return filepath.Join(s.leaseDir(), id), nil
}

// Lease records that id (such as a container's ID) uses img: until
// ReleaseLease(id), Prune keeps img's manifest, config and layer blobs and
// the snapshots of its layers, whatever names the store still has. Leasing
// the same id again replaces what it kept. Call it before Unpack, so that a
// Prune running between the two cannot remove the snapshots.
func (s *Store) Lease(ctx context.Context, id string, img v1.Image) error {
	p, err := s.leasePath(id)
	if err != nil {
		return err
	}
	var rec leaseRecord
	if rec.Image, err = img.Digest(); err != nil {
		return fmt.Errorf("lease %s: image digest: %w", id, err)
	}
	mf, err := img.Manifest()
	if err != nil {
		return fmt.Errorf("lease %s: manifest: %w", id, err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return fmt.Errorf("lease %s: config: %w", id, err)
	}
	rec.Blobs = append(rec.Blobs, rec.Image, mf.Config.Digest)
	for _, l := range mf.Layers {
		rec.Blobs = append(rec.Blobs, l.Digest)
	}
	rec.Chains = ChainIDs(cf.RootFS.DiffIDs)
	return s.writeLease(ctx, id, p, rec)
}

// writeLease writes rec as the lease file p of id, atomically.
func (s *Store) writeLease(ctx context.Context, id, p string, rec leaseRecord) error {
	data, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("lease %s: %w", id, err)
	}

	// The shared store lock orders the lease with Prune, which holds the
	// exclusive one while it reads the leases and removes.
	l, err := s.shared(ctx)
	if err != nil {
		return err
	}
	defer l.Unlock()
	if err := os.MkdirAll(s.leaseDir(), 0o755); err != nil {
		return fmt.Errorf("lease %s: %w", id, err)
	}
	if err := atomicfile.WriteFile(p, data, 0o644); err != nil {
		return fmt.Errorf("lease %s: %w", id, err)
	}
	return nil
}

// LeaseLayers records that id uses the snapshot folders layerDirs, as
// Unpack returned them: until ReleaseLease(id), Prune keeps those
// snapshots (not the image's blobs; use Lease for those). It is for
// callers that kept the folders but not the image, such as the runner
// when it creates a container. A folder that is not a snapshot of this
// store is an errdefs.Invalid error (a rootfs folder given directly
// needs no lease).
func (s *Store) LeaseLayers(ctx context.Context, id string, layerDirs []string) error {
	p, err := s.leasePath(id)
	if err != nil {
		return err
	}
	var rec leaseRecord
	snapDir := filepath.Clean(s.snapshots().dir)
	for _, d := range layerDirs {
		d = filepath.Clean(d)
		snap := filepath.Dir(d)
		chain, ok := snapParseName(filepath.Base(snap))
		if !ok || filepath.Base(d) != "fs" || filepath.Dir(snap) != snapDir {
			return errdefs.Invalid(fmt.Errorf("lease %s: %s is not a snapshot folder of %s", id, d, snapDir))
		}
		rec.Chains = append(rec.Chains, chain)
	}
	return s.writeLease(ctx, id, p, rec)
}

// ReleaseLease drops the lease id, so the next Prune may remove what only
// it kept. Releasing a lease that does not exist is not an error (a
// container removed twice, or created before leases existed).
func (s *Store) ReleaseLease(ctx context.Context, id string) error {
	p, err := s.leasePath(id)
	if err != nil {
		return err
	}
	l, err := s.shared(ctx)
	if err != nil {
		return err
	}
	defer l.Unlock()
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("release lease %s: %w", id, err)
	}
	return nil
}

// Leases lists the IDs of the leases held, sorted.
func (s *Store) Leases(ctx context.Context) ([]string, error) {
	l, err := s.shared(ctx)
	if err != nil {
		return nil, err
	}
	defer l.Unlock()
	recs, err := s.readLeases()
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(recs))
	for id := range recs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids, nil
}

// readLeases reads every lease file. The caller holds the store lock.
// A lease file that cannot be read fails the call: pruning without it
// could remove what a container uses.
func (s *Store) readLeases() (map[string]leaseRecord, error) {
	entries, err := os.ReadDir(s.leaseDir())
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read leases: %w", err)
	}
	out := map[string]leaseRecord{}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue // a temporary file of a lease being written
		}
		data, err := os.ReadFile(filepath.Join(s.leaseDir(), e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read lease %s: %w", e.Name(), err)
		}
		var rec leaseRecord
		if err := json.Unmarshal(data, &rec); err != nil {
			return nil, fmt.Errorf("read lease %s: %w", filepath.Join(s.leaseDir(), e.Name()), err)
		}
		out[e.Name()] = rec
	}
	return out, nil
}

// addLeased adds what every lease keeps to blobs and chains.
func (s *Store) addLeased(blobs, chains map[v1.Hash]bool) error {
	recs, err := s.readLeases()
	if err != nil {
		return err
	}
	for _, rec := range recs {
		for _, h := range rec.Blobs {
			blobs[h] = true
		}
		for _, c := range rec.Chains {
			chains[c] = true
		}
	}
	return nil
}
