package main

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

// runCLI runs crossdock in-process and returns its exit code and output.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), args, strings.NewReader(""), &stdout, &stderr)
	code := report(err, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestExitCodes(t *testing.T) {
	cases := []struct {
		name string
		args []string
		code int
		out  string // substring of stdout
		err  string // substring of stderr
	}{
		{name: "no command", args: nil, code: 2, out: "commands:", err: "no command given"},
		{name: "help", args: []string{"--help"}, code: 0, out: "version"},
		{name: "unknown command", args: []string{"frobnicate"}, code: 2, err: `unknown command "frobnicate"`},
		{name: "unknown flag", args: []string{"version", "--nope"}, code: 2, err: "unknown flag: --nope"},
		{name: "extra argument", args: []string{"version", "x"}, code: 2, err: "takes no arguments"},
		{name: "version", args: []string{"version"}, code: 0, out: "crossdock "},
		{name: "bad log format", args: []string{"version", "--log-format", "xml"}, code: 2, err: `"xml"`},
		{name: "globals before the command", args: []string{"--debug", "--root", "/nonexistent",
			"--log-format=json", "version"}, code: 0, out: "crossdock "},
		{name: "unknown global", args: []string{"--nope", "version"}, code: 2, err: `"--nope"`},
		{name: "global without value", args: []string{"--root"}, code: 2, err: "needs an argument"},
		{name: "help for a command", args: []string{"help", "version"}, code: 0,
			out: "usage: crossdock version"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, tc.args...)
			assert.Equal(t, code, tc.code, "stdout: %s\nstderr: %s", out, errOut)
			assert.Check(t, is.Contains(out, tc.out))
			assert.Check(t, is.Contains(errOut, tc.err))
		})
	}
}

// Every command, and every subcommand of a group, has help with a usage
// line and an example.
func TestEveryCommandHasHelpAndExample(t *testing.T) {
	for name, newCmd := range commands {
		var walk func(path []string, c *command)
		walk = func(path []string, c *command) {
			if len(c.subs) > 0 {
				for _, s := range c.subs {
					walk(append(path, s.name), s)
				}
				return
			}
			args := append(append([]string{}, path...), "--help")
			code, out, errOut := runCLI(t, args...)
			assert.Equal(t, code, 0, "%v: %s", args, errOut)
			assert.Check(t, is.Contains(out, "usage: crossdock "), "%v", args)
			assert.Check(t, is.Contains(out, "example:\n  "), "%v has no example", args)
		}
		walk([]string{name}, newCmd())
	}
}

func TestCompletionScriptsParse(t *testing.T) {
	for _, sh := range []string{"bash", "zsh"} {
		code, out, errOut := runCLI(t, "completion", sh)
		assert.Equal(t, code, 0, errOut)
		assert.Check(t, is.Contains(out, "complete -F _crossdock crossdock"))
		for name := range commands {
			assert.Check(t, is.Contains(out, name))
		}
		if sh == "bash" {
			cmd := exec.Command("bash", "-n")
			cmd.Stdin = strings.NewReader(out)
			b, err := cmd.CombinedOutput()
			assert.NilError(t, err, "bash -n: %s", b)
		}
	}
	code, _, errOut := runCLI(t, "completion", "fish")
	assert.Equal(t, code, 2)
	assert.Check(t, is.Contains(errOut, `"fish"`))
}
