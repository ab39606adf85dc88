package wait

import (
	"context"
	"slices"
	"syscall"
	"testing"
	"time"
)

// BenchmarkReadyLatency measures what docs/wait.md calls readiness latency:
// from the moment the last port's listen(2) returns to the moment Until
// returns ready, with the default options. The listener comes up 40-60 ms
// after the wait starts, so the wait is in its steady polling when it does.
func BenchmarkReadyLatency(b *testing.B) {
	for _, n := range []int{1, 9} {
		b.Run(map[int]string{1: "1port", 9: "9ports"}[n], func(b *testing.B) {
			var lat []time.Duration
			i := 0
			for b.Loop() {
				ports := make([]int, n)
				var last *late
				for j := range ports {
					// The last port binds last; the others a little earlier.
					l := lateListener(b, time.Duration(20+j*2+i%20)*time.Millisecond)
					ports[j], last = l.Port, l
				}
				res := Until(context.Background(), at(adhoc(b, ports...)), Options{Timeout: 10 * time.Second})
				returned := time.Now()
				if res.Reason != Ready {
					b.Fatalf("%s: %s", res.Reason, res.Detail)
				}
				lat = append(lat, returned.Sub(<-last.listen))
				i++
			}
			slices.Sort(lat)
			b.ReportMetric(ms(lat[len(lat)/2]), "ms-median")
			b.ReportMetric(ms(lat[len(lat)*9/10]), "ms-p90")
			b.ReportMetric(ms(lat[len(lat)-1]), "ms-max")
		})
	}
}

// BenchmarkWaitCPU measures the CPU the waiting process spends while 9
// ports on this host refuse for 2 s per iteration (getrusage of this process,
// user + system), with the quick refusal check and without it (a full probe
// dial of every refusing port every interval).
func BenchmarkWaitCPU(b *testing.B) {
	for _, quick := range []bool{true, false} {
		name := "quick-check"
		if !quick {
			name = "full-dials"
		}
		b.Run(name, func(b *testing.B) {
			quickChecks = quick
			defer func() { quickChecks = true }()
			ports := make([]int, 9)
			for j := range ports {
				ports[j] = lateListener(b, -1).Port
			}
			spec := adhoc(b, ports...)
			var cpu, wall time.Duration
			for b.Loop() {
				c0, w0 := cpuTime(), time.Now()
				res := Until(context.Background(), at(spec), Options{Timeout: 2 * time.Second})
				cpu += cpuTime() - c0
				wall += time.Since(w0)
				if res.Reason != TimedOut {
					b.Fatal(res.Reason)
				}
			}
			b.ReportMetric(100*float64(cpu)/float64(wall), "%cpu")
		})
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
