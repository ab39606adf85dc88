// Package wait polls a Carbon server's ports until the verdict `check` gives
// is healthy, the deadline passes, or the server process exits and no
// restart follows.
//
// Which server, which ports: the target, resolved again (through the
// Resolver the caller gives) while no server is found, so that a server
// started after the wait began is followed at its own offset, and when the
// watched JVM exits, so that a restart (a new JVM of the same home) is
// followed too.
//
// How it polls (docs/wait.md has the reasons and the measurements):
//   - every port's first dial is a full probe of that port, at a jittered
//     moment within the first interval, so waiters started together (a
//     fleet of pods) do not dial in step;
//   - the ports that refuse on a local host are re-checked every Interval:
//     one of them (the sentinel) by a non-blocking connect on a kept socket,
//     which the kernel answers with a RST (the server process never sees it,
//     and it costs some tens of microseconds); when the sentinel stops
//     refusing, the others are checked the same way at once, and a
//     connection such a check makes is reset;
//   - a port that times out, fails otherwise, or refuses on a remote host is
//     re-dialled after Backoff, doubling up to MaxBackoff;
//   - a port that is up is not dialled again; once every required port is
//     up, one full check of the whole set decides, and is the report.
package wait

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/carbonprobe/carbonprobe/expect"
	"github.com/carbonprobe/carbonprobe/internal/logtail"
	"github.com/carbonprobe/carbonprobe/internal/text"
	"github.com/carbonprobe/carbonprobe/probe"
	"github.com/carbonprobe/carbonprobe/probe/procs"
	"github.com/carbonprobe/carbonprobe/target"
)

// Defaults for Options.
const (
	DefaultTimeout      = 5 * time.Minute
	DefaultInterval     = 10 * time.Millisecond
	DefaultBackoff      = 25 * time.Millisecond
	DefaultMaxBackoff   = 250 * time.Millisecond
	DefaultLogLines     = 20
	DefaultRestartGrace = 3 * time.Second
)

// Pending is the state of a port the wait ended before dialling.
const Pending probe.State = "pending"

// Resolver finds the target again: the wait calls it while no server is
// found, once every port is up, and when the watched server exits (prev is
// that server: a restart is a new process of its home).
type Resolver func(ctx context.Context, prev *target.Server) (target.Target, error)

// Options says how to wait.
type Options struct {
	Probe      probe.Options // per-dial deadline, concurrency, verification: as for check
	Timeout    time.Duration // the whole wait; default DefaultTimeout
	Interval   time.Duration // re-check of a refusing port on a local host; default DefaultInterval
	Backoff    time.Duration // first pause after a timeout or failure, doubling; default DefaultBackoff
	MaxBackoff time.Duration // cap of the backoff; default DefaultMaxBackoff
	LogLines   int           // log lines to show when the server exits; 0: DefaultLogLines, < 0: none
	Progress   Progress      // nil: none
	// Resolve finds the target again (see Resolver); nil: the first target
	// holds for the whole wait and no server is looked for.
	Resolve Resolver
	// RestartGrace is how long a wait looks for the JVM that replaces one
	// that exited (wso2server.sh starts a new one when the server exits with
	// status 121) before it counts the exit as a crash; it stops looking at
	// once when the exited JVM's launcher is gone too. 0: DefaultRestartGrace;
	// < 0: an exit ends the wait at once.
	RestartGrace time.Duration
}

