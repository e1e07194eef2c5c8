package crosstest

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is the outcome of a suite on every platform it ran on.
type Report struct {
	Suite     string         `json:"suite"`
	Path      string         `json:"path"`
	Platforms []string       `json:"platforms"`
	Runs      []*PlatformRun `json:"runs"`
}

// PlatformRun is the suite's outcome on one platform.
type PlatformRun struct {
	Platform string        `json:"platform"`
	Target   string        `json:"target"`
	Scale    float64       `json:"timeoutScale"`
	Duration time.Duration `json:"duration"`
	Error    string        `json:"error,omitempty"` // the stack failed to come up or go down
	Tests    []TestResult  `json:"tests"`
}

// TestResult is one test's verdict on one platform.
type TestResult struct {
	Name     string        `json:"name"`
	Passed   bool          `json:"passed"`
	Duration time.Duration `json:"duration"`
	Failure  *Failure      `json:"failure,omitempty"`
}

// Failure says which step failed, where, what was expected and what was
// seen, with the service's last log lines.
type Failure struct {
	Platform string   `json:"platform"`
	Index    int      `json:"step"` // 1-based, 0 when the stack did not come up
	Line     int      `json:"line,omitempty"`
	Kind     string   `json:"kind,omitempty"`
	Step     string   `json:"title"`
	Service  string   `json:"service,omitempty"`
	Expected string   `json:"expected"`
	Seen     string   `json:"seen"`
	Logs     []string `json:"logs,omitempty"`
}

// Passed reports whether every test passed on every platform, and every
// stack came up and went down cleanly.
func (r *Report) Passed() bool {
	for _, run := range r.Runs {
		if run.Error != "" {
			return false
		}
		for _, t := range run.Tests {
			if !t.Passed {
				return false
			}
		}
	}
	return true
}

// Differing returns the names of tests whose verdict differs between
// platforms.
func (r *Report) Differing() []string {
	var out []string
	for _, name := range r.testNames() {
		verdicts := map[bool]bool{}
		for _, run := range r.Runs {
			if t := run.test(name); t != nil {
				verdicts[t.Passed] = true
			}
		}
		if len(verdicts) > 1 {
			out = append(out, name)
		}
	}
	return out
}

func (r *Report) testNames() []string {
	var names []string
	seen := map[string]bool{}
	for _, run := range r.Runs {
		for _, t := range run.Tests {
			if !seen[t.Name] {
				seen[t.Name] = true
				names = append(names, t.Name)
			}
		}
	}
	return names
}

func (run *PlatformRun) test(name string) *TestResult {
	for i := range run.Tests {
		if run.Tests[i].Name == name {
			return &run.Tests[i]
		}
	}
	return nil
}

// WriteText prints the report for people: a table of verdicts and times,
// one column per platform, tests whose verdicts differ marked, then each
// failure in full.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "suite %s (%s)\n\n", r.Suite, r.Path)
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprint(tw, "TEST")
	for _, run := range r.Runs {
		fmt.Fprintf(tw, "\t%s", run.Platform)
	}
	fmt.Fprintln(tw, "\t")
	differ := map[string]bool{}
	for _, n := range r.Differing() {
		differ[n] = true
	}
	for _, name := range r.testNames() {
		fmt.Fprint(tw, name)
		for _, run := range r.Runs {
			fmt.Fprintf(tw, "\t%s", verdict(run.test(name)))
		}
		if differ[name] {
			fmt.Fprint(tw, "\t<- differs between platforms")
		}
		fmt.Fprintln(tw, "\t")
	}
	fmt.Fprint(tw, "(total)")
	for _, run := range r.Runs {
		fmt.Fprintf(tw, "\t%s", run.Duration.Round(10*time.Millisecond))
	}
	fmt.Fprintln(tw, "\t")
	tw.Flush()

	for _, run := range r.Runs {
		if run.Error != "" {
			fmt.Fprintf(&b, "\n%s on %s: %s\n", r.Suite, run.Platform, run.Error)
		}
		for _, t := range run.Tests {
			if t.Failure != nil {
				b.WriteString("\n")
				writeFailure(&b, t.Name, t.Failure)
			}
		}
	}
	if r.Passed() {
		fmt.Fprintf(&b, "\nPASS: %d tests on %s\n", len(r.testNames()), strings.Join(r.Platforms, ", "))
	} else {
		fmt.Fprintln(&b, "\nFAIL")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func verdict(t *TestResult) string {
	switch {
	case t == nil:
		return "-"
	case t.Passed:
		return "ok   " + t.Duration.Round(10*time.Millisecond).String()
	}
	return "FAIL " + t.Duration.Round(10*time.Millisecond).String()
}

func writeFailure(b *strings.Builder, test string, f *Failure) {
	where := "stack up"
	if f.Index > 0 {
		where = fmt.Sprintf("step %d (%s, line %d)", f.Index, f.Step, f.Line)
	}
	fmt.Fprintf(b, "FAIL %s on %s, %s\n", test, f.Platform, where)
	fmt.Fprintf(b, "  expected: %s\n", indent(f.Expected))
	fmt.Fprintf(b, "  seen:     %s\n", indent(f.Seen))
	if f.Service != "" {
		fmt.Fprintf(b, "  last %d log lines of %s:\n", len(f.Logs), f.Service)
		for _, l := range f.Logs {
			fmt.Fprintf(b, "    | %s\n", l)
		}
	}
}

func indent(s string) string {
	return strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n            ")
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
