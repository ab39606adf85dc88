package schedule

import (
	"context"
	"sync/atomic"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/carbonprobe/carbonprobe/probe"
	"github.com/carbonprobe/carbonprobe/target"
)

// DefaultDialBudget is how many dials the whole exporter makes at once,
// across all its targets, unless --dial-budget says otherwise.
const DefaultDialBudget = 256

// budget is the process-wide dial budget: every check, from the schedule or
// from a /probe request, takes one slot per port it dials (at most the whole
// budget) before it starts, and dials that many ports at once. Many targets
// due at the same moment then queue instead of opening thousands of sockets.
type budget struct {
	sem    *semaphore.Weighted
	size   int64
	inUse  atomic.Int64
	waited atomic.Int64 // nanoseconds spent waiting for slots, in all
}

func newBudget(n int) *budget {
	if n < 1 {
		n = DefaultDialBudget
	}
	return &budget{sem: semaphore.NewWeighted(int64(n)), size: int64(n)}
}

// check runs probe.Check within the budget. The error is the context's,
// when it ends before a slot is free: the check did not run.
func (b *budget) check(ctx context.Context, t target.Target, opt probe.Options) (probe.Report, error) {
	w := int64(0)
	for _, p := range t.Spec.Ports {
		if p.Checked() {
			w++
		}
	}
	w = max(1, min(w, b.size))
	start := time.Now()
	if err := b.sem.Acquire(ctx, w); err != nil {
		return probe.Report{}, err
	}
	b.waited.Add(int64(time.Since(start)))
	b.inUse.Add(w)
	defer func() {
		b.inUse.Add(-w)
		b.sem.Release(w)
	}()
	opt.Concurrency = int(w)
	return probe.Check(ctx, t, opt), nil
}