func (o Options) withDefaults() Options {
	if o.Probe.Timeout <= 0 {
		o.Probe.Timeout = probe.DefaultTimeout
	}
	if o.Probe.Concurrency <= 0 {
		o.Probe.Concurrency = probe.DefaultConcurrency
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Interval <= 0 {
		o.Interval = DefaultInterval
	}
	if o.Backoff <= 0 {
		o.Backoff = DefaultBackoff
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = DefaultMaxBackoff
	}
	o.MaxBackoff = max(o.MaxBackoff, o.Backoff)
	if o.LogLines == 0 {
		o.LogLines = DefaultLogLines
	}
	if o.RestartGrace == 0 {
		o.RestartGrace = DefaultRestartGrace
	}
	return o
}

// Reason says why a wait ended.
type Reason string

const (
	Ready         Reason = "ready"          // the check is healthy
	TimedOut      Reason = "timeout"        // Options.Timeout passed first
	ServerExited  Reason = "server-exited"  // the watched server process exited
	ServerUnknown Reason = "server-unknown" // which process to watch could not be told
	Cancelled     Reason = "cancelled"      // the caller's context ended (a signal)
)

// Result is the outcome of a wait. The wait itself never fails: every way it
// can end is a Reason.
type Result struct {
	Reason   Reason
	Detail   string       // why it ended, one line
	Report   probe.Report // the final check when Ready; otherwise every port's last result
	Elapsed  time.Duration
	Timeout  time.Duration // the wait's own, Options.Timeout
	Dials    int           // full dials, one per port dialled
	Gates    int           // quick refusal checks of refusing local ports
	Server   *Process      // the watched server; nil when none was known or found
	Watch    string        // how its exit was watched: "pidfd", "/proc every 10ms"
	Exit     *Exit         // when Reason is ServerExited
	Restarts []string      // "pid 4242 -> pid 4300 after 12.3s", one per restart followed
}

// Process is the server process a wait watches, as the report shows it.
type Process struct {
	PID     int
	What    string // for people: "mi pid 4242, home /opt/mi, offset 3 (...)"
	LogPath string // the server's log; "" when its home is unknown
}

func processOf(s *target.Server) *Process {
	return &Process{PID: s.PID, What: s.Describe(), LogPath: s.LogPath()}
}

// Exit is what is known of a server that exited during the wait.
type Exit struct {
	PID     int
	After   time.Duration // into the wait
	Why     string
	LogPath string
	LogTail []string // the log's last lines
	LogErr  string   // why the log could not be read
}

type port struct {
	spec     int // index in Spec.Ports
	port     expect.Port
	required bool
	last     probe.Result
	dialled  bool
	up       bool
	gated    bool // refusing on a local host: re-checked by refusedNow every Interval
	inflight bool
	next     time.Time
	backoff  time.Duration
	hostErr  string
	problem  string // the last problem said, so a change is said once
}

func (p *port) wantsDial() bool {
	return !p.inflight && !p.gated && !p.up && (p.required || !p.dialled)
}

type dialDone struct {
	gen     int // the port set it belongs to: a result for an older set is dropped
	i       int
	res     probe.Result
	ok      bool
	problem string // the verdict's line for the port when not ok
	hostErr string
}

type finalDone struct {
	gen int
	rep probe.Report
}

type located struct {
	t   target.Target
	err error
}

type waiter struct {
	tg       target.Target // what is waited for; it changes as the server is found
	gen      int           // bumped whenever tg's port set changes
	opt      Options
	start    time.Time
	ports    []*port // the ports a check dials (not off), in spec order
	addrs    []netip.Addr
	local    bool
	inflight int
	res      Result
	notYet   bool   // "looking for the server" was said
	notReady string // the last "not ready" said
	// final is the last whole check of the current port set: what the
	// product's signals, its log and the socket table said, for the report
	// of a wait that ends without being ready.
	final *probe.Report
}

// Until polls the target's ports until the check is healthy, the timeout
// passes, the server exits (and no restart follows), or ctx ends (then Reason
// is Cancelled). first is the target as resolved before the wait; as the
// server appears or restarts, opt.Resolve gives the target again.
func Until(ctx context.Context, first target.Target, opt Options) Result {
	opt = opt.withDefaults()
	w := &waiter{tg: first, opt: opt, start: time.Now()}
	w.setPorts()
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, opt.Timeout)
	var wg sync.WaitGroup
	var watched *watcher
	stopWatch := func() {
		if watched != nil {
			watched.stop()
			watched = nil
		}
	}
	defer func() {
		cancel()
		wg.Wait() // every dial has seen the cancel and closed its socket
		stopWatch()
	}()

	w.addrs, w.local = target.Locality(ctx, first.Host, opt.Probe.Timeout)
	span := opt.Backoff
	if w.local {
		span = opt.Interval
	}
	for _, p := range w.ports {
		p.next = w.start.Add(rand.N(span))
	}
	if opt.Progress != nil {
		w.event("waiting for %d required port(s) on %s (timeout %s)", w.required(), first.Host, opt.Timeout)
	}
	if g := first.Gone; g != nil && first.Server == nil {
		return w.gone(g)
	}

	// One dial per port at a time, and never more than Concurrency at once:
	// sends never block.
	results := make(chan dialDone, opt.Probe.Concurrency)
	finals := make(chan finalDone, 1)
	found := make(chan located, 1)
	var exited <-chan struct{}
	finalInflight := false
	finalNext, finalBackoff := time.Time{}, opt.Backoff
	// Look again while no server is found on a host whose processes can be
	// read, and, once every port is up, once more before the final check:
	// the server that bound them runs now, and the verdict should know it.
	locating := opt.Resolve != nil && first.Server == nil && first.Looked
	locInflight, lookedUp := false, false
	locNext, locBackoff := w.start.Add(opt.Backoff), opt.Backoff
	// restarting is the server that exited while a restart is looked for.
	var restarting *target.Server
	var exitedAt time.Time
	watchServer := func(s *target.Server) *Result {
		wt, err := watch(s.PID, opt.Interval)
		if errors.Is(err, errGone) {
			if opt.Resolve != nil && opt.RestartGrace > 0 && s.Restartable() {
				restarting, exitedAt = s, time.Now()
				locating, locNext = true, time.Now()
				w.event("the server (%s) exited before it could be watched; looking for the JVM that replaces it", s.Describe())
				return nil
			}
			r := w.gone(&target.Gone{PID: s.PID, LogPath: s.LogPath(),
				Why: fmt.Sprintf("the server (%s) exited before it could be watched", s.Describe())})
			return &r
		}
		w.res.Server = processOf(s)
		if err != nil {
			w.event("found the server, %s, but cannot watch it: %v", s.Describe(), err)
			return nil
		}
		watched, exited, w.res.Watch = wt, wt.exited, wt.how
		w.event("watching the server: %s", s.Describe())
		return nil
	}
	if s := first.Server; s != nil {
		if r := watchServer(s); r != nil {
			return *r
		}
	}

	// Refusing ports are quick-checked on a ticker: a periodic timer costs the
	// runtime less than re-arming one every interval (docs/wait.md). The
	// timer serves the rest (dials after a backoff, the next look for the
	// server), and is re-armed only when its deadline changes.
	var ticker *time.Ticker
	var tick <-chan time.Time
	defer func() {
		if ticker != nil {
			ticker.Stop()
		}
	}()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	var armed time.Time
	for {
		now := time.Now()
		switch gated := w.anyGated(); {
		case gated && ticker == nil:
			ticker = time.NewTicker(opt.Interval)
			tick = ticker.C
		case !gated && ticker != nil:
			ticker.Stop()
			ticker, tick = nil, nil
		}
		for i, p := range w.ports {
			if w.inflight >= opt.Probe.Concurrency {
				break
			}
			if p.wantsDial() && !now.Before(p.next) {
				p.inflight = true
				w.inflight++
				w.res.Dials++
				wg.Add(1)
				one, gen, pp := w.tg, w.gen, p.port
				go func() {
					defer wg.Done()
					results <- w.dial(ctx, one, gen, i, pp)
				}()
			}
		}
		allUp := w.allRequiredUp()
		if allUp && locating && !locInflight && !lookedUp && restarting == nil {
			locNext = now
		}
		if locating && !locInflight && !now.Before(locNext) {
			locInflight = true
			wg.Add(1)
			prev := restarting
			go func() {
				defer wg.Done()
				t, err := opt.Resolve(ctx, prev)
				found <- located{t, err}
			}()
		}
		finalDue := !finalInflight && (!locating || lookedUp) && restarting == nil && allUp
		if finalDue && !now.Before(finalNext) {
			finalInflight = true
			w.res.Dials += len(w.ports)
			wg.Add(1)
			tg, gen := w.tg, w.gen
			go func() {
				defer wg.Done()
				finals <- finalDone{gen, probe.Check(ctx, tg, w.opt.Probe)}
			}()
		}

		var wake time.Time
		soonest := func(t time.Time) {
			if wake.IsZero() || t.Before(wake) {
				wake = t
			}
		}
		if w.inflight < opt.Probe.Concurrency {
			for _, p := range w.ports {
				if p.wantsDial() {
					soonest(p.next)
				}
			}
		}
		if locating && !locInflight {
			soonest(locNext)
		}
		if finalDue && !finalInflight {
			soonest(finalNext)
		}
		switch {
		case wake.IsZero() && !armed.IsZero():
			timer.Stop()
			armed = time.Time{}
		case !wake.IsZero() && !wake.Equal(armed):
			timer.Reset(max(time.Until(wake), 0))
			armed = wake
		}

		select {
		case <-ctx.Done():
			if parent.Err() != nil {
				return w.end(Cancelled, fmt.Sprintf("interrupted after %s: %s", w.elapsed(), w.upText()))
			}
			if restarting != nil {
				return w.gone(w.exitOf(restarting, exitedAt))
			}
			w.cutShort(results)
			detail := fmt.Sprintf("timed out after %s: %s", opt.Timeout, w.upText())
			if w.notReady != "" && w.allRequiredUp() {
				detail += "; not ready: " + w.notReady
			}
			return w.end(TimedOut, detail)

		case d := <-results:
			w.inflight--
			if d.gen != w.gen {
				break // a dial of a port set the target no longer has
			}
			w.ports[d.i].inflight = false
			if now := time.Now(); ctx.Err() == nil && now.Before(w.start.Add(opt.Timeout)) {
				w.apply(d, now)
			} else {
				w.cut(d) // the wait's end, not the port, ended this dial
			}

		case f := <-finals:
			finalInflight = false
			if f.gen != w.gen || restarting != nil {
				break
			}
			rep := f.rep
			w.final = &rep
			if rep.Healthy() {
				w.res.Report = rep
				return w.end(Ready, fmt.Sprintf("ready after %s: %s; %s", w.elapsed(), w.upText(), rep.LevelText()))
			}
			if ctx.Err() == nil && w.applyFinal(rep, time.Now()) {
				lookedUp = false
			} else if ctx.Err() == nil {
				// The ports are up, the product is not ready (its readiness
				// endpoint said no, or another problem): said once per change.
				if why := text.First(rep.Err(), 1024); why != w.notReady {
					w.notReady = why
					w.event("not ready: %s", why)
				}
				// Unhealthy for a reason no single port carries: check again later, not at once.
				finalNext = time.Now().Add(finalBackoff)
				finalBackoff = min(2*finalBackoff, opt.MaxBackoff)
			}

		case l := <-found:
			locInflight = false
			lookedUp = w.allRequiredUp()
			t := l.t
			switch {
			case l.err != nil:
				return w.end(ServerUnknown, "cannot tell which server process to watch: "+text.OneLine(l.err.Error()))
			case t.Server != nil && (restarting == nil || t.Server.PID != restarting.PID):
				locating = false
				if restarting != nil {
					w.res.Restarts = append(w.res.Restarts, fmt.Sprintf("pid %d -> pid %d after %s", restarting.PID, t.Server.PID, w.elapsed()))
					w.event("restarted (pid %d -> pid %d)", restarting.PID, t.Server.PID)
					restarting = nil
				}
				w.retarget(t, time.Now())
				if r := watchServer(t.Server); r != nil {
					return *r
				}
			case restarting != nil:
				if time.Since(exitedAt) >= opt.RestartGrace || !launcherAlive(restarting) {
					return w.gone(w.exitOf(restarting, exitedAt))
				}
				locNext = time.Now().Add(opt.Backoff)
			case t.Gone != nil:
				return w.gone(t.Gone)
			default:
				if !w.notYet {
					w.notYet = true
					why := t.Missing
					if why == "" {
						why = strings.Join(t.Notes, "; ")
					}
					w.event("looking for %s: %s", orText(t.Named, "a Carbon server on this host"), why)
				}
				locNext = time.Now().Add(locBackoff)
				locBackoff = min(2*locBackoff, opt.MaxBackoff)
			}

		case <-exited:
			s := w.tg.Server
			stopWatch()
			exited = nil
			if opt.Resolve == nil || opt.RestartGrace < 0 || !s.Restartable() {
				return w.gone(w.exitOf(s, time.Now()))
			}
			restarting, exitedAt = s, time.Now()
			locating, locNext, locInflight = true, exitedAt, false
			w.down()
			w.event("the server (pid %d) exited %s into the wait; looking for the JVM that replaces it (up to %s)", s.PID, w.elapsed(), opt.RestartGrace)

		case <-timer.C:
			armed = time.Time{}

		case now := <-tick:
			w.quickCheck(now)
		}
	}
}

