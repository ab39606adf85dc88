package schedule

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

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
	close(stop)
	<-watched
	if maxSeen > 3 || maxSeen == 0 {
		t.Errorf("at most %d dial slots in use at once; the budget is 3", maxSeen)
	}
	if b.waited.Load() == 0 {
		t.Error("no check waited for a slot, though 5 checks of 4 ports shared 3")
	}
}
