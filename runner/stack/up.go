package stack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/crossdock/crossdock/internal/errdefs"
	"github.com/crossdock/crossdock/runner"
)

// UpOption changes how Up starts a stack.
type UpOption func(*upOptions)

type upOptions struct {
	platform string
	progress func(Event)
}

// WithPlatform sets the platform every service runs for, such as
// linux/arm/v7 (emulated here) or linux/amd64. The default, "", is the
// host's.
func WithPlatform(p string) UpOption { return func(o *upOptions) { o.platform = p } }

// WithProgress sets a function told as each service is created, waited
// for and started. By default nothing is reported.
func WithProgress(f func(Event)) UpOption { return func(o *upOptions) { o.progress = f } }

// Event is progress from Up and Down.
type Event struct {
	Service string
	What    string // "network", "volume", "waiting", "started", "healthy", "removed"
	Detail  string
}

var projectName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// Up starts the services of f as the stack project: a network of its own,
// named volumes, then each service in dependency order, waiting for
// depends_on conditions (service_healthy runs the dependency's health
// check until it passes). If anything fails, what was started is removed
// again. Up returns once every service runs; Supervise keeps restart
// policies and health statuses while the caller wants them.
func (s *Stacks) Up(ctx context.Context, project string, f *File, opts ...UpOption) (_ *Stack, err error) {
	var o upOptions
	for _, opt := range opts {
		opt(&o)
	}
	if !projectName.MatchString(project) {
		return nil, errdefs.Invalid(fmt.Errorf("project name %q: want lower-case letters, digits, - and _", project))
	}
	l, err := s.lock(ctx, project)
	if err != nil {
		return nil, err
	}
	defer l.Unlock()
	if _, err := os.Stat(s.recordPath(project)); err == nil {
		return nil, errdefs.Invalid(fmt.Errorf("stack %q is already up (crossdock stack down -p %s)", project, project))
	}
	emit := func(e Event) {
		if o.progress != nil {
			o.progress(e)
		}
	}

	st := &Stack{Project: project, File: f.Path, Platform: o.platform, Created: time.Now().UTC()}
	defer func() {
		if err != nil {
			var se *ServiceError
			if errors.As(err, &se) {
				se.Logs = s.lastLines(context.WithoutCancel(ctx), st, se.Service, logLines)
			}
			s.teardown(context.WithoutCancel(ctx), st, false)
		}
	}()
	names := make([]string, len(f.Services))
	for i, sv := range f.Services {
		names[i] = sv.Name
	}
	if st.Network, err = CreateNetwork(names); err != nil {
		return nil, fmt.Errorf("stack %s: %w", project, err)
	}
	emit(Event{What: "network", Detail: st.Network.Stack})
	if err := s.save(st); err != nil {
		return nil, fmt.Errorf("stack %s: %w", project, err)
	}

	for _, v := range f.Volumes {
		name := project + "_" + v
		if _, err := s.rt.CreateVolume(ctx, name, map[string]string{LabelProject: project}); err != nil {
			return nil, fmt.Errorf("stack %s: volume %s: %w", project, v, err)
		}
		st.Volumes = append(st.Volumes, name)
		emit(Event{What: "volume", Detail: name})
	}

	hosts := s.hosts(f, st.Network)
	for _, sv := range f.Services {
		if dep, err := s.waitDeps(ctx, st, sv, emit); err != nil {
			return nil, &ServiceError{Service: dep, Err: err}
		}
		ep := st.Network.Services[sv.Name]
		state, err := s.rt.Create(ctx, s.spec(project, o.platform, sv, ep, hosts))
		if err != nil {
			return nil, fmt.Errorf("stack %s: service %s: %w", project, sv.Name, err)
		}
		st.Services = append(st.Services, ServiceRecord{Name: sv.Name, Container: state.ID,
			IP: ep.IP, Netns: ep.Netns, Health: sv.Health, Restart: sv.Restart})
		if err := s.save(st); err != nil {
			return nil, fmt.Errorf("stack %s: %w", project, err)
		}
		if err := s.rt.Start(ctx, state.ID); err != nil {
			return nil, &ServiceError{Service: sv.Name,
				Err: fmt.Errorf("stack %s: service %s: %w", project, sv.Name, err)}
		}
		emit(Event{Service: sv.Name, What: "started", Detail: ep.IP})
	}
	return st, nil
}

// hosts is the /etc/hosts lines every service gets: each service's name
// and hostname with its address.
func (s *Stacks) hosts(f *File, n *Network) []string {
	var lines []string
	for _, sv := range f.Services {
		ip := n.Services[sv.Name].IP
		lines = append(lines, sv.Name+":"+ip)
		if sv.Hostname != "" && sv.Hostname != sv.Name {
			lines = append(lines, sv.Hostname+":"+ip)
		}
	}
	return lines
}

