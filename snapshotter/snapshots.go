package snapshotter

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/crossdock/crossdock/internal/atomicfile"
	"github.com/crossdock/crossdock/internal/flock"
)

// snapDoneFile marks a snapshot folder as complete. It is written last,
// before the folder is renamed to its chain ID.
const snapDoneFile = "complete"

// snapTmpPrefix starts the name of a folder being unpacked or removed.
const snapTmpPrefix = "tmp-"

// Snapshots keeps unpacked layers in overlay form, one folder per chain ID,
// shared by every image and container that uses them: dir/<chain>/fs holds
// one layer's files (whiteouts as 0/0 character devices, opaque folders
// marked with trusted.overlay.opaque=y), ready to be a lowerdir of an
// overlayfs mount. <chain> is the chain ID written as "sha256-<hex>":
// overlayfs takes ':' as the separator between lower folders. The mount
// options also split on ',', so dir itself must hold neither ',' nor ':'
// unless the caller escapes them.
//
// Several processes may share dir: a chain is unpacked under an exclusive
// flock on dir/<chain>.lock into dir/tmp-<chain>-*, then renamed into
// place, so a killed process leaves only temporary folders, which the next
// Prepare of that chain removes.
type Snapshots struct {
	dir string
}

// NewSnapshots returns the snapshots kept in dir (created on first use).
func NewSnapshots(dir string) *Snapshots {
	return &Snapshots{dir: dir}
}

// ChainIDs returns the chain ID of each layer, lowest first: the first is
// the layer's diffID, each next one sha256("<previous chain> <diffID>"), as
// the OCI image spec defines them.
func ChainIDs(diffIDs []v1.Hash) []v1.Hash {
	out := make([]v1.Hash, len(diffIDs))
	for i, d := range diffIDs {
		if i == 0 {
			out[i] = d
			continue
		}
		sum := sha256.Sum256([]byte(out[i-1].String() + " " + d.String()))
		out[i] = v1.Hash{Algorithm: "sha256", Hex: fmt.Sprintf("%x", sum)}
	}
	return out
}

// Path returns the folder that holds the files of the snapshot with this
// chain ID (it may not exist).
func (s *Snapshots) Path(chain v1.Hash) string {
	return filepath.Join(s.dir, snapName(chain), "fs")
}

func snapName(chain v1.Hash) string {
	return chain.Algorithm + "-" + chain.Hex
}

func snapParseName(name string) (v1.Hash, bool) {
	alg, hex, ok := strings.Cut(name, "-")
	if !ok || alg != "sha256" || len(hex) != 64 {
		return v1.Hash{}, false
	}
	h, err := v1.NewHash(alg + ":" + hex)
	return h, err == nil
}

// Prepare makes sure every layer is unpacked, lowest first, and returns
// their fs folders in that order (the reverse of an overlayfs lowerdir
// list, which names the top layer first). A layer already unpacked, by this
// process or another, is reused; each new one is checked against its
// diffID while it is unpacked.
func (s *Snapshots) Prepare(ctx context.Context, layers []v1.Layer) ([]string, error) {
	diffIDs := make([]v1.Hash, len(layers))
	for i, l := range layers {
		d, err := l.DiffID()
		if err != nil {
			return nil, fmt.Errorf("prepare snapshots: layer %d: diffID: %w", i, err)
		}
		diffIDs[i] = d
	}
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return nil, fmt.Errorf("prepare snapshots: %w", err)
	}

	chains := ChainIDs(diffIDs)
	dirs := make([]string, 0, len(layers))
	for i, l := range layers {
		if err := s.prepareOne(ctx, chains[i], l, dirs); err != nil {
			return nil, err
		}
		dirs = append(dirs, s.Path(chains[i]))
	}
	return dirs, nil
}

// prepareOne unpacks layer as the snapshot chain on top of lowers, unless
// it is there already.
func (s *Snapshots) prepareOne(ctx context.Context, chain v1.Hash, layer v1.Layer, lowers []string) error {
	if s.complete(chain) {
		return nil
	}
	lock, err := flock.Exclusive(ctx, filepath.Join(s.dir, snapName(chain)+".lock"))
	if err != nil {
		return fmt.Errorf("prepare snapshot %s: %w", chain, err)
	}
	defer lock.Unlock()
	if s.complete(chain) {
		return nil // another process finished it while we waited
	}

	// Under the lock nobody else works on this chain: what is left of it
	// is from a killed process.
	if err := s.removeLeftovers(chain); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(s.dir, snapTmpPrefix+snapName(chain)+"-")
	if err != nil {
		return fmt.Errorf("prepare snapshot %s: %w", chain, err)
	}
	if err := s.unpack(ctx, tmp, chain, layer, lowers); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	return nil
}

func (s *Snapshots) unpack(ctx context.Context, tmp string, chain v1.Hash, layer v1.Layer, lowers []string) error {
	digest, err := layer.Digest()
	if err != nil {
		return fmt.Errorf("prepare snapshot %s: layer digest: %w", chain, err)
	}
	diffID, err := layer.DiffID()
	if err != nil {
		return fmt.Errorf("prepare snapshot %s: layer %s: diffID: %w", chain, digest, err)
	}
	rc, err := layer.Uncompressed()
	if err != nil {
		return fmt.Errorf("prepare snapshot %s: layer %s: %w", chain, digest, err)
	}
	defer rc.Close()

	root := filepath.Join(tmp, "fs")
	if err := os.Mkdir(root, 0o755); err != nil {
		return fmt.Errorf("prepare snapshot %s: %w", chain, err)
	}
	err = Apply(ctx, root, rc, WithLowerDirs(lowers), WithDiffID(diffID), WithLayerDigest(digest))
	if err != nil {
		return err
	}
	if err := snapSyncfs(root); err != nil {
		return fmt.Errorf("prepare snapshot %s: %w", chain, err)
	}
	marker := fmt.Sprintf("chain %s\ndiffID %s\nlayer %s\n", chain, diffID, digest)
	if err := atomicfile.WriteFile(filepath.Join(tmp, snapDoneFile), []byte(marker), 0o644); err != nil {
		return fmt.Errorf("prepare snapshot %s: %w", chain, err)
	}
	if err := os.Rename(tmp, filepath.Join(s.dir, snapName(chain))); err != nil {
		return fmt.Errorf("prepare snapshot %s: %w", chain, err)
	}
	return atomicfile.SyncDir(s.dir)
}

// complete reports whether the snapshot of chain is in place and whole.
func (s *Snapshots) complete(chain v1.Hash) bool {
	_, err := os.Stat(filepath.Join(s.dir, snapName(chain), snapDoneFile))
	return err == nil
}

// removeLeftovers removes the temporary folders of chain that a killed
// process left, and a folder under the chain's own name that lacks its
// completion marker. The caller holds the chain's lock.
func (s *Snapshots) removeLeftovers(chain v1.Hash) error {
	prefix := snapTmpPrefix + snapName(chain) + "-"
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("prepare snapshot %s: %w", chain, err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) {
			if err := os.RemoveAll(filepath.Join(s.dir, e.Name())); err != nil {
				return fmt.Errorf("prepare snapshot %s: remove leftover: %w", chain, err)
			}
		}
	}
	err = os.RemoveAll(filepath.Join(s.dir, snapName(chain)))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("prepare snapshot %s: remove incomplete: %w", chain, err)
	}
	return nil
}
