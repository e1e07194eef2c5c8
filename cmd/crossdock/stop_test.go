package main

import (
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

// stop of several containers stops them at the same time: two containers
// that ignore SIGTERM, stopped with -t 2, are killed together, not one
// timeout after the other.
func TestStopInParallel(t *testing.T) {
	crossdockBinary(t)
	root := cliRoot(t)
	storeProbe(t, root, "amd64")
	for _, n := range []string{"a", "b"} {
		mustRun(t, root, "run", "-d", "--name", n, "robot/probe:amd64", "ignore-term")
		waitFor(t, func() bool { return strings.Contains(mustRun(t, root, "logs", n).stdout, "ignoring") })
	}
	res := mustRun(t, root, "stop", "-t", "2", "a", "b")
	assert.Check(t, is.Equal(res.stdout, "a\nb\n"))
	finished := map[string]time.Time{}
	for _, n := range []string{"a", "b"} {
		var st struct {
			Status   string
			ExitCode int
			Finished time.Time
		}
		assert.NilError(t, json.Unmarshal([]byte(mustRun(t, root, "inspect", n).stdout), &st))
		assert.Check(t, is.Equal(st.ExitCode, 137))
		finished[n] = st.Finished
	}
	// One after the other, b would end a whole timeout (2 s) after a.
	gap := finished["b"].Sub(finished["a"]).Abs()
	assert.Check(t, gap < 2*time.Second, "b ended %v after a", gap)
	mustRun(t, root, "rm", "a", "b")
}

// A container that cannot start because its host port is taken stays
// created, with the reason, as Docker's does.
func TestPortTakenStaysCreated(t *testing.T) {
	crossdockBinary(t)
	root := cliRoot(t)
	storeProbe(t, root, "amd64")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	assert.NilError(t, err)
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port

	res, err := crossdock(t, root, "run", "-d", "--name", "busy", "-p",
		fmt.Sprintf("127.0.0.1:%d:80", port), "robot/probe:amd64", "sleep")
	assert.NilError(t, err)
	assert.Check(t, res.code != 0)
	assert.Check(t, is.Contains(res.stderr, fmt.Sprint(port)))
	res = mustRun(t, root, "ps", "-a")
	assert.Check(t, is.Contains(res.stdout, "Created"), res.stdout)
	assert.Check(t, !strings.Contains(res.stdout, "Exited"), res.stdout)
	var st struct{ Status, Error string }
	assert.NilError(t, json.Unmarshal([]byte(mustRun(t, root, "inspect", "busy").stdout), &st))
	assert.Check(t, is.Equal(st.Status, "created"))
	assert.Check(t, is.Contains(st.Error, fmt.Sprint(port)))
	mustRun(t, root, "rm", "busy")
}
