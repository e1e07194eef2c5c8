package crosstest

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/crossdock/crossdock/internal/stacktest"
	"github.com/crossdock/crossdock/runner/stack"
)

func TestMain(m *testing.M) {
	code := m.Run()
	stacktest.Cleanup()
	os.Exit(code)
}

// localTargets returns a Local target per platform, on one runtime with
// the stackapp image.
func localTargets(t *testing.T, platforms ...string) []Target {
	t.Helper()
	rt, images, root := stacktest.Runtime(t)
	stacks := stack.New(rt, root)
	var out []Target
	for _, p := range platforms {
		stacktest.NeedPlatform(t, p)
		out = append(out, NewLocal(stacks, images, p))
	}
	return out
}

// The example suite passes on amd64 natively and on arm/v7 under
// emulation, and every step kind is exercised.
func TestSuitePassesOnBothPlatforms(t *testing.T) {
	s, err := Load("testdata/pair/suite.yaml")
	assert.NilError(t, err)
	r, err := Run(context.Background(), s, localTargets(t, s.Platforms...))
	assert.NilError(t, err)

	var text bytes.Buffer
	assert.NilError(t, r.WriteText(&text))
	assert.Assert(t, r.Passed(), text.String())
	assert.Check(t, is.Contains(text.String(), "PASS: 6 tests on linux/amd64, linux/arm/v7"))
	assert.Check(t, is.Len(r.Differing(), 0))
	for _, run := range r.Runs {
		assert.Check(t, is.Equal(run.Error, ""))
		assert.Check(t, is.Len(run.Tests, 6))
	}
}

const failingSuite = `
name: wrong
stack: pair/compose.yaml
platforms: [linux/amd64, linux/arm/v7]
env: {IMAGE: stackapp}
tests:
  - name: server ready
    steps:
      - wait: {service: server, health: healthy}
  - name: wrong greeting
    steps:
      - wait: {service: server, log: listening}
      - exec: {service: server, cmd: [/app, exists, /tmp/ready], stdout_contains: goodbye}
`

// A wrong expectation fails with a report that names the step, the
// platform, what was expected and seen, and the service's last log lines;
// the JUnit XML parses back with the same verdicts.
func TestFailingSuiteReport(t *testing.T) {
	path := filepath.Join("testdata", "wrong.yaml")
	s, err := Parse(path, []byte(failingSuite))
	assert.NilError(t, err)
	r, err := Run(context.Background(), s, localTargets(t, s.Platforms...))
	assert.NilError(t, err)
	assert.Assert(t, !r.Passed())

	for _, run := range r.Runs {
		assert.Check(t, run.Tests[0].Passed, "%+v", run.Tests[0].Failure)
		f := run.Tests[1].Failure
		assert.Assert(t, f != nil)
		assert.Check(t, is.Equal(f.Platform, run.Platform))
		assert.Check(t, is.Equal(f.Index, 2))
		assert.Check(t, is.Equal(f.Line, 13))
		assert.Check(t, is.Equal(f.Kind, "exec"))
		assert.Check(t, is.Equal(f.Expected, `stdout contains "goodbye"`))
		assert.Check(t, is.Contains(f.Seen, "exit code 0\nstdout: ready"))
		assert.Check(t, is.Contains(strings.Join(f.Logs, "\n"), "listening on 7000 as server"))
	}

	var text bytes.Buffer
	assert.NilError(t, r.WriteText(&text))
	out := text.String()
	for _, want := range []string{
		"FAIL wrong greeting on linux/arm/v7, step 2 (exec server [\"/app\" \"exists\" \"/tmp/ready\"], line 13)",
		"FAIL wrong greeting on linux/amd64, step 2",
		`expected: stdout contains "goodbye"`,
		"seen:     exit code 0",
		"log lines of server:\n    | listening on 7000 as server",
		"\nFAIL\n",
	} {
		assert.Check(t, is.Contains(out, want))
	}

	var junit bytes.Buffer
	assert.NilError(t, r.WriteJUnit(&junit))
	var parsed junitSuites
	assert.NilError(t, xml.Unmarshal(junit.Bytes(), &parsed), junit.String())
	assert.Equal(t, parsed.Tests, 4)
	assert.Equal(t, parsed.Failures, 2)
	assert.Equal(t, len(parsed.Suites), 2)
	for _, su := range parsed.Suites {
		assert.Check(t, su.Cases[0].Failure == nil)
		assert.Assert(t, su.Cases[1].Failure != nil)
		assert.Check(t, is.Contains(su.Cases[1].Failure.Message, `expected stdout contains "goodbye"`))
		assert.Check(t, is.Contains(su.Cases[1].Failure.Text, "listening on 7000"))
	}

	var js bytes.Buffer
	assert.NilError(t, r.WriteJSON(&js))
	var back Report
	assert.NilError(t, json.Unmarshal(js.Bytes(), &back))
	assert.DeepEqual(t, back.Runs[1].Tests[1].Failure, r.Runs[1].Tests[1].Failure)
}

// A platform's timeout_scale stretches its timeouts, and the failure says
// so.
func TestTimeoutScale(t *testing.T) {
	suite := `
name: scaled
stack: pair/compose.yaml
platforms: [linux/amd64]
timeout_scale: {linux/amd64: 3}
env: {IMAGE: stackapp}
tests:
  - name: never
    steps:
      - wait: {service: counter, log: "no such line", timeout: 1s}
`
	s, err := Parse(filepath.Join("testdata", "scaled.yaml"), []byte(suite))
	assert.NilError(t, err)
	r, err := Run(context.Background(), s, localTargets(t, s.Platforms...))
	assert.NilError(t, err)
	res := r.Runs[0].Tests[0]
	assert.Assert(t, res.Failure != nil)
	assert.Check(t, is.Equal(res.Failure.Expected,
		"a log line matching /no such line/ within 3s (1s x3 on linux/amd64)"))
	assert.Check(t, res.Duration >= 3*time.Second, "waited %s, want the scaled 3s", res.Duration)
	assert.Check(t, is.Contains(res.Failure.Seen, "no match in"))
}
