package render

import (
	"fmt"
	"io"
	"strings"

	"github.com/carbonprobe/carbonprobe/expect"
	"github.com/carbonprobe/carbonprobe/internal/text"
	"github.com/carbonprobe/carbonprobe/probe"
)

// Quiet writes the verdict on one line, for `docker inspect` health logs and
// Kubernetes events, which show a probe's output on one line: the count of
// required ports up, then the first problem, whatever its kind (a port down,
// a port held by another process, a server that is not running), and how
// many more there are:
//
//	healthy: mi offset 3, 4/4 required ports up
//	unhealthy: mi offset 3, 2/4 required ports up; passthrough-https 8246/tcp: refused: nothing listens (expected ...) (and 1 more problem)
//
// notes are appended after "; " (wait adds why it stopped).
func Quiet(w io.Writer, rep probe.Report, notes ...string) error {
	_, err := io.WriteString(w, QuietLine(rep, notes...)+"\n")
	return err
}

// QuietLine is the line Quiet writes, without its newline.
func QuietLine(rep probe.Report, notes ...string) string {
	var b strings.Builder
	if rep.Healthy() {
		b.WriteString("healthy: ")
	} else {
		b.WriteString("unhealthy: ")
	}
	if rep.HostErr != "" {
		b.WriteString(rep.HostErr + ": nothing was checked")
	} else {
		up, required := rep.RequiredUp()
		var unconfirmed []string
		for _, r := range rep.Results {
			if r.Port.Need == expect.Required && r.State == probe.Silent && r.Up() {
				unconfirmed = append(unconfirmed, r.Port.Label())
			}
		}
		fmt.Fprintf(&b, "%s, %d/%d required ports up", quietSubject(rep.Target.Spec), up, required)
		if first := text.First(rep.Err(), 1024); first != "" {
			b.WriteString("; " + first)
		}
		if len(unconfirmed) > 0 {
			b.WriteString("; unconfirmed (UDP silence): " + strings.Join(unconfirmed, ", "))
		}
	}
	for _, n := range notes {
		if n != "" {
			b.WriteString("; " + n)
		}
	}
	// One line whatever a detail holds: a newline would split a health log entry.
	return strings.NewReplacer("\n", " ", "\r", " ").Replace(b.String())
}

func quietSubject(spec expect.Spec) string {
	if spec.Profile == expect.NoProfile {
		return "ad-hoc ports"
	}
	return fmt.Sprintf("%s offset %d", spec.Profile, spec.Offset.Value)
}

// portOK tells whether one result passes the report's rules, asked of the
// report itself so that the renderers never disagree with the verdict.
func portOK(rep probe.Report, r probe.Result) bool {
	return rep.PortErr(r) == nil
}

// problemOf is the verdict's line for one result, "" when it passes.
func problemOf(rep probe.Report, r probe.Result) string {
	if err := rep.PortErr(r); err != nil {
		return err.Error()
	}
	return ""
}
