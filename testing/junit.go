package crosstest

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// JUnit XML, in the form CI servers read: one testsuite per platform.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string      `xml:"name,attr"`
	Tests     int         `xml:"tests,attr"`
	Failures  int         `xml:"failures,attr"`
	Errors    int         `xml:"errors,attr"`
	Time      string      `xml:"time,attr"`
	Props     []junitProp `xml:"properties>property"`
	Cases     []junitCase `xml:"testcase"`
	SystemErr string      `xml:"system-err,omitempty"`
}

type junitProp struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes the report as JUnit XML: a testsuite per platform, a
// testcase per test, the failure text as the text report shows it.
func (r *Report) WriteJUnit(w io.Writer) error {
	out := junitSuites{Name: r.Suite}
	for _, run := range r.Runs {
		s := junitSuite{
			Name: r.Suite + " on " + run.Platform,
			Time: seconds(run.Duration.Seconds()),
			Props: []junitProp{
				{Name: "platform", Value: run.Platform},
				{Name: "target", Value: run.Target},
				{Name: "timeout_scale", Value: fmt.Sprint(run.Scale)},
			},
			SystemErr: run.Error,
		}
		if run.Error != "" {
			s.Errors = 1
		}
		for _, t := range run.Tests {
			c := junitCase{Name: t.Name, Classname: r.Suite + "." + run.Platform,
				Time: seconds(t.Duration.Seconds())}
			if f := t.Failure; f != nil {
				var b strings.Builder
				writeFailure(&b, t.Name, f)
				c.Failure = &junitFailure{Type: orNone(f.Kind, "stack"),
					Message: fmt.Sprintf("%s: expected %s", f.Step, firstLine(f.Expected)),
					Text:    b.String()}
				s.Failures++
			}
			s.Tests++
			s.Cases = append(s.Cases, c)
		}
		out.Tests += s.Tests
		out.Failures += s.Failures
		out.Suites = append(out.Suites, s)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("junit: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func seconds(s float64) string { return fmt.Sprintf("%.3f", s) }

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}
