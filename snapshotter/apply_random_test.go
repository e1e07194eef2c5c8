package snapshotter

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/crossdock/crossdock/internal/testhost"
)

// TestApplyRandomStacks builds stacks of layers from random whiteouts,
// opaque markers, folders and files (of random modes and owners), symlinks (pointing in, out, up and
// absolute) and hardlinks, and checks that a merged apply, the overlay-form
// snapshots flattened, and (for a part of them) an overlayfs mount of the
// snapshots all give the same tree, or all fail.
func TestApplyRandomStacks(t *testing.T) {
	testhost.RequireRoot(t)
	for seed := range uint64(100) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { atCheckRandom(t, seed) })
	}
}

// atCheckRandom checks the random stack of seed.
func atCheckRandom(t *testing.T, seed uint64) {
	tc := atRandomCase(seed)
	layers := atLayers(t, tc)
	ctx := context.Background()

	root := t.TempDir()
	var mergedErr error
	for _, l := range layers {
		if mergedErr = flatApplyMerged(ctx, root, l); mergedErr != nil {
			break
		}
	}
	dirs, snapErr := NewSnapshots(atMountableDir(t)).Prepare(ctx, layers)
	if mergedErr != nil || snapErr != nil {
		assert.Assert(t, mergedErr != nil && snapErr != nil,
			"one form failed alone: merged: %v; snapshots: %v\n%s", mergedErr, snapErr, atDump(tc))
		return
	}

	want := atTree(t, root)
	assert.Assert(t, is.DeepEqual(atFlatten(t, dirs...), want), atDump(tc))
	if seed%4 == 0 {
		assert.Assert(t, is.DeepEqual(atTree(t, atMountOverlay(t, dirs)), want), atDump(tc))
	}
	for p := range want {
		assert.Assert(t, !strings.Contains(p, ".wh."), "%s in the tree", p)
	}
}

func atRandomCase(seed uint64) atCase {
	rnd := rand.New(rand.NewPCG(seed, 7))
	dirs := []string{"a", "b", "a/c", "b/d", "a/c/e"}
	names := []string{"f", "g", "a", "b", "c"}
	targets := []string{"a", "../b", "/a/c", "../../..", "c/../..", "/", "nowhere"}
	pick := func(s []string) string { return s[rnd.IntN(len(s))] }
	pickMode := func(m ...int64) int64 { return m[rnd.IntN(len(m))] }
	path := func() string {
		if rnd.IntN(4) == 0 {
			return pick(names)
		}
		return pick(dirs) + "/" + pick(names)
	}

	var tc atCase
	var files []string
	for range 2 + rnd.IntN(3) {
		var ents []atEnt
		for range 3 + rnd.IntN(10) {
			switch r := rnd.IntN(100); {
			case r < 15:
				d := atMode(atDir(pick(dirs)+"/"), pickMode(0o755, 0o700, 0o1777))
				ents = append(ents, atOwner(d, rnd.IntN(2)*1000, 0))
			case r < 50:
				p := path()
				f := atMode(atFile(p, fmt.Sprint(rnd.IntN(1000))), pickMode(0o644, 0o600, 0o4755))
				ents = append(ents, atOwner(f, rnd.IntN(2)*1000, 0))
				files = append(files, p)
			case r < 62:
				ents = append(ents, atWhiteout(path()))
			case r < 70:
				ents = append(ents, atOpaque(pick(dirs)))
			case r < 85:
				ents = append(ents, atSym(path(), pick(targets)))
			case len(files) > 0:
				ents = append(ents, atLink(path(), pick(files)))
			}
		}
		tc.layers = append(tc.layers, ents)
	}
	return tc
}

func atDump(tc atCase) string {
	var b strings.Builder
	for i, ents := range tc.layers {
		fmt.Fprintf(&b, "layer %d:\n", i)
		for _, e := range ents {
			fmt.Fprintf(&b, "  %c %s -> %s %q\n", e.hdr.Typeflag, e.hdr.Name, e.hdr.Linkname, e.body)
		}
	}
	return b.String()
}
