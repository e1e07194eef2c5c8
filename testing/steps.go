package crosstest

import (
	"errors"
	"fmt"
	"strconv"
)

// WaitStep waits until a service prints a line matching Log, listens on
// Port, or reports the Health status. Exactly one of the three is set.
type WaitStep struct {
	Service string   `yaml:"service"`
	Log     string   `yaml:"log"`    // a regexp, matched against each log line
	Port    int      `yaml:"port"`   // a TCP port in the service's network namespace
	Health  string   `yaml:"health"` // healthy, unhealthy, starting or none
	Timeout Duration `yaml:"timeout"`
}

// ExecStep runs a command in a running service and checks its exit code
// (0 unless set) and output.
type ExecStep struct {
	Service        string   `yaml:"service"`
	Cmd            []string `yaml:"cmd"`
	ExitCode       *int     `yaml:"exit_code"`
	StdoutContains string   `yaml:"stdout_contains"`
	StdoutMatches  string   `yaml:"stdout_matches"`
	StderrContains string   `yaml:"stderr_contains"`
	StderrMatches  string   `yaml:"stderr_matches"`
	Timeout        Duration `yaml:"timeout"`
}

// FileStep checks a file in a running service's filesystem, or in an
// image's (for the platform under test).
type FileStep struct {
	Service  string  `yaml:"service"`
	Image    string  `yaml:"image"`
	Path     string  `yaml:"path"`
	Exists   *bool   `yaml:"exists"`   // true unless set
	Content  *string `yaml:"content"`  // the whole content
	Contains string  `yaml:"contains"` // a substring of the content
	Mode     string  `yaml:"mode"`     // permission bits in octal, such as "0755"
}

// MetadataStep checks an image's config (of a service, or named) and the
// platform of its binaries, read from their ELF headers.
type MetadataStep struct {
	Service      string            `yaml:"service"`
	Image        string            `yaml:"image"`
	Platform     string            `yaml:"platform"` // "" or "target": the platform under test
	Env          map[string]string `yaml:"env"`      // each must be set to this value
	Entrypoint   []string          `yaml:"entrypoint"`
	Cmd          []string          `yaml:"cmd"`
	ExposedPorts []string          `yaml:"exposed_ports"` // such as 11311/tcp; each must be exposed
	// Binaries maps a path in the image to its expected platform, or to
	// "target" for the platform under test.
	Binaries map[string]string `yaml:"binaries"`
}

// CountStep counts a service's log lines that match Log, until Min are
// seen or the Window ends; then Min and Max (if set) must hold.
type CountStep struct {
	Service string   `yaml:"service"`
	Log     string   `yaml:"log"`
	Min     *int     `yaml:"min"`
	Max     *int     `yaml:"max"`
	Window  Duration `yaml:"window"` // how long to count, before scaling; 30s unless set
	// From is where counting starts: "start" (the service's first line,
	// the default) or "step" (lines printed after the step began).
	From string `yaml:"from"`
}

// Kind names the step's kind: wait, exec, file, metadata or count.
func (s *Step) Kind() string {
	switch {
	case s.Wait != nil:
		return "wait"
	case s.Exec != nil:
		return "exec"
	case s.File != nil:
		return "file"
	case s.Metadata != nil:
		return "metadata"
	case s.Count != nil:
		return "count"
	}
	return ""
}

func (s *Step) check() error {
	if count(s.Wait != nil, s.Exec != nil, s.File != nil, s.Metadata != nil, s.Count != nil) != 1 {
		return errors.New("a step has exactly one of wait, exec, file, metadata, count")
	}
	switch {
	case s.Wait != nil:
		w := s.Wait
		if w.Service == "" {
			return errors.New("wait: no service")
		}
		if count(w.Log != "", w.Port != 0, w.Health != "") != 1 {
			return errors.New("wait: set exactly one of log, port, health")
		}
		if w.Log != "" {
			if _, err := compile("wait.log", w.Log); err != nil {
				return err
			}
		}
		if w.Health != "" && !oneOf(w.Health, "healthy", "unhealthy", "starting", "none") {
			return fmt.Errorf("wait.health %q: want healthy, unhealthy, starting or none", w.Health)
		}
	case s.Exec != nil:
		e := s.Exec
		if e.Service == "" || len(e.Cmd) == 0 {
			return errors.New("exec: needs service and cmd")
		}
		for what, re := range map[string]string{"stdout_matches": e.StdoutMatches, "stderr_matches": e.StderrMatches} {
			if re != "" {
				if _, err := compile("exec."+what, re); err != nil {
					return err
				}
			}
		}
	case s.File != nil:
		f := s.File
		if (f.Service == "") == (f.Image == "") || f.Path == "" {
			return errors.New("file: needs path and one of service, image")
		}
		if f.Mode != "" {
			if _, err := strconv.ParseUint(f.Mode, 8, 32); err != nil {
				return fmt.Errorf("file.mode %q: want octal, such as 0755", f.Mode)
			}
		}
	case s.Metadata != nil:
		m := s.Metadata
		if (m.Service == "") == (m.Image == "") {
			return errors.New("metadata: needs one of service, image")
		}
		for _, p := range append([]string{m.Platform}, values(m.Binaries)...) {
			if p != "" && p != "target" {
				if _, err := NormalizePlatform(p); err != nil {
					return fmt.Errorf("metadata: %w", err)
				}
			}
		}
	case s.Count != nil:
		c := s.Count
		if c.Service == "" || c.Log == "" || (c.Min == nil && c.Max == nil) {
			return errors.New("count: needs service, log, and min or max")
		}
		if _, err := compile("count.log", c.Log); err != nil {
			return err
		}
		if c.From != "" && c.From != "start" && c.From != "step" {
			return fmt.Errorf("count.from %q: want start or step", c.From)
		}
	}
	return nil
}

// Title is how reports name the step: its name, else its kind and service.
func (s *Step) Title() string {
	if s.Name != "" {
		return s.Name
	}
	switch {
	case s.Wait != nil:
		w := s.Wait
		return "wait " + joinNonEmpty(w.Service, ifSet("log /"+w.Log+"/", w.Log),
			ifSet("port "+strconv.Itoa(w.Port), w.Port != 0), ifSet("health "+w.Health, w.Health))
	case s.Exec != nil:
		return fmt.Sprintf("exec %s %q", s.Exec.Service, s.Exec.Cmd)
	case s.File != nil:
		return "file " + joinNonEmpty(s.File.Service, s.File.Image) + " " + s.File.Path
	case s.Metadata != nil:
		return "metadata " + joinNonEmpty(s.Metadata.Service, s.Metadata.Image)
	case s.Count != nil:
		return fmt.Sprintf("count %s /%s/", s.Count.Service, s.Count.Log)
	}
	return "step"
}

func ifSet[T comparable](s string, v T) string {
	var zero T
	if v == zero {
		return ""
	}
	return s
}

func oneOf(s string, list ...string) bool {
	for _, x := range list {
		if s == x {
			return true
		}
	}
	return false
}

func values(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

func count(set ...bool) int {
	n := 0
	for _, b := range set {
		if b {
			n++
		}
	}
	return n
}
