package crosstest

import (
	"context"
	"io/fs"
)

// Target is where a stack runs: this machine (Local), or later an agent on
// a robot over HTTP. Every method takes and returns plain data, so a remote
// implementation carries them as they are and suites never change.
//
// A Target runs one stack at a time, for one platform.
type Target interface {
	// Describe names the target in reports, such as "local".
	Describe() string
	// Platform is the platform the target runs stacks for.
	Platform() string

	// Up starts the stack and returns once every service has started
	// (and, where depends_on asks, became healthy).
	Up(ctx context.Context, stack Stack) error
	// Down stops and removes the stack, leaving nothing behind.
	Down(ctx context.Context) error

	// Exec runs cmd in a running service.
	Exec(ctx context.Context, service string, cmd []string) (ExecResult, error)
	// Logs returns the lines a service has printed so far (stdout and
	// stderr, in order).
	Logs(ctx context.Context, service string) ([]string, error)
	// Health returns a service's health: healthy, unhealthy, starting, or
	// none when it has no check.
	Health(ctx context.Context, service string) (string, error)
	// PortOpen reports whether a TCP port accepts connections in the
	// service's network namespace.
	PortOpen(ctx context.Context, service string, port int) (bool, error)

	// File reads a file from a running service or from an image built for
	// the target's platform. A missing file is an error wrapping
	// fs.ErrNotExist.
	File(ctx context.Context, from Source, path string) (File, error)
	// ImageConfig returns the config of a service's image, or of an image
	// for the target's platform.
	ImageConfig(ctx context.Context, from Source) (ImageConfig, error)
}

// Stack is a stack file to bring up, with the variables its ${VAR} expand to.
type Stack struct {
	Path string            // the compose file
	Data []byte            // its content (a remote target gets this)
	Env  map[string]string // variables for interpolation; nothing from the host
	// Project names the stack's containers; a target makes it unique per run.
	Project string
}

// Source is where a file or config comes from: a running service, or an
// image reference. Exactly one is set.
type Source struct {
	Service string `json:"service,omitempty"`
	Image   string `json:"image,omitempty"`
}

func (s Source) String() string {
	if s.Service != "" {
		return "service " + s.Service
	}
	return "image " + s.Image
}

// ExecResult is what a command run in a service did.
type ExecResult struct {
	ExitCode int    `json:"exitCode"`
	Stdout   string `json:"stdout"`
	Stderr   string `json:"stderr"`
}

// File is a file read from a service or image.
type File struct {
	Path string      `json:"path"`
	Mode fs.FileMode `json:"mode"`
	Data []byte      `json:"data,omitempty"` // regular files only
	// Platform is the OCI platform from the file's ELF header, "" when the
	// file is not ELF.
	Platform string `json:"platform,omitempty"`
}

// ImageConfig is the part of an image's config that suites check.
type ImageConfig struct {
	Platform     string   `json:"platform"`
	Env          []string `json:"env"`
	Entrypoint   []string `json:"entrypoint"`
	Cmd          []string `json:"cmd"`
	ExposedPorts []string `json:"exposedPorts"`
	WorkingDir   string   `json:"workingDir"`
}
