package serve

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/carbonprobe/carbonprobe/expect"
	"github.com/carbonprobe/carbonprobe/internal/schedule"
	"github.com/carbonprobe/carbonprobe/probe"
	"github.com/carbonprobe/carbonprobe/probe/sockets"
)

// The metrics of the targets, built from each target's latest report at
// every scrape (docs/metrics.md). A scrape never dials.

const ns = "carbonprobe"

var (
	targetLabels = []string{"target"}
	portLabels   = []string{"target", "port", "proto"}

	descTargetInfo = prometheus.NewDesc(ns+"_target_info",
		"What a target is: its host, profile, product, home and where its offset came from. Always 1.",
		[]string{"target", "host", "profile", "product", "home", "offset_source"}, nil)
	descHealthy = prometheus.NewDesc(ns+"_healthy",
		"1 when the target's latest check is healthy: every required port bound, by the server, answering its protocol.", targetLabels, nil)
	descProblems = prometheus.NewDesc(ns+"_problems",
		"Reasons the latest check is unhealthy (0 when healthy).", targetLabels, nil)
	descWarnings = prometheus.NewDesc(ns+"_warnings",
		"Things to know from the latest check that do not fail it.", targetLabels, nil)
	descOffset = prometheus.NewDesc(ns+"_offset",
		"The port offset the latest check used.", targetLabels, nil)
	descRandom = prometheus.NewDesc(ns+"_random_ports",
		"The server's ports besides its fixed ones (a new number at every start), by protocol and attribution; only where its socket table was read.",
		[]string{"target", "proto", "attribution"}, nil)
	descServerUp = prometheus.NewDesc(ns+"_server_up",
		"1 when the target's server process was found on this host; only for targets on this host.", targetLabels, nil)
	descServerStart = prometheus.NewDesc(ns+"_server_start_time_seconds",
		"When the server process started, Unix seconds: a change is a restart.", targetLabels, nil)
	descDuration = prometheus.NewDesc(ns+"_check_duration_seconds",
		"How long the latest check took: finding the server, reading its files, dialling and verifying its ports.", targetLabels, nil)
	descTimestamp = prometheus.NewDesc(ns+"_check_timestamp_seconds",
		"When the latest check ended, Unix seconds.", targetLabels, nil)
	descChecks = prometheus.NewDesc(ns+"_checks_total",
		"Checks of the target since the exporter started (or the target was added).", targetLabels, nil)
	descCheckErrors = prometheus.NewDesc(ns+"_check_errors_total",
		"Checks that could not run: stage resolve (the target's files or server could not be read) or budget (no dial slot before the deadline).",
		[]string{"target", "stage"}, nil)

	descLevel = prometheus.NewDesc(ns+"_level",
		"How far the server is up, as the level label: down, bound (listeners only), answering (every required port's protocol answered) or ready (and the product's readiness endpoint said yes); always 1.",
		[]string{"target", "level"}, nil)
	descSignalOK = prometheus.NewDesc(ns+"_signal_ok",
		"1 when the product's readiness or liveness endpoint said yes, 0 when no; absent when it was not asked (its port down).",
		[]string{"target", "kind", "port"}, nil)

	descPortInfo = prometheus.NewDesc(ns+"_port_info",
		"A fixed port of the target: its number, the role that must answer and whether it is required. Always 1.",
		[]string{"target", "port", "proto", "number", "role", "need"}, nil)
	descPortUp = prometheus.NewDesc(ns+"_port_up",
		"1 when the port is there as expected: accepted (or answered, for UDP), the right protocol answered where checked, and held by the server.", portLabels, nil)
	descPortLevel = prometheus.NewDesc(ns+"_port_level",
		"How far the port is up, as the level label: down, bound (accepted, nothing more checked) or answering (its protocol answered as its role demands); always 1, one series per port.",
		[]string{"target", "port", "proto", "level"}, nil)
	descPortState = prometheus.NewDesc(ns+"_port_state",
		"What the dial found, as the state label: bound, refused, timeout, answered, silent, error or skipped; always 1. One series per port: a new state is a new series, and the old one goes stale.",
		[]string{"target", "port", "proto", "state"}, nil)
	descAnswerOK = prometheus.NewDesc(ns+"_port_answer_ok",
		"1 when the port's protocol answered as its role demands (HTTP, TLS, LDAP, Kerberos, RMI); absent when not checked.", portLabels, nil)
	descLatency = prometheus.NewDesc(ns+"_port_latency_seconds",
		"Time to the dial's outcome.", portLabels, nil)
	descHolderOK = prometheus.NewDesc(ns+"_port_holder_ok",
		"1 when the port is held by the target's server, 0 when by another process or on an address the target cannot reach; absent when not looked up.", portLabels, nil)
	descCertExpiry = prometheus.NewDesc(ns+"_port_cert_expiry_timestamp_seconds",
		"When the port's TLS certificate expires (NotAfter), Unix seconds.", portLabels, nil)
)

