package probe

import (
	"context"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/carbonprobe/carbonprobe/expect"
	"github.com/carbonprobe/carbonprobe/internal/logtail"
	"github.com/carbonprobe/carbonprobe/probe/httpcheck"
	"github.com/carbonprobe/carbonprobe/probe/procs"
	"github.com/carbonprobe/carbonprobe/target"
)

// Level is how far a port, or a server, is up: a listener is there
// (bound), its protocol answers as its role demands (answering), the
// product itself says it is ready (ready: its readiness endpoint said yes).
type Level string

const (
	LevelDown      Level = "down"
	LevelBound     Level = "bound"
	LevelAnswering Level = "answering"
	LevelReady     Level = "ready"
)

var levelRank = map[Level]int{LevelDown: 0, LevelBound: 1, LevelAnswering: 2, LevelReady: 3}

// Level is how far one port is up. A port with nothing to verify (tcp, udp,
// --no-verify) is bound at most: nothing more is known of it.
func (res Result) Level() Level {
	switch {
	case !res.Up():
		return LevelDown
	case res.Answer != nil && res.Answer.OK:
		return LevelAnswering
	}
	return LevelBound
}

// Level is how far the server is up: the lowest level of its required
// ports, and ready only when they all answer and the product said so: every
// required readiness signal said yes, or, where the product has only
// optional ones, one of them did.
func (r Report) Level() Level {
	if r.HostErr != "" {
		return LevelDown
	}
	level := LevelAnswering
	for _, res := range r.Results {
		if res.Port.Need == expect.Required && res.Port.Checked() {
			if l := res.Level(); levelRank[l] < levelRank[level] {
				level = l
			}
		}
	}
	if level != LevelAnswering {
		return level
	}
	yes := false
	for _, s := range r.Signals {
		if s.Signal.Kind != expect.SignalReadiness {
			continue
		}
		if s.Signal.Need != expect.Optional && !s.OK {
			return LevelAnswering
		}
		yes = yes || s.OK
	}
	if yes {
		return LevelReady
	}
	return LevelAnswering
}

// LevelText says how far the server is up, and on what evidence: for ready,
// the readiness signals that said yes.
func (r Report) LevelText() string {
	switch l := r.Level(); l {
	case LevelReady:
		var yes []string
		for _, s := range r.Signals {
			if s.Signal.Kind == expect.SignalReadiness && s.OK {
				yes = append(yes, fmt.Sprintf("%s said yes (%d)", s.Label(), s.Status))
			}
		}
		return "ready: " + strings.Join(yes, ", ")
	case LevelAnswering:
		for _, s := range r.Signals {
			if s.Signal.Kind == expect.SignalReadiness {
				return "answering"
			}
		}
		return "answering; this product has no readiness endpoint here"
	case LevelBound:
		return "bound: listeners only, no protocol checked"
	default:
		return string(l)
	}
}

// SignalResult is what a product's readiness or liveness endpoint said.
type SignalResult struct {
	Signal  expect.Signal
	Number  int  // the port it was asked on
	Asked   bool // false when its port was not up: nothing to ask
	OK      bool
	Status  int    // the HTTP status, 0 when none came
	Detail  string // one line
	Latency time.Duration
}

// Fails says the signal fails the check: it was asked, said no, and the
// product's answer on it is confirmed (not Optional).
func (s SignalResult) Fails() bool {
	return s.Asked && !s.OK && s.Signal.Need != expect.Optional
}

// Label names a signal for people: "readiness /healthz on internal-http 9201/tcp".
func (s SignalResult) Label() string {
	path := s.Signal.Expect.Path
	if path == "" {
		path = "/"
	}
	return fmt.Sprintf("%s %s on %s %d/tcp", s.Signal.Kind, path, s.Signal.Port, s.Number)
}

// signals asks the product's readiness and liveness endpoints whose ports
// are up: the product's own word on whether it is ready, beyond its ports.
func signals(ctx context.Context, rep *Report, opt Options) {
	for _, sig := range rep.Target.Spec.Signals {
		sr := SignalResult{Signal: sig}
		var port *Result
		for i := range rep.Results {
			if rep.Results[i].Port.Name == sig.Port {
				port = &rep.Results[i]
			}
		}
		switch {
		case port == nil:
			sr.Detail = "not asked: its port " + sig.Port + " is not in this check"
		case !port.Up():
			sr.Number = port.Port.Number
			sr.Detail = "not asked: its port is not up"
		default:
			sr.Number = port.Port.Number
			sr.Asked = true
			ask(ctx, rep.Target.Host, port.Port, &sr, opt)
		}
		rep.Signals = append(rep.Signals, sr)
	}
}

