package render

import (
	"io"
	"strings"
	"time"

	"github.com/carbonprobe/carbonprobe/internal/buildinfo"
	"github.com/carbonprobe/carbonprobe/internal/text"
	"github.com/carbonprobe/carbonprobe/probe"
)

// FleetSchema is the JSON document of check --targets and of serve's /readyz.
const FleetSchema = "carbonprobe/fleet/v1"

// FleetText writes each target's check under its key, then one verdict for
// the fleet.
func FleetText(w io.Writer, f probe.FleetReport, st Style) error {
	ew := &errWriter{w: w}
	for i, t := range f.Targets {
		if i > 0 {
			ew.printf("\n")
		}
		ew.printf("%s (%s)\n", st.paint("== "+t.Key, bold), t.At)
		switch {
		case t.Report != nil && t.Err == nil:
			if ew.err == nil {
				ew.err = CheckText(w, *t.Report, st)
			}
		default:
			for _, p := range t.Problems() {
				ew.printf("%s %s\n", st.paint("UNHEALTHY:", red+";"+bold), p)
			}
		}
	}
	for _, n := range f.Notes {
		ew.printf("note: %s\n", n)
	}
	healthy := 0
	for _, t := range f.Targets {
		if t.Healthy() {
			healthy++
		}
	}
	if err := f.Err(); err != nil {
		ew.printf("\n%s: %d of %d targets healthy, %d problem(s) in all\n", st.paint("FLEET UNHEALTHY", red+";"+bold), healthy, len(f.Targets), len(text.Lines(err)))
	} else {
		ew.printf("\n%s: %d of %d targets healthy\n", st.paint("FLEET HEALTHY", green+";"+bold), healthy, len(f.Targets))
	}
	return ew.err
}

type jsonFleetTarget struct {
	Target    string     `json:"target"`
	At        string     `json:"at"`
	Healthy   bool       `json:"healthy"`
	CheckedAt string     `json:"checked_at,omitempty"`
	Problems  []string   `json:"problems"`
	Check     *jsonCheck `json:"check,omitempty"`
}

// FleetJSON writes the fleet as one document (schema carbonprobe/fleet/v1):
// each target with its carbonprobe/check/v1 document, or its problems when
// it has none.
func FleetJSON(w io.Writer, f probe.FleetReport) error {
	targets := make([]jsonFleetTarget, len(f.Targets))
	for i, t := range f.Targets {
		jt := jsonFleetTarget{Target: t.Key, At: t.At, Healthy: t.Healthy(), Problems: t.Problems()}
		if jt.Problems == nil {
			jt.Problems = []string{}
		}
		if !t.Checked.IsZero() {
			jt.CheckedAt = t.Checked.UTC().Format(time.RFC3339Nano)
		}
		if t.Report != nil && t.Err == nil {
			doc := checkDoc(*t.Report) // its generator is the fleet document's
			jt.Check = &doc
		}
		targets[i] = jt
	}
	problems := []string{}
	if err := f.Err(); err != nil {
		problems = text.Lines(err)
	}
	return writeJSON(w, struct {
		Schema    string            `json:"schema"`
		Generator buildinfo.Info    `json:"generator"`
		Healthy   bool              `json:"healthy"`
		Targets   []jsonFleetTarget `json:"targets"`
		Problems  []string          `json:"problems"`
		Notes     []string          `json:"notes,omitempty"`
	}{FleetSchema, buildinfo.Get(), len(problems) == 0, targets, problems, f.Notes})
}

// FleetJUnit writes the fleet as one JUnit document: a test suite per
// target (as check --format junit writes it, named by the target's key),
// and a suite with one failed case per target that could not be checked.
func FleetJUnit(w io.Writer, f probe.FleetReport, opt JUnitOptions) error {
	doc := junitSuites{Name: "carbonprobe"}
	var unchecked junitSuite
	var total time.Duration
	for _, t := range f.Targets {
		if t.Report == nil || t.Err != nil {
			msg := strings.Join(t.Problems(), "; ")
			unchecked.Cases = append(unchecked.Cases, junitCase{Name: t.Key + " is checked", Classname: "carbonprobe.fleet", Time: seconds(0),
				Error: &junitMessage{Message: msg, Type: "target", Text: t.At + ": " + msg}})
			continue
		}
		o := opt
		o.Suite = t.Key
		doc.Suites = append(doc.Suites, checkSuite(*t.Report, o))
		total += t.Report.Elapsed
	}
	if len(unchecked.Cases) > 0 {
		unchecked.Name, unchecked.Hostname, unchecked.Time = "targets that could not be checked", "localhost", seconds(0)
		unchecked.Tests, unchecked.Errors = len(unchecked.Cases), len(unchecked.Cases)
		doc.Suites = append(doc.Suites, unchecked)
	}
	for _, s := range doc.Suites {
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Errors += s.Errors
	}
	doc.Time = seconds(total)
	return writeSuites(w, doc)
}
