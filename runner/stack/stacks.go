package stack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/crossdock/crossdock/internal/atomicfile"
	"github.com/crossdock/crossdock/internal/errdefs"
	"github.com/crossdock/crossdock/internal/flock"
	"github.com/crossdock/crossdock/runner"
)

// Runtime is what a stack needs from package runner; *runner.Runtime has
// it.
type Runtime interface {
	Create(ctx context.Context, spec runner.Spec) (runner.State, error)
	Start(ctx context.Context, nameOrID string) error
	Stop(ctx context.Context, nameOrID string, timeout time.Duration) error
	Remove(ctx context.Context, nameOrID string, force bool) error
	Inspect(ctx context.Context, nameOrID string) (runner.State, error)
	Logs(ctx context.Context, nameOrID string, opts runner.LogOptions, w io.Writer) error
	Exec(ctx context.Context, nameOrID string, spec runner.ExecSpec, sio runner.Stdio) (int, error)
	CreateVolume(ctx context.Context, name string, labels map[string]string) (runner.Volume, error)
	RemoveVolume(ctx context.Context, name string) error
}

// Labels that mark a stack's containers and volumes.
const (
	LabelProject = "crossdock.stack.project"
	LabelService = "crossdock.stack.service"
)

// Stacks runs stacks on one runtime, and records each running stack under
// ROOT/stacks so that any crossdock process can find it by project name.
type Stacks struct {
	rt  Runtime
	dir string
}

// New returns Stacks that run containers on rt and keep their records in
// root/stacks (root is the store folder).
func New(rt Runtime, root string) *Stacks {
	return &Stacks{rt: rt, dir: filepath.Join(root, "stacks")}
}

// Stack is the record of a running stack.
type Stack struct {
	Project  string          `json:"project"`
	File     string          `json:"file"`
	Platform string          `json:"platform"`
	Network  *Network        `json:"network"`
	Services []ServiceRecord `json:"services"` // in start order
	Volumes  []string        `json:"volumes"`  // runner volume names
	Created  time.Time       `json:"created"`
}

// ServiceRecord is one service of a running stack.
type ServiceRecord struct {
	Name      string        `json:"name"`
	Container string        `json:"container"` // the runner's container ID
	IP        string        `json:"ip"`
	Netns     string        `json:"netns"`
	Health    *Health       `json:"health,omitempty"`
	Restart   RestartPolicy `json:"restart"`
}

// Service returns the record of the named service.
func (s *Stack) Service(name string) (*ServiceRecord, error) {
	for i := range s.Services {
		if s.Services[i].Name == name {
			return &s.Services[i], nil
		}
	}
	names := make([]string, len(s.Services))
	for i, sv := range s.Services {
		names[i] = sv.Name
	}
	return nil, errdefs.NotFound(fmt.Errorf("stack %s: no service %q (services: %s)",
		s.Project, name, strings.Join(names, ", ")))
}

func (s *Stacks) recordPath(project string) string {
	return filepath.Join(s.dir, project+".json")
}

func (s *Stacks) lock(ctx context.Context, project string) (*flock.Lock, error) {
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return nil, fmt.Errorf("stacks folder: %w", err)
	}
	return flock.Exclusive(ctx, filepath.Join(s.dir, project+".lock"))
}

// Get returns the record of the running stack project.
func (s *Stacks) Get(project string) (*Stack, error) {
	data, err := os.ReadFile(s.recordPath(project))
	if errors.Is(err, os.ErrNotExist) {
		return nil, errdefs.NotFound(fmt.Errorf("stack %q is not up", project))
	}
	if err != nil {
		return nil, fmt.Errorf("stack %s: %w", project, err)
	}
	var st Stack
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("stack %s: record %s: %w", project, s.recordPath(project), err)
	}
	return &st, nil
}

// List returns the records of all stacks that are up, by project name.
func (s *Stacks) List() ([]*Stack, error) {
	matches, err := filepath.Glob(filepath.Join(s.dir, "*.json"))
	if err != nil {
		return nil, err
	}
	var out []*Stack
	for _, m := range matches {
		st, err := s.Get(strings.TrimSuffix(filepath.Base(m), ".json"))
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Project < out[j].Project })
	return out, nil
}

func (s *Stacks) save(st *Stack) error {
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(s.recordPath(st.Project), data, 0o644)
}

var _ Runtime = (*runner.Runtime)(nil)

// ServiceError is an error of one service while a stack came up, with the
// service's last log lines (read before the stack was taken down again).
type ServiceError struct {
	Service string
	Logs    []string
	Err     error
}

func (e *ServiceError) Error() string { return e.Err.Error() }

// Unwrap returns the error.
func (e *ServiceError) Unwrap() error { return e.Err }
