package schedule

import (
	"context"

	"golang.org/x/sync/errgroup"

	"github.com/carbonprobe/carbonprobe/internal/fleet"
	"github.com/carbonprobe/carbonprobe/probe"
)

// CheckOnce checks every target of a targets file once, and every server
// local: all finds, within one dial budget, as the exporter does at each
// interval: `carbonprobe check --targets`.
func CheckOnce(ctx context.Context, f *fleet.File, getenv func(string) (string, bool), dialBudget int) probe.FleetReport {
	s := New(ctx, dialBudget, getenv, 0)
	s.file, s.local = f, f.Local
	for _, t := range f.Targets {
		key := t.Key()
		s.entries[key] = newEntry(key, t.At, KindFile, t.Selector, t.Settings)
		s.order = append(s.order, key)
	}
	var g errgroup.Group
	g.SetLimit(16) // targets resolved at once; their dials share the budget
	for _, key := range s.order {
		e := s.entries[key]
		g.Go(func() error { e.refresh(ctx, s.checkSelector(e)); return nil })
	}
	if f.Local != nil {
		g.Go(func() error { s.localOnce(ctx, *f.Local); return nil })
	}
	_ = g.Wait()
	return s.Fleet()
}
