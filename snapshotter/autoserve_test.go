package snapshotter

import (
	"context"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/random"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

// With nothing listening at the default loopback registry, Push and Pull
// start the embedded one for the call, with its data in ROOT/registry, and
// say so.
func TestAutoServeDefaultRegistry(t *testing.T) {
	ctx := context.Background()
	addr := freeAddr(t)
	t.Setenv("CROSSDOCK_REGISTRY", addr)
	var notices []string
	root := t.TempDir()
	s, err := Open(root, WithServeNotice(func(a, dir string) { notices = append(notices, a+" "+dir) }))
	assert.NilError(t, err)

	img, err := random.Image(1024, 1)
	assert.NilError(t, err)
	want, err := s.WriteImage(ctx, "owner/auto:v1", img)
	assert.NilError(t, err)
	assert.NilError(t, s.Push(ctx, "owner/auto:v1"))
	assert.Check(t, is.DeepEqual(notices, []string{addr + " " + root + "/registry"}))
	assert.Check(t, !answers(addr), "the registry must stop with the command")

	_, err = s.Remove(ctx, "owner/auto:v1")
	assert.NilError(t, err)
	_, err = s.Prune(ctx)
	assert.NilError(t, err)
	got, err := s.Pull(ctx, "owner/auto:v1")
	assert.NilError(t, err)
	assert.Check(t, is.Equal(got, want))
	assert.Check(t, is.Len(notices, 2))
}
