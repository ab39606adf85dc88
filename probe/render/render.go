// Package render writes what carbonprobe found for people (aligned text,
// coloured only on a terminal) and for scripts (JSON with a stable schema,
// documented in docs/json.md).
package render

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/carbonprobe/carbonprobe/expect"
	"github.com/carbonprobe/carbonprobe/internal/text"
	"github.com/carbonprobe/carbonprobe/probe"
	"github.com/carbonprobe/carbonprobe/target"
)

// Style says how text output looks.
type Style struct {
	Color bool // ANSI colour: only on a terminal, and not when NO_COLOR is set
	// Width is the terminal's width in columns: a table wider than it puts
	// its last column under each row. 0: no limit (not a terminal).
	Width int
}

func (s Style) paint(text, code string) string {
	if !s.Color || code == "" || text == "" {
		return text
	}
	return "\x1b[" + code + "m" + text + "\x1b[0m"
}

const (
	green  = "32"
	red    = "31"
	yellow = "33"
	dim    = "2"
	bold   = "1"
)

// errWriter keeps the first write error so the text renderers can write
// line after line and check once.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}

func (e *errWriter) table(t *table, st Style) {
	if e.err == nil {
		e.err = t.write(e.w, st)
	}
}

// PortsText writes the expected ports of a target, why each has its number,
// the random-port kinds, and where the documentation differs from the sources.
func PortsText(w io.Writer, tg target.Target, st Style) error {
	spec := tg.Spec
	ew := &errWriter{w: w}
	ew.printf("%s\n", st.paint(specTitle(spec), bold))
	if spec.Home != "" {
		ew.printf("home %s, read as %s\n", spec.Home, spec.Chosen)
	}
	ew.printf("%s\n", offsetText(spec))
	switch {
	case tg.Server != nil:
		ew.printf("server: %s (found by %s)\n", tg.Server.Describe(), tg.Server.From)
	case tg.Missing != "":
		ew.printf("server: not running: %s\n", tg.Missing)
	}

	ew.printf("\n%s\n", st.paint("FIXED PORTS", bold))
	t := &table{header: []string{"NAME", "PORT", "PROTO", "ANSWERS", "NEED", "WHY THIS NUMBER"}}
	var conditional []expect.Port
	for _, p := range spec.Ports {
		t.add(plain(p.Name), plain(strconv.Itoa(p.Number)), plain(string(p.Proto)), plain(string(p.Role)),
			colored(string(p.Need), needColor(p.Need)), plain(p.Why))
		if p.Condition != "" {
			conditional = append(conditional, p)
		}
	}
	ew.table(t, st)

	if len(conditional) > 0 {
		ew.printf("\n%s\n", st.paint("NOT ALWAYS THERE", bold))
		for _, p := range conditional {
			ew.printf("  %s (%s): %s\n", p.Name, p.Need, p.Condition)
		}
	}

	if notes := append(append([]string(nil), spec.Notes...), tg.Notes...); len(notes) > 0 {
		ew.printf("\n%s\n", st.paint("NOTES", bold))
		for _, n := range notes {
			ew.printf("  %s\n", n)
		}
	}

	if len(spec.Random) > 0 {
		ew.printf("\n%s\n", st.paint("RANDOM PORTS (a new number at every start; kept apart from the fixed ports, never in the verdict)", bold))
		for _, r := range spec.Random {
			ew.printf("  %s/%s, %s: %s\n    %s\n", r.Kind, r.Proto, randomWord(r), r.Why, r.Pin)
		}
	}

	if len(spec.Docs) > 0 {
		ew.printf("\n%s\n", st.paint("WHERE THE DOCS DIFFER FROM THE SOURCES", bold))
		for _, d := range spec.Docs {
			ew.printf("  docs:    %s\n  sources: %s\n           [%s]\n", d.Claim, d.Fact, d.Source)
		}
	}

	if spec.Profile == expect.NoProfile {
		return ew.err
	}
	ew.printf("\n%s\n", st.paint("SOURCES", bold))
	if spec.Offset.Source != "" {
		ew.printf("  offset: %s\n", spec.Offset.Source)
	}
	for _, p := range spec.Ports {
		if !p.AdHoc {
			ew.printf("  %s: %s\n", p.Name, p.Source)
			if p.From != "" && p.Expect == "" {
				ew.printf("    in this home: %s\n", p.From)
			}
		}
	}
	return ew.err
}

