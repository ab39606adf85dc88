package probe

import (
	"fmt"

	"github.com/hashicorp/go-multierror"

	"github.com/carbonprobe/carbonprobe/expect"
)

// Err returns every reason the server is unhealthy, one line each, or nil when
// it is healthy: every required port answered.
func (r Report) Err() error {
	var errs *multierror.Error
	if r.HostErr != "" {
		return multierror.Append(errs, fmt.Errorf("%s: nothing was checked", r.HostErr))
	}
	for _, res := range r.Results {
		if res.Port.Need != expect.Required {
			continue
		}
		switch res.State {
		case Bound, Answered, Silent, Skipped:
			continue
		}
		errs = multierror.Append(errs, fmt.Errorf("%s: %s: %s (expected %s)",
			res.Port.Label(), res.State, res.Detail, expectedText(r, res.Port)))
	}
	return errs.ErrorOrNil()
}

// Healthy reports whether every required port answered.
func (r Report) Healthy() bool { return r.Err() == nil }

// Warnings are things a person should know that do not make the check fail.
func (r Report) Warnings() []string {
	var out []string
	for _, res := range r.Results {
		if res.Port.Need == expect.Required && res.State == Silent {
			out = append(out, fmt.Sprintf("%s: unconfirmed: %s", res.Port.Label(), res.Detail))
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
		p.Base, r.Spec.Offset.Value, r.Spec.Offset.From)
}