func ask(ctx context.Context, host string, p expect.Port, sr *SignalResult, opt Options) {
	want, err := wantOf(&sr.Signal.Expect)
	if err != nil {
		sr.Detail = "could not ask: " + err.Error()
		return
	}
	ctx, cancel := context.WithTimeout(ctx, opt.Timeout)
	defer cancel()
	start := time.Now()
	addr := net.JoinHostPort(host, strconv.Itoa(p.Number))
	conn, err := dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		_, why := classify(err)
		sr.Detail, sr.Latency = "could not ask: "+why, time.Since(start)
		return
	}
	defer conn.Close()
	var r httpcheck.Result
	if p.Role == expect.RoleHTTPS {
		r, err = httpcheck.CheckHTTPS(ctx, conn, host, -1, want)
	} else {
		r, err = httpcheck.CheckHTTP(ctx, conn, addr, want)
	}
	sr.Latency = time.Since(start)
	a := answer(p, r.OK, r.Detail, r.Seen, r.Fields, nil, err).clean()
	sr.OK, sr.Detail = a.OK, a.Detail
	sr.Status, _ = strconv.Atoi(a.Fields["status_code"])
}

// wantOf makes the verifier's request of a port's HTTP expectation.
func wantOf(h *expect.HTTPExpect) (*httpcheck.Want, error) {
	if h == nil {
		return nil, nil
	}
	body, header, headerRE, err := h.Compile()
	if err != nil {
		return nil, err
	}
	return &httpcheck.Want{Path: h.Path, Status: h.Status, Body: body, Header: header, HeaderRE: headerRE}, nil
}

// StartLog is what the server's own log says of its start: Carbon and MI
// write one line once their transports are up.
type StartLog struct {
	Path    string
	Started bool   // the line is there, written after this JVM started
	Line    string // the line, when found
	Detail  string // why not, when not
}

// startedLine is the line the products log when their start is over:
// carbon-kernel's StartupFinalizerServiceComponent.printInfo ("WSO2 Carbon
// started in N sec", every Carbon 4 product), Micro Integrator's
// StartupFinalizer ("WSO2 Micro Integrator started in N.NN seconds").
var startedLine = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`WSO2 (Carbon|Micro Integrator) started in [0-9.]+ (sec|seconds)\b`)
})

// logTime reads the time Carbon's log layout puts at a line's start
// ("[2026-11-25 18:00:00,123]", after an optional "TID: [-1234] [] ").
var logTime = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\[(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}),(\d{3})\]`) })

// startLog reads the end of the server's log for the line that says its
// start is over, and tells whether that line is this JVM's: written after
// the process started, by the clock of this host.
func startLog(t target.Target) *StartLog {
	s := t.Server
	if s == nil || !t.Local || s.LogPath() == "" {
		return nil
	}
	sl := &StartLog{Path: s.LogPath()}
	lines, err := logtail.Lines(sl.Path, 256<<10)
	if err != nil {
		sl.Detail = "the log could not be read: " + err.Error()
		return sl
	}
	for i := len(lines) - 1; i >= 0; i-- {
		if !startedLine().MatchString(lines[i]) {
			continue
		}
		sl.Line = strings.TrimSpace(lines[i])
		began, err := procs.StartTime(s.PID)
		m := logTime().FindStringSubmatch(lines[i])
		if err != nil || m == nil {
			sl.Started = true // cannot tell the runs apart: the last start line stands
			return sl
		}
		at, perr := time.ParseInLocation("2006-01-02 15:04:05", m[1], time.Local)
		if perr != nil || !at.Before(began.Add(-2*time.Second)) {
			sl.Started = true
			return sl
		}
		sl.Detail = fmt.Sprintf("the last start line is from an earlier run (%s; pid %d started at %s): not started yet", m[1], s.PID, began.Format("2006-01-02 15:04:05"))
		return sl
	}
	sl.Detail = "no line says the start is over yet (\"WSO2 Carbon started in\", \"WSO2 Micro Integrator started in\")"
	return sl
}
