// Package wait polls a Carbon server's ports until the verdict `check` gives
// is healthy, the deadline passes, or the server process exits.
//
// How it polls (docs/wait.md has the reasons and the measurements):
//   - every port's first dial is a full probe of that port, at a jittered
//     moment within the first interval, so waiters started together (a
//     fleet of pods) do not dial in step;
//   - a port that refuses on a local host is re-checked every Interval by a
//     non-blocking connect: the kernel answers the SYN with a RST, the server
//     process never sees it, and it costs a few microseconds;
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
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/carbonprobe/carbonprobe/expect"
	"github.com/carbonprobe/carbonprobe/probe"
	"github.com/carbonprobe/carbonprobe/probe/procs"
)

// Defaults for Options.
const (
	DefaultTimeout    = 5 * time.Minute
	DefaultInterval   = 10 * time.Millisecond
	DefaultBackoff    = 25 * time.Millisecond
	DefaultMaxBackoff = 250 * time.Millisecond
	DefaultLogLines   = 20
)

// Pending is the state of a port the wait ended before dialling.
const Pending probe.State = "pending"

// Options says how to wait.
type Options struct {
	Probe      probe.Options // host, per-dial deadline, concurrency: as for check
	Timeout    time.Duration // the whole wait; default DefaultTimeout
	Interval   time.Duration // re-check of a refusing port on a local host; default DefaultInterval
	Backoff    time.Duration // first pause after a timeout or failure, doubling; default DefaultBackoff
	MaxBackoff time.Duration // cap of the backoff; default DefaultMaxBackoff
	Server     Locator       // the server process to watch; nil: the ports alone
	// ServerLocalOnly watches Server only when the host is this machine's own
	// (a --carbon-home given for its configuration says nothing of a remote host's processes).
	ServerLocalOnly bool
	LogLines        int      // log lines to show when the server exits; 0: DefaultLogLines, < 0: none
	Progress        Progress // nil: none
	// Discover finds the server process for the final check when Server has
	// not found it, as `check` does (probe.Discover); nil: the final check
	// only dials. Once Server has found the process, every dial checks that
	// it is the one holding the port.
	Discover func(context.Context) *probe.Discovery
}

func (o Options) withDefaults() Options {
	if o.Probe.Host == "" {
		o.Probe.Host = "127.0.0.1"
	}
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
	Reason  Reason
	Detail  string       // why it ended, one line
	Report  probe.Report // the final check when Ready; otherwise every port's last result
	Elapsed time.Duration
	Timeout time.Duration // the wait's own, Options.Timeout
	Dials   int           // full dials, one per port dialled
	Gates   int           // quick refusal checks of refusing local ports
	Server  *Process      // the watched server; nil when none was known or found
	Watch   string        // how its exit was watched: "pidfd", "/proc every 10ms"
	Exit    *Exit         // when Reason is ServerExited
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
	i       int
	res     probe.Result
	ok      bool
	problem string // the verdict's line for the port when not ok
	hostErr string
}

type located struct {
	proc Process
	err  error
}

type waiter struct {
	spec     expect.Spec
	opt      Options
	start    time.Time
	ports    []*port // the ports a check dials (not off), in spec order
	addrs    []netip.Addr
	local    bool
	inflight int
	res      Result
	notYet   bool             // "looking for the server" was said
	disc     *probe.Discovery // the located server, for the ownership checks of every dial
}

