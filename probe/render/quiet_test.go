package render

import (
	"bytes"
	"testing"

	"github.com/carbonprobe/carbonprobe/probe"
)

func TestQuiet(t *testing.T) {
	reps := junitReports(t)
	for _, tc := range []struct {
		name  string
		rep   probe.Report
		notes []string
		want  string
	}{
		{"healthy", reps["check-mi-healthy.xml"], nil, "healthy: mi offset 3, 4/4 required ports up"},
		{"unhealthy", reps["check-carbon-unhealthy.xml"], nil,
			"unhealthy: carbon offset 2, 3/5 required ports up; https 9445/tcp: refused: nothing listens (expected 9443 + offset 2 from flag --offset: is the server running with that offset?) (and 1 more problem); unconfirmed (UDP silence): 8000/udp"},
		{"ad-hoc with a note", reps["check-hostile-detail.xml"], []string{"", "timed out after 5s"},
			`unhealthy: ad-hoc ports, 1/2 required ports up; 8081/tcp: error: connect: <weird> & "quoted" 'text' ]]> end\x01\x1b[31m (expected from --ports); timed out after 5s`},
		{"wrong protocol", reps["check-carbon-verified.xml"], nil,
			"unhealthy: carbon offset 2, 3/4 required ports up; jmx-registry 10001/tcp: an RMI server answered, not an RMI registry: RMI server: JRMP with exported objects, no registry"},
		{"host", reps["check-host-unresolved.xml"], nil, "unhealthy: host carbon.invalid does not resolve here: nothing was checked"},
		// Whatever the first problem is, not only a port's state.
		{"the named server is not running", missing(reps["check-mi-healthy.xml"], "flag --pid 999999: no such process runs here"), nil,
			"unhealthy: mi offset 3, 4/4 required ports up; flag --pid 999999: no such process runs here"},
		{"a note cannot break the line", reps["check-mi-healthy.xml"], []string{"server log:\nline two"}, "healthy: mi offset 3, 4/4 required ports up; server log: line two"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := Quiet(&b, tc.rep, tc.notes...); err != nil {
				t.Fatal(err)
			}
			if got := b.String(); got != tc.want+"\n" {
				t.Errorf("got  %q\nwant %q", got, tc.want+"\n")
			}
			if bytes.Count(b.Bytes(), []byte("\n")) != 1 {
				t.Errorf("not one line: %q", b.String())
			}
		})
	}
	if err := Quiet(failWriter{}, reps["check-mi-healthy.xml"]); err == nil {
		t.Error("Quiet hid a write error")
	}
}

func missing(rep probe.Report, why string) probe.Report {
	rep.Target.Missing = why
	return rep
}
