package snapshotter

import (
	"archive/tar"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/crossdock/crossdock/internal/errdefs"
	"github.com/crossdock/crossdock/internal/testhost"
)

// The L2 layer of /work/shared/cases/README.md, entry by entry.
var (
	atL2Escape = atFile("../../escape.txt", "e")
	atL2Abs    = atFile("/abs.txt", "a")
	atL2Link   = []atEnt{atSym("link", "/etc"), atFile("link/pwned", "p")}
	atL2Rel    = []atEnt{atSym("rel", "../../../../tmp"), atFile("rel/pwned2", "q")}
	atL2Hard   = atLink("hl", "../../outside")
)

// atL2Safe is what L2 leaves inside the root once the entries that climb
// out are taken away: the policy for symlink targets is to keep them as
// written, relative ones that climb out included, and to resolve every
// write through them inside the root, like a chroot would.
var atL2Safe = map[string]string{
	"abs.txt":    "file a",
	"etc":        "dir",
	"etc/pwned":  "file p",
	"link":       "symlink /etc",
	"rel":        "symlink ../../../../tmp",
	"tmp":        "dir",
	"tmp/pwned2": "file q",
}

func atL2Entries(escape, hard bool) []atEnt {
	var ents []atEnt
	if escape {
		ents = append(ents, atL2Escape)
	}
	ents = append(ents, atL2Abs)
	ents = append(ents, atL2Link...)
	ents = append(ents, atL2Rel...)
	if hard {
		ents = append(ents, atL2Hard)
	}
	return ents
}

// TestApplyL2 applies L2 as written, and with one climbing entry at a
// time, both merged and as a snapshot, in a sandbox whose every file is
// compared before and after: only the root may change.
func TestApplyL2(t *testing.T) {
	testhost.RequireRoot(t)
	for _, tc := range []struct {
		name      string
		ents      []atEnt
		wantEntry string // named in the error; "" for success
	}{
		{"as written", atL2Entries(true, true), `"../../escape.txt"`},
		{"hardlink target climbs out", atL2Entries(false, true), `"hl": hardlink target "../../outside"`},
		{"without climbing entries", atL2Entries(false, false), ""},
	} {
		t.Run(tc.name+"/merged", func(t *testing.T) {
			sandbox, root := atSandbox(t)
			before := atTree(t, sandbox)

			layer := atLayer(t, tc.ents...)
			err := flatApplyMerged(context.Background(), root, layer)

			atCheckL2Err(t, err, tc.wantEntry)
			atCheckOutside(t, sandbox, before)
			if tc.wantEntry == "" {
				assert.DeepEqual(t, atTree(t, root), atL2Safe)
			}
		})
		t.Run(tc.name+"/snapshot", func(t *testing.T) {
			sandbox, _ := atSandbox(t)
			dir := filepath.Join(sandbox, "x", "y", "snapshots")
			before := atTree(t, sandbox)

			layer := atLayer(t, tc.ents...)
			dirs, err := NewSnapshots(dir).Prepare(context.Background(), []v1.Layer{layer})

			atCheckL2Err(t, err, tc.wantEntry)
			if tc.wantEntry != "" {
				digest, _ := layer.Digest()
				assert.ErrorContains(t, err, digest.String())
				atCheckOutside(t, sandbox, before, "x/y/snapshots")
				atCheckNoSnapshot(t, dir)
				return
			}
			atCheckOutside(t, sandbox, before, "x/y/snapshots")
			assert.DeepEqual(t, atFlatten(t, dirs...), atL2Safe)
		})
	}
}

// atSandbox makes sandbox/x/y/root, with bait files where the climbing
// entries of L2 would land: sandbox/x/outside and sandbox/escape.txt's
// neighbour.
func atSandbox(t *testing.T) (sandbox, root string) {
	sandbox = t.TempDir()
	root = filepath.Join(sandbox, "x", "y", "root")
	assert.NilError(t, os.MkdirAll(root, 0o755))
	assert.NilError(t, os.WriteFile(filepath.Join(sandbox, "x", "outside"), []byte("bait"), 0o600))
	return sandbox, root
}

func atCheckL2Err(t *testing.T, err error, wantEntry string) {
	t.Helper()
	if wantEntry == "" {
		assert.NilError(t, err)
		return
	}
	assert.ErrorContains(t, err, wantEntry)
	assert.Assert(t, errors.Is(err, ErrEscapesRoot), "%v", err)
	assert.Assert(t, errors.Is(err, errdefs.ErrInvalid), "not marked as bad input: %v", err)
}