// cutShort takes the dials the wait's end cut (the context is done, so they
// return at once): a port whose only dial was cut is reported as cut short,
// not as never dialled.
func (w *waiter) cutShort(results <-chan dialDone) {
	for ; w.inflight > 0; w.inflight-- {
		if d := <-results; d.gen == w.gen {
			w.ports[d.i].inflight = false
			w.cut(d)
		}
	}
}

// cut records a dial the wait's end cut: a port dialled before keeps its
// earlier result, which says more.
func (w *waiter) cut(d dialDone) {
	p := w.ports[d.i]
	if p.dialled {
		return
	}
	p.dialled = true
	p.last = probe.Result{Port: p.port, State: probe.Timeout, CutShort: true,
		Detail: fmt.Sprintf("cut short: the wait's --timeout (%s) ended while this port was being dialled", w.opt.Timeout)}
}

// exitOf says how a server that exited ends the wait.
func (w *waiter) exitOf(s *target.Server, at time.Time) *target.Gone {
	return &target.Gone{PID: s.PID, LogPath: s.LogPath(),
		Why: fmt.Sprintf("the server (%s) exited %s into the wait", s.Describe(), at.Sub(w.start).Round(time.Millisecond))}
}

// launcherAlive tells whether the process that started s still runs: a
// start script's loop that may start the next JVM. A server whose launcher
// is unknown or was init (a daemon) gets the whole grace period.
func launcherAlive(s *target.Server) bool {
	if s.Parent <= 1 {
		return true
	}
	return procs.Running(s.Parent)
}

