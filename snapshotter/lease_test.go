package snapshotter

import (
	"context"
	"os"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/random"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

// A leased image keeps its blobs and snapshots through rmi and prune
// until the lease is released.
func TestLeaseKeepsSnapshotsAndBlobs(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	img, err := random.Image(2048, 2)
	assert.NilError(t, err)
	_, err = s.WriteImage(ctx, "owner/app:v1", img)
	assert.NilError(t, err)
	stored, err := s.Image(ctx, "owner/app:v1", "")
	assert.NilError(t, err)

	assert.NilError(t, s.Lease(ctx, "ctr1", stored))
	dirs, err := s.Unpack(ctx, stored)
	assert.NilError(t, err)
	assert.Assert(t, is.Len(dirs, 2))

	_, err = s.Remove(ctx, "owner/app:v1")
	assert.NilError(t, err)
	rep, err := s.Prune(ctx)
	assert.NilError(t, err)
	assert.Check(t, is.Len(rep.Snapshots, 0), "a leased snapshot was pruned")
	assert.Check(t, is.Len(rep.Blobs, 0), "a leased blob was pruned")
	for _, d := range dirs {
		_, err := os.Stat(d)
		assert.Check(t, err, "snapshot %s", d)
	}
	ids, err := s.Leases(ctx)
	assert.NilError(t, err)
	assert.Check(t, is.DeepEqual(ids, []string{"ctr1"}))

	assert.NilError(t, s.ReleaseLease(ctx, "ctr1"))
	assert.NilError(t, s.ReleaseLease(ctx, "ctr1"), "releasing twice is fine")
	rep, err = s.Prune(ctx)
	assert.NilError(t, err)
	assert.Check(t, is.Len(rep.Snapshots, 2))
	assert.Check(t, is.Len(rep.Blobs, 4), "2 layers, a config and a manifest")
}

// LeaseLayers keeps the snapshots a container's layer folders name.
func TestLeaseLayers(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	img, err := random.Image(1024, 2)
	assert.NilError(t, err)
	_, err = s.WriteImage(ctx, "owner/app:v1", img)
	assert.NilError(t, err)
	stored, err := s.Image(ctx, "owner/app:v1", "")
	assert.NilError(t, err)
	dirs, err := s.Unpack(ctx, stored)
	assert.NilError(t, err)
	assert.NilError(t, s.LeaseLayers(ctx, "ctr2", dirs))
	assert.Check(t, s.LeaseLayers(ctx, "ctr3", []string{t.TempDir()}) != nil, "a folder outside the snapshots")

	_, err = s.Remove(ctx, "owner/app:v1")
	assert.NilError(t, err)
	rep, err := s.Prune(ctx)
	assert.NilError(t, err)
	assert.Check(t, is.Len(rep.Snapshots, 0))
	assert.NilError(t, s.ReleaseLease(ctx, "ctr2"))
	rep, err = s.Prune(ctx)
	assert.NilError(t, err)
	assert.Check(t, is.Len(rep.Snapshots, 2))
}

func TestLeaseBadIDs(t *testing.T) {
	s := openTemp(t)
	img, err := random.Image(16, 1)
	assert.NilError(t, err)
	for _, id := range []string{"", ".", "..", "../x", "a/b", ".hidden"} {
		assert.Check(t, s.Lease(context.Background(), id, img) != nil, "id %q", id)
		assert.Check(t, s.ReleaseLease(context.Background(), id) != nil, "id %q", id)
	}
}
