package main

import (
	"os"
	"path/filepath"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

// prune keeps the layers of every container, running or stopped, even
// after rmi of its image; once the containers are removed, prune frees them.
func TestPruneKeepsContainerLayers(t *testing.T) {
	crossdockBinary(t)
	root := cliRoot(t)
	storeProbe(t, root, "amd64")

	mustRun(t, root, "run", "-d", "--name", "busy", "robot/probe:amd64", "sleep")
	mustRun(t, root, "run", "--name", "done", "robot/probe:amd64", "exit", "0")
	mustRun(t, root, "rmi", "robot/probe:amd64")
	mustRun(t, root, "prune")

	snaps, err := os.ReadDir(filepath.Join(root, "snapshots"))
	assert.NilError(t, err)
	assert.Check(t, countDirs(snaps) > 0, "prune removed the snapshots of live containers")
	res := mustRun(t, root, "exec", "busy", "/probe", "arch")
	assert.Check(t, is.Contains(res.stdout, "amd64"))
	mustRun(t, root, "start", "done") // its rootfs mounts again
	mustRun(t, root, "rm", "-f", "busy", "done")

	mustRun(t, root, "prune")
	snaps, err = os.ReadDir(filepath.Join(root, "snapshots"))
	assert.NilError(t, err)
	assert.Check(t, is.Equal(countDirs(snaps), 0), "snapshots left after the containers went")
}

func countDirs(ents []os.DirEntry) int {
	n := 0
	for _, e := range ents {
		if e.IsDir() {
			n++
		}
	}
	return n
}