// setPorts makes the port states for the target's spec.
func (w *waiter) setPorts() {
	w.ports = w.ports[:0]
	for i, p := range w.tg.Spec.Ports {
		if p.Checked() {
			w.ports = append(w.ports, &port{spec: i, port: p, required: p.Need == expect.Required, backoff: w.opt.Backoff})
		}
	}
}

// retarget takes a target resolved again: when its ports differ (the server
// runs at another offset than the files say), polling starts over on them.
func (w *waiter) retarget(t target.Target, now time.Time) {
	old := w.tg.Spec
	w.tg = t
	if sameKeys(old.Ports, t.Spec.Ports) {
		// Same numbers: only the ports' words may differ (where the offset came from).
		for _, p := range w.ports {
			p.port = t.Spec.Ports[p.spec]
		}
		return
	}
	w.gen++
	w.ports = nil
	w.setPorts()
	for _, p := range w.ports {
		p.next = now
	}
	w.event("the server runs with offset %d (%s): waiting for its ports now", t.Spec.Offset.Value, t.Spec.Offset.From)
}

// down sends every port back to being polled: the server that bound them exited.
func (w *waiter) down() {
	now := time.Now()
	for _, p := range w.ports {
		p.up, p.gated, p.next, p.backoff = false, false, now, w.opt.Backoff
	}
}

