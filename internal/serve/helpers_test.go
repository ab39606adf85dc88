package serve

import (
	"bytes"
	"context"
	"fmt"
	"github.com/carbonprobe/carbonprobe/internal/exporter"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// running is a `carbonprobe serve` run in the test, on a loopback port the
// kernel chose.
type running struct {
	url    string
	reload chan os.Signal
	done   chan error
	cancel context.CancelFunc
	logs   *lockedWriter
}

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func startExporter(t *testing.T, cfg exporter.Config) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	x := &running{reload: make(chan os.Signal, 1), done: make(chan error, 1), cancel: cancel, logs: &lockedWriter{w: &bytes.Buffer{}}}
	addr := make(chan net.Addr, 1)
	cfg.Listen = "127.0.0.1:0"
	cfg.Listening = func(a net.Addr) { addr <- a }
	cfg.Reload = x.reload
	cfg.LogTo = x.logs
	if cfg.Getenv == nil {
		cfg.Getenv = func(string) (string, bool) { return "", false }
	}
	go func() { x.done <- Run(ctx, cfg) }()
	select {
	case a := <-addr:
		x.url = "http://" + a.String()
	case err := <-x.done:
		cancel()
		t.Fatalf("serve ended at once: %v", err)
	case <-time.After(10 * time.Second):
		cancel()
		t.Fatal("serve did not listen within 10s")
	}
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-x.done:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("serve did not end within 15s of its context")
		}
	})
	return x
}

type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.String()
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// families parses an exposition and lints it as promtool check metrics does.
func families(t *testing.T, body string) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("the exposition does not parse: %v\n%s", err, body)
	}
	list := make([]*dto.MetricFamily, 0, len(mfs))
	for _, mf := range mfs {
		list = append(list, mf)
	}
	problems, err := promlint.NewWithMetricFamilies(list).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("promlint: %s: %s", p.Metric, p.Text)
	}
	return mfs
}

// value is the value of the one series of a family whose labels include
// want; ok is false when there is none.
func value(mfs map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	mf, ok := mfs[name]
	if !ok {
		return 0, false
	}
	for _, m := range mf.Metric {
		match := true
		for k, v := range want {
			found := false
			for _, lp := range m.Label {
				if lp.GetName() == k && lp.GetValue() == v {
					found = true
				}
			}
			match = match && found
		}
		if !match {
			continue
		}
		switch {
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Untyped != nil:
			return m.Untyped.GetValue(), true
		}
	}
	return 0, false
}

// eventually polls cond every 50ms until it holds or d passes.
func eventually(t *testing.T, d time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(d)
	var last string
	for time.Now().Before(deadline) {
		ok, state := cond()
		if ok {
			return
		}
		last = state
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s: not within %s; last: %s", what, d, last)
}

// seriesOf lists a family's series, for failure messages.
func seriesOf(mfs map[string]*dto.MetricFamily, name string) string {
	mf, ok := mfs[name]
	if !ok {
		return name + ": absent"
	}
	var out []string
	for _, m := range mf.Metric {
		var ls []string
		for _, lp := range m.Label {
			ls = append(ls, lp.GetName()+"="+lp.GetValue())
		}
		v := m.GetGauge().GetValue() + m.GetCounter().GetValue()
		out = append(out, fmt.Sprintf("{%s} %g", strings.Join(ls, ","), v))
	}
	sort.Strings(out)
	return name + ": " + strings.Join(out, "; ")
}

func writeBack(path, body string) error { return os.WriteFile(path, []byte(body), 0o644) }
