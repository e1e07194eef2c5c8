package runner

import (
	"context"
	"os"
	"path/filepath"
	"strings"

	"github.com/crossdock/crossdock/snapshotter"
)

// leaseLayers records in the store under the runtime's root that container
// id uses the snapshot folders layers, so that `crossdock prune` keeps them
// while the container exists, even after `rmi` of its image. Layers that do
// not come from that store (a rootfs folder given to CreateFrom) need no
// lease.
//
// TODO: the image is unpacked before the container has an ID, so a prune
// that runs exactly between the unpack and this lease can still remove the
// snapshots; the container then fails to start with "mount rootfs: no such
// file or directory" and `crossdock run` must be tried again.
func (r *Runtime) leaseLayers(ctx context.Context, id string, layers []string) error {
	snaps := filepath.Join(r.root, "snapshots") + string(filepath.Separator)
	for _, l := range layers {
		if !strings.HasPrefix(filepath.Clean(l), snaps) {
			return nil
		}
	}
	s, err := snapshotter.Open(r.root)
	if err != nil {
		return err
	}
	return s.LeaseLayers(ctx, id, layers)
}

// releaseLease drops container id's lease, if it has one.
func (r *Runtime) releaseLease(id string) error {
	if _, err := os.Stat(filepath.Join(r.root, "leases", id)); err != nil {
		return nil
	}
	s, err := snapshotter.Open(r.root)
	if err != nil {
		return err
	}
	return s.ReleaseLease(context.Background(), id)
}
