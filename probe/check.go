// Package probe finds out what is there: it dials the ports an expect.Spec
// names, concurrently and within bounds, and reports each port's state as data.
package probe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/carbonprobe/carbonprobe/expect"
	"github.com/carbonprobe/carbonprobe/probe/kdccheck"
	"github.com/carbonprobe/carbonprobe/probe/peek"
	"github.com/carbonprobe/carbonprobe/probe/sockets"
	"github.com/carbonprobe/carbonprobe/target"
)

// State is what a dial found on a port.
type State string

const (
	Bound    State = "bound"    // TCP: a connection was accepted
	Refused  State = "refused"  // TCP RST or ICMP port unreachable: nothing is bound
	Timeout  State = "timeout"  // TCP: no answer to the SYN within the deadline
	Answered State = "answered" // UDP: a datagram came back
	Silent   State = "silent"   // UDP: no answer and no refusal; proves nothing
	Failed   State = "error"    // the dial could not be made (no route, bad name, ...)
	Skipped  State = "skipped"  // not dialled: the port is off in this configuration
)

// Defaults for Options.
const (
	DefaultTimeout     = 2 * time.Second
	DefaultConcurrency = 64
	// OptionalGrace is how long optional ports may still take once every
	// required port is settled: they never fail a check, so a silent one
	// must not hold a healthcheck up to its whole deadline.
	OptionalGrace = 250 * time.Millisecond
)

// Options says how to probe; what to probe is the target.
type Options struct {
	Timeout     time.Duration // per port, for the dial and the protocol exchange; default DefaultTimeout
	Concurrency int           // ports probed at once; default DefaultConcurrency
	NoVerify    bool          // only dial; do not check what answers
	CertWarn    time.Duration // warn when a certificate expires within this; 0: httpcheck.DefaultWarnWithin
	Realm       string        // Kerberos realm for the KDC probe; default kdccheck.DefaultRealm
	// StrictExtras makes every random port of the server a problem, for
	// hosts whose firewall rules allow the fixed ports only.
	StrictExtras bool
	// Deadline bounds the whole check; dials still running then are cut
	// short, and their results say so. 0: no bound beyond each port's.
	Deadline time.Duration
	// PortsOnly asks for the ports' own results and holders only: no
	// readiness or liveness endpoint, no log line, no random ports. wait
	// dials a port at a time this way, and asks the rest in its whole check.
	PortsOnly bool
}

func (o Options) withDefaults() Options {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.Realm == "" {
		o.Realm = kdccheck.DefaultRealm
	}
	return o
}

// Result is what was found on one fixed port.
type Result struct {
	Port    expect.Port
	State   State
	Latency time.Duration // to the connect's outcome
	Detail  string        // why it failed
	Answer  *Answer       // what answered, when the port accepted and its role has a check
	Owner   *Owner        // who holds the port, when the socket table was read
	// Conflict says why the holder is wrong: another process, or a
	// loopback-only bind that the target address cannot reach.
	Conflict string
	// Queue is the accept queue of the listener on a port that did not
	// answer in time, when this host's socket table shows one.
	Queue *Queue
	// CutShort says that the check's deadline, or the grace optional ports
	// get once the required ones are settled, ended this port's probe.
	CutShort bool
}

// Queue is a TCP listener's accept queue: connections completed by the
// kernel and not yet accepted by the program, and the most it holds.
type Queue struct{ Len, Max int }

// Report is the outcome of one check of one server.
type Report struct {
	// Target is what was checked: the spec, the host, the server process.
	// When its processes were looked at (Target.Looked), the check also
	// read the local socket table: who holds each fixed port, and the
	// server's random ports.
	Target  target.Target
	Timeout time.Duration
	Results []Result // in the Spec's port order
	HostErr string   // the host could not be resolved: nothing was dialled
	Notes   []string // findings across ports, such as swapped JMX ports
	Elapsed time.Duration

	// Signals are what the product's own readiness and liveness endpoints
	// said; StartLog what its log says of its start (a local server).
	Signals  []SignalResult
	StartLog *StartLog

	Extras       []Extra  // the server's sockets that are not fixed ports
	OwnerNotes   []string // what could not be read in the socket table or /proc
	StrictExtras bool     // random ports fail the check (Options.StrictExtras)
}

