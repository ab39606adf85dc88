package probe

import (
	"errors"
	"fmt"

	"github.com/hashicorp/go-multierror"

	"github.com/carbonprobe/carbonprobe/expect"
	"github.com/carbonprobe/carbonprobe/probe/peek"
)

// Err returns every reason the server is unhealthy, one line each, or nil when
// it is healthy: every required port up, held by the server and answering
// its protocol, every required readiness or liveness signal yes, the named
// server running, and, under --strict-extras, no random port.
func (r Report) Err() error {
	var errs *multierror.Error
	if r.HostErr != "" {
		return multierror.Append(errs, fmt.Errorf("%s: nothing was checked", r.HostErr))
	}
	for _, err := range r.ServerErrs() {
		errs = multierror.Append(errs, err)
	}
	for _, res := range r.Results {
		if err := r.PortErr(res); err != nil {
			errs = multierror.Append(errs, err)
		}
	}
	for _, s := range r.Signals {
		if s.Fails() {
			means := ""
			if s.Signal.Means != "" {
				means = " (" + s.Signal.Kind + " means " + s.Signal.Means + ")"
			}
			errs = multierror.Append(errs, fmt.Errorf("%s: %s%s", s.Label(), s.Detail, means))
		}
	}
	return errs.ErrorOrNil()
}

// ServerErrs are the verdict's problems that belong to no port or signal:
// the named server not running, random ports under --strict-extras.
func (r Report) ServerErrs() []error {
	var out []error
	if r.Target.Missing != "" {
		out = append(out, errors.New(r.Target.Missing))
	}
	if r.StrictExtras {
		for _, x := range r.Extras {
			out = append(out, fmt.Errorf("random port %s %s (%s): --strict-extras allows the fixed ports only",
				x.Socket.Proto, x.Socket.Local, x.What))
		}
	}
	return out
}

// PortErr is the verdict's problem with one result of the report, nil when
// it passes: the rule Err applies to each port, for renderers and waits that
// look at one port at a time.
func (r Report) PortErr(res Result) error {
	if res.Port.Need != expect.Required {
		return nil
	}
	switch {
	case res.Conflict != "" && (res.State == Bound || res.State == Answered):
		return fmt.Errorf("%s: %s", res.Port.Label(), res.Conflict)
	case res.Conflict != "":
		return fmt.Errorf("%s: %s: %s; %s", res.Port.Label(), res.State, res.Detail, res.Conflict)
	case res.wrongAnswer():
		return fmt.Errorf("%s: %s", res.Port.Label(), wrongText(res))
	case res.State == Bound, res.State == Answered, res.State == Silent, res.State == Skipped:
		return nil
	}
	return fmt.Errorf("%s: %s: %s (expected %s)", res.Port.Label(), res.State, res.Detail, expectedText(r, res.Port))
}

// Healthy reports whether Err has nothing to say.
func (r Report) Healthy() bool { return r.Err() == nil }

// wrongAnswer reports whether the port accepted but the wrong protocol answered.
func (res Result) wrongAnswer() bool {
	return (res.State == Bound || res.State == Answered) && res.Answer != nil && !res.Answer.OK
}

func wrongText(res Result) string {
	want := roleNames[res.Port.Role]
	switch res.Answer.Seen {
	case "":
		return fmt.Sprintf("no answer as %s: %s", want, res.Answer.Detail)
	case peek.SeenTimeout:
		return fmt.Sprintf("accepted, but no answer as %s within the deadline (a server still starting, or another program): %s", want, res.Answer.Detail)
	}
	return fmt.Sprintf("%s answered, not %s: %s", res.Answer.Seen, want, res.Answer.Detail)
}

// roleNames say in words what must answer.
var roleNames = map[expect.Role]string{
	expect.RoleTCP: "a TCP listener", expect.RoleUDP: "a UDP listener",
	expect.RoleHTTP: "HTTP", expect.RoleHTTPS: "HTTPS", expect.RoleLDAP: "LDAP",
	expect.RoleKDC: "a Kerberos KDC", expect.RoleRMIRegistry: "an RMI registry", expect.RoleRMIServer: "an RMI server",
}

// Up reports whether a port is there as expected: accepted, and where its
// protocol was checked, the right protocol answered. A silent UDP port counts:
// it is only a warning.
func (res Result) Up() bool {
	switch res.State {
	case Bound, Answered, Silent:
		return !res.wrongAnswer() && res.Conflict == ""
	}
	return false
}

// RequiredUp counts the required ports the check dialled, and those of
// them up: the "n of m required ports up" of every report. A port whose
// number is unknown is not dialled and not counted.
func (r Report) RequiredUp() (up, of int) {
	for _, res := range r.Results {
		if res.Port.Need == expect.Required && res.Port.Checked() {
			of++
			if res.Up() {
				up++
			}
		}
	}
	return up, of
}

// Warnings are things a person should know that do not make the check fail.
func (r Report) Warnings() []string {
	var out []string
	out = append(out, r.Notes...)
	out = append(out, r.Target.Notes...)
	if l := r.StartLog; l != nil && !l.Started {
		out = append(out, fmt.Sprintf("log %s: %s", l.Path, l.Detail))
	}
	out = append(out, r.OwnerNotes...)
	for _, s := range r.Signals {
		if s.Asked && !s.OK && !s.Fails() {
			out = append(out, fmt.Sprintf("%s (optional): %s; %s", s.Label(), s.Detail, s.Signal.Condition))
		}
	}
	for _, res := range r.Results {
		if res.Conflict != "" && res.Port.Need != expect.Required {
			out = append(out, fmt.Sprintf("%s (%s): %s", res.Port.Label(), res.Port.Need, res.Conflict))
		}
		switch {
		case res.Port.Need == expect.Required && res.State == Silent:
			out = append(out, fmt.Sprintf("%s: unconfirmed: %s", res.Port.Label(), res.Detail))
		case res.Port.Need == expect.Optional && res.wrongAnswer():
			out = append(out, fmt.Sprintf("%s (optional): %s", res.Port.Label(), wrongText(res)))
		}
		if res.Answer != nil {
			for _, w := range res.Answer.Warnings {
				out = append(out, fmt.Sprintf("%s: %s", res.Port.Label(), w))
			}
		}
	}
	return out
}

// expectedText says what was expected of a port and what to look at when it is missing.
func expectedText(r Report, p expect.Port) string {
	if p.AdHoc {
		return "from --ports"
	}
	if !p.Offset {
		return p.Why
	}
	return fmt.Sprintf("%d + offset %d from %s: is the server running with that offset?",
		p.Base, r.Target.Spec.Offset.Value, r.Target.Spec.Offset.From)
}
