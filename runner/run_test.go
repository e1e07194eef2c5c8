package runner

import (
	"bytes"
	"context"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

// runProbe runs the probe image for platform in the foreground with args
// and returns its exit code and output.
func runProbe(t *testing.T, r *Runtime, platform string, spec Spec) (int, string, string) {
	t.Helper()
	img := probeRootfs(t, platform)
	spec.AutoRemove = true
	st, err := r.CreateFrom(context.Background(), spec, img)
	assert.NilError(t, err)
	var out, errOut bytes.Buffer
	code, err := r.RunCreated(context.Background(), st.ID, Stdio{Stdout: &out, Stderr: &errOut})
	assert.NilError(t, err)
	return code, out.String(), errOut.String()
}

func TestRunNative(t *testing.T) {
	needContainers(t)
	r := newTestRuntime(t)
	code, out, errOut := runProbe(t, r, "linux/amd64", Spec{Cmd: []string{"arch"}})
	assert.Equal(t, code, 0, errOut)
	assert.Check(t, is.Equal(out, "amd64\n"))
}
