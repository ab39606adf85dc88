package probe

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/go-multierror"
)

// HostReport is the check of every Carbon server on one host (check --all).
type HostReport struct {
	Reports   []Report
	Conflicts []Conflict
	Notes     []string // processes that could not be read
}

// Conflict is a fixed port that two servers' port sets both claim: the
// overlap that port offsets exist to prevent.
type Conflict struct {
	Key   string   // "tcp/9443"
	PIDs  []int    // the servers that expect it, in report order
	Names []string // its name in each server's set
}

// FindConflicts lists the ports that more than one report's spec expects.
// Ports that are off are left out: they open only when enabled.
func FindConflicts(reps []Report) []Conflict {
	byKey := map[string]*Conflict{}
	var keys []string
	for _, rep := range reps {
		pid := 0
		if s := rep.Target.Server; s != nil {
			pid = s.PID
		}
		for _, p := range rep.Target.Spec.Ports {
			if !p.Checked() {
				continue
			}
			c, ok := byKey[p.Key()]
			if !ok {
				c = &Conflict{Key: p.Key()}
				byKey[p.Key()] = c
				keys = append(keys, p.Key())
			}
			c.PIDs = append(c.PIDs, pid)
			c.Names = append(c.Names, p.Name)
		}
	}
	sort.Strings(keys)
	var out []Conflict
	for _, k := range keys {
		if c := byKey[k]; len(c.PIDs) > 1 {
			out = append(out, *c)
		}
	}
	return out
}

// Err returns every problem of every server, prefixed with its pid, and
// every conflict; nil when all are healthy and none overlap.
func (h HostReport) Err() error {
	var errs *multierror.Error
	if len(h.Reports) == 0 {
		errs = multierror.Append(errs, errors.New("no Carbon server process runs on this host"))
	}
	for _, rep := range h.Reports {
		err := rep.Err()
		if err == nil {
			continue
		}
		prefix := "server"
		if s := rep.Target.Server; s != nil {
			prefix = fmt.Sprintf("pid %d", s.PID)
		}
		var m *multierror.Error
		if errors.As(err, &m) {
			for _, e := range m.Errors {
				errs = multierror.Append(errs, fmt.Errorf("%s: %w", prefix, e))
			}
		}
	}
	for _, c := range h.Conflicts {
		who := make([]string, len(c.PIDs))
		for i, pid := range c.PIDs {
			who[i] = fmt.Sprintf("pid %d (%s)", pid, c.Names[i])
		}
		errs = multierror.Append(errs, fmt.Errorf("port %s is expected by %s: their offsets overlap", c.Key, strings.Join(who, " and ")))
	}
	return errs.ErrorOrNil()
}
