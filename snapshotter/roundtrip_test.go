package snapshotter

import (
	"context"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/random"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

// A two-platform index pushed to a real registry and pulled back into
// another store keeps every digest, on the embedded registry and on
// distribution's.
func TestPushPullKeepsDigests(t *testing.T) {
	registries := map[string]func(*testing.T) string{
		"embedded":     startEmbedded,
		"distribution": startDistribution,
	}
	for name, start := range registries {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			addr := start(t)
			idx := twoPlatformIndex(t, 4096, 2)
			want := digests(t, idx)

			src := openTemp(t)
			_, err := src.WriteIndex(ctx, "owner/app:v1", idx)
			assert.NilError(t, err)
			ref := addr + "/owner/app:v1"
			assert.NilError(t, src.Push(ctx, "owner/app:v1", WithTarget(ref)))

			dst := openTemp(t)
			h, err := dst.Pull(ctx, ref, WithAllPlatforms())
			assert.NilError(t, err)
			assert.Check(t, is.Equal("index "+h.String(), want[0]))
			got, err := dst.Index(ctx, ref)
			assert.NilError(t, err)
			assert.DeepEqual(t, digests(t, got), want)

			bad, err := dst.Verify(ctx, false)
			assert.NilError(t, err)
			assert.Check(t, is.Len(bad, 0))

			// And back again from the pulled copy: still the same index.
			assert.NilError(t, dst.Push(ctx, ref, WithTarget(addr+"/owner/copy:v1")))
			again := openTemp(t)
			h2, err := again.Pull(ctx, addr+"/owner/copy:v1", WithAllPlatforms())
			assert.NilError(t, err)
			assert.Check(t, is.Equal(h2, h))
		})
	}
}

// Pulling one platform stores the index and that platform only; the
// image for the other platform is reported as not pulled, and pushing the
// incomplete index is refused.
func TestPullOnePlatform(t *testing.T) {
	ctx := context.Background()
	addr := startEmbedded(t)
	idx := twoPlatformIndex(t, 1024, 1)
	src := openTemp(t)
	_, err := src.WriteIndex(ctx, addr+"/owner/app:v1", idx)
	assert.NilError(t, err)
	assert.NilError(t, src.Push(ctx, addr+"/owner/app:v1"))

	dst := openTemp(t)
	_, err = dst.Pull(ctx, addr+"/owner/app:v1", WithPlatform("linux/arm"))
	assert.NilError(t, err)
	img, err := dst.Image(ctx, addr+"/owner/app:v1", "linux/arm/v7")
	assert.NilError(t, err)
	cf, err := img.ConfigFile()
	assert.NilError(t, err)
	assert.Check(t, is.Equal(cf.Architecture, "arm"))

	_, err = dst.Image(ctx, addr+"/owner/app:v1", "linux/amd64")
	assert.Check(t, is.ErrorContains(err, "was not pulled"))
	list, err := dst.List(ctx)
	assert.NilError(t, err)
	assert.Assert(t, is.Len(list, 1))
	assert.Check(t, is.Len(list[0].Platforms, 1))
	assert.Check(t, is.Len(list[0].Missing, 1))
	err = dst.Push(ctx, addr+"/owner/app:v1", WithTarget(addr+"/owner/other:v1"))
	assert.Check(t, is.ErrorContains(err, "linux/amd64"))

	_, err = dst.Pull(ctx, addr+"/owner/app:v1", WithPlatform("linux/riscv64"))
	assert.Check(t, is.ErrorContains(err, "linux/riscv64"))
	assert.Check(t, is.ErrorContains(err, "linux/amd64, linux/arm/v7"))
}

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
