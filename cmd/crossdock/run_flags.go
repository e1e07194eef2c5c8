package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/crossdock/crossdock/runner"
)

// runFlags are the flags of run (and of create-like commands) that make a
// runner.Spec.
type runFlags struct {
	platform, name, workdir, user, hostname, entrypoint, network string
	rm, interactive, tty                                         bool
	env, envFiles, volumes, ports, addHosts, labels              []string
}

func (o *runFlags) add(fs *pflag.FlagSet) {
	fs.StringVar(&o.platform, "platform", "", "platform of the image to run, such as linux/arm/v7 (default: the host's)")
	fs.StringVar(&o.name, "name", "", "container name (default: a generated adjective_surname)")
	fs.BoolVar(&o.rm, "rm", false, "remove the container when it exits")
	fs.BoolVarP(&o.interactive, "interactive", "i", false, "keep stdin open")
	fs.BoolVarP(&o.tty, "tty", "t", false, "allocate a pseudo-terminal")
	fs.StringArrayVarP(&o.env, "env", "e", nil, "set KEY=VALUE (or pass KEY from this environment)")
	fs.StringArrayVar(&o.envFiles, "env-file", nil, "read KEY=VALUE lines from a file (# starts a comment)")
	fs.StringVarP(&o.workdir, "workdir", "w", "", "working folder in the container")
	fs.StringVarP(&o.user, "user", "u", "", "USER[:GROUP], names from the image or numeric ids")
	fs.StringArrayVarP(&o.volumes, "volume", "v", nil, "mount HOSTPATH:DST[:ro] or VOLUME:DST[:ro]")
	fs.StringArrayVarP(&o.ports, "publish", "p", nil, "publish [IP:]HOSTPORT:PORT[/tcp|udp] (default IP 0.0.0.0)")
	fs.StringVar(&o.hostname, "hostname", "", "container host name (default: the ID's first 12 digits)")
	fs.StringVar(&o.entrypoint, "entrypoint", "", "replace the image's entrypoint (\"\" clears it)")
	fs.StringVar(&o.network, "network", "", "host, none (loopback only, the default) or netns:/path")
	fs.StringArrayVar(&o.addHosts, "add-host", nil, "add NAME:IP to /etc/hosts")
	fs.StringArrayVarP(&o.labels, "label", "l", nil, "set a KEY=VALUE label")
}

// spec turns the flags, the image and the command line into a Spec.
func (o *runFlags) spec(fs *pflag.FlagSet, image string, cmd []string) (runner.Spec, error) {
	s := runner.Spec{
		Name: o.name, Image: image, Platform: o.platform, WorkingDir: o.workdir,
		User: o.user, Hostname: o.hostname, ExtraHosts: o.addHosts,
		Tty: o.tty, Interactive: o.interactive, AutoRemove: o.rm,
	}
	if len(cmd) > 0 {
		s.Cmd = cmd
	}
	if fs.Changed("entrypoint") {
		s.Entrypoint = []string{}
		if o.entrypoint != "" {
			s.Entrypoint = []string{o.entrypoint}
		}
	}
	switch o.network {
	case "", "none", "host":
		s.Network = o.network
	default:
		s.Network = o.network // runner checks netns:/path and rejects the rest
	}
	for _, f := range o.envFiles {
		env, err := readEnvFile(f)
		if err != nil {
			return s, err
		}
		s.Env = append(s.Env, env...)
	}
	for _, kv := range o.env {
		if kv == "" {
			return s, usageError("-e \"\": want KEY=VALUE or KEY")
		}
		if !strings.Contains(kv, "=") {
			v, ok := os.LookupEnv(kv)
			if !ok {
				continue
			}
			kv += "=" + v
		}
		s.Env = append(s.Env, kv)
	}
	for _, v := range o.volumes {
		m, err := parseVolume(v)
		if err != nil {
			return s, err
		}
		s.Mounts = append(s.Mounts, m)
	}
	for _, p := range o.ports {
		m, err := parsePort(p)
		if err != nil {
			return s, err
		}
		s.Ports = append(s.Ports, m)
	}
	for _, l := range o.labels {
		k, v, _ := strings.Cut(l, "=")
		if s.Labels == nil {
			s.Labels = map[string]string{}
		}
		s.Labels[k] = v
	}
	return s, nil
}

// readEnvFile reads KEY=VALUE lines; blank lines and # comments are
// skipped, and a bare KEY takes its value from this environment.
func readEnvFile(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, usageError("--env-file: %v", err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimLeft(sc.Text(), " \t")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.ContainsRune(line, 0) {
			return nil, usageError("%s:%d: the line holds a NUL byte", path, n)
		}
		k, v, hasValue := strings.Cut(line, "=")
		if k == "" || strings.ContainsAny(k, " \t") {
			return nil, usageError("%s:%d: %q is not KEY=VALUE", path, n, line)
		}
		if !hasValue {
			var ok bool
			if v, ok = os.LookupEnv(k); !ok {
				continue
			}
		}
		out = append(out, k+"="+v)
	}
	if err := sc.Err(); err != nil {
		return nil, usageError("--env-file %s: %v", path, err)
	}
	return out, nil
}

// parseVolume reads SRC:DST[:ro|rw]; a SRC starting with / or . is a host
// folder, anything else a named volume.
func parseVolume(v string) (runner.Mount, error) {
	parts := strings.Split(v, ":")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
		// TODO: anonymous volumes (-v /dst) are not supported; the user
		// gets this error and must name the volume (-v NAME:/dst).
		return runner.Mount{}, usageError("-v %q: want SRC:DST[:ro]", v)
	}
	m := runner.Mount{Type: "volume", Source: parts[0], Target: parts[1]}
	if strings.HasPrefix(m.Source, "/") || strings.HasPrefix(m.Source, ".") {
		abs, err := absPath(m.Source)
		if err != nil {
			return m, err
		}
		m.Type, m.Source = "bind", abs
	}
	if len(parts) == 3 {
		switch parts[2] {
		case "ro":
			m.ReadOnly = true
		case "rw":
		default:
			return m, usageError("-v %q: option %q: want ro or rw", v, parts[2])
		}
	}
	return m, nil
}

func absPath(p string) (string, error) {
	if strings.HasPrefix(p, "/") {
		return p, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	return wd + "/" + p, nil
}

// parsePort reads [IP:]HOSTPORT:PORT[/PROTO] or PORT[/PROTO] (any free
// host port).
func parsePort(p string) (runner.PortMapping, error) {
	var m runner.PortMapping
	spec, proto, _ := strings.Cut(p, "/")
	m.Protocol = proto
	parts := strings.Split(spec, ":")
	var err error
	switch len(parts) {
	case 1:
		m.ContainerPort, err = strconv.Atoi(parts[0])
	case 2, 3:
		if len(parts) == 3 {
			m.HostIP = parts[0]
			parts = parts[1:]
		}
		if parts[0] != "" {
			if m.HostPort, err = strconv.Atoi(parts[0]); err != nil {
				break
			}
		}
		m.ContainerPort, err = strconv.Atoi(parts[1])
	default:
		err = fmt.Errorf("too many colons")
	}
	if err != nil {
		return m, usageError("-p %q: want [IP:]HOSTPORT:PORT[/tcp|udp]", p)
	}
	return m, nil
}
