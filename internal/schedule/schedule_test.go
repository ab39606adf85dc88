package schedule

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/carbonprobe/carbonprobe/internal/fleet"
	"github.com/carbonprobe/carbonprobe/internal/testnet"
	"github.com/carbonprobe/carbonprobe/target"
)

// The dial budget is shared by every check: however many are due at once,
// no more dials than the budget run.
func TestDialBudgetBoundsEveryCheck(t *testing.T) {
	silent := make([]int, 4)
	for i := range silent {
		silent[i] = testnet.Silent(t)
	}
	sched := New(context.Background(), 3, nil, 0)
	b := sched.budget
	var maxSeen int64
	stop := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		for {
			select {
			case <-stop:
				return
			default:
			}
			if n := b.inUse.Load(); n > maxSeen {
				maxSeen = n
			}
			time.Sleep(time.Millisecond)
		}
	}()
	var wg sync.WaitGroup
	began := time.Now()
	for i := range 5 {
		ports := make([]string, len(silent))
		for j, p := range silent {
			ports[j] = fmt.Sprint(p)
		}
		req := target.Request{Host: "127.0.0.1", Ports: target.Value{Value: strings.Join(ports, ","), Origin: "test"},
			Profile: target.Value{Value: "none", Origin: "test"}}
		t0, err := target.Resolve(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			set := sched.adhocSet
			set.Timeout, set.Deadline = 200*time.Millisecond, 300*time.Millisecond
			r := sched.checkTarget(context.Background(), t0, set, time.Now())
			if r.Report == nil || len(r.Report.Results) != 4 {
				t.Errorf("check %d: %+v", i, r)
			}
		}()
	}
	wg.Wait()
	took := time.Since(began)
	close(stop)
	<-watched
	// The semaphore caps what it counts: what shows the budget held is the
	// time. Each check takes the 3 slots for up to its 300ms deadline, so
	// five run one after another (about 1.5s); unbounded, about 0.3s.
	if took < 1200*time.Millisecond {
		t.Errorf("5 checks of 4 silent ports took %s: they did not wait for one budget of 3", took)
	}
	if maxSeen > 3 || maxSeen == 0 {
		t.Errorf("at most %d dial slots in use at once; the budget is 3", maxSeen)
	}
	if b.waited.Load() == 0 {
		t.Error("no check waited for a slot, though 5 checks of 4 ports shared 3")
	}
}

// TestReloadWhileChecking: a reload that only moves a target's line, or
// changes its settings, while its checks run, is race-free (the race
// detector, which scripts/test.sh runs, fails it otherwise); a moved line
// keeps the entry and its checks.
func TestReloadWhileChecking(t *testing.T) {
	up := testnet.Listen(t, "127.0.0.1:0")
	sched := New(context.Background(), 8, nil, 0)
	file := func(line int, timeout time.Duration) *fleet.File {
		f, err := fleet.Parse([]byte(fmt.Sprintf("%stargets:\n  - hosts: [127.0.0.1]\n    ports: \"%d\"\n    interval: 5s\n    timeout: %s\n",
			strings.Repeat("\n", line), up.Port, timeout)), "targets.yaml")
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	sched.Apply(file(0, time.Second))
	e := sched.entries[sched.order[0]]
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 50 {
			e.refresh(context.Background(), sched.checkSelector(e))
		}
	}()
	for i := range 50 {
		sched.Apply(file(i%3, time.Duration(1+i%2)*time.Second))
		_ = sched.Fleet()
	}
	<-done
	// The line alone moved: the same entry, its new line, its checks kept.
	last := sched.entries[sched.order[0]]
	last.refresh(context.Background(), sched.checkSelector(last))
	sched.Apply(file(7, 2*time.Second))
	if e := sched.entries[sched.order[0]]; e != last || e.View().At != "targets.yaml:9" || e.View().Checks == 0 {
		t.Errorf("after the line moved: same entry %v, %+v", e == last, e.View())
	}
}