var extraKinds = []struct{ proto, attribution string }{
	{sockets.TCP, sockets.AttrJMX}, {sockets.TCP, sockets.AttrSyslog}, {sockets.TCP, sockets.AttrUnexplained},
	{sockets.UDP, sockets.AttrJMX}, {sockets.UDP, sockets.AttrSyslog}, {sockets.UDP, sockets.AttrUnexplained},
}

// targetsCollector makes the targets' metrics from their latest results.
type targetsCollector struct {
	views func() []schedule.View
}

func (c targetsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descTargetInfo, descHealthy, descProblems, descWarnings, descOffset, descRandom,
		descServerUp, descServerStart, descDuration, descTimestamp, descChecks, descCheckErrors, descLevel, descSignalOK,
		descPortInfo, descPortUp, descPortLevel, descPortState, descAnswerOK, descLatency, descHolderOK, descCertExpiry} {
		ch <- d
	}
}

func (c targetsCollector) Collect(ch chan<- prometheus.Metric) {
	for _, v := range c.views() {
		collectView(ch, v)
	}
}

func gauge(ch chan<- prometheus.Metric, d *prometheus.Desc, v float64, labels ...string) {
	ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func collectView(ch chan<- prometheus.Metric, v schedule.View) {
	key := v.Key
	ch <- prometheus.MustNewConstMetric(descChecks, prometheus.CounterValue, float64(v.Checks), key)
	for _, stage := range []string{"resolve", "budget"} {
		ch <- prometheus.MustNewConstMetric(descCheckErrors, prometheus.CounterValue, float64(v.Errs[stage]), key, stage)
	}
	r := v.Last
	if r == nil {
		return // not checked yet: no value rather than a false one
	}
	gauge(ch, descDuration, r.Took.Seconds(), key)
	gauge(ch, descTimestamp, float64(r.At.UnixNano())/float64(time.Second), key)
	if r.Report == nil {
		gauge(ch, descHealthy, 0, key)
		gauge(ch, descProblems, float64(len(probe.FleetTarget{Err: r.Err}.Problems())), key)
		return
	}
	rep := r.Report
	t := rep.Target
	spec := t.Spec
	gauge(ch, descTargetInfo, 1, key, t.Host, spec.Profile, spec.Title, spec.Home, string(spec.Offset.Kind))
	problems := probe.FleetTarget{Report: rep}.Problems()
	gauge(ch, descHealthy, boolValue(len(problems) == 0), key)
	gauge(ch, descProblems, float64(len(problems)), key)
	gauge(ch, descWarnings, float64(len(rep.Warnings())), key)
	gauge(ch, descLevel, 1, key, string(rep.Level()))
	for _, sg := range rep.Signals {
		if sg.Asked {
			gauge(ch, descSignalOK, boolValue(sg.OK), key, sg.Signal.Kind, sg.Signal.Port)
		}
	}
	if spec.Profile != expect.NoProfile {
		gauge(ch, descOffset, float64(spec.Offset.Value), key)
	}
	if t.Looked {
		gauge(ch, descServerUp, boolValue(t.Server != nil), key)
		if t.Server != nil {
			counts := map[[2]string]int{}
			for _, x := range rep.Extras {
				counts[[2]string{x.Socket.Proto, x.Attribution}]++
			}
			for _, k := range extraKinds {
				gauge(ch, descRandom, float64(counts[[2]string{k.proto, k.attribution}]), key, k.proto, k.attribution)
			}
		}
		if r.Start > 0 {
			gauge(ch, descServerStart, r.Start, key)
		}
	}
	for _, res := range rep.Results {
		p := res.Port
		port, proto := p.Name, string(p.Proto)
		gauge(ch, descPortInfo, 1, key, port, proto, strconv.Itoa(p.Number), string(p.Role), string(p.Need))
		if rep.HostErr != "" {
			continue // nothing was dialled
		}
		gauge(ch, descPortUp, boolValue(res.Up()), key, port, proto)
		if res.State != probe.Skipped {
			gauge(ch, descPortLevel, 1, key, port, proto, string(res.Level()))
		}
		gauge(ch, descPortState, 1, key, port, proto, string(res.State))
		if res.State == probe.Skipped {
			continue
		}
		gauge(ch, descLatency, res.Latency.Seconds(), key, port, proto)
		if a := res.Answer; a != nil {
			gauge(ch, descAnswerOK, boolValue(a.OK), key, port, proto)
			if na, ok := a.Fields["not_after"]; ok {
				if when, err := time.Parse(time.RFC3339, na); err == nil {
					gauge(ch, descCertExpiry, float64(when.Unix()), key, port, proto)
				}
			}
		}
		switch {
		case res.Conflict != "":
			gauge(ch, descHolderOK, 0, key, port, proto)
		case res.Owner != nil && t.Server != nil:
			gauge(ch, descHolderOK, 1, key, port, proto)
		}
	}
}

// exporterMetrics are the exporter's own: its targets, its dial budget, its
// reloads and its /probe requests.
type exporterMetrics struct {
	reloads        *prometheus.CounterVec
	reloadOK       prometheus.Gauge
	reloadOKAt     prometheus.Gauge
	probeRequests  *prometheus.CounterVec
	budgetSize     prometheus.Gauge
	budgetInUse    prometheus.GaugeFunc
	budgetWaitTime prometheus.CounterFunc
}

func newExporterMetrics(reg prometheus.Registerer, sched *schedule.Scheduler) *exporterMetrics {
	m := &exporterMetrics{
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{Name: ns + "_exporter_config_reloads_total",
			Help: "Reloads of the targets file (SIGHUP), by result: success or failure (the old targets stay)."}, []string{"result"}),
		reloadOK: prometheus.NewGauge(prometheus.GaugeOpts{Name: ns + "_exporter_config_last_reload_successful",
			Help: "1 when the latest load of the targets file succeeded."}),
		reloadOKAt: prometheus.NewGauge(prometheus.GaugeOpts{Name: ns + "_exporter_config_last_reload_success_timestamp_seconds",
			Help: "When the targets file was last loaded successfully, Unix seconds."}),
		probeRequests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: ns + "_exporter_probe_requests_total",
			Help: "/probe requests by HTTP status code: 200, 400 (bad parameters), 403 (a target the file does not name), 503 (no result in time)."}, []string{"code"}),
		budgetSize: prometheus.NewGauge(prometheus.GaugeOpts{Name: ns + "_exporter_dial_budget",
			Help: "The most dials the exporter makes at once, across all targets (--dial-budget)."}),
		budgetInUse: prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: ns + "_exporter_dial_budget_in_use",
			Help: "Dial slots taken by checks now."}, func() float64 { return float64(sched.DialsInUse()) }),
		budgetWaitTime: prometheus.NewCounterFunc(prometheus.CounterOpts{Name: ns + "_exporter_dial_budget_wait_seconds_total",
			Help: "Time checks spent waiting for dial slots, in all."}, func() float64 { return sched.DialWait().Seconds() }),
	}
	for _, code := range []string{"200", "400", "403", "503"} {
		m.probeRequests.WithLabelValues(code)
	}
	for _, res := range []string{"success", "failure"} {
		m.reloads.WithLabelValues(res)
	}
	m.budgetSize.Set(float64(sched.DialBudget()))
	reg.MustRegister(m.reloads, m.reloadOK, m.reloadOKAt, m.probeRequests, m.budgetSize, m.budgetInUse, m.budgetWaitTime)
	for _, kind := range []string{schedule.KindFile, schedule.KindLocal, schedule.KindAdhoc} {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: ns + "_exporter_targets",
			Help:        "Targets the exporter checks, by kind: file (named by the targets file), local (found by local: all), adhoc (/probe with --allow-any-target, remembered).",
			ConstLabels: prometheus.Labels{"kind": kind}}, func() float64 { return float64(sched.Counts()[kind]) }))
	}
	return m
}
