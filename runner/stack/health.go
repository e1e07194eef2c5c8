package stack

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/crossdock/crossdock/runner"
)

// Health statuses, as Docker names them.
const (
	Healthy   = "healthy"
	Unhealthy = "unhealthy"
	Starting  = "starting"
	NoHealth  = "none"
)

// CheckHealth runs the service's health check once and returns healthy or
// unhealthy (with the check's output), or none when it has no check.
//
// TODO: statuses are computed when asked, not kept by a background
// checker, so "starting" is never reported and a suite waiting for
// `health: starting` times out; `stack ps` shows no health column.
func (s *Stacks) CheckHealth(ctx context.Context, st *Stack, service string) (string, string, error) {
	sv, err := st.Service(service)
	if err != nil {
		return "", "", err
	}
	h := sv.Health
	if h == nil {
		return NoHealth, "", nil
	}
	state, err := s.rt.Inspect(ctx, sv.Container)
	if err != nil {
		return "", "", err
	}
	if state.Status != runner.Running {
		return Unhealthy, fmt.Sprintf("container %s (exit code %d)", state.Status, state.ExitCode), nil
	}
	ctx, cancel := context.WithTimeout(ctx, h.Timeout)
	defer cancel()
	var out bytes.Buffer
	code, err := s.rt.Exec(ctx, sv.Container, runner.ExecSpec{Cmd: h.Test}, runner.Stdio{Stdout: &out, Stderr: &out})
	switch {
	case ctx.Err() != nil:
		return Unhealthy, fmt.Sprintf("check timed out after %s", h.Timeout), nil
	case err != nil:
		return Unhealthy, err.Error(), nil
	case code != 0:
		return Unhealthy, fmt.Sprintf("exit code %d: %s", code, out.String()), nil
	}
	return Healthy, out.String(), nil
}

// WaitHealthy runs the service's health check every interval (the first
// one interval after it is called, as Docker does) until it passes.
// Failures during the start period don't count; after it, Retries failures
// in a row make the service unhealthy, an error naming the last output. A
// container that exits is started again if its restart policy says so
// (nothing else supervises the stack while it comes up); otherwise the wait
// fails at once.
func (s *Stacks) WaitHealthy(ctx context.Context, st *Stack, service string) error {
	sv, err := st.Service(service)
	if err != nil {
		return err
	}
	if sv.Health == nil {
		return fmt.Errorf("service %s has no healthcheck", service)
	}
	h := sv.Health
	began := time.Now()
	failures, restarts := 0, 0
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(h.Interval):
		}
		state, err := s.rt.Inspect(ctx, sv.Container)
		if err != nil {
			return err
		}
		if state.Status == runner.Exited {
			if !wantsRestart(sv.Restart, state.ExitCode, restarts) {
				return fmt.Errorf("%s exited with code %d before it became healthy", service, state.ExitCode)
			}
			if err := s.rt.Start(ctx, sv.Container); err != nil {
				return fmt.Errorf("restart %s: %w", service, err)
			}
			restarts++
			continue
		}
		status, out, err := s.CheckHealth(ctx, st, service)
		if err != nil {
			return err
		}
		if status == Healthy {
			return nil
		}
		if time.Since(began) >= h.StartPeriod {
			failures++
		}
		if failures >= max(h.Retries, 1) {
			return fmt.Errorf("%s is unhealthy after %d checks: %s", service, failures, out)
		}
	}
}
