package snapshotter

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"gotest.tools/v3/assert"
	"gotest.tools/v3/poll"

	"github.com/crossdock/crossdock/internal/testhost"
)

// atHelperEnv makes the test binary act as another crossdock process:
// "stall:DIR" prepares a big layer and stalls half way, for
// TestSnapshotsKilled to kill; "prepare:DIR" prepares atSharedLayers.
const atHelperEnv = "CROSSDOCK_TEST_SNAPSHOTS_HELPER"

func TestSnapshotsHelperProcess(t *testing.T) {
	mode, dir, ok := strings.Cut(os.Getenv(atHelperEnv), ":")
	if !ok {
		return // only a helper for the tests below
	}
	if mode == "prepare" {
		if _, err := NewSnapshots(dir).Prepare(context.Background(), atSharedLayers(t)); err != nil {
			t.Fatal(err)
		}
		return
	}
	stall := func() { time.Sleep(time.Hour) }
	layer := atStallLayer{Layer: atBigLayer(t, 3, 64), after: 1 << 20, stall: stall}
	_, err := NewSnapshots(dir).Prepare(context.Background(), []v1.Layer{layer})
	t.Fatalf("the helper should have been killed; Prepare returned %v", err)
}

func atHelper(t *testing.T, mode, dir string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^TestSnapshotsHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), atHelperEnv+"="+mode+":"+dir)
	return cmd
}

func atSharedLayers(t testing.TB) []v1.Layer {
	return []v1.Layer{atBigLayer(t, 4, 32), atLayer(t, atFile("top", "t"))}
}

// TestSnapshotsProcesses prepares the same chain from three processes at
// once: all succeed, each chain is unpacked into one folder, and no
// temporary folder is left.
func TestSnapshotsProcesses(t *testing.T) {
	testhost.RequireRoot(t)
	dir := t.TempDir()
	var cmds []*exec.Cmd
	for range 3 {
		cmd := atHelper(t, "prepare", dir)
		assert.NilError(t, cmd.Start())
		cmds = append(cmds, cmd)
	}
	for _, cmd := range cmds {
		assert.NilError(t, cmd.Wait())
	}

	var names []string
	entries, err := os.ReadDir(dir)
	assert.NilError(t, err)
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	var want []string
	for _, c := range atChains(t, atSharedLayers(t)...) {
		want = append(want, snapName(c))
	}
	sort.Strings(want)
	assert.DeepEqual(t, names, want)
}

// TestSnapshotsKilled kills (SIGKILL) a process half way through Prepare:
// it leaves only a temporary folder, which the next Prepare removes before
// it unpacks the layer whole.
func TestSnapshotsKilled(t *testing.T) {
	testhost.RequireRoot(t)
	dir := t.TempDir()
	cmd := atHelper(t, "stall", dir)
	assert.NilError(t, cmd.Start())
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})

	poll.WaitOn(t, func(poll.LogT) poll.Result {
		tmps, _ := filepath.Glob(filepath.Join(dir, snapTmpPrefix+"*", "fs", "data", "f0001"))
		if len(tmps) > 0 {
			return poll.Success()
		}
		return poll.Continue("no file unpacked yet in %s", dir)
	}, poll.WithTimeout(time.Minute))
	assert.NilError(t, cmd.Process.Kill())
	_ = cmd.Wait()

	entries, err := os.ReadDir(dir)
	assert.NilError(t, err)
	var left []string
	for _, e := range entries {
		if e.IsDir() {
			left = append(left, e.Name())
		}
	}
	assert.Equal(t, len(left), 1, "folders: %v", left)
	assert.Assert(t, strings.HasPrefix(left[0], snapTmpPrefix), "folders: %v", left)

	dirs, err := NewSnapshots(dir).Prepare(context.Background(), []v1.Layer{atBigLayer(t, 3, 64)})
	assert.NilError(t, err)
	files, err := os.ReadDir(filepath.Join(dirs[0], "data"))
	assert.NilError(t, err)
	assert.Equal(t, len(files), 64)
	_, err = os.Stat(filepath.Join(dir, left[0]))
	assert.Assert(t, os.IsNotExist(err), "leftover %s not removed", left[0])
}
