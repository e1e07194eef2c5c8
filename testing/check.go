package crosstest

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// TODO: waits and counts read the service's whole log at every poll (5 a
// second); a service that prints megabytes makes them slow and the
// measured windows late. Following the log from an offset would fix it.
func (x *executor) wait(ctx context.Context, w *WaitStep) *Failure {
	f := &Failure{Service: w.Service}
	var check func() (bool, error)
	switch {
	case w.Log != "":
		re := regexp.MustCompile(w.Log) // checked when the suite loaded
		f.Expected = fmt.Sprintf("a log line matching /%s/ %s", w.Log, x.within(w.Timeout))
		var n int
		check = func() (bool, error) {
			lines, err := x.t.Logs(ctx, w.Service)
			n = len(lines)
			return slices.ContainsFunc(lines, re.MatchString), err
		}
		defer func() { f.Seen = fmt.Sprintf("no match in %d lines", n) }()
	case w.Port != 0:
		f.Expected = fmt.Sprintf("port %d/tcp open %s", w.Port, x.within(w.Timeout))
		f.Seen = "connection refused until the timeout"
		check = func() (bool, error) { return x.t.PortOpen(ctx, w.Service, w.Port) }
	default:
		f.Expected = fmt.Sprintf("health %s %s", w.Health, x.within(w.Timeout))
		var last string
		check = func() (bool, error) {
			h, err := x.t.Health(ctx, w.Service)
			last = h
			return h == w.Health, err
		}
		defer func() { f.Seen = "health " + last }()
	}
	ok, err := pollUntil(ctx, x.timeout(w.Timeout), check)
	if err != nil {
		return &Failure{Service: w.Service, Expected: f.Expected, Seen: "error: " + err.Error()}
	}
	if ok {
		return nil
	}
	return f
}

func (x *executor) exec(ctx context.Context, e *ExecStep) *Failure {
	ctx, cancel := context.WithTimeout(ctx, x.timeout(e.Timeout))
	defer cancel()
	res, err := x.t.Exec(ctx, e.Service, e.Cmd)
	if err != nil {
		return &Failure{Service: e.Service, Expected: fmt.Sprintf("%q runs %s", e.Cmd, x.within(e.Timeout)),
			Seen: "error: " + err.Error()}
	}
	want := 0
	if e.ExitCode != nil {
		want = *e.ExitCode
	}
	seen := fmt.Sprintf("exit code %d\nstdout: %s\nstderr: %s", res.ExitCode,
		clip(res.Stdout), clip(res.Stderr))
	fail := func(expected string) *Failure {
		return &Failure{Service: e.Service, Expected: expected, Seen: seen}
	}
	if res.ExitCode != want {
		return fail(fmt.Sprintf("exit code %d", want))
	}
	for _, c := range []struct{ name, out, contains, matches string }{
		{"stdout", res.Stdout, e.StdoutContains, e.StdoutMatches},
		{"stderr", res.Stderr, e.StderrContains, e.StderrMatches},
	} {
		if c.contains != "" && !strings.Contains(c.out, c.contains) {
			return fail(fmt.Sprintf("%s contains %q", c.name, c.contains))
		}
		if c.matches != "" && !regexp.MustCompile(c.matches).MatchString(c.out) {
			return fail(fmt.Sprintf("%s matches /%s/", c.name, c.matches))
		}
	}
	return nil
}

func (x *executor) file(ctx context.Context, s *FileStep) *Failure {
	from := Source{Service: s.Service, Image: s.Image}
	fail := func(expected, seen string) *Failure {
		return &Failure{Service: s.Service, Expected: fmt.Sprintf("%s in %s: %s", s.Path, from, expected), Seen: seen}
	}
	f, err := x.t.File(ctx, from, s.Path)
	exists := s.Exists == nil || *s.Exists
	switch {
	case errors.Is(err, fs.ErrNotExist) && !exists:
		return nil
	case errors.Is(err, fs.ErrNotExist):
		return fail("exists", "no such file")
	case err != nil:
		return fail("readable", "error: "+err.Error())
	case !exists:
		return fail("does not exist", "it exists, mode "+f.Mode.String())
	}
	if s.Mode != "" {
		want, _ := strconv.ParseUint(s.Mode, 8, 32)
		if got := uint64(f.Mode.Perm()); got != want {
			return fail("mode "+s.Mode, fmt.Sprintf("mode %04o", got))
		}
	}
	if s.Content != nil && string(f.Data) != *s.Content {
		return fail(fmt.Sprintf("content %q", clip(*s.Content)), fmt.Sprintf("content %q", clip(string(f.Data))))
	}
	if s.Contains != "" && !strings.Contains(string(f.Data), s.Contains) {
		return fail(fmt.Sprintf("contains %q", s.Contains), fmt.Sprintf("content %q", clip(string(f.Data))))
	}
	return nil
}

