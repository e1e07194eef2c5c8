package snapshotter

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/crossdock/crossdock/internal/errdefs"
	"github.com/crossdock/crossdock/internal/testhost"
)

func TestChainIDs(t *testing.T) {
	a := v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("a", 64)}
	b := v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("b", 64)}
	second := sha256.Sum256([]byte(a.String() + " " + b.String()))
	third := sha256.Sum256([]byte(fmt.Sprintf("sha256:%x %s", second, a)))

	got := ChainIDs([]v1.Hash{a, b, a})

	assert.DeepEqual(t, got, []v1.Hash{
		a,
		{Algorithm: "sha256", Hex: fmt.Sprintf("%x", second)},
		{Algorithm: "sha256", Hex: fmt.Sprintf("%x", third)},
	})
}

// TestSnapshotsShared checks that two images with a common base share its
// snapshot, that a second Prepare reuses what is there, and that Prune
// removes only what is not kept.
func TestSnapshotsShared(t *testing.T) {
	testhost.RequireRoot(t)
	ctx := context.Background()
	s := NewSnapshots(t.TempDir())
	base := atLayer(t, atDir("etc/"), atFile("etc/os-release", "debian"))
	appA := atLayer(t, atFile("app", "A"))
	appB := atLayer(t, atFile("app", "B"), atWhiteout("etc/os-release"))

	dirsA, err := s.Prepare(ctx, []v1.Layer{base, appA})
	assert.NilError(t, err)
	marker := filepath.Join(filepath.Dir(dirsA[0]), snapDoneFile)
	before, err := os.Stat(marker)
	assert.NilError(t, err)
	dirsB, err := s.Prepare(ctx, []v1.Layer{base, appB})
	assert.NilError(t, err)

	assert.Equal(t, dirsA[0], dirsB[0], "the base layer is one snapshot")
	assert.Assert(t, dirsA[1] != dirsB[1])
	after, err := os.Stat(marker)
	assert.NilError(t, err)
	assert.Assert(t, os.SameFile(before, after), "the shared snapshot was unpacked again")
	assert.DeepEqual(t, atFlatten(t, dirsA...), map[string]string{
		"app": "file A", "etc": "dir", "etc/os-release": "file debian"})
	assert.DeepEqual(t, atFlatten(t, dirsB...), map[string]string{"app": "file B", "etc": "dir"})

	keepB := map[v1.Hash]bool{}
	for _, c := range atChains(t, base, appB) {
		keepB[c] = true
	}
	removed, err := s.Prune(ctx, keepB)
	assert.NilError(t, err)
	assert.DeepEqual(t, removed, atChains(t, base, appA)[1:])
	_, err = os.Stat(dirsA[1])
	assert.Assert(t, errors.Is(err, os.ErrNotExist))
	assert.DeepEqual(t, atFlatten(t, dirsB...), map[string]string{"app": "file B", "etc": "dir"})
}

func atChains(t *testing.T, layers ...v1.Layer) []v1.Hash {
	t.Helper()
	var diffIDs []v1.Hash
	for _, l := range layers {
		d, err := l.DiffID()
		assert.NilError(t, err)
		diffIDs = append(diffIDs, d)
	}
	return ChainIDs(diffIDs)
}

// atLyingLayer claims a diffID its content does not have.
type atLyingLayer struct{ v1.Layer }

func (atLyingLayer) DiffID() (v1.Hash, error) {
	return v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("0", 64)}, nil
}

func TestSnapshotsDiffIDMismatch(t *testing.T) {
	testhost.RequireRoot(t)
	dir := t.TempDir()
	layer := atLyingLayer{atLayer(t, atFile("f", "content"))}

	_, err := NewSnapshots(dir).Prepare(context.Background(), []v1.Layer{layer})

	assert.Assert(t, errors.Is(err, ErrDiffIDMismatch), "%v", err)
	assert.Assert(t, errors.Is(err, errdefs.ErrInvalid), "not marked as bad input: %v", err)
	digest, _ := layer.Digest()
	assert.ErrorContains(t, err, digest.String())
	atCheckNoSnapshot(t, dir)
}

// atBigLayer is a layer of n files of 64 KiB pseudo-random bytes, the same
// for the same seed (in this process and in a helper process).
func atBigLayer(t testing.TB, seed uint64, n int) v1.Layer {
	t.Helper()
	rnd := rand.New(rand.NewPCG(seed, seed))
	ents := []atEnt{atDir("data/")}
	for i := range n {
		b := make([]byte, 64<<10)
		for j := range b {
			b[j] = byte(rnd.Uint32())
		}
		ents = append(ents, atFile(fmt.Sprintf("data/f%04d", i), string(b)))
	}
	return atLayer(t, ents...)
}

// atStallLayer's uncompressed stream calls stall once after the first
// `after` bytes, then goes on.
type atStallLayer struct {
	v1.Layer
	after int64
	stall func()
}

func (l atStallLayer) Uncompressed() (io.ReadCloser, error) {
	rc, err := l.Layer.Uncompressed()
	if err != nil {
		return nil, err
	}
	return &atStallReader{ReadCloser: rc, left: l.after, stall: l.stall}, nil
}

type atStallReader struct {
	io.ReadCloser
	left  int64
	stall func()
}

func (r *atStallReader) Read(p []byte) (int, error) {
	if r.left <= 0 && r.stall != nil {
		r.stall()
		r.stall = nil
	}
	if int64(len(p)) > r.left && r.left > 0 {
		p = p[:r.left]
	}
	n, err := r.ReadCloser.Read(p)
	r.left -= int64(n)
	return n, err
}

// TestSnapshotsCancelled cancels a Prepare half way through a layer: no
// folder may be left under a chain ID name, and the next Prepare works.
func TestSnapshotsCancelled(t *testing.T) {
	testhost.RequireRoot(t)
	dir := t.TempDir()
	big := atBigLayer(t, 1, 64)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stalled := atStallLayer{Layer: big, after: 1 << 20, stall: cancel}

	_, err := NewSnapshots(dir).Prepare(ctx, []v1.Layer{stalled})

	assert.Assert(t, errors.Is(err, context.Canceled), "%v", err)
	atCheckNoSnapshot(t, dir)
	dirs, err := NewSnapshots(dir).Prepare(context.Background(), []v1.Layer{big})
	assert.NilError(t, err)
	names, err := os.ReadDir(filepath.Join(dirs[0], "data"))
	assert.NilError(t, err)
	assert.Check(t, is.Len(names, 64))
}

// TestSnapshotsConcurrent prepares the same chain from several goroutines,
// each with its own Snapshots (its own lock files, as two processes would
// have): all succeed and see the same folders.
func TestSnapshotsConcurrent(t *testing.T) {
	testhost.RequireRoot(t)
	dir := t.TempDir()
	layers := []v1.Layer{atBigLayer(t, 2, 16), atLayer(t, atFile("top", "t"))}

	var wg sync.WaitGroup
	results := make([][]string, 4)
	errs := make([]error, 4)
	for i := range results {
		wg.Go(func() {
			results[i], errs[i] = NewSnapshots(dir).Prepare(context.Background(), layers)
		})
	}
	wg.Wait()

	for i := range results {
		assert.NilError(t, errs[i])
		assert.DeepEqual(t, results[i], results[0])
	}
	entries, err := os.ReadDir(dir)
	assert.NilError(t, err)
	for _, e := range entries {
		assert.Assert(t, !strings.HasPrefix(e.Name(), snapTmpPrefix), "left behind: %s", e.Name())
	}
}
