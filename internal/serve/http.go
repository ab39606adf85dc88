package serve

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/carbonprobe/carbonprobe/expect"
	"github.com/carbonprobe/carbonprobe/internal/fleet"
	"github.com/carbonprobe/carbonprobe/internal/schedule"
	"github.com/carbonprobe/carbonprobe/internal/text"
	"github.com/carbonprobe/carbonprobe/probe/render"
)

// Limits on what an HTTP request may carry.
const (
	maxQuery       = 8 << 10  // bytes of a query string
	maxHeaderBytes = 16 << 10 // bytes of all request headers
)

// probeParams are the parameters /probe takes; any other is refused, so
// that a misspelt one (ofset) is not silently ignored.
var probeParams = map[string]bool{"target": true, "profile": true, "offset": true, "carbon_home": true, "ports": true}

type handlers struct {
	sched      *schedule.Scheduler
	reg        *prometheus.Registry
	metrics    *exporterMetrics
	allowAny   bool
	log        *slog.Logger
	metricsOpt promhttp.HandlerOpts
}

func (h *handlers) mux() *http.ServeMux {
	m := http.NewServeMux()
	m.Handle("/metrics", promhttp.InstrumentMetricHandler(h.reg, promhttp.HandlerFor(h.reg, h.metricsOpt)))
	m.HandleFunc("/probe", h.probe)
	m.HandleFunc("/healthz", h.healthz)
	m.HandleFunc("/readyz", h.readyz)
	m.HandleFunc("/{$}", h.index)
	return m
}

// getOnly refuses every method but GET and HEAD.
func getOnly(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	w.Header().Set("Allow", "GET, HEAD")
	http.Error(w, "only GET and HEAD", http.StatusMethodNotAllowed)
	return false
}

