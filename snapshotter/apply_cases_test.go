package snapshotter

import (
	"archive/tar"
	"bytes"
	"context"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"gotest.tools/v3/assert"

	"github.com/crossdock/crossdock/internal/testhost"
)

// atCase is a multi-layer image and the merged tree it must give, whichever
// way it is unpacked: merged apply, overlay-form snapshots flattened,
// FlattenLayers, or an overlayfs mount of the snapshots.
type atCase struct {
	name   string
	layers [][]atEnt
	want   map[string]string
}

func atCases() []atCase {
	l1Base := []atEnt{atDir("a/"), atDir("a/b/"), atFile("a/b/foo", "x"), atFile("c/bar", "y")}
	return []atCase{{
		name:   "L1 opaque folder hides the lower subtree",
		layers: [][]atEnt{l1Base, {atDir("a/"), atOpaque("a/")}},
		want:   map[string]string{"a": "dir", "c": "dir", "c/bar": "file y"},
	}, {
		name:   "opaque marker after files of its own layer",
		layers: [][]atEnt{l1Base, {atDir("a/"), atFile("a/new", "n"), atOpaque("a/")}},
		want:   map[string]string{"a": "dir", "a/new": "file n", "c": "dir", "c/bar": "file y"},
	}, {
		name:   "opaque marker before files of its own layer",
		layers: [][]atEnt{l1Base, {atOpaque("a/"), atDir("a/b/"), atFile("a/b/new", "n")}},
		want:   map[string]string{"a": "dir", "a/b": "dir", "a/b/new": "file n", "c": "dir", "c/bar": "file y"},
	}, {
		name:   "opaque marker after files in a folder it made implicitly",
		layers: [][]atEnt{l1Base, {atFile("a/b/new", "n"), atFile("a/sub/deep", "d"), atOpaque("a/")}},
		want: map[string]string{
			"a": "dir", "a/b": "dir", "a/b/new": "file n", "a/sub": "dir", "a/sub/deep": "file d",
			"c": "dir", "c/bar": "file y",
		},
	}, {
		name: "whiteout after its own layer's folder of that name",
		layers: [][]atEnt{
			{atDir("w/"), atFile("w/old", "o"), atFile("f", "lower")},
			{atDir("w/"), atFile("w/new", "n"), atWhiteout("w"), atFile("f", "upper"), atWhiteout("f")},
		},
		want: map[string]string{"f": "file upper", "w": "dir", "w/new": "file n"},
	}, {
		name: "whiteout before its own layer's folder of that name",
		layers: [][]atEnt{
			{atDir("w/"), atFile("w/old", "o")},
			{atWhiteout("w"), atDir("w/"), atFile("w/new", "n")},
		},
		want: map[string]string{"w": "dir", "w/new": "file n"},
	}, {
		name: "opaque marker in a folder whited out earlier in its layer",
		layers: [][]atEnt{
			{atDir("w/"), atFile("w/old", "o")},
			{atWhiteout("w"), atOpaque("w/"), atFile("w/new", "n")},
		},
		want: map[string]string{"w": "dir", "w/new": "file n"},
	}, {
		name:   "opaque marker at the top of the tree",
		layers: [][]atEnt{l1Base, {atOpaque(""), atFile("only", "o")}},
		want:   map[string]string{"only": "file o"},
	}, {
		name: "nested whiteouts, then a file put back",
		layers: [][]atEnt{
			{atDir("d/"), atDir("d/e/"), atFile("d/e/f", "1"), atFile("d/e/g", "2"), atFile("d/h", "3"), atFile("top", "4")},
			{atWhiteout("d/e/f"), atWhiteout("d/h")},
			{atWhiteout("d/e/g"), atWhiteout("top"), atFile("d/e/f", "again")},
		},
		want: map[string]string{"d": "dir", "d/e": "dir", "d/e/f": "file again"},
	}, {
		name: "whiteout of a folder, then the folder made anew",
		layers: [][]atEnt{
			{atDir("x/"), atDir("x/y/"), atFile("x/y/z", "1"), atFile("keep", "k")},
			{atWhiteout("x")},
			{atDir("x/"), atFile("x/new", "2")},
		},
		want: map[string]string{"keep": "file k", "x": "dir", "x/new": "file 2"},
	}, {
		name: "hardlinks within a layer and to a lower layer's file",
		layers: [][]atEnt{
			// A hardlink header carries its target's mode, as tar writers
			// record it; containerd applies it to the shared inode.
			{atDir("bin/"), atMode(atFile("bin/busybox", "bb"), 0o4755), atMode(atLink("bin/ls", "bin/busybox"), 0o4755)},
			{atMode(atLink("bin/sh", "bin/busybox"), 0o4755), atMode(atLink("/sh2", "/bin/ls"), 0o4755)},
		},
		want: map[string]string{
			"bin":         "dir",
			"bin/busybox": "file bb mode=4755",
			"bin/ls":      "file bb mode=4755 link=bin/busybox",
			"bin/sh":      "file bb mode=4755 link=bin/busybox",
			"sh2":         "file bb mode=4755 link=bin/busybox",
		},
	}, {
		name: "hardlink through a lower layer's symlinked folder",
		layers: [][]atEnt{
			{atDir("usr/"), atDir("usr/lib/"), atFile("usr/lib/libc.so", "c"), atSym("lib", "usr/lib")},
			{atLink("libc2.so", "lib/libc.so")},
		},
		want: map[string]string{
			"lib":             "symlink usr/lib",
			"libc2.so":        "file c",
			"usr":             "dir",
			"usr/lib":         "dir",
			"usr/lib/libc.so": "file c link=libc2.so",
		},
	}, {
		name: "symlink chain climbing out is resolved inside the root",
		layers: [][]atEnt{
			{atSym("l1", "l2"), atSym("l2", "../.."), atFile("l1/x", "x")},
		},
		want: map[string]string{"l1": "symlink l2", "l2": "symlink ../..", "x": "file x"},
	}, {
		name: "a symlink replaces a folder in the middle of a layer",
		layers: [][]atEnt{
			{atDir("y/")},
			{atFile("x/a", "1"), atSym("x", "y"), atFile("x/b", "2")},
		},
		want: map[string]string{"x": "symlink y", "y": "dir", "y/b": "file 2"},
	}, {
		name: "a folder made implicitly where a whiteout of the same layer stood",
		layers: [][]atEnt{
			{atDir("d/"), atFile("d/old", "o")},
			{atWhiteout("d"), atFile("d/x", "1")},
		},
		want: map[string]string{"d": "dir", "d/x": "file 1"},
	}, {
		name: "dotdot inside a symlink target",
		layers: [][]atEnt{
			{atDir("a/"), atSym("s", "a/../../../etc"), atFile("s/f", "f")},
		},
		want: map[string]string{"a": "dir", "etc": "dir", "etc/f": "file f", "s": "symlink a/../../../etc"},
	}, {
		name: "write through a lower layer's symlink (two-archive pattern)",
		layers: [][]atEnt{
			{atSym("link", "/etc"), atSym("up", "../../..")},
			{atFile("link/pwned", "p"), atDir("up/tmp/"), atFile("up/tmp/pwned2", "q")},
		},
		want: map[string]string{
			"etc": "dir", "etc/pwned": "file p", "link": "symlink /etc",
			"tmp": "dir", "tmp/pwned2": "file q", "up": "symlink ../../..",
		},
	}, {
		name: "ownership, modes, mtimes, xattrs, devices and fifos",
		layers: [][]atEnt{
			{atOwner(atMode(atDir("srv/"), 0o1777), 1000, 100), atDir("dev/"), atDir("run/"),
				atOwner(atMode(atFile("srv/suid", "s"), 0o6755), 1000, 1000),
				atTime(atFile("srv/old", "o"), time.Unix(1000000000, 0)),
				atXattr(atFile("srv/tagged", "t"), "user.note", "hi"),
				atDev(tar.TypeChar, "dev/null", 1, 3), atDev(tar.TypeFifo, "run/fifo", 0, 0)},
			{atOwner(atMode(atFile("srv/suid2", "s2"), 0o2711), 7, 8)},
		},
		want: map[string]string{
			"dev": "dir", "dev/null": "char 1:3 mode=0666",
			"run": "dir", "run/fifo": "fifo",
			"srv":        "dir mode=1777 owner=1000:100",
			"srv/old":    "file o mtime=1000000000",
			"srv/suid":   "file s mode=6755 owner=1000:1000",
			"srv/suid2":  "file s2 mode=2711 owner=7:8",
			"srv/tagged": "file t xattr:user.note=hi",
		},
	}, {
		name: "a folder made implicitly keeps the lower folder's owner and mode",
		layers: [][]atEnt{
			{atOwner(atMode(atDir("home/"), 0o750), 5, 6), atOwner(atMode(atDir("home/u/"), 0o700), 5, 6)},
			{atFile("home/u/.profile", "p")},
		},
		want: map[string]string{
			"home": "dir mode=0750 owner=5:6", "home/u": "dir mode=0700 owner=5:6",
			"home/u/.profile": "file p",
		},
	}, {
		name:   "L2 without its climbing entries",
		layers: [][]atEnt{atL2Entries(false, false)},
		want:   atL2Safe,
	}, {
		name: "folder replaced by a file and a file by a folder",
		layers: [][]atEnt{
			{atDir("d/"), atFile("d/inner", "1"), atFile("f", "2")},
			{atFile("d", "now a file"), atDir("f/"), atFile("f/inner", "3")},
			{atWhiteout("d"), atDir("d/"), atFile("d/last", "4")},
		},
		want: map[string]string{"d": "dir", "d/last": "file 4", "f": "dir", "f/inner": "file 3"},
	}}
}

