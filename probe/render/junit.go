package render

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/carbonprobe/carbonprobe/expect"
	"github.com/carbonprobe/carbonprobe/probe"
)

// JUnit output follows the de-facto format CI servers read (Jenkins' junit and
// xunit plugins, GitLab, GitHub actions that publish test reports): the shape
// Apache Ant's XMLJUnitResultFormatter writes, with the <skipped> element that
// Surefire and Jenkins added. testdata/junit/junit.xsd is that format as a
// schema, and the tests validate every golden file against it.

// JUnitOptions adds what a caller knows beyond the report.
type JUnitOptions struct {
	Suite      string    // the testsuite's name; default: the product, host and offset
	Timestamp  time.Time // when the check began; left out when zero
	Properties []JUnitProperty
	Cases      []JUnitCase // test cases after the ports' (wait: the server process)
}

// JUnitProperty is one <property name value>.
type JUnitProperty struct{ Name, Value string }

// JUnitCase is a test case beyond the ports.
type JUnitCase struct {
	Name    string
	Time    time.Duration
	Failure string // one line; "" when the case passed
	Type    string // the failure's kind, e.g. "server-exited"
	Text    string // the failure's body, or the passed case's system-out
}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr,omitempty"`
	Hostname   string          `xml:"hostname,attr"`
	Properties []JUnitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
	SystemOut  string          `xml:"system-out,omitempty"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Skipped   *junitMessage `xml:"skipped"`
	Failure   *junitMessage `xml:"failure"`
	Error     *junitMessage `xml:"error"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

// MarshalXML writes a property as <property name="" value=""/>.
func (p JUnitProperty) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	start.Attr = []xml.Attr{{Name: xml.Name{Local: "name"}, Value: p.Name}, {Name: xml.Name{Local: "value"}, Value: p.Value}}
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	return e.EncodeToken(start.End())
}

// CheckJUnit writes a report as a JUnit XML document: one test case per fixed
// port (a required port that is down is a <failure> with the verdict's line;
// an optional port that is not open, or one that is off, is <skipped>), the
// random-port kinds and the offset as properties.
func CheckJUnit(w io.Writer, rep probe.Report, opt JUnitOptions) error {
	suite := checkSuite(rep, opt)
	return writeSuites(w, junitSuites{Name: "carbonprobe", Tests: suite.Tests, Failures: suite.Failures, Errors: suite.Errors,
		Time: suite.Time, Suites: []junitSuite{suite}})
}

// checkSuite is a check's test suite: a case per port, per readiness or
// liveness signal, per problem of no port, and the caller's own.
func checkSuite(rep probe.Report, opt JUnitOptions) junitSuite {
	class := "carbonprobe." + rep.Target.Spec.Profile
	suite := junitSuite{
		Name:     opt.Suite,
		Time:     seconds(rep.Elapsed),
		Hostname: rep.Target.Host,
	}
	if suite.Name == "" {
		suite.Name = fmt.Sprintf("carbonprobe %s on %s, %s", specTitle(rep.Target.Spec), rep.Target.Host, offsetText(rep.Target.Spec))
	}
	if !opt.Timestamp.IsZero() {
		// Ant's format: ISO 8601 without a zone, in UTC.
		suite.Timestamp = opt.Timestamp.UTC().Format("2006-01-02T15:04:05")
	}
	suite.Properties = append(junitProperties(rep), opt.Properties...)

	if rep.HostErr != "" {
		suite.Cases = append(suite.Cases, junitCase{Name: "host " + rep.Target.Host + " resolves", Classname: class, Time: seconds(0),
			Error: &junitMessage{Message: rep.HostErr, Type: "host", Text: rep.HostErr + ": nothing was checked"}})
	}
	for _, err := range rep.ServerErrs() {
		suite.Cases = append(suite.Cases, junitCase{Name: "the server", Classname: class, Time: seconds(0),
			Failure: &junitMessage{Message: err.Error(), Type: "server", Text: err.Error()}})
	}
	for _, r := range rep.Results {
		suite.Cases = append(suite.Cases, portCase(rep, r, class))
	}
	for _, sr := range rep.Signals {
		jc := junitCase{Name: sr.Label(), Classname: class, Time: seconds(sr.Latency), SystemOut: sr.Detail}
		switch {
		case !sr.Asked:
			jc.Skipped = &junitMessage{Message: sr.Detail}
		case !sr.Fails():
			// An optional signal's no is shown, never a failure.
		default:
			jc.Failure = &junitMessage{Message: sr.Detail, Type: sr.Signal.Kind, Text: sr.Detail + "\n" + sr.Signal.Kind + " means " + sr.Signal.Means}
		}
		suite.Cases = append(suite.Cases, jc)
	}
	for _, c := range opt.Cases {
		jc := junitCase{Name: c.Name, Classname: class, Time: seconds(c.Time)}
		if c.Failure != "" {
			jc.Failure = &junitMessage{Message: c.Failure, Type: c.Type, Text: c.Text}
		} else {
			jc.SystemOut = c.Text
		}
		suite.Cases = append(suite.Cases, jc)
	}
	for _, c := range suite.Cases {
		suite.Tests++
		switch {
		case c.Failure != nil:
			suite.Failures++
		case c.Error != nil:
			suite.Errors++
		case c.Skipped != nil:
			suite.Skipped++
		}
	}
	if ws := rep.Warnings(); len(ws) > 0 {
		suite.SystemOut = "warnings:\n" + strings.Join(ws, "\n") + "\n"
	}
	return suite
}