func (h *handlers) index(w http.ResponseWriter, r *http.Request) {
	if !getOnly(w, r) {
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprint(w, `carbonprobe serve: WSO2 Carbon servers' ports for Prometheus and Kubernetes

/metrics   every target of the targets file, from the latest check (a scrape never dials), and the exporter's own metrics
/probe     one target, blackbox_exporter style: ?target=HOST[&profile=P][&offset=N][&carbon_home=DIR][&ports=LIST]
/healthz   200 while the exporter runs
/readyz    200 when every target is healthy, else 503; the JSON report (carbonprobe/fleet/v1) either way

Metrics: docs/metrics.md. Deployment: docs/deploy.md.
`)
}

func (h *handlers) healthz(w http.ResponseWriter, r *http.Request) {
	if !getOnly(w, r) {
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "ok")
}

// readyz answers 200 when every target of the file (and every server local:
// all found) is healthy in its latest check, 503 otherwise, with the
// fleet's JSON report either way.
func (h *handlers) readyz(w http.ResponseWriter, r *http.Request) {
	if !getOnly(w, r) {
		return
	}
	f := h.sched.Fleet()
	var buf bytes.Buffer
	if err := render.FleetJSON(&buf, f); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if f.Err() != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	_, _ = w.Write(buf.Bytes())
}

// probe answers one target's metrics, blackbox_exporter style. A target
// the targets file names (or local: all found) is answered from its latest
// check; any other is refused unless --allow-any-target, since an open
// prober can be pointed anywhere.
func (h *handlers) probe(w http.ResponseWriter, r *http.Request) {
	if !getOnly(w, r) {
		return
	}
	fail := func(code int, format string, args ...any) {
		h.metrics.probeRequests.WithLabelValues(strconv.Itoa(code)).Inc()
		http.Error(w, fmt.Sprintf(format, args...), code)
	}
	sel, err := probeSelector(r)
	if err != nil {
		fail(http.StatusBadRequest, "%v", err)
		return
	}
	e := h.sched.Lookup(sel.Key())
	if e == nil && sel.CarbonHome != "" && sel.Profile == "" && sel.Offset == "" && sel.Ports == "" {
		e = h.sched.Lookup(schedule.LocalHomeKey(sel.CarbonHome)) // a server local: all found
	}
	var res *schedule.Result
	switch {
	case e != nil:
		res = h.sched.ProbeConfigured(r.Context(), e)
	case !h.allowAny:
		fail(http.StatusForbidden, "target %q is not in the targets file: carbonprobe serve probes the targets it is given (--allow-any-target opens it to any)", sel.Key())
		return
	default:
		res, e = h.sched.ProbeAdhoc(r.Context(), sel)
	}
	if res == nil || e == nil {
		fail(http.StatusServiceUnavailable, "no result for %q within the request's time", sel.Key())
		return
	}
	v := e.View()
	if v.Last == nil {
		v.Last = res
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(targetsCollector{views: func() []schedule.View { return []schedule.View{v} }})
	h.metrics.probeRequests.WithLabelValues("200").Inc()
	// One target's few kilobytes: gzip would cost more time than it saves
	// on the way (a sixth of the request, measured), so /probe answers plain.
	opt := h.metricsOpt
	opt.DisableCompression = true
	promhttp.HandlerFor(reg, opt).ServeHTTP(w, r)
}

// probeSelector reads and bounds /probe's parameters.
func probeSelector(r *http.Request) (fleet.Selector, error) {
	if len(r.URL.RawQuery) > maxQuery {
		return fleet.Selector{}, fmt.Errorf("the query is longer than %d bytes", maxQuery)
	}
	q := r.URL.Query()
	var problems []string
	for k, vs := range q {
		switch {
		case !probeParams[k]:
			problems = append(problems, fmt.Sprintf("unknown parameter %s (known: target, profile, offset, carbon_home, ports)", text.Quote(k)))
		case len(vs) > 1:
			problems = append(problems, fmt.Sprintf("%s is given %d times: give it once", k, len(vs)))
		case len(vs[0]) > fleet.MaxText:
			problems = append(problems, fmt.Sprintf("%s is longer than %d bytes", k, fleet.MaxText))
		}
	}
	if len(problems) > 0 {
		return fleet.Selector{}, fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	var sel fleet.Selector
	if q.Get("target") == "" {
		problems = append(problems, "target=HOST is required")
	} else if h, err := fleet.NormalHost(q.Get("target")); err != nil {
		problems = append(problems, "target: "+err.Error())
	} else {
		sel.Host = h
	}
	if p := q.Get("profile"); p != "" {
		if err := fleet.CheckProfile(p); err != nil {
			problems = append(problems, "profile: "+err.Error())
		}
		sel.Profile = p
	}
	if o := q.Get("offset"); o != "" {
		n, err := strconv.Atoi(o)
		if err != nil || n < 0 || n > expect.MaxPort {
			problems = append(problems, fmt.Sprintf("offset %s is not a whole number from 0 to %d", text.Quote(o), expect.MaxPort))
		}
		sel.Offset = strconv.Itoa(n)
	}
	if ports := q.Get("ports"); ports != "" {
		if _, err := expect.ParsePorts(ports, "ports"); err != nil {
			problems = append(problems, strings.Join(text.Lines(err), "; "))
		}
		sel.Ports = ports
	}
	if home := q.Get("carbon_home"); home != "" {
		switch {
		case !filepath.IsAbs(home):
			problems = append(problems, fmt.Sprintf("carbon_home %s is not an absolute path", text.Quote(home)))
		case sel.Host != "" && !fleet.Loopback(sel.Host):
			problems = append(problems, "carbon_home names a server on this host: give target=127.0.0.1")
		}
		sel.CarbonHome = filepath.Clean(home)
	}
	if len(problems) > 0 {
		return fleet.Selector{}, fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return sel, nil
}

// newServer bounds what a client can make the server hold: headers, time.
func newServer(h http.Handler, probeTime time.Duration) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      probeTime + 30*time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    maxHeaderBytes,
	}
}