func (x *executor) metadata(ctx context.Context, m *MetadataStep) *Failure {
	from := Source{Service: m.Service, Image: m.Image}
	fail := func(expected, seen string) *Failure {
		return &Failure{Service: m.Service, Expected: from.String() + ": " + expected, Seen: seen}
	}
	cfg, err := x.t.ImageConfig(ctx, from)
	if err != nil {
		return fail("an image config", "error: "+err.Error())
	}
	if want := x.platformOf(m.Platform); want != "" {
		if got, _ := NormalizePlatform(cfg.Platform); got != want {
			return fail("platform "+want, "platform "+cfg.Platform)
		}
	}
	for _, k := range sortedKeys(m.Env) {
		want := k + "=" + m.Env[k]
		if !slices.Contains(cfg.Env, want) {
			return fail("env "+want, "env "+strings.Join(cfg.Env, " "))
		}
	}
	if m.Entrypoint != nil && !slices.Equal(cfg.Entrypoint, m.Entrypoint) {
		return fail(fmt.Sprintf("entrypoint %q", m.Entrypoint), fmt.Sprintf("entrypoint %q", cfg.Entrypoint))
	}
	if m.Cmd != nil && !slices.Equal(cfg.Cmd, m.Cmd) {
		return fail(fmt.Sprintf("cmd %q", m.Cmd), fmt.Sprintf("cmd %q", cfg.Cmd))
	}
	for _, p := range m.ExposedPorts {
		if !strings.Contains(p, "/") {
			p += "/tcp"
		}
		if !slices.Contains(cfg.ExposedPorts, p) {
			return fail("exposed port "+p, "exposed ports "+strings.Join(cfg.ExposedPorts, " "))
		}
	}
	for _, path := range sortedKeys(m.Binaries) {
		want := x.platformOf(m.Binaries[path])
		f, err := x.t.File(ctx, Source{Service: m.Service, Image: m.Image}, path)
		if err != nil {
			return fail(path+" built for "+want, "error: "+err.Error())
		}
		if got, _ := NormalizePlatform(f.Platform); f.Platform == "" || got != want {
			return fail(path+" built for "+want, path+" built for "+orNone(f.Platform, "nothing (not ELF)"))
		}
	}
	return nil
}

func (x *executor) platformOf(p string) string {
	if p == "target" {
		return x.platform
	}
	n, _ := NormalizePlatform(p)
	return n
}

func (x *executor) count(ctx context.Context, c *CountStep) *Failure {
	re := regexp.MustCompile(c.Log)
	window := c.Window
	if window == 0 {
		window = Duration(DefaultTimeout)
	}
	skip := 0
	if c.From == "step" {
		lines, err := x.t.Logs(ctx, c.Service)
		if err != nil {
			return &Failure{Service: c.Service, Expected: "logs", Seen: "error: " + err.Error()}
		}
		skip = len(lines)
	}
	n := 0
	counted := func() (bool, error) {
		lines, err := x.t.Logs(ctx, c.Service)
		if err != nil {
			return false, err
		}
		n = 0
		for _, l := range lines[min(skip, len(lines)):] {
			if re.MatchString(l) {
				n++
			}
		}
		// With a maximum, the whole window is counted.
		return c.Max == nil && n >= *c.Min, nil
	}
	began := time.Now()
	if _, err := pollUntil(ctx, x.timeout(window), counted); err != nil {
		return &Failure{Service: c.Service, Expected: "logs", Seen: "error: " + err.Error()}
	}
	var want []string
	if c.Min != nil {
		want = append(want, fmt.Sprintf("at least %d", *c.Min))
	}
	if c.Max != nil {
		want = append(want, fmt.Sprintf("at most %d", *c.Max))
	}
	if (c.Min != nil && n < *c.Min) || (c.Max != nil && n > *c.Max) {
		return &Failure{Service: c.Service,
			Expected: fmt.Sprintf("%s lines matching /%s/ %s", strings.Join(want, " and "), c.Log, x.within(window)),
			Seen:     fmt.Sprintf("%d lines in %s", n, time.Since(began).Round(time.Millisecond))}
	}
	return nil
}

func clip(s string) string {
	const max = 2000
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}

func orNone(s, none string) string {
	if s == "" {
		return none
	}
	return s
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
