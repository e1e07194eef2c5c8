package runner

import (
	"io"
	"os"
	"time"
)

// Spec describes a container to create: the image, the process and how the
// container reaches the host. Zero values take the image's settings or
// Docker's defaults.
type Spec struct {
	Name     string // "" = a generated adjective_surname name
	Image    string // image reference in the store
	Platform string // OCI platform, "" = the host's

	Entrypoint []string // nil = the image's; set to replace it (Docker's --entrypoint)
	Cmd        []string // nil = the image's Cmd (dropped when Entrypoint is set)
	Env        []string // KEY=VALUE, added over the image's Env
	WorkingDir string   // "" = the image's, else /
	User       string   // USER[:GROUP], names or ids; "" = the image's, else root
	Hostname   string   // "" = the first 12 characters of the ID

	Mounts []Mount
	Ports  []PortMapping

	// Network is "" or "none" for a private network namespace with only
	// loopback, "host" for the host's, or "netns:/path" to join an existing
	// namespace (a stack's).
	Network    string
	ExtraHosts []string // "name:ip" lines added to /etc/hosts

	Labels map[string]string

	Tty         bool // allocate a pseudo-terminal
	Interactive bool // keep stdin open
	AutoRemove  bool // remove the container when it exits
}

// Mount is a host folder or named volume mounted into the container.
type Mount struct {
	Type     string // "bind" (Source is an absolute host path) or "volume" (Source is a name)
	Source   string
	Target   string // absolute path in the container
	ReadOnly bool
}

// PortMapping publishes a container port on the host.
type PortMapping struct {
	HostIP        string // "" = all addresses (0.0.0.0), as Docker does
	HostPort      int    // 0 = any free port; State.Ports has the one chosen
	ContainerPort int
	Protocol      string // "tcp" (default) or "udp"
}

// Status is where a container is in its life.
type Status string

// The statuses a container goes through.
const (
	Created Status = "created"
	Running Status = "running"
	Exited  Status = "exited"
)

// State is what the runtime knows about one container.
type State struct {
	ID       string            `json:"id"`
	Name     string            `json:"name"`
	Image    string            `json:"image"`
	Platform string            `json:"platform"`
	Status   Status            `json:"status"`
	ExitCode int               `json:"exitCode"`
	Labels   map[string]string `json:"labels,omitempty"`
	Created  time.Time         `json:"created"`
	Started  time.Time         `json:"started,omitzero"`
	Finished time.Time         `json:"finished,omitzero"`
	Pid      int               `json:"pid,omitempty"`   // the init's pid on the host while running
	Ports    []PortMapping     `json:"ports,omitempty"` // as bound while running (HostPort filled in)
	Error    string            `json:"error,omitempty"` // why the last start failed, if it did

	Spec    Spec     `json:"spec"`
	Process Process  `json:"process"`
	Layers  []string `json:"layers"` // the image's layer folders, lowest first

	ShimPid int `json:"shimPid,omitempty"`
}

// Process is the command line a container runs, after the image's config
// and the Spec were combined.
type Process struct {
	Args       []string `json:"args"`
	Env        []string `json:"env"`
	WorkingDir string   `json:"workingDir"`
	User       string   `json:"user"`
}

// Stdio connects a foreground container or exec to the caller. Nil streams
// are /dev/null. When Stdin and Stdout are both *os.File terminals and the
// container has a Tty, the terminal is put in raw mode while attached.
type Stdio struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Signals, if set, are forwarded to the container (Run) or process (Exec)
	// as they arrive. SIGWINCH resizes the container's terminal instead.
	Signals <-chan os.Signal
}

// LogOptions selects what Logs prints.
type LogOptions struct {
	Follow bool // keep printing until the container exits
	Tail   int  // only the last Tail lines; 0 = all
	// Stderr, if set, receives what the container wrote to its stderr;
	// by default both streams go to the one writer Logs is given.
	Stderr io.Writer
}

// ExecSpec is a process started in a running container.
type ExecSpec struct {
	Cmd         []string
	Env         []string // added over the container's environment
	User        string   // "" = the container's user
	WorkingDir  string   // "" = the container's working folder
	Tty         bool
	Interactive bool
}
