package carbonlike

import (
	"testing"
	"time"
)

// BenchmarkStartToReady measures from the JVM's launch to its ready line (every port bound), with
// the harness's default flags; ns/op includes the stop, ms-to-ready excludes it.
func BenchmarkStartToReady(b *testing.B) {
	for _, bc := range []struct {
		name string
		opt  Options
	}{
		{"carbon", Options{}},
		{"carbon-nojmxremote", Options{NoJMXRemote: true}},
		{"mi", Options{Profile: "mi"}},
		{"carbon-freshkeystore", Options{FreshKeystore: true}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var total time.Duration
			for range b.N {
				start := time.Now()
				s := Start(b, bc.opt)
				total += time.Since(start)
				s.Stop()
			}
			b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms-to-ready")
		})
	}
}
