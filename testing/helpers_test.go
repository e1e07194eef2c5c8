package crosstest

import (
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/crossdock/crossdock/internal/stacktest"
)

// The Go helpers, as a user's test would call them, on the stackapp stack.
func TestStartStack(t *testing.T) {
	rt, images, root := stacktest.Runtime(t)
	s := StartStack(t, "testdata/pair/compose.yaml", WithRoot(root), WithRuntime(rt, images),
		WithStackEnv(map[string]string{"IMAGE": stacktest.Image}))

	s.WaitForLog(t, "client", "got hello from server:7000", 30*time.Second)
	s.WaitForPort(t, "server", 7000, 10*time.Second)
	res := s.Exec(t, "server", "/app", "exit", "4")
	assert.Check(t, ExitCode(res, 4))
	assert.Check(t, !Succeeded(res)().Success())
	assert.Check(t, is.Contains(res.Stdout, "exiting with 4"))
	s.WaitForLog(t, "counter", "^tick 50$", 30*time.Second)
	assert.Check(t, LinesMatching(s.Logs(t, "counter"), "^tick [0-9]+$", 50))
	assert.Check(t, !LinesMatching(s.Logs(t, "counter"), "^tick [0-9]+$", 51)().Success())
}
