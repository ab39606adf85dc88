package probe

import (
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/go-multierror"

	"github.com/carbonprobe/carbonprobe/internal/text"
)

// FleetReport is the check of the targets of a targets file (check
// --targets, serve's /readyz): one entry per target, each with its report,
// or why it has none.
type FleetReport struct {
	Targets []FleetTarget
	Notes   []string // what could not be read while looking for local servers
}

// FleetTarget is one target of a fleet.
type FleetTarget struct {
	Key     string    // the target's name in every report and metric
	At      string    // where the targets file names it ("targets.yaml:12"), or how it was found
	Report  *Report   // nil when the target could not be resolved, or is not checked yet
	Err     error     // why there is no report (the request's problems, one per line)
	Checked time.Time // when the report was made; zero when never
}

// Healthy reports whether the target was checked and is healthy.
func (t FleetTarget) Healthy() bool { return t.Err == nil && t.Report != nil && t.Report.Healthy() }

// Problems are the target's problems, one line each, none when healthy.
func (t FleetTarget) Problems() []string {
	switch {
	case t.Err != nil:
		return text.Lines(t.Err)
	case t.Report == nil:
		return []string{"not checked yet"}
	}
	return text.Lines(t.Report.Err())
}

// Err returns every target's problems, each line prefixed with the
// target's key; nil when every target is healthy. A fleet of no target is
// not healthy: nothing was checked.
func (f FleetReport) Err() error {
	var errs *multierror.Error
	if len(f.Targets) == 0 {
		errs = multierror.Append(errs, errors.New("no target to check: the targets file lists none, and no Carbon server runs on this host"))
	}
	for _, t := range f.Targets {
		for _, p := range t.Problems() {
			errs = multierror.Append(errs, fmt.Errorf("%s: %s", t.Key, p))
		}
	}
	return errs.ErrorOrNil()
}
