package stack

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/crossdock/crossdock/internal/errdefs"
)

// LoadOption changes how Load reads a stack file.
type LoadOption func(*loadOptions)

type loadOptions struct {
	env map[string]string
}

// WithEnv gives the variables that ${VAR} in the file expands to. By
// default there are none: the host's environment never leaks into a stack
// unless the caller passes it here explicitly.
func WithEnv(env map[string]string) LoadOption {
	return func(o *loadOptions) { o.env = env }
}

// Load reads the stack file at path, rejects anything outside the subset
// that crossdock runs (naming file, line and key), and returns its services
// in start order. Errors are marked errdefs.Invalid.
func Load(ctx context.Context, path string, opts ...LoadOption) (*File, error) {
	var o loadOptions
	for _, opt := range opts {
		opt(&o)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, errdefs.Invalid(fmt.Errorf("stack file %s: %w", path, err))
	}
	data, err := os.ReadFile(abs)
	if err != nil {
		return nil, errdefs.Invalid(fmt.Errorf("stack file: %w", err))
	}
	if err := checkSubset(path, data); err != nil {
		return nil, errdefs.Invalid(err)
	}

	env := types.Mapping{}
	for k, v := range o.env {
		env[k] = v
	}
	details := types.ConfigDetails{
		WorkingDir:  filepath.Dir(abs),
		ConfigFiles: []types.ConfigFile{{Filename: abs, Content: data}},
		Environment: env,
	}
	p, err := loader.LoadWithContext(ctx, details, func(lo *loader.Options) {
		lo.SetProjectName(projectFromDir(abs), false)
		lo.SkipInclude = true
		lo.SkipExtends = true
		lo.ResolvePaths = true
	})
	if err != nil {
		return nil, errdefs.Invalid(fmt.Errorf("%s: %w", path, err))
	}
	f, err := fromProject(path, p)
	if err != nil {
		return nil, errdefs.Invalid(err)
	}
	if err := readName(data, f); err != nil {
		return nil, errdefs.Invalid(err)
	}
	return f, nil
}

// readName keeps the file's own name key (compose-go puts the folder's
// name there when the key is absent).
func readName(data []byte, f *File) error {
	var top struct {
		Name string `yaml:"name"`
	}
	if err := yamlUnmarshal(data, &top); err != nil {
		return fmt.Errorf("%s: %w", f.Path, err)
	}
	f.Name = top.Name
	return nil
}

func projectFromDir(abs string) string {
	n := loader.NormalizeProjectName(filepath.Base(filepath.Dir(abs)))
	if n == "" {
		return "stack"
	}
	return n
}

func fromProject(path string, p *types.Project) (*File, error) {
	f := &File{Path: path}
	for name := range p.Volumes {
		f.Volumes = append(f.Volumes, name)
	}
	sort.Strings(f.Volumes)

	names := make([]string, 0, len(p.Services))
	for n := range p.Services {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		s, err := fromService(path, p.Services[n], p.Volumes)
		if err != nil {
			return nil, err
		}
		f.Services = append(f.Services, s)
	}
	order, err := startOrder(path, f.Services)
	if err != nil {
		return nil, err
	}
	f.Services = order
	return f, nil
}

func fromService(path string, sc types.ServiceConfig, vols types.Volumes) (Service, error) {
	at := func(key string) string { return fmt.Sprintf("%s: services.%s.%s", path, sc.Name, key) }
	s := Service{
		Name: sc.Name, Image: sc.Image, WorkingDir: sc.WorkingDir, User: sc.User,
		Hostname: sc.Hostname, Labels: sc.Labels,
		DependsOn: map[string]Condition{},
	}
	if s.Image == "" {
		return s, fmt.Errorf("%s: services.%s: no image (crossdock does not build in a stack; "+
			"build with crossdock build first)", path, sc.Name)
	}
	if sc.Entrypoint != nil {
		s.Entrypoint = []string(sc.Entrypoint)
	}
	if sc.Command != nil {
		s.Command = []string(sc.Command)
	}
	for k, v := range sc.Environment {
		if v != nil {
			s.Env = append(s.Env, k+"="+*v)
		}
	}
	sort.Strings(s.Env)

	for _, v := range sc.Volumes {
		m := Mount{Target: v.Target, ReadOnly: v.ReadOnly}
		switch v.Type {
		case types.VolumeTypeVolume:
			if _, ok := vols[v.Source]; !ok || v.Source == "" {
				return s, fmt.Errorf("%s: volume %q is not declared under the top-level volumes",
					at("volumes"), v.Source)
			}
			m.Volume = v.Source
		case types.VolumeTypeBind:
			m.Source = v.Source
		default:
			return s, fmt.Errorf("%s: volume type %q is not supported (volume or bind)", at("volumes"), v.Type)
		}
		s.Mounts = append(s.Mounts, m)
	}
	for _, p := range sc.Ports {
		port, err := fromPort(p)
		if err != nil {
			return s, fmt.Errorf("%s: %w", at("ports"), err)
		}
		s.Ports = append(s.Ports, port)
	}
	for dep, d := range sc.DependsOn {
		c := Condition(d.Condition)
		if c == "" {
			c = ServiceStarted
		}
		s.DependsOn[dep] = c
	}
	h, err := fromHealth(sc.HealthCheck)
	if err != nil {
		return s, fmt.Errorf("%s: %w", at("healthcheck"), err)
	}
	s.Health = h
	s.Restart = parseRestart(sc.Restart)
	return s, nil
}

func fromPort(p types.ServicePortConfig) (Port, error) {
	port := Port{HostIP: p.HostIP, ContainerPort: int(p.Target), Protocol: p.Protocol}
	if port.Protocol == "" {
		port.Protocol = "tcp"
	}
	if port.HostIP == "" {
		// Published ports bind on loopback unless the file says otherwise.
		port.HostIP = "127.0.0.1"
	}
	if p.Published == "" {
		return port, fmt.Errorf("port %d: no published port (crossdock does not pick one)", p.Target)
	}
	n, err := strconv.Atoi(p.Published)
	if err != nil {
		return port, fmt.Errorf("published port %q: want one number, not a range", p.Published)
	}
	port.HostPort = n
	return port, nil
}

func fromHealth(hc *types.HealthCheckConfig) (*Health, error) {
	if hc == nil || hc.Disable || len(hc.Test) == 0 || hc.Test[0] == "NONE" {
		return nil, nil
	}
	h := &Health{Interval: 30 * time.Second, Timeout: 30 * time.Second, Retries: 3}
	switch hc.Test[0] {
	case "CMD":
		h.Test = hc.Test[1:]
	case "CMD-SHELL":
		h.Test = []string{"/bin/sh", "-c", strings.Join(hc.Test[1:], " ")}
	default:
		return nil, fmt.Errorf("test %q: want [CMD, ...], [CMD-SHELL, ...] or a string", hc.Test)
	}
	if hc.Interval != nil {
		h.Interval = time.Duration(*hc.Interval)
	}
	if hc.Timeout != nil {
		h.Timeout = time.Duration(*hc.Timeout)
	}
	if hc.Retries != nil {
		h.Retries = int(*hc.Retries)
	}
	if hc.StartPeriod != nil {
		h.StartPeriod = time.Duration(*hc.StartPeriod)
	}
	return h, nil
}

func parseRestart(s string) RestartPolicy {
	name, n, _ := strings.Cut(s, ":")
	if name == "" {
		name = "no"
	}
	max, _ := strconv.Atoi(n) // the subset check allowed digits only
	return RestartPolicy{Name: name, MaxRetries: max}
}
