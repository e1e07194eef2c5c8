package crosstest

import (
	"bytes"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

// A test that passes on one platform and fails on the other is marked in
// the table and listed by Differing.
func TestReportMarksDifferences(t *testing.T) {
	fail := &Failure{Platform: "linux/arm/v7", Index: 1, Line: 9, Kind: "count", Step: "count listener /hello/",
		Service: "listener", Expected: "at least 45 lines", Seen: "12 lines in 2m0s", Logs: []string{"received: hello 12"}}
	r := &Report{Suite: "ros", Path: "suite.yaml", Platforms: []string{"linux/arm/v7", "linux/amd64"},
		Runs: []*PlatformRun{
			{Platform: "linux/arm/v7", Tests: []TestResult{
				{Name: "ready", Passed: true, Duration: time.Second},
				{Name: "rate", Failure: fail, Duration: 2 * time.Minute}}},
			{Platform: "linux/amd64", Tests: []TestResult{
				{Name: "ready", Passed: true, Duration: time.Second},
				{Name: "rate", Passed: true, Duration: 5 * time.Second}}},
		}}
	assert.Check(t, !r.Passed())
	assert.DeepEqual(t, r.Differing(), []string{"rate"})

	var b bytes.Buffer
	assert.NilError(t, r.WriteText(&b))
	out := b.String()
	assert.Check(t, is.Contains(out, "rate     FAIL 2m0s     ok   5s      <- differs between platforms"), out)
	assert.Check(t, is.Contains(out, "FAIL rate on linux/arm/v7, step 1 (count listener /hello/, line 9)"))
	assert.Check(t, is.Contains(out, "    | received: hello 12"))
}