func sameKeys(a, b []expect.Port) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Key() != b[i].Key() || a[i].Need != b[i].Need {
			return false
		}
	}
	return true
}

func orText(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// quickCheck re-checks the refusing ports of a local host. Only one of them,
// the sentinel, is checked at each tick: the wait is over only when every
// port is up, so a port that comes up while another still refuses is news
// that can wait until the sentinel stops refusing. Then every refusing port
// is checked at once, and one that still refuses becomes the sentinel. The
// last port to bind is therefore seen within one interval, as if all were
// checked, at a ninth of the cost for nine ports (docs/wait.md).
func (w *waiter) quickCheck(now time.Time) {
	var sentinel *port
	for _, p := range w.ports {
		if p.gated {
			sentinel = p
			break
		}
	}
	if sentinel == nil {
		return
	}
	w.res.Gates++
	if refusedNow(w.addrs, sentinel.port.Number) {
		return
	}
	sentinel.gated, sentinel.next = false, now
	for _, p := range w.ports {
		if p.gated {
			w.res.Gates++
			if !refusedNow(w.addrs, p.port.Number) {
				p.gated, p.next = false, now
			}
		}
	}
}

// dial makes one full probe of one port: the same code path and verdict
// rules as `check`, so that "up" here means what it means there. Once the
// server is known, the socket table says who holds the port, and a port held
// by another process stays down.
func (w *waiter) dial(ctx context.Context, one target.Target, gen, i int, p expect.Port) dialDone {
	one.Spec.Ports = []expect.Port{p}
	one.Looked = one.Looked && one.Server != nil
	opt := w.opt.Probe
	opt.PortsOnly = true // the signals, the log and the random ports are the whole check's
	rep := probe.Check(ctx, one, opt)
	d := dialDone{gen: gen, i: i, res: rep.Results[0]}
	err := rep.PortErr(d.res)
	if rep.HostErr != "" {
		d.res.State, d.res.Detail, d.hostErr = probe.Failed, rep.HostErr, rep.HostErr
		err = errors.New(rep.HostErr)
	}
	d.ok = err == nil
	if err != nil {
		d.problem = err.Error()
	}
	return d
}

func (w *waiter) apply(d dialDone, now time.Time) {
	p := w.ports[d.i]
	prev, first := p.last.State, !p.dialled
	p.last, p.dialled, p.hostErr = d.res, true, d.hostErr
	if !p.required {
		return // dialled once, for the report; optional ports never hold a wait up
	}
	if d.ok {
		p.up = true
		w.event("%s up", p.port.Label())
		return
	}
	w.schedule(p, now)
	if first || prev != p.last.State || p.problem != d.problem {
		w.event("%s", d.problem)
	}
	p.problem = d.problem
}

// applyFinal takes the final check's results; a required port that failed it
// goes back to being polled. It reports whether any did.
func (w *waiter) applyFinal(rep probe.Report, now time.Time) bool {
	requeued := false
	for _, p := range w.ports {
		r := rep.Results[p.spec]
		if rep.HostErr != "" {
			r.State, r.Detail = probe.Failed, rep.HostErr
			p.hostErr = rep.HostErr
		}
		p.last = r
		err := rep.PortErr(r)
		if rep.HostErr != "" {
			err = errors.New(rep.HostErr)
		}
		if p.required && err != nil {
			p.up = false
			requeued = true
			w.schedule(p, now)
			p.problem = err.Error()
			w.event("the final check failed: %s", p.problem)
		}
	}
	return requeued
}

// quickChecks turns the quick refusal check on; the CPU benchmark turns it
// off to measure what it saves.
var quickChecks = true

func (w *waiter) schedule(p *port, now time.Time) {
	if p.last.State == probe.Refused && w.local {
		if p.port.Proto == expect.TCP && quickChecks {
			p.gated = true
			return
		}
		p.next = now.Add(w.opt.Interval) // UDP: the refusal is an ICMP answer, as cheap
		return
	}
	p.next = now.Add(p.backoff)
	p.backoff = min(2*p.backoff, w.opt.MaxBackoff)
}

func (w *waiter) anyGated() bool {
	for _, p := range w.ports {
		if p.gated {
			return true
		}
	}
	return false
}

func (w *waiter) allRequiredUp() bool {
	for _, p := range w.ports {
		if p.required && !p.up {
			return false
		}
	}
	return true
}

func (w *waiter) required() int {
	n := 0
	for _, p := range w.ports {
		if p.required {
			n++
		}
	}
	return n
}

func (w *waiter) upCount() int {
	n := 0
	for _, p := range w.ports {
		if p.required && p.up {
			n++
		}
	}
	return n
}

func (w *waiter) upText() string {
	return fmt.Sprintf("%d of %d required ports up", w.upCount(), w.required())
}

func (w *waiter) elapsed() time.Duration { return time.Since(w.start).Round(time.Millisecond) }

// gone ends the wait for a server that exited, with the last lines of its log.
func (w *waiter) gone(g *target.Gone) Result {
	ex := &Exit{PID: g.PID, After: w.elapsed(), Why: g.Why, LogPath: g.LogPath}
	switch {
	case w.opt.LogLines < 0:
	case g.LogPath == "":
		ex.LogErr = "the server's home is unknown, so is its log (give --carbon-home)"
	default:
		lines, err := logtail.Tail(g.LogPath, w.opt.LogLines)
		if err != nil {
			ex.LogErr = err.Error()
		}
		ex.LogTail = lines
	}
	w.res.Exit = ex
	return w.end(ServerExited, g.Why)
}

func (w *waiter) end(reason Reason, detail string) Result {
	w.res.Reason, w.res.Detail, w.res.Elapsed, w.res.Timeout = reason, detail, time.Since(w.start), w.opt.Timeout
	if reason != Ready {
		w.res.Report = w.lastReport()
	}
	if w.opt.Progress != nil {
		w.opt.Progress.Done(w.res)
	}
	return w.res
}

// lastReport is what the wait knew of every port when it ended: each port's
// latest result, never a new dial (a silent port would add its whole deadline).
func (w *waiter) lastReport() probe.Report {
	spec := w.tg.Spec
	rep := probe.Report{Target: w.tg, Timeout: w.opt.Probe.Timeout,
		Results: make([]probe.Result, len(spec.Ports)), Elapsed: time.Since(w.start)}
	for i, p := range spec.Ports {
		rep.Results[i] = probe.Result{Port: p, State: probe.Skipped, Detail: p.Skipped()}
	}
	hostErr, dialled := "", 0
	allHostErr := true
	for _, p := range w.ports {
		if !p.dialled {
			rep.Results[p.spec] = probe.Result{Port: p.port, State: Pending, Detail: "not dialled before the wait ended"}
			continue
		}
		dialled++
		rep.Results[p.spec] = p.last
		if p.hostErr == "" {
			allHostErr = false
		} else {
			hostErr = p.hostErr
		}
	}
	if dialled > 0 && allHostErr {
		rep.HostErr = hostErr
	}
	if f := w.final; f != nil && sameKeys(f.Target.Spec.Ports, spec.Ports) {
		rep.Signals, rep.StartLog, rep.Notes = f.Signals, f.StartLog, f.Notes
		rep.Extras, rep.OwnerNotes, rep.StrictExtras = f.Extras, f.OwnerNotes, f.StrictExtras
	}
	return rep
}
