// Package crosstest runs test suites against stacks on every platform, and
// gives users' own `go test` files helpers to do the same.
//
// A suite (format in docs/suite.md) names a stack file, the platforms to run
// it on, and tests made of steps: wait for a log line, a port or a health
// status; exec a command in a service; check a file or an image's metadata;
// count log lines in a window. One suite serves every platform: timeouts
// scale per platform (timeout_scale), since emulated ARM runs slower.
//
// A suite runs on a Target: where a stack runs. Local runs stacks on this
// machine with runc (foreign platforms under qemu-user); a remote target (an
// agent on a robot) implements the same interface. Run returns a Report that
// prints as text, JUnit XML or JSON, and tells where verdicts differ
// between platforms.
package crosstest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/containerd/platforms"
	"gopkg.in/yaml.v3"

	"github.com/crossdock/crossdock/internal/errdefs"
)

// Suite is a loaded suite file.
type Suite struct {
	Path string `yaml:"-"` // the file it was read from
	Dir  string `yaml:"-"` // the folder it was read from; Stack is relative to it

	Name      string   `yaml:"name"`
	Stack     string   `yaml:"stack"`     // the stack file, relative to the suite
	Platforms []string `yaml:"platforms"` // OCI platforms, normalized (linux/arm means linux/arm/v7)
	// TimeoutScale multiplies every timeout and window on a platform.
	TimeoutScale map[string]float64 `yaml:"timeout_scale"`
	// Env holds the variables that ${VAR} in the stack file expands to.
	Env   map[string]string `yaml:"env"`
	Tests []Test            `yaml:"tests"`
}

// Test is a named list of steps, run in order; the first failing step ends
// the test.
type Test struct {
	Name  string `yaml:"name"`
	Steps []Step `yaml:"steps"`
}

// Step is one check. Exactly one of its kinds is set.
type Step struct {
	Line int    `yaml:"-"` // where the step starts in the suite file
	Name string `yaml:"name"`

	Wait     *WaitStep     `yaml:"wait"`
	Exec     *ExecStep     `yaml:"exec"`
	File     *FileStep     `yaml:"file"`
	Metadata *MetadataStep `yaml:"metadata"`
	Count    *CountStep    `yaml:"count"`
}

// Duration is a time.Duration written as "30s" or "2m".
type Duration time.Duration

// UnmarshalYAML reads a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: duration %q: want a number and unit, such as 30s", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration as a string.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// DefaultTimeout is a step's timeout when it sets none, before scaling.
const DefaultTimeout = 30 * time.Second

// Load reads and checks the suite file at path. Errors name the file and
// line and are marked errdefs.Invalid.
func Load(path string) (*Suite, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, errdefs.Invalid(fmt.Errorf("suite: %w", err))
	}
	s, err := Parse(path, data)
	if err != nil {
		return nil, errdefs.Invalid(err)
	}
	return s, nil
}

// Parse reads a suite from data; path names it in errors and anchors the
// stack file.
func Parse(path string, data []byte) (*Suite, error) {
	s := &Suite{Path: path, Dir: filepath.Dir(path)}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(s); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := stepLines(data, s); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := s.check(); err != nil {
		return nil, err
	}
	return s, nil
}

// stepLines records where each step starts, for error messages.
func stepLines(data []byte, s *Suite) error {
	var doc struct {
		Tests []struct {
			Steps []yaml.Node `yaml:"steps"`
		} `yaml:"tests"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return err
	}
	for i, t := range doc.Tests {
		for j, n := range t.Steps {
			if i < len(s.Tests) && j < len(s.Tests[i].Steps) {
				s.Tests[i].Steps[j].Line = n.Line
			}
		}
	}
	return nil
}

func (s *Suite) check() error {
	at := func(line int) string { return fmt.Sprintf("%s:%d", s.Path, line) }
	if s.Stack == "" {
		return fmt.Errorf("%s: no stack: name the stack file (compose format)", s.Path)
	}
	if len(s.Platforms) == 0 {
		return fmt.Errorf("%s: no platforms: list them, such as [linux/arm/v7, linux/amd64]", s.Path)
	}
	for i, p := range s.Platforms {
		n, err := NormalizePlatform(p)
		if err != nil {
			return fmt.Errorf("%s: platforms: %w", s.Path, err)
		}
		s.Platforms[i] = n
	}
	scale := map[string]float64{}
	for p, f := range s.TimeoutScale {
		n, err := NormalizePlatform(p)
		if err != nil {
			return fmt.Errorf("%s: timeout_scale: %w", s.Path, err)
		}
		if f <= 0 {
			return fmt.Errorf("%s: timeout_scale: %s: want a factor above 0, got %v", s.Path, p, f)
		}
		scale[n] = f
	}
	s.TimeoutScale = scale
	if len(s.Tests) == 0 {
		return fmt.Errorf("%s: no tests", s.Path)
	}
	seen := map[string]bool{}
	for _, t := range s.Tests {
		if t.Name == "" || seen[t.Name] {
			return fmt.Errorf("%s: every test needs a unique name (got %q)", s.Path, t.Name)
		}
		seen[t.Name] = true
		if len(t.Steps) == 0 {
			return fmt.Errorf("%s: test %q has no steps", s.Path, t.Name)
		}
		for _, st := range t.Steps {
			if err := st.check(); err != nil {
				return fmt.Errorf("%s: test %q: %w", at(st.Line), t.Name, err)
			}
		}
	}
	return nil
}

// StackPath is the stack file's path.
func (s *Suite) StackPath() string {
	if filepath.IsAbs(s.Stack) {
		return s.Stack
	}
	return filepath.Join(s.Dir, s.Stack)
}

// Scale is the timeout factor for platform (1 unless the suite sets one).
func (s *Suite) Scale(platform string) float64 {
	if f, ok := s.TimeoutScale[platform]; ok {
		return f
	}
	return 1
}

// NormalizePlatform checks an OCI platform string and writes it in full:
// linux/arm becomes linux/arm/v7, as crossdock's convention says.
func NormalizePlatform(p string) (string, error) {
	parsed, err := platforms.Parse(p)
	if err != nil {
		return "", fmt.Errorf("platform %q: %w", p, err)
	}
	if parsed.OS == "unknown" || parsed.Architecture == "unknown" {
		return "", fmt.Errorf("platform %q: not a platform (attestation entries are not run)", p)
	}
	parsed = platforms.Normalize(parsed)
	if parsed.Architecture == "arm" && parsed.Variant == "" {
		parsed.Variant = "v7"
	}
	return platforms.Format(parsed), nil
}

func compile(what, expr string) (*regexp.Regexp, error) {
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, fmt.Errorf("%s: regexp %q: %w", what, expr, err)
	}
	return re, nil
}

func joinNonEmpty(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, ", ")
}
