package main

import (
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

// exec reports a command it cannot run as run does: 127 naming a command
// not found, 126 for one not executable, the command's code otherwise.
func TestExecMissingCommand(t *testing.T) {
	crossdockBinary(t)
	root := cliRoot(t)
	storeProbe(t, root, "amd64")
	mustRun(t, root, "run", "-d", "--name", "ex", "robot/probe:amd64", "sleep")
	defer crossdock(t, root, "rm", "-f", "ex")

	res, err := crossdock(t, root, "exec", "ex", "nosuchcmd", "arg")
	assert.NilError(t, err)
	assert.Check(t, is.Equal(res.code, 127), res.stderr)
	assert.Check(t, is.Contains(res.stderr, "nosuchcmd"))
	assert.Check(t, is.Contains(res.stderr, "executable file not found"))

	mustRun(t, root, "exec", "ex", "/probe", "write", "/maps/data", "x")
	res, err = crossdock(t, root, "exec", "ex", "/maps/data")
	assert.NilError(t, err)
	assert.Check(t, is.Equal(res.code, 126), res.stderr)
	assert.Check(t, is.Contains(res.stderr, "/maps/data"))

	res, err = crossdock(t, root, "exec", "ex", "/probe", "exit", "5")
	assert.NilError(t, err)
	assert.Check(t, is.Equal(res.code, 5), res.stderr)
	mustRun(t, root, "rm", "-f", "ex")
}
