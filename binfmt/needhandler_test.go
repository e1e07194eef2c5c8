package binfmt_test

import (
	"os/exec"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/crossdock/crossdock/internal/testhost"
)

// NeedHandler leaves the host able to run an ARMv7 binary.
func TestNeedHandlerRunsARM(t *testing.T) {
	prog := buildProg(t, "arm", "7")
	testhost.NeedHandler(t, "arm")

	out, err := exec.Command(prog, "x").CombinedOutput()
	assert.NilError(t, err, "%s", out)
	assert.Check(t, is.Contains(string(out), "machine=armv7l"))
}