// Check dials every port of the target's spec that is not off, at most
// opt.Concurrency at a time, each with its own deadline of opt.Timeout. A
// refused or silent port never cancels the others; results keep the spec's
// order.
func Check(ctx context.Context, t target.Target, opt Options) Report {
	opt = opt.withDefaults()
	if t.Host == "" {
		t.Host = target.DefaultHost
	}
	start := time.Now()
	spec := t.Spec
	rep := Report{Target: t, Timeout: opt.Timeout, Results: make([]Result, len(spec.Ports)), StrictExtras: opt.StrictExtras}
	if m := maxConcurrency(); m > 0 && min(opt.Concurrency, len(spec.Ports)) > m {
		rep.Notes = append(rep.Notes, fmt.Sprintf("at most %d dials at once, not %d: the open-file limit (ulimit -n) leaves no more descriptors", m, opt.Concurrency))
		opt.Concurrency = m
	}
	for i, p := range spec.Ports {
		rep.Results[i] = Result{Port: p, State: Skipped, Detail: p.Skipped()}
	}

	if err := resolvable(ctx, t.Host, opt.Timeout); err != nil {
		rep.HostErr = err.Error()
		rep.Elapsed = time.Since(start)
		return rep
	}

	// A port on a loopback address whose answer needs no protocol check is
	// dialled with bare system calls first: the outcome is known inside
	// connect(2) there, and the 2,000-port check spends its time in syscalls.
	loopback, _ := netip.ParseAddr(t.Host)
	quick := loopback.Unmap().IsLoopback()

	if opt.Deadline > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opt.Deadline)
		defer cancel()
	}
	cut := newCutter(ctx, spec.Ports)
	defer cut.stop()

	// On this host, a UDP port is settled from the socket table: a datagram
	// proves little (silence is the common answer) and costs the whole
	// deadline, and a cluster's discovery socket must not receive garbage.
	local := (quick || t.Local) && udpFromSocketTable
	var fromTable []int

	var g errgroup.Group // not WithContext: one port's failure must not cancel the others
	g.SetLimit(opt.Concurrency)
	for i, p := range spec.Ports {
		if !p.Checked() {
			continue
		}
		switch {
		case p.Proto == expect.UDP && p.Role == expect.RoleUDP && local:
			fromTable = append(fromTable, i)
			cut.done(p)
			continue
		case p.Proto == expect.UDP && p.Cluster:
			rep.Results[i] = Result{Port: p, State: Skipped,
				Detail: "not dialled: a datagram would land in the cluster's discovery socket; check it on its host, where the socket table shows it"}
			cut.done(p)
			continue
		}
		if quick && p.Proto == expect.TCP && (opt.NoVerify || p.Role == expect.RoleTCP) {
			t0 := time.Now()
			if st, ok := quickConnect(loopback, p.Number); ok {
				rep.Results[i] = Result{Port: p, State: st, Latency: time.Since(t0)}
				if st == Refused {
					rep.Results[i].Detail = "nothing listens"
				}
				cut.done(p)
				continue
			}
		}
		g.Go(func() error {
			r := dial(cut.context(p), t.Host, opt, p)
			rep.Results[i] = cut.mark(r, opt.Deadline)
			cut.done(p)
			return nil
		})
	}
	_ = g.Wait() // the goroutines return no errors: every outcome is a Result
	if len(fromTable) > 0 {
		udpFromTable(ctx, &rep, fromTable)
	}
	if n := swapNote(rep.Results); n != "" {
		rep.Notes = append(rep.Notes, n)
	}
	if t.Looked {
		owners(ctx, &rep, !opt.PortsOnly)
	}
	if quick || t.Local {
		stalled(ctx, &rep)
	}
	if opt.PortsOnly {
		rep.Elapsed = time.Since(start)
		return rep
	}
	if len(spec.Signals) > 0 && !opt.NoVerify {
		// --no-verify only dials: no HTTP request, the readiness ones neither.
		signals(ctx, &rep, opt)
	}
	rep.StartLog = startLog(t)
	rep.Elapsed = time.Since(start)
	return rep
}

// resolvable checks a host name once, so that a typo gives one clear line
// instead of one failed dial per port. IP literals need no lookup.
func resolvable(ctx context.Context, host string, timeout time.Duration) error {
	if _, err := netip.ParseAddr(host); err == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if _, err := net.DefaultResolver.LookupHost(ctx, host); err != nil {
		var dnsErr *net.DNSError
		if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
			return errors.New("host " + host + " does not resolve here")
		}
		return errors.New("host " + host + ": " + errText(err))
	}
	return nil
}

// dialer skips keep-alive: a probe connection lives for microseconds, and the
// setsockopt calls to arm it would cost more than the connect.
var dialer = net.Dialer{KeepAlive: -1}