// CheckText writes one row per fixed port, the random-port kinds to expect,
// and the verdict with every problem.
func CheckText(w io.Writer, rep probe.Report, st Style) error {
	ew := &errWriter{w: w}
	tg := rep.Target
	ew.printf("%s on %s, %s\n", specTitle(tg.Spec), tg.Host, offsetText(tg.Spec))
	owners := tg.Looked
	switch {
	case tg.Server != nil:
		ew.printf("server: %s (found by %s)\n", tg.Server.Describe(), tg.Server.From)
	case tg.Skipped != "":
		ew.printf("server: %s\n", tg.Skipped)
	}
	header := []string{"NAME", "PORT", "PROTO", "NEED", "STATE", "LATENCY"}
	if owners {
		header = append(header, "HOLDER")
	}
	t := &table{header: append(header, "DETAIL")}
	for _, r := range rep.Results {
		detail := r.Detail
		if r.Answer != nil {
			detail = r.Answer.Detail
		}
		row := []cell{plain(r.Port.Name), plain(strconv.Itoa(r.Port.Number)), plain(string(r.Port.Proto)),
			plain(string(r.Port.Need)), colored(stateText(r), stateColor(r)), plain(latency(r))}
		if owners {
			row = append(row, holderCell(r))
		}
		t.add(append(row, plain(detail))...)
	}
	ew.table(t, st)
	writeSignals(ew, rep, st)
	writeRandom(ew, rep, st)
	writeVerdict(ew, rep, st)
	return ew.err
}

// holderCell is the pid that holds a port, red when it is the wrong one.
func holderCell(r probe.Result) cell {
	switch {
	case r.Owner == nil:
		return plain("-")
	case r.Owner.PID == 0:
		return plain("unknown")
	case r.Conflict != "":
		return colored(fmt.Sprintf("pid %d (!)", r.Owner.PID), red)
	}
	return plain(fmt.Sprintf("pid %d", r.Owner.PID))
}

// writeRandom lists the server's random ports, apart from the fixed ones;
// without a known server, the kinds to expect.
func writeRandom(ew *errWriter, rep probe.Report, st Style) {
	if s := rep.Target.Server; s != nil && rep.Target.Looked {
		ew.printf("%s\n", st.paint(fmt.Sprintf("RANDOM PORTS of pid %d (a new number at every start; never in the verdict)", s.PID), bold))
		if len(rep.Extras) == 0 {
			ew.printf("  none\n")
		}
		for _, x := range rep.Extras {
			ew.printf("  %s %s (%s): %s\n    evidence: %s\n", x.Socket.Proto, x.Socket.Local, x.Socket.Scope(), x.What, x.Evidence)
			if x.Confirmed != "" {
				ew.printf("    checked: %s\n", x.Confirmed)
			}
			if pin := pinFor(rep.Target.Spec, x.Attribution); pin != "" && !strings.Contains(x.Evidence, "pin it") {
				ew.printf("    %s\n", pin)
			}
		}
		return
	}
	var kinds []string
	for _, r := range rep.Target.Spec.Random {
		if r.Expected {
			kinds = append(kinds, r.Kind+"/"+string(r.Proto))
		}
	}
	if len(kinds) > 0 {
		ew.printf("random ports expected besides: %s (numbers change at every start; `carbonprobe ports` says why)\n", strings.Join(kinds, ", "))
	}
}

// pinFor is the profile's advice on fixing a random port's number.
func pinFor(spec expect.Spec, attribution string) string {
	for _, r := range spec.Random {
		if r.Kind == attribution && r.Pin != "" {
			return "pin: " + r.Pin
		}
	}
	return ""
}

