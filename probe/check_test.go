package probe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-multierror"
	"golang.org/x/net/nettest"

	"github.com/carbonprobe/carbonprobe/expect"
	"github.com/carbonprobe/carbonprobe/internal/testnet"
	"github.com/carbonprobe/carbonprobe/target"
)

// adhoc builds a target of --ports on 127.0.0.1, as the CLI does.
func adhoc(t testing.TB, ports ...int) target.Target {
	t.Helper()
	list := make([]string, len(ports))
	for i, p := range ports {
		list[i] = fmt.Sprint(p)
	}
	return adhocList(t, strings.Join(list, ","))
}

func adhocList(t testing.TB, list string) target.Target {
	t.Helper()
	spec, err := expect.Resolve(expect.Input{Ports: expect.Text{Value: list, Origin: "flag --ports"}})
	if err != nil {
		t.Fatal(err)
	}
	return target.Target{Spec: spec, Host: "127.0.0.1"}
}

// on is the target at another host.
func on(tg target.Target, host string) target.Target {
	tg.Host = host
	return tg
}

func states(rep Report) string {
	var s []string
	for _, r := range rep.Results {
		s = append(s, string(r.State))
	}
	return strings.Join(s, " ")
}

func TestAllBoundAndEveryConnectionClosed(t *testing.T) {
	t.Parallel()
	var ls []*testnet.Listener
	var ports []int
	for i := 0; i < 9; i++ {
		l := testnet.Listen(t, "127.0.0.1:0")
		ls = append(ls, l)
		ports = append(ports, l.Port)
	}
	rep := Check(context.Background(), adhoc(t, ports...), Options{})
	if got, want := states(rep), strings.TrimSpace(strings.Repeat("bound ", 9)); got != want {
		t.Fatalf("states = %s, want %s", got, want)
	}
	if !rep.Healthy() {
		t.Fatalf("unhealthy: %v", rep.Err())
	}
	for i, r := range rep.Results {
		if r.Port.Number != ports[i] {
			t.Errorf("result %d is port %d, want %d: results must keep the spec's order", i, r.Port.Number, ports[i])
		}
	}
	// Every connection the probe made must be closed by the probe.
	deadline := time.Now().Add(5 * time.Second)
	for _, l := range ls {
		for l.PeerClosed() < 1 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		if l.PeerClosed() != 1 {
			t.Errorf("port %d: the probe closed %d connections, want 1", l.Port, l.PeerClosed())
		}
	}
}

func TestRefusedPortDoesNotCancelTheOthers(t *testing.T) {
	t.Parallel()
	up := testnet.Listen(t, "127.0.0.1:0")
	down := testnet.Refused(t)
	up2 := testnet.Listen(t, "127.0.0.1:0")
	rep := Check(context.Background(), adhoc(t, up.Port, down, up2.Port), Options{Concurrency: 1})
	if got, want := states(rep), "bound refused bound"; got != want {
		t.Fatalf("states = %s, want %s", got, want)
	}
	err := rep.Err()
	if err == nil {
		t.Fatal("healthy with a refused required port")
	}
	if want := fmt.Sprintf("* %d/tcp: refused: nothing listens (expected from --ports)", down); !strings.Contains(err.Error(), want) {
		t.Errorf("problem %q does not contain %q", err, want)
	}
}

func TestSilentPortTimesOutWithinItsDeadline(t *testing.T) {
	t.Parallel()
	silent := testnet.Silent(t)
	up := testnet.Listen(t, "127.0.0.1:0")
	const timeout = 300 * time.Millisecond
	rep := Check(context.Background(), adhoc(t, silent, up.Port), Options{Timeout: timeout})
	if got, want := states(rep), "timeout bound"; got != want {
		t.Fatalf("states = %s, want %s", got, want)
	}
	if lat := rep.Results[0].Latency; lat < timeout {
		t.Errorf("timed out after %s, before the %s deadline", lat, timeout)
	}
}

