package crosstest_test

import (
	"context"
	"os"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	crosstest "github.com/crossdock/crossdock/testing"
)

// A user's own test of the ROS example on emulated ARM: start the stack,
// wait for the master, let the nodes talk, and check what they did. (The
// function is named like a test so the example shows a whole test; a file
// of yours would call it TestROS.)
func ExampleStartStack() {
	var t *testing.T // in a real test, the *testing.T
	s := crosstest.StartStack(t, "examples/ros/compose.yaml",
		crosstest.OnPlatform("linux/arm/v7"))

	s.WaitForPort(t, "roscore", 11311, 4*time.Minute)
	s.WaitForLog(t, "talker", "^sent: hello 50$", 4*time.Minute)
	assert.Check(t, crosstest.LinesMatching(s.Logs(t, "listener"), "^received: hello", 45))

	res := s.Exec(t, "roscore", "rostopic", "list")
	assert.Check(t, crosstest.Succeeded(res))
	assert.Check(t, is.Contains(res.Stdout, "/chatter"))
}

// Running a suite file on two platforms and printing the report, as
// `crossdock test` does.
func ExampleRun() {
	s, err := crosstest.Load("examples/ros/suite.yaml")
	if err != nil {
		panic(err)
	}
	var targets []crosstest.Target // crosstest.NewLocal(...) per platform
	r, err := crosstest.Run(context.Background(), s, targets)
	if err != nil {
		panic(err)
	}
	_ = r.WriteText(os.Stdout)
}