// writeSuites writes a JUnit document: the XML header, the suites indented.
func writeSuites(w io.Writer, doc junitSuites) error {
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func portCase(rep probe.Report, r probe.Result, class string) junitCase {
	p := r.Port
	c := junitCase{Name: p.Label(), Classname: class, Time: seconds(r.Latency)}
	about := fmt.Sprintf("need: %s\nwhy this number: %s\nsource: %s", p.Need, p.Why, p.Source)
	if p.Condition != "" {
		about += "\ncondition: " + p.Condition
	}
	var out []string
	if r.Answer != nil && r.Answer.Detail != "" {
		out = append(out, "answered: "+r.Answer.Detail)
	}
	if r.Answer != nil {
		for _, w := range r.Answer.Warnings {
			out = append(out, "warning: "+w)
		}
	}
	switch {
	case rep.HostErr != "" && p.Checked():
		c.Skipped = &junitMessage{Message: "not dialled: " + rep.HostErr}
	case p.Unknown != "":
		c.Skipped = &junitMessage{Message: "unknown: " + p.Unknown}
	case p.Need == expect.Off:
		c.Skipped = &junitMessage{Message: "off: " + p.Condition}
	case !portOK(rep, r):
		problem := problemOf(rep, r)
		c.Failure = &junitMessage{Message: problem, Type: stateText(r), Text: problem + "\n" + about}
	case p.Need == expect.Optional && !r.Up():
		msg := "optional, " + stateText(r)
		switch {
		case r.Answer != nil && r.Answer.Detail != "":
			msg += ": " + r.Answer.Detail
		case r.Detail != "":
			msg += ": " + r.Detail
		}
		if p.Condition != "" {
			msg += " (" + p.Condition + ")"
		}
		c.Skipped = &junitMessage{Message: msg}
	case r.State == probe.Silent:
		c.SystemOut = fmt.Sprintf("unconfirmed: %s\n%s", r.Detail, about)
	default:
		c.SystemOut = strings.Join(out, "\n")
	}
	return c
}

func junitProperties(rep probe.Report) []JUnitProperty {
	props := []JUnitProperty{
		{"host", rep.Target.Host},
		{"profile", rep.Target.Spec.Profile},
	}
	if rep.Target.Spec.Profile != expect.NoProfile {
		props = append(props,
			JUnitProperty{"offset", strconv.Itoa(rep.Target.Spec.Offset.Value)},
			JUnitProperty{"offset.from", rep.Target.Spec.Offset.From})
	}
	props = append(props, JUnitProperty{"dial.timeout", rep.Timeout.String()})
	for _, r := range rep.Target.Spec.Random {
		v := fmt.Sprintf("%s: %s; a new number at every start, never in the verdict; pin: %s", expectedWord(r.Expected), r.Why, r.Pin)
		props = append(props, JUnitProperty{"random." + r.Kind + "/" + string(r.Proto), v})
	}
	return props
}

// seconds formats a duration as JUnit's time attribute: seconds, to the microsecond.
func seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', 6, 64)
}