func TestConcurrencyIsBounded(t *testing.T) {
	t.Parallel()
	// Three silent ports, one dial at a time: the deadlines run one after the other.
	ports := []int{testnet.Silent(t), testnet.Silent(t), testnet.Silent(t)}
	const timeout = 100 * time.Millisecond
	rep := Check(context.Background(), adhoc(t, ports...), Options{Timeout: timeout, Concurrency: 1})
	if rep.Elapsed < 3*timeout {
		t.Errorf("3 silent ports at concurrency 1 took %s, less than 3 x %s: dials overlapped", rep.Elapsed, timeout)
	}
}

func TestIPv6Literal(t *testing.T) {
	t.Parallel()
	if !nettest.SupportsIPv6() {
		t.Skip("no IPv6 on this machine")
	}
	l := testnet.Listen(t, "[::1]:0")
	rep := Check(context.Background(), on(adhoc(t, l.Port), "::1"), Options{})
	if rep.Results[0].State != Bound {
		t.Fatalf("[::1]:%d = %s (%s), want bound", l.Port, rep.Results[0].State, rep.Results[0].Detail)
	}
}

// TestUDPStates: on a host whose socket table cannot be read (a remote
// one), a UDP port gets a datagram: answered, refused or silent.
func TestUDPStates(t *testing.T) {
	udpFromSocketTable = false
	defer func() { udpFromSocketTable = true }()
	echo, silent, unbound := testnet.UDPEcho(t), testnet.UDPSilent(t), testnet.UDPUnbound(t)
	spec := adhocList(t, fmt.Sprintf("%d/udp,%d/udp,%d/udp", echo, silent, unbound))
	rep := Check(context.Background(), spec, Options{Timeout: 300 * time.Millisecond})
	if got, want := states(rep), "answered silent refused"; got != want {
		t.Fatalf("states = %s, want %s", got, want)
	}
	// Silence is never "up": it is a warning, and refusal is a failure.
	if w := rep.Warnings(); len(w) != 1 || !strings.Contains(w[0], fmt.Sprintf("%d/udp: unconfirmed", silent)) {
		t.Errorf("warnings = %q, want one for the silent port", w)
	}
	if err := rep.Err(); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%d/udp: refused", unbound)) {
		t.Errorf("err = %v, want the refused UDP port", err)
	}
}

// TestLocalUDPFromTheSocketTable: on this host a UDP port is settled from
// the socket table at once, without a datagram: a silent socket costs no
// deadline, and nothing lands in it.
func TestLocalUDPFromTheSocketTable(t *testing.T) {
	t.Parallel()
	silent, unbound := testnet.UDPSilent(t), testnet.UDPUnbound(t)
	start := time.Now()
	rep := Check(context.Background(), adhocList(t, fmt.Sprintf("%d/udp,%d/udp", silent, unbound)), Options{Timeout: 2 * time.Second})
	if took := time.Since(start); took > time.Second {
		t.Errorf("took %s: a silent UDP socket held the check", took)
	}
	if got, want := states(rep), "bound refused"; got != want {
		t.Fatalf("states = %s, want %s", got, want)
	}
	if d := rep.Results[0].Detail; !strings.Contains(d, "no datagram sent") {
		t.Errorf("detail %q", d)
	}
}

// TestClusterPortsGetNoDatagram: where the socket table cannot be read, a
// cluster's discovery port is not dialled at all.
func TestClusterPortsGetNoDatagram(t *testing.T) {
	t.Parallel()
	spec := expect.Spec{Profile: "carbon", Ports: []expect.Port{{Name: "multicast", Proto: expect.UDP, Number: 45564, Base: 45564,
		Role: expect.RoleUDP, Need: expect.Required, Cluster: true}}}
	// TEST-NET-1: never dialled, as the result shows.
	rep := Check(context.Background(), target.Target{Spec: spec, Host: "192.0.2.1"}, Options{Timeout: 5 * time.Second})
	if r := rep.Results[0]; r.State != Skipped || !strings.Contains(r.Detail, "cluster's discovery socket") || r.Latency != 0 {
		t.Errorf("%+v", r)
	}
}

