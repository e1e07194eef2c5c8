package crosstest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/crossdock/crossdock/internal/errdefs"
	"github.com/crossdock/crossdock/runner"
	"github.com/crossdock/crossdock/runner/stack"
)

// Local is a Target on this machine: stacks run with runc, a foreign
// platform's binaries under qemu-user through binfmt_misc.
type Local struct {
	stacks   *stack.Stacks
	images   runner.ImageSource
	platform string

	mu     sync.Mutex
	cache  map[string]runner.Image // images read for File and ImageConfig, by reference
	st     *stack.Stack
	cancel context.CancelFunc // stops the supervisor
	done   chan struct{}
}

// NewLocal returns a target that runs stacks for platform with stacks,
// reading image files and configs from images (the same source the
// runtime uses).
func NewLocal(stacks *stack.Stacks, images runner.ImageSource, platform string) *Local {
	return &Local{stacks: stacks, images: images, platform: platform}
}

// Describe returns "local".
func (l *Local) Describe() string { return "local" }

// Platform returns the platform the target runs stacks for.
func (l *Local) Platform() string { return l.platform }

// Stack returns the running stack's record, or nil before Up.
func (l *Local) Stack() *stack.Stack {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.st
}

var unsafeName = regexp.MustCompile(`[^a-z0-9_-]+`)

// Up loads the stack file with only the given variables and starts it under
// a project name made unique for this run, then supervises restart
// policies until Down.
func (l *Local) Up(ctx context.Context, s Stack) error {
	f, err := stack.Load(ctx, s.Path, stack.WithEnv(s.Env))
	if err != nil {
		return err
	}
	project, err := uniqueProject(s.Project, l.platform)
	if err != nil {
		return err
	}
	st, err := l.stacks.Up(ctx, project, f, stack.WithPlatform(l.platform))
	if err != nil {
		return err
	}
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		l.stacks.Supervise(sctx, st, nil)
	}()
	l.mu.Lock()
	l.st, l.cancel, l.done = st, cancel, done
	l.mu.Unlock()
	return nil
}

// uniqueProject makes a project name that no other run uses: the given
// name, the architecture, and random hex.
func uniqueProject(name, platform string) (string, error) {
	b := make([]byte, 3)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	arch := strings.ReplaceAll(strings.TrimPrefix(platform, "linux/"), "/", "")
	p := unsafeName.ReplaceAllString(strings.ToLower(name), "-")
	p = strings.Trim(p, "-_")
	if len(p) > 30 {
		p = p[:30]
	}
	if p == "" {
		p = "suite"
	}
	return p + "-" + arch + "-" + hex.EncodeToString(b), nil
}

// Down stops supervising and removes the stack with its volumes.
func (l *Local) Down(ctx context.Context) error {
	l.mu.Lock()
	st, cancel, done := l.st, l.cancel, l.done
	l.st = nil
	l.mu.Unlock()
	if st == nil {
		return nil
	}
	cancel()
	<-done
	return l.stacks.Down(ctx, st.Project, true)
}

// image returns an image for the target's platform, read once per
// reference for the target's life.
func (l *Local) image(ctx context.Context, ref string) (runner.Image, error) {
	l.mu.Lock()
	img, ok := l.cache[ref]
	l.mu.Unlock()
	if ok {
		return img, nil
	}
	img, err := l.images.Image(ctx, ref, l.platform)
	if err != nil {
		return runner.Image{}, err
	}
	l.mu.Lock()
	if l.cache == nil {
		l.cache = map[string]runner.Image{}
	}
	l.cache[ref] = img
	l.mu.Unlock()
	return img, nil
}

func (l *Local) running() (*stack.Stack, error) {
	st := l.Stack()
	if st == nil {
		return nil, errdefs.Invalid(fmt.Errorf("target %s: no stack is up", l.platform))
	}
	return st, nil
}

// Exec runs cmd in a service and collects its output.
func (l *Local) Exec(ctx context.Context, service string, cmd []string) (ExecResult, error) {
	st, err := l.running()
	if err != nil {
		return ExecResult{}, err
	}
	var out, errOut bytes.Buffer
	code, err := l.stacks.Exec(ctx, st, service, runner.ExecSpec{Cmd: cmd},
		runner.Stdio{Stdout: &out, Stderr: &errOut})
	return ExecResult{ExitCode: code, Stdout: out.String(), Stderr: errOut.String()}, err
}

// Logs returns a service's output so far, split into lines.
func (l *Local) Logs(ctx context.Context, service string) ([]string, error) {
	st, err := l.running()
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := l.stacks.Logs(ctx, st, service, runner.LogOptions{}, &b); err != nil {
		return nil, err
	}
	s := strings.TrimRight(b.String(), "\n")
	if s == "" {
		return nil, nil
	}
	return strings.Split(s, "\n"), nil
}

// Health runs the service's health check once.
func (l *Local) Health(ctx context.Context, service string) (string, error) {
	st, err := l.running()
	if err != nil {
		return "", err
	}
	h, _, err := l.stacks.CheckHealth(ctx, st, service)
	return h, err
}
