package crosstest

import (
	"errors"
	"testing"
	"time"

	"gotest.tools/v3/assert"

	"github.com/crossdock/crossdock/internal/errdefs"
)

func TestLoadSuite(t *testing.T) {
	s, err := Load("testdata/pair/suite.yaml")
	assert.NilError(t, err)
	assert.DeepEqual(t, s.Platforms, []string{"linux/amd64", "linux/arm/v7"})
	assert.Equal(t, s.Scale("linux/arm/v7"), 4.0)
	assert.Equal(t, s.Scale("linux/amd64"), 1.0)
	assert.Equal(t, s.StackPath(), "testdata/pair/compose.yaml")
	assert.Equal(t, len(s.Tests), 6)
	w := s.Tests[0].Steps[0]
	assert.Equal(t, w.Kind(), "wait")
	assert.Equal(t, w.Line, 11)
	assert.Equal(t, time.Duration(w.Wait.Timeout), 10*time.Second)
	assert.Equal(t, *s.Tests[2].Steps[1].Exec.ExitCode, 3)
}

func TestParseRejects(t *testing.T) {
	const head = "name: x\nstack: compose.yaml\nplatforms: [linux/amd64]\n"
	cases := []struct{ name, suite, want string }{
		{"unknown key", head + "tests:\n  - name: a\n    steps:\n      - wait: {service: s, log: x, tmeout: 1s}\n",
			"field tmeout not found"},
		{"two kinds", head + "tests:\n  - name: a\n    steps:\n      - wait: {service: s, log: x}\n        exec: {service: s, cmd: [a]}\n",
			"s.yaml:7: test \"a\": a step has exactly one of"},
		{"two waits", head + "tests:\n  - name: a\n    steps:\n      - wait: {service: s, log: x, port: 1}\n",
			"s.yaml:7: test \"a\": wait: set exactly one of log, port, health"},
		{"bad regexp", head + "tests:\n  - name: a\n    steps:\n      - count: {service: s, log: \"(\", min: 1}\n",
			"count.log: regexp"},
		{"bad duration", head + "tests:\n  - name: a\n    steps:\n      - wait: {service: s, log: x, timeout: soon}\n",
			`duration "soon"`},
		{"attestation platform", "name: x\nstack: c.yaml\nplatforms: [unknown/unknown]\ntests: []\n",
			"attestation entries are not run"},
		{"no stack", "name: x\nplatforms: [linux/amd64]\n", "no stack"},
		{"bad scale", head + "timeout_scale: {linux/arm: 0}\ntests: []\n", "want a factor above 0"},
		{"duplicate test", head + "tests:\n  - name: a\n    steps: [{wait: {service: s, log: x}}]\n  - name: a\n    steps: [{wait: {service: s, log: x}}]\n",
			"unique name"},
		{"file source", head + "tests:\n  - name: a\n    steps:\n      - file: {path: /x}\n",
			"file: needs path and one of service, image"},
		{"bad mode", head + "tests:\n  - name: a\n    steps:\n      - file: {image: i, path: /x, mode: rwx}\n",
			`file.mode "rwx"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("s.yaml", []byte(tc.suite))
			assert.ErrorContains(t, err, tc.want)
		})
	}
	_, err := Load("testdata/missing.yaml")
	assert.Check(t, errors.Is(err, errdefs.ErrInvalid))
}

func TestNormalizePlatform(t *testing.T) {
	for in, want := range map[string]string{
		"linux/arm": "linux/arm/v7", "linux/arm/v7": "linux/arm/v7",
		"linux/amd64": "linux/amd64", "linux/arm64": "linux/arm64",
	} {
		got, err := NormalizePlatform(in)
		assert.NilError(t, err)
		assert.Equal(t, got, want, in)
	}
}