// TestSilentOptionalPortDoesNotHoldTheCheck: once every required port is
// settled, a silent optional port gets a short grace, then is cut short,
// and says so.
func TestSilentOptionalPortDoesNotHoldTheCheck(t *testing.T) {
	t.Parallel()
	up, silent := testnet.Listen(t, "127.0.0.1:0"), testnet.Peer(t, "tcp", testnet.Ignore)
	tg := adhocList(t, fmt.Sprintf("%d,%s=http", up.Port, silent[strings.LastIndex(silent, ":")+1:]))
	tg.Spec.Ports[1].Need = expect.Optional
	start := time.Now()
	rep := Check(context.Background(), tg, Options{Timeout: 5 * time.Second})
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("took %s: the optional port held the check", took)
	}
	if r := rep.Results[1]; r.State != Bound || !r.CutShort || r.Answer == nil || !strings.HasPrefix(r.Answer.Detail, "cut short: every required port was settled") {
		t.Errorf("optional port: %s %+v", r.State, r.Answer)
	}
	if !rep.Healthy() {
		t.Errorf("unhealthy: %v", rep.Err())
	}
	// A required port whose number cannot be known is never dialled, so
	// never settles: it must not keep the grace from starting.
	unknown := expect.Port{Name: "passthrough-http", Proto: expect.TCP, Role: expect.RoleTCP, Need: expect.Required, Unknown: "$env{HTTP_PORT} is not set"}
	tg.Spec.Ports = append(tg.Spec.Ports, unknown)
	start = time.Now()
	Check(context.Background(), tg, Options{Timeout: 5 * time.Second})
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("with an unknown required port: took %s: the optional port held the check", took)
	}
}

// TestDeadlineBoundsTheWholeCheck: with more silent ports than dials at
// once, the check's own deadline ends it, naming what it cut.
func TestDeadlineBoundsTheWholeCheck(t *testing.T) {
	t.Parallel()
	var list []string
	for i := 0; i < 4; i++ {
		silent := testnet.Peer(t, "tcp", testnet.Ignore)
		list = append(list, silent[strings.LastIndex(silent, ":")+1:]+"=http")
	}
	start := time.Now()
	rep := Check(context.Background(), adhocList(t, strings.Join(list, ",")), Options{Timeout: 5 * time.Second, Concurrency: 1, Deadline: 500 * time.Millisecond})
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("took %s with a 500ms deadline", took)
	}
	for _, r := range rep.Results {
		detail := r.Detail
		if r.Answer != nil {
			detail = r.Answer.Detail
		}
		if !r.CutShort || detail != "cut short by the check's deadline (500ms)" {
			t.Errorf("%s: %s %q", r.Port.Label(), r.State, detail)
		}
	}
	if err := rep.Err(); err == nil || !strings.Contains(err.Error(), "cut short by the check's deadline") {
		t.Errorf("err = %v", err)
	}
}

func TestOptionalAndOffPortsNeverFail(t *testing.T) {
	t.Parallel()
	// Profile mi at an offset where nothing listens: every required port fails,
	// optional ones are dialled and reported, off ones are not dialled at all.
	spec, err := expect.Resolve(expect.Input{Profile: expect.Text{Value: "mi", Origin: "flag --profile"}, Offset: expect.Text{Value: "0", Origin: "flag --offset"}})
	if err != nil {
		t.Fatal(err)
	}
	rep := Check(context.Background(), target.Target{Spec: spec}, Options{Timeout: 300 * time.Millisecond})
	for _, r := range rep.Results {
		if r.Port.Need == expect.Off && r.State != Skipped {
			t.Errorf("%s is off but was dialled: %s", r.Port.Name, r.State)
		}
		if r.Port.Need != expect.Off && r.State == Skipped {
			t.Errorf("%s (%s) was not dialled", r.Port.Name, r.Port.Need)
		}
	}
	if err := rep.Err(); err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			for _, name := range []string{"ldap ", "kdc ", "jmx-", "hazelcast", "multicast"} {
				if strings.Contains(line, "* "+name) {
					t.Errorf("a port that is not required failed the check: %s", line)
				}
			}
		}
	}
}