// atCheckOutside checks that nothing in the sandbox changed outside
// x/y/root and the folders named in also, and that the host paths L2 aims
// at were not created.
func atCheckOutside(t *testing.T, sandbox string, before map[string]string, also ...string) {
	t.Helper()
	after := atTree(t, sandbox)
	inside := append([]string{"x/y/root"}, also...)
	for _, m := range []map[string]string{before, after} {
		for p := range m {
			for _, in := range inside {
				if p == in || strings.HasPrefix(p, in+"/") {
					delete(m, p)
				}
			}
		}
	}
	assert.DeepEqual(t, after, before)
	for _, p := range []string{"/etc/pwned", "/tmp/pwned2", "/abs.txt", "/escape.txt"} {
		_, err := os.Lstat(p)
		assert.Assert(t, errors.Is(err, fs.ErrNotExist), "%s exists: L2 escaped the root", p)
	}
}

// atCheckNoSnapshot checks that a failed Prepare left no folder under a
// chain ID name and no temporary folder.
func atCheckNoSnapshot(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	assert.NilError(t, err)
	for _, e := range entries {
		assert.Check(t, is.Equal(e.IsDir(), false), "left behind: %s", e.Name())
	}
}

// TestApplyL2Kind tries more inputs of L2's kind: other ways to climb out,
// and writes, whiteouts and hardlinks through symlinks that point out.
func TestApplyL2Kind(t *testing.T) {
	testhost.RequireRoot(t)
	etc := []atEnt{atDir("etc/"), atFile("etc/passwd", "root:x:0:0")}
	for _, tc := range []struct {
		name      string
		layers    [][]atEnt
		wantEntry string            // named in the error, or "" for success
		want      map[string]string // the merged tree on success
	}{{
		// containerd cleans names before the guard sees them: the error
		// names the entry cleaned.
		name:      "dotdot in the middle of a name",
		layers:    [][]atEnt{{atFile("a/../../x", "x")}},
		wantEntry: `"../x"`,
	}, {
		name:      "dotdot folder entry",
		layers:    [][]atEnt{{atDir("../")}},
		wantEntry: `".."`,
	}, {
		name:      "relative hardlink target that climbs in the middle",
		layers:    [][]atEnt{{atFile("f", "f"), atLink("hl", "a/../../f")}},
		wantEntry: `"hl": hardlink target "a/../../f"`,
	}, {
		// An absolute path cannot climb above its root: /../y is /y.
		name:   "absolute name with dotdot",
		layers: [][]atEnt{{atFile("/../../y", "y"), atLink("hl", "/../y")}},
		want:   map[string]string{"hl": "file y", "y": "file y link=hl"},
	}, {
		name:   "whiteout through a symlink to /etc",
		layers: [][]atEnt{etc, {atSym("link", "/etc")}, {atWhiteout("link/passwd")}},
		want:   map[string]string{"etc": "dir", "link": "symlink /etc"},
	}, {
		name:   "hardlink through a symlink to /etc",
		layers: [][]atEnt{etc, {atSym("link", "/etc"), atLink("copy", "link/passwd")}},
		want: map[string]string{
			"copy": "file root:x:0:0", "etc": "dir",
			"etc/passwd": "file root:x:0:0 link=copy", "link": "symlink /etc",
		},
	}, {
		name:   "device node and fifo through a symlink to /dev",
		layers: [][]atEnt{{atSym("d", "/dev")}, {atDev(tar.TypeChar, "d/crossdock-null", 1, 3), atDev(tar.TypeFifo, "d/crossdock-fifo", 0, 0)}},
		want: map[string]string{
			"d": "symlink /dev", "dev": "dir",
			"dev/crossdock-fifo": "fifo", "dev/crossdock-null": "char 1:3 mode=0666",
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			sandbox, root := atSandbox(t)
			before := atTree(t, sandbox)
			layers := atLayers(t, atCase{layers: tc.layers})
			dirs, snapErr := NewSnapshots(filepath.Join(sandbox, "snaps")).Prepare(context.Background(), layers)
			var err error
			for _, l := range layers {
				if err = flatApplyMerged(context.Background(), root, l); err != nil {
					break
				}
			}

			atCheckL2Err(t, err, tc.wantEntry)
			atCheckL2Err(t, snapErr, tc.wantEntry)
			atCheckOutside(t, sandbox, before, "snaps")
			for _, p := range []string{"/dev/crossdock-null", "/dev/crossdock-fifo"} {
				_, err := os.Lstat(p)
				assert.Assert(t, errors.Is(err, fs.ErrNotExist), "%s exists: escaped the root", p)
			}
			if tc.wantEntry == "" {
				assert.DeepEqual(t, atTree(t, root), tc.want)
				assert.DeepEqual(t, atFlatten(t, dirs...), tc.want)
			}
		})
	}
}