func (s *Stacks) spec(project, platform string, sv Service, ep Endpoint, hosts []string) runner.Spec {
	spec := runner.Spec{
		Name:       project + "-" + sv.Name,
		Image:      sv.Image,
		Platform:   platform,
		Entrypoint: sv.Entrypoint,
		Cmd:        sv.Command,
		Env:        sv.Env,
		WorkingDir: sv.WorkingDir,
		User:       sv.User,
		Hostname:   sv.Hostname,
		Network:    "netns:" + ep.Netns,
		ExtraHosts: hosts,
		Labels:     map[string]string{LabelProject: project, LabelService: sv.Name},
	}
	if spec.Hostname == "" {
		spec.Hostname = sv.Name
	}
	for k, v := range sv.Labels {
		spec.Labels[k] = v
	}
	for _, m := range sv.Mounts {
		rm := runner.Mount{Type: "bind", Source: m.Source, Target: m.Target, ReadOnly: m.ReadOnly}
		if m.Volume != "" {
			rm.Type, rm.Source = "volume", project+"_"+m.Volume
		}
		spec.Mounts = append(spec.Mounts, rm)
	}
	for _, p := range sv.Ports {
		spec.Ports = append(spec.Ports, runner.PortMapping{HostIP: p.HostIP, HostPort: p.HostPort,
			ContainerPort: p.ContainerPort, Protocol: p.Protocol})
	}
	return spec
}

// waitDeps waits for the conditions sv's depends_on names. On error it
// returns the dependency that failed.
func (s *Stacks) waitDeps(ctx context.Context, st *Stack, sv Service, emit func(Event)) (string, error) {
	for _, dep := range sortedKeys(sv.DependsOn) {
		if sv.DependsOn[dep] != ServiceHealthy {
			continue // started: it was started before sv, in start order
		}
		emit(Event{Service: sv.Name, What: "waiting", Detail: dep + " healthy"})
		if err := s.WaitHealthy(ctx, st, dep); err != nil {
			return dep, fmt.Errorf("stack %s: service %s depends on %s being healthy: %w", st.Project, sv.Name, dep, err)
		}
		emit(Event{Service: dep, What: "healthy"})
	}
	return "", nil
}

// logLines is how many of a failed service's last lines a ServiceError
// keeps.
const logLines = 20

// lastLines returns the last n lines a service printed, or nil.
func (s *Stacks) lastLines(ctx context.Context, st *Stack, service string, n int) []string {
	sv, err := st.Service(service)
	if err != nil {
		return nil
	}
	var b bytes.Buffer
	if s.rt.Logs(ctx, sv.Container, runner.LogOptions{Tail: n}, &b) != nil {
		return nil
	}
	out := strings.TrimRight(b.String(), "\n")
	if out == "" {
		return nil
	}
	return strings.Split(out, "\n")
}

// Down stops and removes the stack's containers, then its network
// namespaces, then (with removeVolumes) its named volumes. It carries on
// past errors and returns them all.
func (s *Stacks) Down(ctx context.Context, project string, removeVolumes bool) error {
	l, err := s.lock(ctx, project)
	if err != nil {
		return err
	}
	defer l.Unlock()
	st, err := s.Get(project)
	if err != nil {
		return err
	}
	return s.teardown(ctx, st, removeVolumes)
}

// stopTimeout is how long a service has to exit after SIGTERM on Down.
const stopTimeout = 10 * time.Second

func (s *Stacks) teardown(ctx context.Context, st *Stack, removeVolumes bool) error {
	var errs []error
	for i := len(st.Services) - 1; i >= 0; i-- {
		sv := st.Services[i]
		if err := s.rt.Stop(ctx, sv.Container, stopTimeout); err != nil && !errors.Is(err, errdefs.ErrNotFound) {
			errs = append(errs, fmt.Errorf("stop %s: %w", sv.Name, err))
		}
		if err := s.rt.Remove(ctx, sv.Container, true); err != nil && !errors.Is(err, errdefs.ErrNotFound) {
			errs = append(errs, fmt.Errorf("remove %s: %w", sv.Name, err))
		}
	}
	if st.Network != nil {
		errs = append(errs, st.Network.Remove())
	}
	if removeVolumes {
		for _, v := range st.Volumes {
			errs = append(errs, s.rt.RemoveVolume(ctx, v))
		}
	}
	if err := os.Remove(s.recordPath(st.Project)); err != nil && !errors.Is(err, os.ErrNotExist) {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("stack %s down: %w", st.Project, err)
	}
	return nil
}
