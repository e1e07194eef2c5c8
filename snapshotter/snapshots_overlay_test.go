package snapshotter

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/sys/unix"
	"gotest.tools/v3/assert"

	"github.com/crossdock/crossdock/internal/testhost"
)

// TestSnapshotsOverlayMount mounts each case's snapshots as the runner
// does (overlayfs, lowerdir = the snapshots, top first, plus a writable
// upper folder) and checks that the merged view is the wanted tree and the
// same as Flatten's tar.
func TestSnapshotsOverlayMount(t *testing.T) {
	testhost.RequireRoot(t)
	ctx := context.Background()
	for _, tc := range atCases() {
		t.Run(tc.name, func(t *testing.T) {
			dirs, err := NewSnapshots(atMountableDir(t)).Prepare(ctx, atLayers(t, tc))
			assert.NilError(t, err)

			merged := atMountOverlay(t, dirs)

			assert.DeepEqual(t, atTree(t, merged), tc.want)
			assert.DeepEqual(t, atFlatten(t, dirs...), atTree(t, merged))
		})
	}
}

// atMountOverlay mounts dirs (lowest first) with an empty upper folder and
// unmounts it when the test ends.
func atMountOverlay(t *testing.T, dirs []string) string {
	t.Helper()
	work := atMountableDir(t)
	upper, wd, merged := filepath.Join(work, "upper"), filepath.Join(work, "work"), filepath.Join(work, "merged")
	for _, d := range []string{upper, wd, merged} {
		assert.NilError(t, os.Mkdir(d, 0o755))
	}
	lower := make([]string, len(dirs))
	for i, d := range dirs {
		lower[len(dirs)-1-i] = d
	}
	opts := "lowerdir=" + strings.Join(lower, ":") + ",upperdir=" + upper + ",workdir=" + wd
	if err := unix.Mount("overlay", merged, "overlay", 0, opts); err != nil {
		t.Fatalf("mount overlay (%s): %v", opts, err)
	}
	t.Cleanup(func() {
		if err := unix.Unmount(merged, 0); err != nil {
			t.Errorf("unmount %s: %v", merged, err)
		}
	})
	return merged
}

// atMountableDir is a temporary folder whose path holds no ',' or ':',
// which overlayfs options cannot carry unescaped (t.TempDir's path holds
// the test's name).
func atMountableDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "crossdock-overlay-")
	assert.NilError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// TestApplyFolderTimes checks that a folder keeps the mtime of its tar
// entry though its content is written after it, in overlay form, merged,
// and in the flattened tar.
func TestApplyFolderTimes(t *testing.T) {
	testhost.RequireRoot(t)
	ctx := context.Background()
	mtime := time.Unix(1234567890, 0)
	layers := []v1.Layer{
		atLayer(t, atTime(atDir("d/"), mtime), atFile("d/f", "1"), atDir("d/sub/"), atFile("d/sub/g", "2")),
		atLayer(t, atTime(atDir("d/"), mtime.Add(time.Hour)), atFile("d/h", "3")),
	}

	merged := atApplyMerged(t, layers...)
	dirs, err := NewSnapshots(atMountableDir(t)).Prepare(ctx, layers)
	assert.NilError(t, err)

	for _, p := range []string{filepath.Join(dirs[0], "d"), filepath.Join(merged, "d")} {
		fi, err := os.Stat(p)
		assert.NilError(t, err)
		want := mtime
		if strings.HasPrefix(p, merged) {
			want = mtime.Add(time.Hour)
		}
		assert.Assert(t, fi.ModTime().Equal(want), "%s: mtime %v, want %v", p, fi.ModTime(), want)
	}
	fi, err := os.Stat(filepath.Join(dirs[1], "d"))
	assert.NilError(t, err)
	assert.Assert(t, fi.ModTime().Equal(mtime.Add(time.Hour)), "top snapshot: %v", fi.ModTime())
	view, err := os.Stat(filepath.Join(atMountOverlay(t, dirs), "d"))
	assert.NilError(t, err)
	assert.Assert(t, view.ModTime().Equal(mtime.Add(time.Hour)), "overlay view: %v", view.ModTime())
}