func TestUnresolvableHostIsOneProblem(t *testing.T) {
	t.Parallel()
	l := testnet.Listen(t, "127.0.0.1:0")
	rep := Check(context.Background(), on(adhoc(t, l.Port, l.Port+1), "carbonprobe-test.invalid"), Options{Timeout: time.Second})
	if rep.HostErr == "" {
		t.Fatal("a name under .invalid resolved")
	}
	var m *multierror.Error
	if err := rep.Err(); !errors.As(err, &m) || len(m.Errors) != 1 {
		t.Errorf("want exactly one problem for an unresolvable host, got %v", err)
	}
	if l.PeerClosed() != 0 {
		t.Error("dialled although the host does not resolve")
	}
}

func benchCheck(b *testing.B, n int) {
	ports := make([]int, n)
	for i := range ports {
		ports[i] = testnet.Listen(b, "127.0.0.1:0").Port
	}
	spec := adhoc(b, ports...)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rep := Check(context.Background(), spec, Options{})
		if !rep.Healthy() {
			b.Fatal(rep.Err())
		}
	}
}

// BenchmarkCheck9 checks nine bound loopback ports, the size of a profile.
func BenchmarkCheck9(b *testing.B) { benchCheck(b, 9) }

// BenchmarkCheck2000 checks 2,000 bound loopback ports.
func BenchmarkCheck2000(b *testing.B) { benchCheck(b, 2000) }

// TestFullAcceptQueueIsNamed: a listener whose program stopped accepting
// makes the dial time out; the socket table says why, and it fails.
func TestFullAcceptQueueIsNamed(t *testing.T) {
	t.Parallel()
	silent := testnet.Silent(t) // a listener with a full accept queue
	rep := Check(context.Background(), adhoc(t, silent), Options{Timeout: 300 * time.Millisecond})
	r := rep.Results[0]
	if r.State != Timeout || r.Queue == nil || r.Queue.Len <= r.Queue.Max {
		t.Fatalf("state %s, queue %+v; want a timeout with the full queue", r.State, r.Queue)
	}
	err := rep.Err()
	want := fmt.Sprintf("%d/tcp: timeout: no answer within the deadline: a listener is there, but its accept queue is full (%d of %d): the server is not accepting connections",
		silent, r.Queue.Len, r.Queue.Max)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("err = %v, want %q", err, want)
	}
}

// resetter accepts every connection and resets it at once (SO_LINGER 0, what
// Hazelcast does to a peer it does not know).
func resetter(t *testing.T) int {
	t.Helper()
	return port(testnet.Peer(t, "tcp", func(c net.Conn) { _ = c.(*net.TCPConn).SetLinger(0) }))
}

func port(addr string) int {
	_, p, _ := net.SplitHostPort(addr)
	n, _ := strconv.Atoi(p)
	return n
}

// TestResetAfterAcceptIsBoundEveryTime: the kernel completed the
// connection, so a listener is there, whatever happens next: the verdict
// must not flap between bound and an error.
func TestResetAfterAcceptIsBoundEveryTime(t *testing.T) {
	t.Parallel()
	p := resetter(t)
	for _, tc := range []struct {
		list, host string
		opt        Options
	}{
		{fmt.Sprint(p), "127.0.0.1", Options{}}, // the bare connect
		// A name, not an address: the dialer, not the bare connect.
		{fmt.Sprintf("%d=http", p), "localhost", Options{NoVerify: true}}, // dial only, through the dialer
		{fmt.Sprintf("%d=http", p), "127.0.0.1", Options{}},               // and a protocol that cannot answer
	} {
		states := map[string]int{}
		for i := 0; i < 50; i++ {
			rep := Check(context.Background(), on(adhocList(t, tc.list), tc.host), tc.opt)
			r := rep.Results[0]
			key := string(r.State)
			if r.Answer != nil {
				key += "/" + r.Answer.Seen
			}
			states[key]++
		}
		if len(states) != 1 {
			t.Errorf("%s (no-verify %v): the verdict flaps: %v", tc.list, tc.opt.NoVerify, states)
		}
		for k := range states {
			if !strings.HasPrefix(k, string(Bound)) {
				t.Errorf("%s: %v, want bound every time", tc.list, states)
			}
		}
	}
}
