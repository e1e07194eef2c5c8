package stack

import (
	"context"
	"fmt"
	"io"

	"github.com/crossdock/crossdock/runner"
)

// ServiceStatus is one line of `crossdock stack ps`.
type ServiceStatus struct {
	Service   string
	Container string
	Name      string
	Image     string
	Status    runner.Status
	ExitCode  int
	IP        string
	Ports     []runner.PortMapping
}

// Ps returns the status of each service of the stack, in start order.
func (s *Stacks) Ps(ctx context.Context, st *Stack) ([]ServiceStatus, error) {
	var out []ServiceStatus
	for _, sv := range st.Services {
		state, err := s.rt.Inspect(ctx, sv.Container)
		if err != nil {
			return nil, fmt.Errorf("stack %s: service %s: %w", st.Project, sv.Name, err)
		}
		out = append(out, ServiceStatus{Service: sv.Name, Container: state.ID, Name: state.Name,
			Image: state.Image, Status: state.Status, ExitCode: state.ExitCode, IP: sv.IP,
			Ports: state.Ports})
	}
	return out, nil
}

// Exec runs a process in a service's container and returns its exit code.
func (s *Stacks) Exec(ctx context.Context, st *Stack, service string, spec runner.ExecSpec, sio runner.Stdio) (int, error) {
	sv, err := st.Service(service)
	if err != nil {
		return -1, err
	}
	return s.rt.Exec(ctx, sv.Container, spec, sio)
}

// Logs writes a service's output to w.
func (s *Stacks) Logs(ctx context.Context, st *Stack, service string, opts runner.LogOptions, w io.Writer) error {
	sv, err := st.Service(service)
	if err != nil {
		return err
	}
	return s.rt.Logs(ctx, sv.Container, opts, w)
}

// Inspect returns the runner's state of a service's container.
func (s *Stacks) Inspect(ctx context.Context, st *Stack, service string) (runner.State, error) {
	sv, err := st.Service(service)
	if err != nil {
		return runner.State{}, err
	}
	return s.rt.Inspect(ctx, sv.Container)
}