// writeSignals lists what the product's own readiness and liveness
// endpoints said, and its log's start line.
func writeSignals(ew *errWriter, rep probe.Report, st Style) {
	if len(rep.Signals) == 0 && rep.StartLog == nil {
		return
	}
	ew.printf("%s\n", st.paint("THE PRODUCT'S OWN WORD", bold))
	for _, s := range rep.Signals {
		verdict := "yes"
		switch {
		case !s.Asked:
			verdict = "not asked"
		case s.Fails():
			verdict = st.paint("no", red)
		case !s.OK:
			verdict = st.paint("no", yellow) + " (optional: does not fail the check)"
		}
		ew.printf("  %s: %s: %s\n", s.Label(), verdict, s.Detail)
		if s.Signal.Means != "" {
			ew.printf("    a yes means %s [%s]\n", s.Signal.Means, s.Signal.Source)
		}
		if s.Signal.From != "" {
			ew.printf("    switched on by %s\n", s.Signal.From)
		}
	}
	if l := rep.StartLog; l != nil {
		if l.Started {
			ew.printf("  log: %s (%s)\n", l.Line, l.Path)
		} else {
			ew.printf("  log: %s (%s)\n", l.Detail, l.Path)
		}
	}
}

func writeVerdict(ew *errWriter, rep probe.Report, st Style) {
	up, required := rep.RequiredUp()
	elapsed := formatDuration(rep.Elapsed)
	if err := rep.Err(); err != nil {
		lines := text.Lines(err)
		ew.printf("%s: %d problem(s), %d of %d required ports up (%s)\n", st.paint("UNHEALTHY", red+";"+bold), len(lines), up, required, elapsed)
		for _, l := range lines {
			ew.printf("  - %s\n", l)
		}
	} else {
		ew.printf("%s (%s): %d of %d required ports up (%s)\n", st.paint("HEALTHY", green+";"+bold), rep.LevelText(), up, required, elapsed)
	}
	for _, wmsg := range rep.Warnings() {
		ew.printf("  warning: %s\n", wmsg)
	}
}

func offsetText(spec expect.Spec) string {
	if spec.Profile == expect.NoProfile {
		return "no offset: --ports numbers are dialled as given"
	}
	return fmt.Sprintf("offset %d from %s", spec.Offset.Value, spec.Offset.From)
}

func specTitle(spec expect.Spec) string {
	if spec.Profile == expect.NoProfile {
		return "ad-hoc ports (profile none)"
	}
	if spec.Version != "" {
		return fmt.Sprintf("%s (profile %s, version %s)", spec.Title, spec.Profile, spec.Version)
	}
	return fmt.Sprintf("%s (profile %s)", spec.Title, spec.Profile)
}

func expectedWord(b bool) string {
	if b {
		return "expected"
	}
	return "not expected by default"
}

// randomWord is expectedWord for a kind a home's files may have decided.
func randomWord(r expect.RandomKind) string {
	if !r.Expected && r.From != "" {
		return "not expected" // the home's own files say so
	}
	return expectedWord(r.Expected)
}

func needColor(n expect.Need) string {
	if n == expect.Required {
		return ""
	}
	return dim
}

// stateText is the state, and for a port whose protocol was checked, whether
// the right one answered: "bound+http", "bound, not ldap".
func stateText(r probe.Result) string {
	if r.Answer == nil {
		return string(r.State)
	}
	if r.Answer.OK {
		return string(r.State) + "+" + string(r.Port.Role)
	}
	return string(r.State) + ", not " + string(r.Port.Role)
}

func stateColor(r probe.Result) string {
	if r.Answer != nil && !r.Answer.OK {
		if r.Port.Need == expect.Required {
			return red
		}
		return yellow
	}
	switch r.State {
	case probe.Bound, probe.Answered:
		return green
	case probe.Skipped:
		return dim
	case probe.Silent:
		return yellow
	}
	if r.Port.Need == expect.Required {
		return red
	}
	return yellow
}

func latency(r probe.Result) string {
	if r.State == probe.Skipped {
		return "-"
	}
	return formatDuration(r.Latency)
}

// formatDuration prints a latency with two significant decimals: "0.21ms", "2.00s".
func formatDuration(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
	case d < time.Second:
		return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.2fs", d.Seconds())
}
