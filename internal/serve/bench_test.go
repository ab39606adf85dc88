package serve

import (
	"context"
	"fmt"
	"github.com/carbonprobe/carbonprobe/internal/exporter"
	"io"
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/carbonprobe/carbonprobe/internal/fleet"
	"github.com/carbonprobe/carbonprobe/internal/schedule"
)

// fleet100 listens on 9 ports at each of 100 offsets (900 listeners that
// accept and close) and returns a targets file of 100 targets of 9 ports.
func fleet100(b *testing.B) *fleet.File {
	b.Helper()
	var doc strings.Builder
	doc.WriteString("targets:\n")
	for range 100 {
		ports := make([]string, 9)
		for j := range ports {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { ln.Close() })
			go func() {
				for {
					c, err := ln.Accept()
					if err != nil {
						return
					}
					c.Close()
				}
			}()
			ports[j] = fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
		}
		fmt.Fprintf(&doc, "  - {profile: none, ports: %q, interval: 10s}\n", strings.Join(ports, ","))
	}
	f, err := fleet.Parse([]byte(doc.String()), "bench.yaml")
	if err != nil {
		b.Fatal(err)
	}
	return f
}

// BenchmarkCycle100 is one round of the schedule: 100 targets of 9 ports
// each, resolved and dialled within the dial budget.
func BenchmarkCycle100(b *testing.B) {
	f := fleet100(b)
	for b.Loop() {
		rep := schedule.CheckOnce(context.Background(), f, nil, exporter.DefaultDialBudget)
		if err := rep.Err(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScrape100 is one scrape of /metrics over 100 checked targets of
// 9 ports: the metrics built from the cached reports and encoded. No dial.
func BenchmarkScrape100(b *testing.B) {
	f := fleet100(b)
	sched := schedule.New(context.Background(), 0, nil, 0)
	sched.Apply(f)
	for deadline := time.Now().Add(30 * time.Second); ; {
		views, _ := sched.Views()
		checked := 0
		for _, v := range views {
			if v.Last != nil {
				checked++
			}
		}
		if checked == len(f.Targets) {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d targets checked after 30s", checked, len(f.Targets))
		}
		time.Sleep(10 * time.Millisecond)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(targetsCollector{views: func() []schedule.View { v, _ := sched.Views(); return v }})
	h := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	req := httptest.NewRequest("GET", "/metrics", nil)
	var size int
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		size = w.Body.Len()
		_, _ = io.Copy(io.Discard, w.Body)
	}
	b.ReportMetric(float64(size), "bytes/scrape")
}

// BenchmarkProbe9 is one /probe request for a target of 9 ports that the
// file does not name, dialled at every request (--allow-any-target
// --min-interval 0s): the handler, the check, the encoding.
func BenchmarkProbe9(b *testing.B) {
	ports := make([]string, 9)
	for j := range ports {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { ln.Close() })
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				c.Close()
			}
		}()
		ports[j] = fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
	}
	reg := prometheus.NewRegistry()
	sched := schedule.New(context.Background(), 0, nil, 0)
	h := &handlers{sched: sched, reg: reg, metrics: newExporterMetrics(reg, sched), allowAny: true}
	mux := h.mux()
	req := httptest.NewRequest("GET", "/probe?target=127.0.0.1&ports="+strings.Join(ports, ","), nil)
	req.Header.Set("Accept-Encoding", "gzip")
	for b.Loop() {
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatalf("%d %s", w.Code, w.Body)
		}
	}
}