func dial(ctx context.Context, host string, opt Options, p expect.Port) Result {
	ctx, cancel := context.WithTimeout(ctx, opt.Timeout)
	defer cancel()
	addr := net.JoinHostPort(host, strconv.Itoa(p.Number))
	start := time.Now()
	if p.Proto == expect.UDP {
		return dialUDP(ctx, addr, opt, p, start)
	}
	conn, err := dialer.DialContext(ctx, "tcp", addr)
	res := Result{Port: p, Latency: time.Since(start)}
	if resetAfterAccept(err) {
		// The kernel completed the handshake: a listener is there, and it
		// reset the connection before the dial returned. That is the same
		// port as one that resets after the dial returned: bound, and no
		// protocol answered.
		res.State, res.Detail = Bound, "accepted, then reset at once"
		if !opt.NoVerify && p.Role != expect.RoleTCP {
			res.Answer = (&Answer{Protocol: string(p.Role), Seen: peek.SeenReset,
				Detail: "accepted, then reset at once: no " + string(p.Role) + " answer"}).clean()
		}
		return res
	}
	if err != nil {
		res.State, res.Detail = classify(err)
		return res
	}
	defer conn.Close()
	res.State = Bound
	if !opt.NoVerify {
		res.Answer = verifyTCP(ctx, conn, host, opt, p)
	}
	return res
}

// dialUDP sends one empty datagram on a connected socket and waits for an
// answer. Linux reports an ICMP port unreachable as ECONNREFUSED on the next
// read; without one, silence means "open or filtered", never "up".
func dialUDP(ctx context.Context, addr string, opt Options, p expect.Port, start time.Time) Result {
	res := Result{Port: p}
	conn, err := dialer.DialContext(ctx, "udp", addr)
	if err != nil {
		res.Latency = time.Since(start)
		res.State, res.Detail = classify(err)
		return res
	}
	defer conn.Close()
	if p.Role == expect.RoleKDC && !opt.NoVerify {
		res.State, res.Answer = verifyKDC(ctx, conn.(*net.UDPConn), opt, p)
		res.Latency = time.Since(start)
		res.Detail = udpDetail(res.State)
		return res
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	var buf [512]byte
	_, err = conn.Write(nil)
	if err == nil {
		_, err = conn.Read(buf[:])
	}
	res.Latency = time.Since(start)
	if err == nil {
		res.State, res.Detail = Answered, "a datagram came back"
		return res
	}
	res.State, res.Detail = classify(err)
	if res.State == Timeout {
		res.State = Silent
	}
	if d := udpDetail(res.State); d != "" {
		res.Detail = d
	}
	return res
}

func udpDetail(s State) string {
	switch s {
	case Silent:
		return "no answer and no ICMP refusal: something may listen, or a firewall drops; UDP silence proves nothing"
	case Refused:
		return "nothing listens"
	}
	return ""
}

// resetAfterAccept tells a connect that the kernel completed and the peer
// then reset (ECONNRESET: the RST came after the handshake) from one it
// refused (ECONNREFUSED: the RST answered the SYN).
func resetAfterAccept(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNABORTED)
}

// classify turns a dial error into a state and a short reason.
func classify(err error) (State, string) {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return Refused, "nothing listens"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return Timeout, "no answer within the deadline"
	}
	return Failed, errText(err)
}

// errText drops the "dial tcp 127.0.0.1:9443: " prefix Go puts before the cause.
func errText(err error) string {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		err = op.Err
	}
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 && strings.HasPrefix(s, "lookup ") {
		s = s[i+2:]
	}
	return s
}

// stalled looks up the listeners of the ports that timed out on this host: a
// server that stopped accepting (hung, or overloaded) leaves its listener in
// the socket table with a full accept queue, and the kernel drops new SYNs,
// so the dial can only time out. Saying so points at the server, not at a
// firewall.
func stalled(ctx context.Context, rep *Report) {
	var ports []uint16
	for _, r := range rep.Results {
		if r.State == Timeout && r.Port.Proto == expect.TCP && !r.CutShort {
			ports = append(ports, uint16(r.Port.Number))
		}
	}
	if len(ports) == 0 {
		return
	}
	socks, err := sockets.Listeners(ctx, sockets.Filter{Protos: []string{sockets.TCP}, Ports: ports})
	if err != nil {
		return // the timeout stands as it is
	}
	for i := range rep.Results {
		r := &rep.Results[i]
		if r.State != Timeout || r.Port.Proto != expect.TCP || r.CutShort {
			continue
		}
		for _, s := range socks {
			if s.Proto != sockets.TCP || int(s.Local.Port()) != r.Port.Number || !s.QueueKnown {
				continue
			}
			r.Queue = &Queue{Len: int(s.Queue), Max: int(s.QueueMax)}
			who := "a listener"
			if r.Owner != nil && r.Owner.PID > 0 {
				who = "pid " + strconv.Itoa(r.Owner.PID) + "'s listener"
			}
			if s.QueueFull() {
				r.Detail = fmt.Sprintf("no answer within the deadline: %s is there, but its accept queue is full (%d of %d): the server is not accepting connections",
					who, s.Queue, s.QueueMax)
			} else {
				r.Detail = fmt.Sprintf("no answer within the deadline, though %s is there (accept queue %d of %d)", who, s.Queue, s.QueueMax)
			}
			break
		}
	}
}