func atMode(e atEnt, mode int64) atEnt {
	e.hdr.Mode = mode
	return e
}

func atOwner(e atEnt, uid, gid int) atEnt {
	e.hdr.Uid, e.hdr.Gid = uid, gid
	return e
}

func atTime(e atEnt, mtime time.Time) atEnt {
	e.hdr.ModTime = mtime
	return e
}

func atXattr(e atEnt, key, value string) atEnt {
	e.hdr.PAXRecords = map[string]string{"SCHILY.xattr." + key: value}
	return e
}

func atDev(typ byte, name string, major, minor int64) atEnt {
	mode := int64(0o644)
	if typ == tar.TypeChar {
		mode = 0o666
	}
	return atEnt{hdr: tar.Header{Name: name, Typeflag: typ, Mode: mode, Devmajor: major, Devminor: minor}}
}

func atLayers(t testing.TB, tc atCase) []v1.Layer {
	t.Helper()
	var layers []v1.Layer
	for _, ents := range tc.layers {
		layers = append(layers, atLayer(t, ents...))
	}
	return layers
}

// TestApplyCases unpacks each case three ways and checks that every way
// gives the wanted tree: a merged apply; overlay-form snapshots flattened
// to one tar; FlattenLayers. TestSnapshotsOverlayMount adds a fourth.
func TestApplyCases(t *testing.T) {
	testhost.RequireRoot(t) // whiteout devices and trusted.* xattrs
	ctx := context.Background()
	for _, tc := range atCases() {
		t.Run(tc.name, func(t *testing.T) {
			layers := atLayers(t, tc)

			merged := atApplyMerged(t, layers...)
			assert.DeepEqual(t, atTree(t, merged), tc.want)

			dirs, err := NewSnapshots(t.TempDir()).Prepare(ctx, layers)
			assert.NilError(t, err)
			assert.DeepEqual(t, atFlatten(t, dirs...), tc.want)

			var buf bytes.Buffer
			assert.NilError(t, FlattenLayers(ctx, layers, &buf))
			assert.DeepEqual(t, atTarTree(t, &buf), tc.want)
		})
	}
}

// TestApplyUnderAFile checks that a layer writing below a name that a
// lower layer holds as a file fails in both forms, as a write to the
// mounted overlay would, naming the entry.
func TestApplyUnderAFile(t *testing.T) {
	testhost.RequireRoot(t)
	ctx := context.Background()
	layers := atLayers(t, atCase{layers: [][]atEnt{{atFile("d", "file")}, {atFile("d/x", "1")}}})

	root := t.TempDir()
	assert.NilError(t, flatApplyMerged(ctx, root, layers[0]))
	err := flatApplyMerged(ctx, root, layers[1])
	assert.ErrorContains(t, err, "not a directory")

	_, err = NewSnapshots(t.TempDir()).Prepare(ctx, layers)
	assert.ErrorContains(t, err, `entry "d/x"`)
	assert.ErrorContains(t, err, "not a directory")
}
