package main

import (
	"os"
	"path/filepath"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

// One unreadable state file breaks nothing but its own container: ps lists
// it as broken and warns, other commands carry on, rm -f removes it.
func TestBrokenStateFile(t *testing.T) {
	crossdockBinary(t)
	root := cliRoot(t)
	storeProbe(t, root, "amd64")
	mustRun(t, root, "run", "--name", "torn", "robot/probe:amd64", "exit", "0")
	ents, err := os.ReadDir(filepath.Join(root, "containers"))
	assert.NilError(t, err)
	var id string
	for _, e := range ents {
		if e.IsDir() {
			id = e.Name()
		}
	}
	assert.Assert(t, id != "")
	assert.NilError(t, os.WriteFile(filepath.Join(root, "containers", id, "state.json"), []byte("{broken"), 0o600))

	res := mustRun(t, root, "ps", "-a")
	assert.Check(t, is.Contains(res.stdout, "Broken"))
	assert.Check(t, is.Contains(res.stderr, "warning: container "+id))
	res = mustRun(t, root, "run", "--rm", "robot/probe:amd64", "echo", "hi")
	assert.Check(t, is.Equal(res.stdout, "[hi]\n"))
	mustRun(t, root, "volume", "create", "v")
	mustRun(t, root, "volume", "rm", "v")
	mustRun(t, root, "rm", "-f", id[:12])
	assert.Check(t, is.Equal(mustRun(t, root, "ps", "-a", "-q").stdout, ""))
	_, err = os.Stat(filepath.Join(root, "containers", id))
	assert.Check(t, os.IsNotExist(err))
}