// Until polls spec's ports until the check is healthy, the timeout passes,
// the server exits, or ctx ends (then Reason is Cancelled).
func Until(ctx context.Context, spec expect.Spec, opt Options) Result {
	opt = opt.withDefaults()
	w := &waiter{spec: spec, opt: opt, start: time.Now()}
	for i, p := range spec.Ports {
		if p.Need != expect.Off {
			w.ports = append(w.ports, &port{spec: i, port: p, required: p.Need == expect.Required, backoff: opt.Backoff})
		}
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, opt.Timeout)
	var wg sync.WaitGroup
	var watched *watcher
	defer func() {
		cancel()
		wg.Wait() // every dial has seen the cancel and closed its socket
		if watched != nil {
			watched.stop()
		}
	}()

	w.addrs, w.local = localAddrs(ctx, opt.Probe)
	if opt.ServerLocalOnly && !w.local {
		opt.Server = nil
		w.opt.Server = nil
	}
	span := opt.Backoff
	if w.local {
		span = opt.Interval
	}
	for _, p := range w.ports {
		p.next = w.start.Add(rand.N(span))
	}
	if opt.Progress != nil {
		w.event("waiting for %d required port(s) on %s (timeout %s)", w.required(), opt.Probe.Host, opt.Timeout)
	}

	results := make(chan dialDone, len(w.ports)) // one dial per port at a time: sends never block
	finals := make(chan probe.Report, 1)
	found := make(chan located, 1)
	var exited <-chan struct{}
	finalInflight := false
	finalNext, finalBackoff := time.Time{}, opt.Backoff
	locating, locInflight := opt.Server != nil, false
	// With a server to watch, the first look for it comes before any verdict:
	// a wrong --pid or an ambiguous --cmd-match is reported even when the
	// ports are up at once. A server not found yet does not hold the wait.
	looked := opt.Server == nil
	// And once every port is up, one more look before the final check: the
	// server that bound them is running now, and the verdict should know it.
	lookedUp := false
	locNext, locBackoff := w.start, opt.Backoff

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
				popt := w.opt.Probe
				popt.Discovery = w.disc
				go func() {
					defer wg.Done()
					results <- w.dial(ctx, i, popt)
				}()
			}
		}
		allUp := w.allRequiredUp()
		if allUp && locating && !locInflight && !lookedUp {
			locNext = now
		}
		if locating && !locInflight && !now.Before(locNext) {
			locInflight = true
			wg.Add(1)
			go func() {
				defer wg.Done()
				p, err := opt.Server.Locate()
				found <- located{p, err}
			}()
		}
		finalDue := !finalInflight && looked && (!locating || lookedUp) && allUp
		if finalDue && !now.Before(finalNext) {
			finalInflight = true
			w.res.Dials += len(w.ports)
			wg.Add(1)
			popt, disc := w.opt.Probe, w.disc
			go func() {
				defer wg.Done()
				if disc == nil && opt.Discover != nil {
					disc = opt.Discover(ctx)
				}
				popt.Discovery = disc
				finals <- probe.Check(ctx, spec, popt)
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
			return w.end(TimedOut, fmt.Sprintf("timed out after %s: %s", opt.Timeout, w.upText()))

		case d := <-results:
			w.inflight--
			w.ports[d.i].inflight = false
			if ctx.Err() == nil { // a dial cut short by the deadline is not news
				w.apply(d, time.Now())
			}

		case rep := <-finals:
			finalInflight = false
			if rep.Healthy() {
				w.res.Report = rep
				return w.end(Ready, fmt.Sprintf("ready after %s: %s", w.elapsed(), w.upText()))
			}
			if w.disc == nil && rep.Discovery != nil && rep.Discovery.Server != nil {
				// The final check found the server: from now on every dial asks
				// who holds its port, so a port held by another process stays down.
				w.disc = rep.Discovery
			}
			if ctx.Err() == nil && w.applyFinal(rep, time.Now()) {
				lookedUp = false
			} else if ctx.Err() == nil {
				// Unhealthy for a reason no single port carries: check again later, not at once.
				finalNext = time.Now().Add(finalBackoff)
				finalBackoff = min(2*finalBackoff, opt.MaxBackoff)
			}

		case l := <-found:
			locInflight, looked = false, true
			lookedUp = w.allRequiredUp()
			var gone *GoneError
			switch {
			case l.err == nil:
				locating = false
				proc := l.proc
				wt, err := watch(proc.PID, opt.Interval)
				if errors.Is(err, errGone) {
					return w.gone(&GoneError{PID: proc.PID, LogPath: proc.LogPath,
						Why: fmt.Sprintf("the server (%s) exited before it could be watched", proc.What)})
				}
				w.res.Server = &proc
				if d := probe.Discover(ctx, opt.Probe.Host, probe.Selector{PID: proc.PID, PIDOrigin: "the watched server, pid"}); d.Server != nil {
					w.disc = &d
				}
				if err != nil {
					w.event("found the server, %s, but cannot watch it: %v", proc.What, err)
					break
				}
				watched, exited, w.res.Watch = wt, wt.exited, wt.how
				w.event("watching the server: %s", proc.What)
			case errors.Is(l.err, ErrNotYet):
				if !w.notYet {
					w.notYet = true
					w.event("looking for %s: %v", opt.Server, l.err)
				}
				locNext = time.Now().Add(locBackoff)
				locBackoff = min(2*locBackoff, opt.MaxBackoff)
			case errors.As(l.err, &gone):
				return w.gone(gone)
			case errors.Is(l.err, procs.ErrUnsupported):
				locating = false
				w.event("cannot watch the server here: %v", l.err)
			default:
				return w.end(ServerUnknown, fmt.Sprintf("cannot tell which server process to watch: %v", l.err))
			}

		case <-exited:
			s := w.res.Server
			return w.gone(&GoneError{PID: s.PID, LogPath: s.LogPath,
				Why: fmt.Sprintf("the server (%s) exited %s into the wait", s.What, w.elapsed())})

		case <-timer.C:
			armed = time.Time{}

		case now := <-tick:
			w.quickCheck(now)
		}
	}
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
// rules as `check`, so that "up" here means what it means there.
func (w *waiter) dial(ctx context.Context, i int, popt probe.Options) dialDone {
	one := w.spec
	one.Ports = []expect.Port{w.ports[i].port}
	rep := probe.Check(ctx, one, popt)
	d := dialDone{i: i, res: rep.Results[0]}
	err := rep.Err()
	d.ok = err == nil
	if err != nil {
		d.problem = firstLine(err)
	}
	if rep.HostErr != "" {
		d.res.State, d.res.Detail, d.hostErr = probe.Failed, rep.HostErr, rep.HostErr
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

// firstLine is the first problem of a verdict's error.
func firstLine(err error) string {
	var m interface{ WrappedErrors() []error }
	if errors.As(err, &m) && len(m.WrappedErrors()) > 0 {
		return m.WrappedErrors()[0].Error()
	}
	return err.Error()
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
		err := (probe.Report{Spec: rep.Spec, Host: rep.Host, Results: []probe.Result{r}}).Err()
		if rep.HostErr != "" {
			err = errors.New(rep.HostErr)
		}
		if p.required && err != nil {
			p.up = false
			requeued = true
			w.schedule(p, now)
			p.problem = firstLine(err)
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
func (w *waiter) gone(g *GoneError) Result {
	ex := &Exit{PID: g.PID, After: w.elapsed(), Why: g.Why, LogPath: g.LogPath}
	switch {
	case w.opt.LogLines < 0:
	case g.LogPath == "":
		ex.LogErr = "the server's home is unknown, so is its log (give --carbon-home)"
	default:
		lines, err := Tail(g.LogPath, w.opt.LogLines)
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
	rep := probe.Report{Spec: w.spec, Host: w.opt.Probe.Host, Timeout: w.opt.Probe.Timeout,
		Results: make([]probe.Result, len(w.spec.Ports)), Elapsed: time.Since(w.start)}
	for i, p := range w.spec.Ports {
		rep.Results[i] = probe.Result{Port: p, State: probe.Skipped, Detail: p.Condition}
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
	return rep
}

// localAddrs resolves the host once and tells whether every address is this
// host's own: only then does a refusal cost the server nothing, so that a
// refusing port may be re-checked every interval.
func localAddrs(ctx context.Context, opt probe.Options) ([]netip.Addr, bool) {
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(opt.Host); err == nil {
		addrs = []netip.Addr{a}
	} else {
		ctx, cancel := context.WithTimeout(ctx, opt.Timeout)
		defer cancel()
		if addrs, err = net.DefaultResolver.LookupNetIP(ctx, "ip", opt.Host); err != nil {
			return nil, false
		}
	}
	own := map[netip.Addr]bool{}
	if ifaddrs, err := net.InterfaceAddrs(); err == nil {
		for _, ia := range ifaddrs {
			if pfx, err := netip.ParsePrefix(ia.String()); err == nil {
				own[pfx.Addr().Unmap()] = true
			}
		}
	}
	for _, a := range addrs {
		a = a.Unmap()
		if !a.IsLoopback() && !own[a.WithZone("")] {
			return addrs, false
		}
	}
	return addrs, len(addrs) > 0
}
