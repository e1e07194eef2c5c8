package crosstest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/crossdock/crossdock/runner/stack"
)

// RunOption changes how Run runs a suite.
type RunOption func(*runOptions)

type runOptions struct {
	progress func(Event)
	project  string
	logLines int
}

// WithProgress sets a function called as tests start and end. By default
// nothing is reported until Run returns.
func WithProgress(f func(Event)) RunOption { return func(o *runOptions) { o.progress = f } }

// WithProject sets the stack's project name, which targets make unique per
// run. The default is the suite's name.
func WithProject(name string) RunOption { return func(o *runOptions) { o.project = name } }

// WithLogLines sets how many of a service's last log lines a failure
// shows. The default is 20.
func WithLogLines(n int) RunOption { return func(o *runOptions) { o.logLines = n } }

// Event is progress from Run: a stack coming up or going down, a test
// starting or ending (Result set).
type Event struct {
	Platform string
	What     string // "up", "test", "down"
	Test     string
	Result   *TestResult
}

// Run runs the suite on each target in turn (one stack per target; tests
// in order against it) and returns the report. It fails only when the
// suite's stack file can't be read; failing tests are in the report.
func Run(ctx context.Context, s *Suite, targets []Target, opts ...RunOption) (*Report, error) {
	o := runOptions{project: s.Name, logLines: 20}
	for _, opt := range opts {
		opt(&o)
	}
	if o.project == "" {
		o.project = "suite"
	}
	data, err := os.ReadFile(s.StackPath())
	if err != nil {
		return nil, fmt.Errorf("suite %s: stack: %w", s.Path, err)
	}
	stack := Stack{Path: s.StackPath(), Data: data, Env: s.Env, Project: o.project}

	r := &Report{Suite: s.Name, Path: s.Path}
	for _, t := range targets {
		r.Platforms = append(r.Platforms, t.Platform())
		r.Runs = append(r.Runs, runOn(ctx, s, t, stack, &o))
	}
	return r, nil
}

func runOn(ctx context.Context, s *Suite, t Target, stack Stack, o *runOptions) *PlatformRun {
	run := &PlatformRun{Platform: t.Platform(), Target: t.Describe(), Scale: s.Scale(t.Platform())}
	start := time.Now()
	defer func() { run.Duration = time.Since(start) }()
	emit := func(e Event) {
		e.Platform = t.Platform()
		if o.progress != nil {
			o.progress(e)
		}
	}

	emit(Event{What: "up"})
	upErr := t.Up(ctx, stack)
	defer func() {
		emit(Event{What: "down"})
		if err := t.Down(context.WithoutCancel(ctx)); err != nil {
			run.Error = joinNonEmpty(run.Error, "down: "+err.Error())
		}
	}()
	if upErr != nil {
		run.Error = "up: " + upErr.Error()
	}

	x := &executor{t: t, scale: run.Scale, platform: t.Platform(), logLines: o.logLines}
	for _, test := range s.Tests {
		emit(Event{What: "test", Test: test.Name})
		res := TestResult{Name: test.Name}
		began := time.Now()
		if upErr != nil {
			res.Failure = upFailure(t.Platform(), upErr)
		} else {
			res.Failure = x.runTest(ctx, test)
		}
		res.Passed = res.Failure == nil
		res.Duration = time.Since(began)
		run.Tests = append(run.Tests, res)
		emit(Event{What: "test", Test: test.Name, Result: &res})
	}
	return run
}

// upFailure is the failure every test gets when the stack did not come
// up, with the failing service's last lines when the error has them.
func upFailure(platform string, err error) *Failure {
	f := &Failure{Platform: platform, Step: "stack up", Expected: "the stack starts", Seen: err.Error()}
	var se *stack.ServiceError
	if errors.As(err, &se) {
		f.Service, f.Logs = se.Service, se.Logs
	}
	return f
}

// executor runs steps on one target.
type executor struct {
	t        Target
	scale    float64
	platform string
	logLines int
}

func (x *executor) runTest(ctx context.Context, test Test) *Failure {
	for i, st := range test.Steps {
		f := x.runStep(ctx, &st)
		if f == nil {
			continue
		}
		f.Platform = x.platform
		f.Index = i + 1
		f.Line = st.Line
		f.Kind = st.Kind()
		f.Step = st.Title()
		if f.Service != "" && f.Logs == nil {
			if lines, err := x.t.Logs(context.WithoutCancel(ctx), f.Service); err == nil {
				f.Logs = tail(lines, x.logLines)
			}
		}
		return f
	}
	return nil
}

func (x *executor) runStep(ctx context.Context, st *Step) *Failure {
	switch {
	case st.Wait != nil:
		return x.wait(ctx, st.Wait)
	case st.Exec != nil:
		return x.exec(ctx, st.Exec)
	case st.File != nil:
		return x.file(ctx, st.File)
	case st.Metadata != nil:
		return x.metadata(ctx, st.Metadata)
	case st.Count != nil:
		return x.count(ctx, st.Count)
	}
	return &Failure{Expected: "a known step", Seen: "an empty step"}
}

// timeout scales d (DefaultTimeout when 0) for the platform.
func (x *executor) timeout(d Duration) time.Duration {
	if d == 0 {
		d = Duration(DefaultTimeout)
	}
	return time.Duration(float64(d) * x.scale)
}

// within describes a scaled timeout for a failure message.
func (x *executor) within(d Duration) string {
	if d == 0 {
		d = Duration(DefaultTimeout)
	}
	if x.scale == 1 {
		return "within " + time.Duration(d).String()
	}
	return fmt.Sprintf("within %s (%s x%g on %s)", x.timeout(d), time.Duration(d), x.scale, x.platform)
}

func tail(lines []string, n int) []string {
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return append([]string{}, lines...)
}

// pollInterval is how often waits and counts look again.
const pollInterval = 200 * time.Millisecond

// pollUntil calls f until it reports done, it fails, or the timeout passes.
func pollUntil(ctx context.Context, timeout time.Duration, f func() (bool, error)) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		done, err := f()
		if done || err != nil {
			return done, err
		}
		select {
		case <-ctx.Done():
			return f()
		case <-tick.C:
		}
	}
}
