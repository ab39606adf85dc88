package serve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"go.uber.org/goleak"

	"github.com/carbonprobe/carbonprobe/internal/carbonlike"
	"github.com/carbonprobe/carbonprobe/internal/exporter"
	"github.com/carbonprobe/carbonprobe/internal/testnet"
)

func portsFile(interval string, ports ...int) string {
	list := make([]string, len(ports))
	for i, p := range ports {
		list[i] = fmt.Sprint(p)
	}
	return fmt.Sprintf("targets:\n  - host: 127.0.0.1\n    profile: none\n    ports: %q\n    interval: %s\n    timeout: 500ms\n",
		strings.Join(list, ","), interval)
}

// A port that goes down shows in /metrics and /readyz at the next check;
// the exposition lints clean.
func TestMetricsFollowAPortGoingDown(t *testing.T) {
	up := testnet.Listen(t, "127.0.0.1:0")
	goes := testnet.Listen(t, "127.0.0.1:0")
	file := writeFile(t, "targets.yaml", portsFile("1s", up.Port, goes.Port))
	x := startExporter(t, exporter.Config{TargetsFile: file})
	key := fmt.Sprintf("127.0.0.1 profile=none ports=%d,%d", up.Port, goes.Port)
	goesName := fmt.Sprintf("%d/tcp", goes.Port)

	eventually(t, 10*time.Second, "both ports up", func() (bool, string) {
		_, body := get(t, x.url+"/metrics")
		mfs := families(t, body)
		v, ok := value(mfs, "carbonprobe_port_up", map[string]string{"target": key, "port": goesName})
		h, _ := value(mfs, "carbonprobe_healthy", map[string]string{"target": key})
		return ok && v == 1 && h == 1, seriesOf(mfs, "carbonprobe_port_up")
	})
	code, body := get(t, x.url+"/readyz")
	if code != http.StatusOK {
		t.Fatalf("/readyz %d while healthy:\n%s", code, body)
	}
	var doc struct {
		Schema  string `json:"schema"`
		Healthy bool   `json:"healthy"`
		Targets []struct {
			Target string          `json:"target"`
			Check  json.RawMessage `json:"check"`
		} `json:"targets"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil || doc.Schema != "carbonprobe/fleet/v1" || !doc.Healthy ||
		len(doc.Targets) != 1 || doc.Targets[0].Target != key || !strings.Contains(string(doc.Targets[0].Check), `"carbonprobe/check/v1"`) {
		t.Errorf("/readyz document: %v\n%s", err, body)
	}

	goes.Close()
	eventually(t, 10*time.Second, "the closed port down", func() (bool, string) {
		_, body := get(t, x.url+"/metrics")
		mfs := families(t, body)
		v, _ := value(mfs, "carbonprobe_port_up", map[string]string{"target": key, "port": goesName})
		refused, _ := value(mfs, "carbonprobe_port_state", map[string]string{"target": key, "port": goesName, "state": "refused"})
		h, _ := value(mfs, "carbonprobe_healthy", map[string]string{"target": key})
		return v == 0 && refused == 1 && h == 0, seriesOf(mfs, "carbonprobe_port_state")
	})
	code, body = get(t, x.url+"/readyz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "refused") {
		t.Errorf("/readyz %d once a port is down:\n%s", code, body)
	}
	if code, body := get(t, x.url+"/healthz"); code != http.StatusOK || body != "ok\n" {
		t.Errorf("/healthz %d %q", code, body)
	}
	_, body = get(t, x.url+"/metrics")
	mfs := families(t, body)
	for _, name := range []string{"process_resident_memory_bytes", "go_goroutines", "carbonprobe_exporter_dial_budget", "carbonprobe_checks_total",
		"carbonprobe_check_duration_seconds", "carbonprobe_port_latency_seconds", "carbonprobe_port_info"} {
		if _, ok := mfs[name]; !ok {
			t.Errorf("%s is missing", name)
		}
	}
}

// Scrapes read the cache: a hundred of them between two checks dial nothing.
func TestScrapesNeverDial(t *testing.T) {
	l := testnet.Listen(t, "127.0.0.1:0")
	file := writeFile(t, "targets.yaml", portsFile("1h", l.Port))
	x := startExporter(t, exporter.Config{TargetsFile: file})
	eventually(t, 10*time.Second, "the first check", func() (bool, string) {
		return l.PeerClosed() == 1, fmt.Sprintf("%d connections closed", l.PeerClosed())
	})
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 10 {
				resp, err := http.Get(x.url + "/metrics")
				if err == nil {
					resp.Body.Close()
				}
			}
		}()
	}
	wg.Wait()
	time.Sleep(100 * time.Millisecond)
	if n := l.PeerClosed(); n != 1 {
		t.Errorf("100 scrapes made %d connections to the target; want only the scheduled check's 1", n)
	}
}

// /probe refuses targets the file does not name, and bad parameters, each
// with a reason; with --allow-any-target it checks any, and shares the
// result within --min-interval.
func TestProbeBoundsAndRefusals(t *testing.T) {
	l := testnet.Listen(t, "127.0.0.1:0")
	file := writeFile(t, "targets.yaml", portsFile("1h", l.Port))
	x := startExporter(t, exporter.Config{TargetsFile: file})
	for _, tc := range []struct {
		query string
		code  int
		want  string
	}{
		{"target=10.9.8.7&profile=mi", 403, "is not in the targets file"},
		{"", 400, "target=HOST is required"},
		{"target=a&target=b", 400, "target is given 2 times"},
		{"target=127.0.0.1&ofset=3", 400, `unknown parameter "ofset"`},
		{"target=127.0.0.1&offset=70000", 400, "not a whole number from 0 to 65535"},
		{"target=127.0.0.1&profile=esb", 400, `"esb" is not a profile`},
		{"target=http://x", 400, "not a URL"},
		{"target=127.0.0.1:9443", 400, "without a port"},
		{"target=10.0.0.1&carbon_home=/opt/mi", 400, "carbon_home names a server on this host"},
		{"target=127.0.0.1&carbon_home=opt", 400, "not an absolute path"},
		{"target=127.0.0.1&ports=9443-9440", 400, "runs backwards"},
		{"target=" + strings.Repeat("a", 5000), 400, "longer than 4096 bytes"},
		{"target=" + strings.Repeat("a", 9000), 400, "longer than 8192 bytes"},
	} {
		code, body := get(t, x.url+"/probe?"+tc.query)
		if code != tc.code || !strings.Contains(body, tc.want) {
			t.Errorf("/probe?%.40s: %d %q; want %d with %q", tc.query, code, body, tc.code, tc.want)
		}
	}
	resp, err := http.Post(x.url+"/probe?target=127.0.0.1", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /probe: %d", resp.StatusCode)
	}
	_, body := get(t, x.url+"/metrics")
	mfs := families(t, body)
	if v, _ := value(mfs, "carbonprobe_exporter_probe_requests_total", map[string]string{"code": "400"}); v != 12 {
		t.Errorf("400s counted %g, want 12", v)
	}
	if v, _ := value(mfs, "carbonprobe_exporter_probe_requests_total", map[string]string{"code": "403"}); v != 1 {
		t.Errorf("403s counted %g, want 1", v)
	}
}

// With --allow-any-target, /probe checks a target the file does not name,
// at most once per --min-interval however many ask.
func TestProbeAnyTarget(t *testing.T) {
	l := testnet.Listen(t, "127.0.0.1:0")
	down := testnet.Refused(t)
	x := startExporter(t, exporter.Config{TargetsFile: writeFile(t, "targets.yaml", portsFile("1h", down)), AllowAnyTarget: true, MinInterval: time.Hour})
	u := fmt.Sprintf("%s/probe?target=127.0.0.1&ports=%d", x.url, l.Port)
	for range 5 {
		code, body := get(t, u)
		if code != 200 {
			t.Fatalf("%d %s", code, body)
		}
		mfs := families(t, body)
		if v, _ := value(mfs, "carbonprobe_port_up", map[string]string{"target": fmt.Sprintf("127.0.0.1 ports=%d", l.Port)}); v != 1 {
			t.Fatalf("port not up:\n%s", body)
		}
	}
	time.Sleep(50 * time.Millisecond)
	if n := l.PeerClosed(); n != 1 {
		t.Errorf("5 /probe requests within --min-interval dialled %d times, want 1", n)
	}
}

// SIGHUP reads the file again: new targets appear, removed ones go; a bad
// file keeps the old targets and says why, each problem on its own line.
func TestReload(t *testing.T) {
	a := testnet.Listen(t, "127.0.0.1:0")
	b := testnet.Listen(t, "127.0.0.1:0")
	file := writeFile(t, "targets.yaml", portsFile("1s", a.Port))
	x := startExporter(t, exporter.Config{TargetsFile: file})
	keyA := fmt.Sprintf("127.0.0.1 profile=none ports=%d", a.Port)
	keyB := fmt.Sprintf("127.0.0.1 profile=none ports=%d", b.Port)
	has := func(key string) (bool, map[string]bool) {
		_, body := get(t, x.url+"/metrics")
		mfs := families(t, body)
		_, ok := value(mfs, "carbonprobe_checks_total", map[string]string{"target": key})
		return ok, nil
	}
	eventually(t, 5*time.Second, "target A listed", func() (bool, string) { ok, _ := has(keyA); return ok, "" })

	if err := writeBack(file, portsFile("1s", b.Port)); err != nil {
		t.Fatal(err)
	}
	x.reload <- syscall.SIGHUP
	eventually(t, 5*time.Second, "target B in, A out", func() (bool, string) {
		okA, _ := has(keyA)
		okB, _ := has(keyB)
		return !okA && okB, fmt.Sprintf("A %v B %v", okA, okB)
	})

	if err := writeBack(file, "targets:\n  - offsets: [70000]\n  - colour: blue\n"); err != nil {
		t.Fatal(err)
	}
	x.reload <- syscall.SIGHUP
	eventually(t, 5*time.Second, "the bad reload counted", func() (bool, string) {
		_, body := get(t, x.url+"/metrics")
		mfs := families(t, body)
		v, _ := value(mfs, "carbonprobe_exporter_config_reloads_total", map[string]string{"result": "failure"})
		ok, _ := value(mfs, "carbonprobe_exporter_config_last_reload_successful", nil)
		return v == 1 && ok == 0, seriesOf(mfs, "carbonprobe_exporter_config_reloads_total")
	})
	if okB, _ := has(keyB); !okB {
		t.Error("a bad file dropped the old targets")
	}
	logs := x.logs.String()
	for _, want := range []string{"targets.yaml:2: offset 70000", "targets.yaml:3: unknown key colour"} {
		if !strings.Contains(logs, want) {
			t.Errorf("the log does not say %q:\n%s", want, logs)
		}
	}
}

// SIGTERM (the context's end) stops the exporter: it returns nil, closes its
// listener, and leaves no goroutine behind.
func TestGracefulShutdown(t *testing.T) {
	l := testnet.Listen(t, "127.0.0.1:0")
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	file := writeFile(t, "targets.yaml", portsFile("1s", l.Port))
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, exporter.Config{TargetsFile: file, Listen: "127.0.0.1:0", Reload: make(chan os.Signal),
			Listening: func(a net.Addr) { addr <- a.String() }, LogTo: io.Discard})
	}()
	var u string
	select {
	case a := <-addr:
		u = "http://" + a
	case err := <-done:
		t.Fatalf("Run ended before listening: %v", err)
	}
	eventually(t, 5*time.Second, "a first check", func() (bool, string) { return l.PeerClosed() > 0, "" })
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Run did not return within 15s")
	}
	if _, err := http.Get(u + "/healthz"); err == nil {
		t.Error("the listener still answers after shutdown")
	}
	http.DefaultClient.CloseIdleConnections()
}

// A bad targets file or web config stops the start with a exporter.ConfigError.
func TestConfigErrors(t *testing.T) {
	bad := writeFile(t, "targets.toml", "[[targets]]\nhost = \"a b\"\n")
	err := Run(context.Background(), exporter.Config{TargetsFile: bad, LogTo: io.Discard})
	var ce exporter.ConfigError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "targets.toml:2: host:") {
		t.Errorf("bad targets file: %v", err)
	}
	web := writeFile(t, "web.yml", "tls_server_config:\n  cert_file: /nonexistent.crt\n")
	good := writeFile(t, "targets.yaml", portsFile("1s", 1))
	err = Run(context.Background(), exporter.Config{TargetsFile: good, WebConfigFile: web, LogTo: io.Discard})
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "web config") {
		t.Errorf("bad web config: %v", err)
	}
}

// Against the Carbon-like JDK server: every metric a real server gives
// (protocol answers, the certificate's expiry, holders, random ports, the
// server's start), through /metrics and through /probe alike; then the
// server stops and the metrics say so.
func TestCarbonLike(t *testing.T) {
	srv := carbonlike.Start(t, carbonlike.Options{})
	file := writeFile(t, "targets.yaml", fmt.Sprintf("targets:\n  - profile: carbon\n    offset: %d\n    interval: 1s\n", srv.Offset))
	x := startExporter(t, exporter.Config{TargetsFile: file})
	key := fmt.Sprintf("127.0.0.1 profile=carbon offset=%d", srv.Offset)
	https := map[string]string{"target": key, "port": "https"}
	var mfs map[string]*dto.MetricFamily
	eventually(t, 60*time.Second, "the Carbon-like server healthy", func() (bool, string) {
		_, body := get(t, x.url+"/metrics")
		mfs = families(t, body)
		h, _ := value(mfs, "carbonprobe_healthy", map[string]string{"target": key})
		jmx, _ := value(mfs, "carbonprobe_random_ports", map[string]string{"target": key, "proto": "tcp", "attribution": "jmxremote"})
		return h == 1 && jmx == 1, seriesOf(mfs, "carbonprobe_healthy") + " " + seriesOf(mfs, "carbonprobe_random_ports")
	})
	checks := []struct {
		name   string
		labels map[string]string
		want   func(float64) bool
	}{
		{"carbonprobe_port_answer_ok", https, func(v float64) bool { return v == 1 }},
		{"carbonprobe_port_holder_ok", https, func(v float64) bool { return v == 1 }},
		{"carbonprobe_port_cert_expiry_timestamp_seconds", https, func(v float64) bool { return v > float64(time.Now().Unix()) }},
		{"carbonprobe_port_answer_ok", map[string]string{"target": key, "port": "jmx-registry"}, func(v float64) bool { return v == 1 }},
		{"carbonprobe_offset", map[string]string{"target": key}, func(v float64) bool { return v == float64(srv.Offset) }},
		{"carbonprobe_level", map[string]string{"target": key, "level": "answering"}, func(v float64) bool { return v == 1 }},
		{"carbonprobe_port_level", map[string]string{"target": key, "port": "https", "level": "answering"}, func(v float64) bool { return v == 1 }},
		{"carbonprobe_server_up", map[string]string{"target": key}, func(v float64) bool { return v == 1 }},
		{"carbonprobe_server_start_time_seconds", map[string]string{"target": key}, func(v float64) bool {
			return v > float64(time.Now().Add(-10*time.Minute).Unix()) && v <= float64(time.Now().Unix()+1)
		}},
		{"carbonprobe_target_info", map[string]string{"target": key, "profile": "carbon", "offset_source": "flag"}, func(v float64) bool { return v == 1 }},
		{"carbonprobe_port_info", map[string]string{"target": key, "port": "https", "number": fmt.Sprint(srv.Ports["https"]), "need": "required"}, func(v float64) bool { return v == 1 }},
	}
	for _, c := range checks {
		if v, ok := value(mfs, c.name, c.labels); !ok || !c.want(v) {
			t.Errorf("%s%v = %g (present %v)\n%s", c.name, c.labels, v, ok, seriesOf(mfs, c.name))
		}
	}

	q := url.Values{"target": {"127.0.0.1"}, "profile": {"carbon"}, "offset": {fmt.Sprint(srv.Offset)}}
	code, body := get(t, x.url+"/probe?"+q.Encode())
	if code != 200 {
		t.Fatalf("/probe %d: %s", code, body)
	}
	pm := families(t, body)
	if v, _ := value(pm, "carbonprobe_port_up", https); v != 1 {
		t.Errorf("/probe: https not up:\n%s", body)
	}
	if _, ok := pm["carbonprobe_exporter_dial_budget"]; ok {
		t.Error("/probe carries the exporter's own metrics; those belong to /metrics")
	}

	srv.Stop()
	eventually(t, 20*time.Second, "the stopped server down", func() (bool, string) {
		_, body := get(t, x.url+"/metrics")
		mfs = families(t, body)
		h, _ := value(mfs, "carbonprobe_healthy", map[string]string{"target": key})
		up, _ := value(mfs, "carbonprobe_port_up", https)
		s, _ := value(mfs, "carbonprobe_server_up", map[string]string{"target": key})
		return h == 0 && up == 0 && s == 0, seriesOf(mfs, "carbonprobe_port_up")
	})
}

// An MI-like server: its readiness endpoint says yes, and the level is ready.
func TestMIReady(t *testing.T) {
	srv := carbonlike.Start(t, carbonlike.Options{Profile: "mi"})
	file := writeFile(t, "targets.yaml", fmt.Sprintf("targets:\n  - profile: mi\n    offset: %d\n    interval: 1s\n", srv.Offset))
	x := startExporter(t, exporter.Config{TargetsFile: file})
	key := fmt.Sprintf("127.0.0.1 profile=mi offset=%d", srv.Offset)
	eventually(t, 60*time.Second, "the MI-like server ready", func() (bool, string) {
		_, body := get(t, x.url+"/metrics")
		mfs := families(t, body)
		ready, _ := value(mfs, "carbonprobe_level", map[string]string{"target": key, "level": "ready"})
		sig, _ := value(mfs, "carbonprobe_signal_ok", map[string]string{"target": key, "kind": "readiness"})
		return ready == 1 && sig == 1, seriesOf(mfs, "carbonprobe_level") + " " + seriesOf(mfs, "carbonprobe_signal_ok")
	})
}

// local: all finds a server that starts after the exporter, and keeps
// reporting it, down, once it stops.
func TestLocalAllFollowsServers(t *testing.T) {
	file := writeFile(t, "targets.yaml", "targets:\n  - local: all\n    interval: 1s\n")
	x := startExporter(t, exporter.Config{TargetsFile: file})
	srv := carbonlike.Start(t, carbonlike.Options{})
	key := "local home=" + srv.Home
	eventually(t, 60*time.Second, "the server found and healthy", func() (bool, string) {
		_, body := get(t, x.url+"/metrics")
		mfs := families(t, body)
		h, _ := value(mfs, "carbonprobe_healthy", map[string]string{"target": key})
		o, _ := value(mfs, "carbonprobe_offset", map[string]string{"target": key})
		return h == 1 && o == float64(srv.Offset), seriesOf(mfs, "carbonprobe_healthy")
	})
	// /probe of that home is answered from what local: all found; with
	// ports of its own it is another target, not in the file.
	q := "/probe?target=127.0.0.1&carbon_home=" + url.QueryEscape(srv.Home)
	if code, body := get(t, x.url+q); code != http.StatusOK || !strings.Contains(body, "carbonprobe_healthy") {
		t.Errorf("%s: %d\n%s", q, code, body)
	}
	if code, _ := get(t, x.url+q+"&ports=9"); code != http.StatusForbidden {
		t.Errorf("%s&ports=9: %d, want 403: not the server local: all found", q, code)
	}
	srv.Stop()
	eventually(t, 20*time.Second, "the stopped server reported down", func() (bool, string) {
		_, body := get(t, x.url+"/metrics")
		mfs := families(t, body)
		h, ok := value(mfs, "carbonprobe_healthy", map[string]string{"target": key})
		return ok && h == 0, seriesOf(mfs, "carbonprobe_healthy")
	})
}