// udpFromSocketTable turns the socket table's answer for local UDP ports on;
// a test turns it off to exercise the datagram.
var udpFromSocketTable = true

// cutter ends the optional ports' dials OptionalGrace after the last
// required port is settled, and tells which results a cut ended.
type cutter struct {
	whole    context.Context
	optional context.Context
	cancel   context.CancelFunc
	left     atomic.Int32 // required ports not settled yet
	mu       sync.Mutex
	timer    *time.Timer
	cutAt    atomic.Int64 // when the optional ports were cut, unix ns; 0: not yet
}

func newCutter(ctx context.Context, ports []expect.Port) *cutter {
	c := &cutter{whole: ctx}
	c.optional, c.cancel = context.WithCancel(ctx)
	for _, p := range ports {
		if p.Need == expect.Required && p.Checked() { // a port not dialled never settles
			c.left.Add(1)
		}
	}
	if c.left.Load() == 0 {
		c.left.Store(-1) // nothing required: optional ports take their own time
	}
	return c
}

func (c *cutter) context(p expect.Port) context.Context {
	if p.Need == expect.Required {
		return c.whole
	}
	return c.optional
}

// done counts a settled port; after the last required one, the optional
// ones get OptionalGrace more.
func (c *cutter) done(p expect.Port) {
	if p.Need != expect.Required || c.left.Add(-1) != 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.timer = time.AfterFunc(OptionalGrace, func() {
		c.cutAt.Store(time.Now().UnixNano())
		c.cancel()
	})
}

// past tells whether the check's deadline has come: by the clock, since a
// read cut by the same deadline may return before the context says so.
func (c *cutter) past() bool {
	dl, ok := c.whole.Deadline()
	return c.whole.Err() != nil || ok && !time.Now().Before(dl)
}

func (c *cutter) stop() {
	c.mu.Lock()
	if c.timer != nil {
		c.timer.Stop()
	}
	c.mu.Unlock()
	c.cancel()
}

// mark says so in a result that a cut ended: the check's deadline, or the
// optional ports' grace. A port that answered in time keeps its result.
func (c *cutter) mark(r Result, deadline time.Duration) Result {
	if r.State == Refused || r.Up() && (r.Answer == nil || r.Answer.OK) {
		return r
	}
	var why string
	switch {
	case deadline > 0 && c.past():
		why = fmt.Sprintf("cut short by the check's deadline (%s)", deadline)
	case c.cutAt.Load() != 0 && r.Port.Need != expect.Required:
		why = fmt.Sprintf("cut short: every required port was settled, and an optional port gets %s more", OptionalGrace)
	default:
		return r
	}
	r.CutShort = true
	if r.State == Bound {
		// Accepted; the protocol's answer had not come when the cut came.
		r.Answer = &Answer{Protocol: string(r.Port.Role), Seen: peek.SeenTimeout, Detail: why}
		return r
	}
	r.State, r.Detail, r.Answer = Timeout, why, nil
	return r
}

// udpFromTable settles UDP ports on this host from the socket table, without
// a datagram: a socket bound to the port holds it, and nothing else can.
func udpFromTable(ctx context.Context, rep *Report, idx []int) {
	ports := make([]uint16, len(idx))
	for i, j := range idx {
		ports[i] = uint16(rep.Results[j].Port.Number)
	}
	t0 := time.Now()
	socks, err := sockets.Listeners(ctx, sockets.Filter{Protos: []string{sockets.UDP}, Ports: ports})
	for _, j := range idx {
		p := rep.Results[j].Port
		r := Result{Port: p, Latency: time.Since(t0)}
		switch {
		case err != nil:
			r.State, r.Detail = Failed, "could not read the socket table: "+err.Error()
		case slices.ContainsFunc(socks, func(s sockets.Socket) bool { return int(s.Local.Port()) == p.Number }):
			r.State, r.Detail = Bound, "a UDP socket holds the port (the socket table; no datagram sent)"
		default:
			r.State, r.Detail = Refused, "no UDP socket holds the port (the socket table; no datagram sent)"
		}
		rep.Results[j] = r
	}
}
