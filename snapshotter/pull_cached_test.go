package snapshotter

import (
	"context"
	"os"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

// A blob already in the store is reused only if its size matches, and
// with WithVerifyCached only if it hashes to its name; otherwise it is
// fetched again.
func TestPullRefetchesBadCachedBlobs(t *testing.T) {
	ctx := context.Background()
	addr := startEmbedded(t)
	img, err := random.Image(4096, 2)
	assert.NilError(t, err)
	ref := addr + "/owner/cached:v1"
	r, err := name.ParseReference(ref)
	assert.NilError(t, err)
	assert.NilError(t, remote.Write(r, img))

	s := openTemp(t)
	_, err = s.Pull(ctx, ref)
	assert.NilError(t, err)
	layers, err := img.Layers()
	assert.NilError(t, err)
	truncated, _ := layers[0].Digest()
	flipped, _ := layers[1].Digest()
	corrupt := func(h v1.Hash, f func([]byte) []byte) {
		p := s.blobPath(h)
		data, err := os.ReadFile(p)
		assert.NilError(t, err)
		assert.NilError(t, os.Chmod(p, 0o644))
		assert.NilError(t, os.WriteFile(p, f(data), 0o644))
	}
	corrupt(truncated, func(b []byte) []byte { return b[:len(b)/2] })
	corrupt(flipped, func(b []byte) []byte { b[10] ^= 0xff; return b })

	pull := func(opts ...PullOption) map[v1.Hash]bool {
		var mu sync.Mutex
		cached := map[v1.Hash]bool{}
		opts = append(opts, WithPullProgress(func(p Progress) {
			if p.Done {
				mu.Lock()
				cached[p.Digest] = p.Cached
				mu.Unlock()
			}
		}))
		_, err := s.Pull(ctx, ref, opts...)
		assert.NilError(t, err)
		return cached
	}
	cached := pull()
	assert.Check(t, !cached[truncated], "a blob of the wrong size was reused")
	assert.Check(t, cached[flipped], "without --verify a blob of the right size is trusted")
	bad, err := s.Verify(ctx, false)
	assert.NilError(t, err)
	assert.Check(t, is.DeepEqual(bad, []v1.Hash{flipped}))

	cached = pull(WithVerifyCached())
	assert.Check(t, !cached[flipped], "--verify reused a corrupt blob")
	bad, err = s.Verify(ctx, false)
	assert.NilError(t, err)
	assert.Check(t, is.Len(bad, 0))
}
