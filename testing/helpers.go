package crosstest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"gotest.tools/v3/assert"
	"gotest.tools/v3/assert/cmp"
	"gotest.tools/v3/poll"

	"github.com/crossdock/crossdock/runner"
	"github.com/crossdock/crossdock/runner/stack"
)

// TestingT is the part of *testing.T the helpers use.
type TestingT interface {
	assert.TestingT
	poll.TestingT
	Helper()
	Cleanup(func())
	Name() string
}

// StackOption changes how StartStack runs a stack.
type StackOption func(*stackOptions)

type stackOptions struct {
	platform string
	root     string
	env      map[string]string
	rt       stack.Runtime
	images   runner.ImageSource
}

// OnPlatform runs the stack for platform, such as linux/arm/v7 (emulated
// on x86). The default is the host's platform.
func OnPlatform(p string) StackOption { return func(o *stackOptions) { o.platform = p } }

// WithRoot uses the crossdock store at root. The default is
// $CROSSDOCK_ROOT, else /var/lib/crossdock, as the CLI's.
func WithRoot(root string) StackOption { return func(o *stackOptions) { o.root = root } }

// WithStackEnv sets the variables ${VAR} in the stack file expand to. By
// default there are none (the host's environment is never read).
func WithStackEnv(env map[string]string) StackOption { return func(o *stackOptions) { o.env = env } }

// WithRuntime runs containers on rt and reads images from images, instead
// of a runtime on the store whose init and shim are the crossdock binary
// found on PATH.
func WithRuntime(rt stack.Runtime, images runner.ImageSource) StackOption {
	return func(o *stackOptions) { o.rt, o.images = rt, images }
}

// Running is a stack started by StartStack, taken down when the test ends.
type Running struct {
	target *Local
}

// StartStack brings the stack file up for the test and takes it down
// (containers, namespaces, volumes) in the test's cleanup. It fails the
// test at once if the stack does not come up.
func StartStack(t TestingT, path string, opts ...StackOption) *Running {
	t.Helper()
	o := stackOptions{root: os.Getenv("CROSSDOCK_ROOT")}
	for _, opt := range opts {
		opt(&o)
	}
	if o.root == "" {
		o.root = "/var/lib/crossdock"
	}
	if o.rt == nil {
		var ropts []runner.Option
		if bin, err := exec.LookPath("crossdock"); err == nil {
			ropts = append(ropts, runner.WithHelperBinary(bin))
		}
		rt, err := runner.New(o.root, ropts...)
		assert.NilError(t, err)
		o.rt, o.images = rt, StoreImages(o.root)
	}
	data, err := os.ReadFile(path)
	assert.NilError(t, err)
	r := &Running{target: NewLocal(stack.New(o.rt, o.root), o.images, o.platform)}
	project := strings.ToLower(filepath.Base(t.Name()))
	err = r.target.Up(context.Background(), Stack{Path: path, Data: data, Env: o.env, Project: project})
	assert.NilError(t, err, "stack %s", path)
	t.Cleanup(func() {
		if err := r.target.Down(context.Background()); err != nil {
			t.Log(err)
		}
	})
	return r
}

// Target returns the target the stack runs on, for checks the helpers
// lack.
func (r *Running) Target() Target { return r.target }

// WaitForLog waits until service prints a line matching the regexp, and
// fails the test with the service's last lines if it does not in time.
func (r *Running) WaitForLog(t TestingT, service, expr string, timeout time.Duration) {
	t.Helper()
	re := regexp.MustCompile(expr)
	poll.WaitOn(t, func(poll.LogT) poll.Result {
		lines, err := r.target.Logs(context.Background(), service)
		if err != nil {
			return poll.Error(err)
		}
		for _, l := range lines {
			if re.MatchString(l) {
				return poll.Success()
			}
		}
		return poll.Continue("%s printed no line matching /%s/; last lines:\n%s",
			service, expr, strings.Join(tail(lines, 10), "\n"))
	}, poll.WithTimeout(timeout), poll.WithDelay(pollInterval))
}

// WaitForPort waits until service accepts TCP connections on port.
func (r *Running) WaitForPort(t TestingT, service string, port int, timeout time.Duration) {
	t.Helper()
	poll.WaitOn(t, func(poll.LogT) poll.Result {
		open, err := r.target.PortOpen(context.Background(), service, port)
		if err != nil {
			return poll.Error(err)
		}
		if open {
			return poll.Success()
		}
		return poll.Continue("%s: port %d/tcp not open", service, port)
	}, poll.WithTimeout(timeout), poll.WithDelay(pollInterval))
}

// Exec runs cmd in service and returns what it did; it fails the test only
// if the command could not run at all.
func (r *Running) Exec(t TestingT, service string, cmd ...string) ExecResult {
	t.Helper()
	res, err := r.target.Exec(context.Background(), service, cmd)
	assert.NilError(t, err, "exec %q in %s", cmd, service)
	return res
}

// Logs returns the lines service printed so far.
func (r *Running) Logs(t TestingT, service string) []string {
	t.Helper()
	lines, err := r.target.Logs(context.Background(), service)
	assert.NilError(t, err)
	return lines
}

// Succeeded is a comparison for assert.Check: the command exited 0.
func Succeeded(res ExecResult) cmp.Comparison {
	return ExitCode(res, 0)
}

// ExitCode is a comparison for assert.Check: the command exited with code.
func ExitCode(res ExecResult, code int) cmp.Comparison {
	return func() cmp.Result {
		if res.ExitCode == code {
			return cmp.ResultSuccess
		}
		return cmp.ResultFailure(fmt.Sprintf("exit code %d, want %d\nstdout: %s\nstderr: %s",
			res.ExitCode, code, clip(res.Stdout), clip(res.Stderr)))
	}
}

// LinesMatching is a comparison for assert.Check: at least min of lines
// match the regexp.
func LinesMatching(lines []string, expr string, min int) cmp.Comparison {
	return func() cmp.Result {
		re, err := regexp.Compile(expr)
		if err != nil {
			return cmp.ResultFailure(err.Error())
		}
		n := 0
		for _, l := range lines {
			if re.MatchString(l) {
				n++
			}
		}
		if n >= min {
			return cmp.ResultSuccess
		}
		return cmp.ResultFailure(fmt.Sprintf("%d lines match /%s/, want at least %d", n, expr, min))
	}
}
