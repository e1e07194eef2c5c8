// Package stack runs stacks: several services, each a container, started
// together from a file in the compose format (a subset, see docs/stack.md).
//
// A stack gets a network of its own. Up creates one network namespace for
// the stack, holding a bridge, and one network namespace per service, joined
// to the bridge by a veth pair. Every stack uses the same private subnet;
// that is safe because the bridge lives inside the stack's namespace, so two
// runs of the same file at once never collide, and nothing binds on the host
// unless a port is published. Services find each other by name through the
// /etc/hosts that the runner writes for them.
//
// Load reads and checks a file; Up starts the services in dependency order
// (waiting for health where depends_on asks for it) and supervises their
// restart policies; Down removes containers, namespaces and mounts.
package stack

import (
	"time"
)

// Condition is what a service waits for before it starts after another one.
type Condition string

// The depends_on conditions crossdock supports.
const (
	ServiceStarted Condition = "service_started"
	ServiceHealthy Condition = "service_healthy"
)

// RestartPolicy says when the stack restarts a service's container after it
// exits: "no" (the default), "always", "unless-stopped" or "on-failure",
// the latter with an optional cap on attempts (MaxRetries, 0 means none).
type RestartPolicy struct {
	Name       string
	MaxRetries int
}

// Health is a service's health check: Test runs in the container (through
// the runner's exec) every Interval; the service is healthy once it exits 0,
// and unhealthy after Retries failures in a row past StartPeriod.
type Health struct {
	Test        []string // argv; a CMD-SHELL test becomes /bin/sh -c
	Interval    time.Duration
	Timeout     time.Duration
	Retries     int
	StartPeriod time.Duration
}

// Mount is one volume of a service: a named volume of the stack (Volume
// set) or a host folder (Source set), mounted at Target.
type Mount struct {
	Volume   string // named volume, without the project prefix
	Source   string // absolute host path for a bind mount
	Target   string
	ReadOnly bool
}

// Port is a published port: HostPort on HostIP (127.0.0.1 unless set)
// forwards to ContainerPort in the service's namespace.
type Port struct {
	HostIP        string
	HostPort      int
	ContainerPort int
	Protocol      string // tcp or udp
}

// Service is one service of a stack, as loaded from the file.
type Service struct {
	Name       string
	Image      string
	Entrypoint []string // nil keeps the image's
	Command    []string // nil keeps the image's
	Env        []string // KEY=VALUE, sorted
	WorkingDir string
	User       string
	Hostname   string
	Mounts     []Mount
	Ports      []Port
	DependsOn  map[string]Condition
	Health     *Health
	Restart    RestartPolicy
	Labels     map[string]string
}

// File is a loaded stack file.
type File struct {
	Path     string    // the file it was read from
	Name     string    // the name key, or "" (the project name then comes from the folder)
	Services []Service // in start order: every service after those it depends on
	Volumes  []string  // named volumes declared at the top level
}

// Service returns the service called name, or nil.
func (f *File) Service(name string) *Service {
	for i := range f.Services {
		if f.Services[i].Name == name {
			return &f.Services[i]
		}
	}
	return nil
}
