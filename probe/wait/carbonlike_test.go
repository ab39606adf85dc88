package wait

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/carbonprobe/carbonprobe/expect"
	"github.com/carbonprobe/carbonprobe/internal/carbonlike"
	"github.com/carbonprobe/carbonprobe/probe"
	"github.com/carbonprobe/carbonprobe/target"
)

// These tests run the Java Carbon-like server (scripts/carbonlike): real JDK
// HTTP(S) listeners, a real RMI registry and JMX connector server.

func carbonSpec(t *testing.T, offset int) expect.Spec {
	t.Helper()
	s, err := expect.Resolve(expect.Input{
		Profile: expect.Text{Value: "carbon", Origin: "test"},
		Offset:  expect.Text{Value: strconv.Itoa(offset), Origin: "test"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// kernelHome is the home the servers below run in: a Carbon 4.4.40 home's
// files (carbon.xml at offset 0), so that a wait by --carbon-home reads a
// real product's configuration before the server is found.
const kernelHome = "expect/testdata/homes/carbon-4.4.40"

// startLate starts the server in a Carbon home without waiting for it, at a
// free offset given as -DportOffset (the home's carbon.xml says 0).
func startLate(t *testing.T, launcher bool, props map[string]string) *carbonlike.Server {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a JVM")
	}
	off := carbonlike.FreeOffset(t, "carbon")
	return carbonlike.Start(t, carbonlike.Options{Offset: off, OffsetSet: true, NoWait: true, Props: props,
		HomeFrom: kernelHome, Launcher: launcher})
}

// homeRequest is `wait --carbon-home HOME`, begun at since.
func homeRequest(home string, since time.Time) target.Request {
	return target.Request{CarbonHome: target.Value{Value: home, Origin: "test --carbon-home"}, Since: since}
}

// TestCarbonlikeWaitBegunBeforeTheJVM: the wait starts from the home's
// files (offset 0) before the JVM exists; when the server appears with
// -DportOffset=N, the wait switches to its offset and is ready there.
func TestCarbonlikeWaitBegunBeforeTheJVM(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a JVM")
	}
	home := t.TempDir()
	if err := os.CopyFS(home, os.DirFS(filepath.Join("..", "..", kernelHome))); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	first, opt := resolved(t, homeRequest(home, time.Now()), Options{Timeout: 2 * time.Minute, Progress: rec})
	if first.Server != nil || first.Spec.Offset.Value != 0 || first.Missing == "" {
		t.Fatalf("before the JVM: server %+v, offset %d (%s), missing %q; want none, 0 from carbon.xml, and why",
			first.Server, first.Spec.Offset.Value, first.Spec.Offset.From, first.Missing)
	}
	done := make(chan Result, 1)
	go func() { done <- Until(context.Background(), first, opt) }()
	time.Sleep(200 * time.Millisecond) // the wait polls offset 0's ports by now
	off := carbonlike.FreeOffset(t, "carbon")
	srv := carbonlike.Start(t, carbonlike.Options{Home: home, Offset: off, OffsetSet: true})
	res := <-done
	if res.Reason != Ready {
		t.Fatalf("reason %s (%s); events:\n%s", res.Reason, res.Detail, rec)
	}
	if got := res.Report.Target.Spec.Offset; got.Value != srv.Offset || !strings.Contains(got.From, "command line") {
		t.Errorf("ready at offset %d (from %s), want the server's %d from its command line", got.Value, got.From, srv.Offset)
	}
	if rec.index(fmt.Sprintf("the server runs with offset %d", srv.Offset)) < 0 {
		t.Errorf("no event for the switch to offset %d; events:\n%s", srv.Offset, rec)
	}
	for _, r := range res.Report.Results {
		if r.Port.Need == expect.Required && (r.Owner == nil || r.Owner.PID != srv.PID) {
			t.Errorf("%s held by %+v, want the server %d", r.Port.Label(), r.Owner, srv.PID)
		}
	}
}

func TestCarbonlikeDelayedStart(t *testing.T) {
	start := time.Now()
	srv := startLate(t, false, map[string]string{"carbonlike.delay": "1500"})
	rec := &recorder{}
	first, opt := resolved(t, homeRequest(srv.Home, start), Options{Timeout: 2 * time.Minute, Progress: rec})
	res := Until(context.Background(), first, opt)
	if res.Reason != Ready {
		t.Fatalf("reason %s (%s); events:\n%s", res.Reason, res.Detail, rec)
	}
	if err := srv.WaitReady(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Order, not timing: each required port refused, then came up; the server
	// was found and watched; the final check saw every required port bound.
	for _, r := range res.Report.Results {
		if r.Port.Need != expect.Required {
			continue
		}
		refused, up := rec.index(r.Port.Label()+": refused"), rec.index(r.Port.Label()+" up")
		if refused < 0 || up < refused {
			t.Errorf("%s: refused at event %d, up at %d; events:\n%s", r.Port.Label(), refused, up, rec)
		}
		if r.State != probe.Bound || r.Port.Number != srv.Ports[r.Port.Name] {
			t.Errorf("%s: %s in the final check; the server says %s=%d", r.Port.Label(), r.State, r.Port.Name, srv.Ports[r.Port.Name])
		}
	}
	if res.Server == nil || res.Server.PID != srv.PID || res.Watch != "pidfd" {
		t.Errorf("server %+v watched by %q, want pid %d by pidfd", res.Server, res.Watch, srv.PID)
	}
	if res.Elapsed < 1500*time.Millisecond {
		t.Errorf("ready after %s, before the server's 1.5 s delay ended", res.Elapsed)
	}
}

// TestCarbonlikeExitDuringTheWait: the server crashes under its start
// script's loop; the loop ends (status 1 is no restart), and the wait fails
// at once with the log, not after the restart grace.
func TestCarbonlikeExitDuringTheWait(t *testing.T) {
	start := time.Now()
	srv := startLate(t, true, map[string]string{"carbonlike.delay": "60000", "carbonlike.exitAfter": "1000"})
	exitedAt := make(chan time.Time, 1)
	go func() { <-srv.Exited(); exitedAt <- time.Now() }()
	first, opt := resolved(t, homeRequest(srv.Home, start), Options{Timeout: 2 * time.Minute, RestartGrace: time.Minute})
	res := Until(context.Background(), first, opt)
	returned := time.Now()
	if res.Reason != ServerExited || res.Exit == nil {
		t.Fatalf("reason %s (%s)", res.Reason, res.Detail)
	}
	if !strings.Contains(strings.Join(res.Exit.LogTail, "\n"), "carbonlike: simulated crash") {
		t.Errorf("log tail lacks the crash:\n%s", strings.Join(res.Exit.LogTail, "\n"))
	}
	if res.Exit.PID != srv.PID || res.Exit.LogPath != srv.LogPath {
		t.Errorf("exit %+v; want pid %d, log %s", res.Exit, srv.PID, srv.LogPath)
	}
	select {
	case at := <-exitedAt:
		// The launcher exits right after its JVM; the wait sees the JVM's exit
		// first. Either way, within a second, not at the restart grace.
		if returned.Sub(at) > time.Second {
			t.Errorf("the wait ended %s after the server exited", returned.Sub(at))
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the wait says the server exited; the harness never saw it exit")
	}
}

// TestCarbonlikeRestartIsFollowed: the first JVM exits with status 121, as
// Carbon does on a restart, and the start script's loop starts a new one: the
// wait follows the new JVM and is ready on it.
func TestCarbonlikeRestartIsFollowed(t *testing.T) {
	start := time.Now()
	srv := startLate(t, true, map[string]string{"carbonlike.restartAfter": "700"})
	rec := &recorder{}
	first, opt := resolved(t, homeRequest(srv.Home, start), Options{Timeout: 2 * time.Minute, Progress: rec})
	res := Until(context.Background(), first, opt)
	if res.Reason != Ready {
		t.Fatalf("reason %s (%s); events:\n%s", res.Reason, res.Detail, rec)
	}
	second := srv.JVMPID(t)
	if second == srv.PID {
		t.Fatalf("the pid file still names the first JVM %d: no restart happened", srv.PID)
	}
	if len(res.Restarts) != 1 || !strings.HasPrefix(res.Restarts[0], fmt.Sprintf("pid %d -> pid %d", srv.PID, second)) {
		t.Errorf("restarts %q, want pid %d -> pid %d; events:\n%s", res.Restarts, srv.PID, second, rec)
	}
	if res.Server == nil || res.Server.PID != second {
		t.Errorf("server %+v, want the new JVM %d", res.Server, second)
	}
	if rec.index(fmt.Sprintf("restarted (pid %d -> pid %d)", srv.PID, second)) < 0 {
		t.Errorf("no restart event; events:\n%s", rec)
	}
}

func TestCarbonlikeCrashBeforeItIsFound(t *testing.T) {
	start := time.Now()
	srv := startLate(t, false, map[string]string{"carbonlike.delay": "60000", "carbonlike.exitAfter": "0"})
	first, opt := resolved(t, homeRequest(srv.Home, start), Options{Timeout: 2 * time.Minute})
	res := Until(context.Background(), first, opt)
	// Found and then seen exiting, or found only as a fresh pid file naming a
	// dead pid: both must end the wait at once, with the log.
	if res.Reason != ServerExited || res.Exit == nil || !strings.Contains(strings.Join(res.Exit.LogTail, "\n"), "simulated crash") {
		t.Fatalf("reason %s (%s), exit %+v", res.Reason, res.Detail, res.Exit)
	}
}

// TestCarbonlikeNoLeakAfterAThousandPolls polls a running server a thousand
// times and then reads the kernel's socket table (sock_diag, every state):
// neither side holds a connection. No CLOSE_WAIT on the server (every
// connection was closed by the prober), no ESTABLISHED anywhere, and the
// prober holds no descriptor more than before. TIME-WAIT is the normal end of
// a closed connection, on the side that closed first: the prober after a
// plain connect or an RMI exchange, the server after answering an HTTP
// request; it is counted, not forbidden (docs/wait.md).
func TestCarbonlikeNoLeakAfterAThousandPolls(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a JVM")
	}
	srv := carbonlike.Start(t, carbonlike.Options{})
	spec := carbonSpec(t, srv.Offset)
	serverPorts := map[uint16]bool{}
	for _, p := range srv.Ports {
		serverPorts[uint16(p)] = true
	}
	fdsBefore := openFDs(t)
	dials, waits := 0, 0
	for dials < 1000 {
		res := Until(context.Background(), at(spec), Options{Timeout: 30 * time.Second})
		if res.Reason != Ready {
			t.Fatalf("wait %d: %s (%s)", waits, res.Reason, res.Detail)
		}
		dials += res.Dials
		waits++
	}
	if fds := openFDs(t); fds > fdsBefore {
		t.Errorf("the prober holds %d descriptors, %d before the polls", fds, fdsBefore)
	}
	var left []string
	var serverTW, proberTW int
	deadline := time.Now().Add(15 * time.Second)
	for {
		left, serverTW, proberTW = nil, 0, 0
		for _, fam := range []uint8{unix.AF_INET, unix.AF_INET6} {
			socks, err := netlink.SocketDiagTCP(fam)
			if err != nil {
				t.Fatalf("socket table: %v", err)
			}
			for _, s := range socks {
				side := ""
				switch {
				case serverPorts[s.ID.SourcePort]:
					side = "server"
				case serverPorts[s.ID.DestinationPort]:
					side = "prober"
				default:
					continue
				}
				switch {
				case s.State == tcpListen && side == "server":
				case s.State == tcpTimeWait && side == "server":
					serverTW++
				case s.State == tcpTimeWait:
					proberTW++
				default:
					left = append(left, fmt.Sprintf("%s %s:%d -> %s:%d %s", side, s.ID.Source, s.ID.SourcePort, s.ID.Destination, s.ID.DestinationPort, tcpStates[s.State]))
				}
			}
		}
		// The server closes its end when its thread reads the EOF: give it time, then judge.
		if len(left) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(left) > 0 {
		t.Errorf("after %d dials in %d waits, connections left open:\n%s", dials, waits, strings.Join(left, "\n"))
	}
	t.Logf("%d dials in %d waits; TIME-WAIT entries: %d on the prober's side, %d on the server's", dials, waits, proberTW, serverTW)
}

const (
	tcpListen   = 10
	tcpTimeWait = 6
)

var tcpStates = map[uint8]string{1: "ESTABLISHED", 2: "SYN_SENT", 3: "SYN_RECV", 4: "FIN_WAIT1", 5: "FIN_WAIT2",
	6: "TIME_WAIT", 7: "CLOSE", 8: "CLOSE_WAIT", 9: "LAST_ACK", 10: "LISTEN", 11: "CLOSING"}

func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}
