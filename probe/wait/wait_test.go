package wait

import (
	"bytes"
	"context"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/carbonprobe/carbonprobe/expect"
	"github.com/carbonprobe/carbonprobe/internal/testnet"
	"github.com/carbonprobe/carbonprobe/probe"
	"github.com/carbonprobe/carbonprobe/probe/procs/procstest"
	"github.com/carbonprobe/carbonprobe/target"
)

func TestReadyAfterTheLastPortBinds(t *testing.T) {
	ports := []*late{lateListener(t, 300*time.Millisecond), lateListener(t, 500*time.Millisecond), lateListener(t, 700*time.Millisecond)}
	spec := adhoc(t, ports[0].Port, ports[1].Port, ports[2].Port)
	rec := &recorder{}
	res := Until(context.Background(), at(spec), Options{Timeout: 30 * time.Second, Progress: rec})
	returned := time.Now()
	if res.Reason != Ready {
		t.Fatalf("reason %s (%s), want ready; events:\n%s", res.Reason, res.Detail, rec)
	}
	lastListen := <-ports[2].listen
	if !lastListen.Before(returned) {
		t.Errorf("wait returned at %s, before the last port listened at %s", returned.Format(time.StampMicro), lastListen.Format(time.StampMicro))
	}
	// The order of events, not their timing: every port refused, then came up,
	// and the wait was ready only after the last one was up.
	for _, p := range spec.Ports {
		refused, up := rec.index(p.Label()+": refused"), rec.index(p.Label()+" up")
		if refused < 0 || up < 0 || refused > up {
			t.Errorf("%s: refused at event %d, up at event %d; want refused first; events:\n%s", p.Label(), refused, up, rec)
		}
	}
	if last := rec.index(spec.Ports[2].Label() + " up"); last < rec.index(spec.Ports[0].Label()+" up") || last < rec.index(spec.Ports[1].Label()+" up") {
		t.Errorf("the last port to listen was not the last up; events:\n%s", rec)
	}
	// The report is the final check of the whole set.
	if !res.Report.Healthy() || len(res.Report.Results) != 3 {
		t.Errorf("report: %+v", res.Report)
	}
	for _, r := range res.Report.Results {
		if r.State != probe.Bound {
			t.Errorf("%s: %s in the final check", r.Port.Label(), r.State)
		}
	}
	// Refusing ports were re-checked by the quick refusal check, not dialled:
	// a first dial, one when the port stopped refusing, and the final check.
	if res.Dials > 9 || res.Gates == 0 {
		t.Errorf("dials %d (want at most 9), quick checks %d (want some)", res.Dials, res.Gates)
	}
	if len(rec.done) != 1 || rec.done[0].Reason != Ready {
		t.Errorf("progress Done calls: %+v", rec.done)
	}
}

func TestTimeoutIsHonouredWithTheLastReport(t *testing.T) {
	down := lateListener(t, -1)
	up := lateListener(t, 0)
	const timeout = 400 * time.Millisecond
	start := time.Now()
	res := Until(context.Background(), at(adhoc(t, up.Port, down.Port)), Options{Timeout: timeout})
	took := time.Since(start)
	if res.Reason != TimedOut || res.Detail != "timed out after 400ms: 1 of 2 required ports up" {
		t.Fatalf("reason %s, detail %q", res.Reason, res.Detail)
	}
	if took < timeout || took > timeout+2*time.Second {
		t.Errorf("took %s for a %s timeout", took, timeout)
	}
	rep := res.Report
	if rep.Healthy() || rep.Results[0].State != probe.Bound || rep.Results[1].State != probe.Refused {
		t.Errorf("last report: %+v", rep.Results)
	}
	if err := rep.Err(); err == nil || !strings.Contains(err.Error(), "refused: nothing listens") {
		t.Errorf("the last report does not name the refused port: %v", err)
	}
}

func TestRefusingLocalPortIsCheckedCheaplyAndReportedOnce(t *testing.T) {
	down := lateListener(t, -1)
	rec := &recorder{}
	res := Until(context.Background(), at(adhoc(t, down.Port)), Options{Timeout: 500 * time.Millisecond, Progress: rec})
	if res.Reason != TimedOut {
		t.Fatalf("reason %s", res.Reason)
	}
	if res.Dials != 1 || res.Gates < 3 {
		t.Errorf("dials %d, quick checks %d: want one dial, then quick checks every interval", res.Dials, res.Gates)
	}
	if n := rec.count("refused"); n != 1 {
		t.Errorf("%d refused events, want 1 (one line per change, not per poll):\n%s", n, rec)
	}
}

// TestOneSentinelIsQuickCheckedPerInterval: three refusing ports cost one
// quick check per tick, not three (a ticker cannot fire more often than
// elapsed/interval times).
func TestOneSentinelIsQuickCheckedPerInterval(t *testing.T) {
	ports := []int{lateListener(t, -1).Port, lateListener(t, -1).Port, lateListener(t, -1).Port}
	res := Until(context.Background(), at(adhoc(t, ports...)), Options{Timeout: 500 * time.Millisecond})
	if res.Reason != TimedOut {
		t.Fatalf("reason %s", res.Reason)
	}
	if maxTicks := int(res.Elapsed/DefaultInterval) + 1; res.Gates > maxTicks || res.Gates == 0 {
		t.Errorf("%d quick checks in %s: want one per tick, at most %d", res.Gates, res.Elapsed, maxTicks)
	}
}

// TestTheSentinelBindingLastIsSeenAtOnce: the ports that bind before the
// sentinel are found when it binds, in the same sweep.
func TestTheSentinelBindingLastIsSeenAtOnce(t *testing.T) {
	last := lateListener(t, 600*time.Millisecond) // first in the spec: the sentinel
	early := []*late{lateListener(t, 200*time.Millisecond), lateListener(t, 300*time.Millisecond)}
	rec := &recorder{}
	spec := adhoc(t, last.Port, early[0].Port, early[1].Port)
	res := Until(context.Background(), at(spec), Options{Timeout: 30 * time.Second, Progress: rec})
	if res.Reason != Ready {
		t.Fatalf("reason %s; events:\n%s", res.Reason, rec)
	}
	sentinelUp := rec.index(spec.Ports[0].Label() + " up")
	for _, p := range spec.Ports[1:] {
		if up := rec.index(p.Label() + " up"); up < 0 {
			t.Errorf("%s never up; events:\n%s", p.Label(), rec)
		}
	}
	if sentinelUp < 0 {
		t.Errorf("the sentinel was never up; events:\n%s", rec)
	}
}

func TestSilentPortBacksOff(t *testing.T) {
	silent := testnet.Silent(t)
	res := Until(context.Background(), at(adhoc(t, silent)), Options{Timeout: time.Second,
		Probe: probe.Options{Timeout: 100 * time.Millisecond}})
	if res.Reason != TimedOut || res.Report.Results[0].State != probe.Timeout {
		t.Fatalf("reason %s, state %s", res.Reason, res.Report.Results[0].State)
	}
	// Each round is a 100 ms dial and a pause of 25, 50, 100, 200, 250... ms:
	// at most 8 rounds fit in a second. Re-dialling at the refusal interval would make ~9.
	if res.Dials > 8 || res.Gates != 0 {
		t.Errorf("dials %d, quick checks %d: a silent port must back off and never be quick-checked", res.Dials, res.Gates)
	}
}

func TestFinalCheckSendsAPortThatWentDownBackToPolling(t *testing.T) {
	early := lateListener(t, 0)
	later := lateListener(t, 400*time.Millisecond)
	<-early.listen
	time.AfterFunc(200*time.Millisecond, early.Close) // up at the first dial, gone before the final check
	rec := &recorder{}
	res := Until(context.Background(), at(adhoc(t, early.Port, later.Port)), Options{Timeout: 1500 * time.Millisecond, Progress: rec})
	if res.Reason != TimedOut {
		t.Fatalf("reason %s; events:\n%s", res.Reason, rec)
	}
	if rec.index("the final check failed: ") < 0 {
		t.Errorf("no final-check failure event:\n%s", rec)
	}
	if s := res.Report.Results[0].State; s != probe.Refused {
		t.Errorf("the port that went down is %s in the last report, want refused", s)
	}
}

func TestOptionalPortsDoNotHoldTheWait(t *testing.T) {
	up := lateListener(t, 0)
	down := lateListener(t, -1)
	spec := adhoc(t, up.Port, down.Port)
	spec.Ports[1].Need = expect.Optional
	res := Until(context.Background(), at(spec), Options{Timeout: 10 * time.Second})
	if res.Reason != Ready {
		t.Fatalf("reason %s (%s)", res.Reason, res.Detail)
	}
	if s := res.Report.Results[1].State; s != probe.Refused {
		t.Errorf("optional port: %s in the report, want refused", s)
	}
}

func TestCancelled(t *testing.T) {
	down := lateListener(t, -1)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	res := Until(ctx, at(adhoc(t, down.Port)), Options{Timeout: time.Minute})
	if res.Reason != Cancelled || !strings.HasPrefix(res.Detail, "interrupted after") {
		t.Errorf("reason %s, detail %q", res.Reason, res.Detail)
	}
}

func TestQuickRefusalCheck(t *testing.T) {
	lo := []netip.Addr{netip.MustParseAddr("127.0.0.1")}
	down := lateListener(t, -1)
	up := lateListener(t, 0)
	<-up.listen
	if !refusedNow(lo, down.Port) {
		t.Error("a bound, non-listening port was not seen refusing")
	}
	if refusedNow(lo, up.Port) {
		t.Error("a listening port was seen refusing")
	}
	if refusedNow(nil, down.Port) {
		t.Error("no address at all counted as refused")
	}
}

// startServer starts a fake Carbon server (this test binary with a Carbon
// command line, a real pid file and process) with a log under its home.
func startServer(t *testing.T, extra ...string) (*procstest.Server, []string) {
	t.Helper()
	home := t.TempDir()
	logLines := []string{"TID: [-1234] [] [2026-11-25 18:00:00,000]  INFO {org.wso2.carbon.core.init.CarbonServerManager} - Starting", "ERROR {Bootstrap} - cannot bind: Address already in use", "FATAL {Bootstrap} - giving up"}
	logPath := filepath.Join(home, target.LogFile)
	if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(logPath, []byte(strings.Join(logLines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return procstest.Start(t, procstest.Options{Home: home, ProgArgs: extra}), logLines
}

func TestServerThatExitsEndsTheWaitWithItsLog(t *testing.T) {
	for _, polling := range []bool{false, true} {
		name := "pidfd"
		if polling {
			name = "proc"
		}
		t.Run(name, func(t *testing.T) {
			forcePolling = polling
			defer func() { forcePolling = false }()
			srv, logLines := startServer(t)
			down := lateListener(t, -1)
			exitedAt := make(chan time.Time, 1)
			time.AfterFunc(300*time.Millisecond, func() { srv.Stop(); exitedAt <- time.Now() })
			rec := &recorder{}
			req := portsRequest(down.Port)
			req.CarbonHome = target.Value{Value: srv.Home, Origin: "test home"}
			// No restart is looked for: the exit ends the wait at once.
			first, opt := resolved(t, req, Options{Timeout: time.Minute, Progress: rec, RestartGrace: -1})
			res := Until(context.Background(), first, opt)
			returned := time.Now()
			if res.Reason != ServerExited || res.Exit == nil {
				t.Fatalf("reason %s (%s); events:\n%s", res.Reason, res.Detail, rec)
			}
			if res.Server == nil || res.Server.PID != srv.PID || res.Exit.PID != srv.PID {
				t.Errorf("server %+v, exit %+v; want pid %d", res.Server, res.Exit, srv.PID)
			}
			want := "pidfd"
			if polling {
				want = "/proc every 10ms"
			}
			if res.Watch != want {
				t.Errorf("watched by %q, want %q", res.Watch, want)
			}
			if !strings.Contains(res.Detail, "exited") || !strings.Contains(res.Detail, "into the wait") {
				t.Errorf("detail %q", res.Detail)
			}
			if strings.Join(res.Exit.LogTail, "\n") != strings.Join(logLines, "\n") || res.Exit.LogErr != "" {
				t.Errorf("log tail %q (%s), want %q", res.Exit.LogTail, res.Exit.LogErr, logLines)
			}
			// Noticed at once, not at the timeout: Stop returns once the process is reaped.
			if gap := returned.Sub(<-exitedAt); gap > time.Second {
				t.Errorf("the wait ended %s after the server exited", gap)
			}
			if rec.index("watching the server") < 0 {
				t.Errorf("no event about the watched server:\n%s", rec)
			}
		})
	}
}

func TestPIDNotRunningFailsAtOnce(t *testing.T) {
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	down := lateListener(t, -1)
	req := portsRequest(down.Port)
	req.PID = target.Value{Value: itoa(pid), Origin: "test pid"}
	first, opt := resolved(t, req, Options{Timeout: time.Minute})
	res := Until(context.Background(), first, opt)
	if res.Reason != ServerExited || res.Detail != "test pid "+itoa(pid)+": no such process runs here" {
		t.Errorf("reason %s, detail %q", res.Reason, res.Detail)
	}
	if res.Exit == nil || res.Exit.LogErr == "" {
		t.Errorf("exit %+v: want a note that the log is unknown", res.Exit)
	}
}

func TestByHomeWaitsForTheServerToStart(t *testing.T) {
	home := t.TempDir()
	port := freePort(t)
	rec := &recorder{}
	done := make(chan Result, 1)
	req := portsRequest(port)
	req.CarbonHome = target.Value{Value: home, Origin: "test home"}
	first, opt := resolved(t, req, Options{Timeout: 30 * time.Second, Progress: rec})
	go func() { done <- Until(context.Background(), first, opt) }()
	time.Sleep(300 * time.Millisecond) // the wait is looking by now; the order is checked below
	srv := procstest.Start(t, procstest.Options{Home: home, Socks: []procstest.Sock{{Net: "tcp4", Addr: "127.0.0.1:" + itoa(port)}}})
	res := <-done
	if res.Reason != Ready {
		t.Fatalf("reason %s (%s); events:\n%s", res.Reason, res.Detail, rec)
	}
	if res.Server == nil || res.Server.PID != srv.PID {
		t.Errorf("server %+v, want pid %d", res.Server, srv.PID)
	}
	looking, watching := rec.index("looking for the server of "+home+" (test home)"), rec.index("watching the server")
	if looking < 0 || watching < looking {
		t.Errorf("want 'looking for' then 'watching'; events:\n%s", rec)
	}
	// Once the server is known, the verdict includes who holds the port, as check's does.
	if o := res.Report.Results[0].Owner; o == nil || o.PID != srv.PID {
		t.Errorf("owner of the port in the final check: %+v, want pid %d", o, srv.PID)
	}
}

// TestAPortHeldByAnotherProcessIsNotReady: with the server known, a port that
// accepts but is held by someone else fails, as in check.
func TestAPortHeldByAnotherProcessIsNotReady(t *testing.T) {
	srv, _ := startServer(t)
	squatter := lateListener(t, 0) // held by this test process, not by the server
	rec := &recorder{}
	req := portsRequest(squatter.Port)
	req.PID = target.Value{Value: itoa(srv.PID), Origin: "test pid"}
	first, opt := resolved(t, req, Options{Timeout: 700 * time.Millisecond, Progress: rec})
	res := Until(context.Background(), first, opt)
	if res.Reason != TimedOut {
		t.Fatalf("reason %s (%s); events:\n%s", res.Reason, res.Detail, rec)
	}
	if err := res.Report.Err(); err == nil || !strings.Contains(err.Error(), "held by") {
		t.Errorf("the last report does not name the holder: %v", err)
	}
}

func TestLinesProgress(t *testing.T) {
	var b bytes.Buffer
	down := lateListener(t, -1)
	Until(context.Background(), at(adhoc(t, down.Port)), Options{Timeout: time.Second, Progress: Lines(&b)})
	got := b.String()
	for _, want := range []string{"waiting for 1 required port(s) on 127.0.0.1 (timeout 1s)", "/tcp: refused: nothing listens (expected from --ports) (0/1 required up)", "timed out after 1s: 0 of 1 required ports up"} {
		if !strings.Contains(got, want) {
			t.Errorf("progress lacks %q:\n%s", want, got)
		}
	}
	if n := strings.Count(got, "\n"); n != 3 {
		t.Errorf("%d lines, want 3 (start, the refusal, the end):\n%s", n, got)
	}
}

func TestBarProgress(t *testing.T) {
	for _, ready := range []bool{true, false} {
		var b syncBuffer
		port := lateListener(t, -1)
		if ready {
			port = lateListener(t, 100*time.Millisecond)
		}
		res := Until(context.Background(), at(adhoc(t, port.Port)), Options{Timeout: 400 * time.Millisecond, Progress: Bar(&b)})
		if (res.Reason == Ready) != ready {
			t.Fatalf("reason %s", res.Reason)
		}
		out := b.String()
		// The bar cuts its lines at the terminal's width (80 here).
		for _, want := range []string{"required ports up", "pending: ", res.Detail[:min(len(res.Detail), 60)]} {
			if !strings.Contains(out, want) {
				t.Errorf("ready %v: bar output lacks %q:\n%q", ready, want, out)
			}
		}
	}
}

// TestATimeoutShorterThanADialSaysWhatItCut: --timeout 300ms with the
// default 2 s dial deadline: the ports were dialled, and the report says the
// wait cut their dials, not that they were never dialled.
func TestATimeoutShorterThanADialSaysWhatItCut(t *testing.T) {
	silent := []int{testnet.Silent(t), testnet.Silent(t)}
	res := Until(context.Background(), at(adhoc(t, silent...)), Options{Timeout: 300 * time.Millisecond})
	if res.Reason != TimedOut || res.Dials < 2 {
		t.Fatalf("reason %s, dials %d", res.Reason, res.Dials)
	}
	for _, r := range res.Report.Results {
		// A silent port's dial outlives the wait: its only result is the cut.
		if r.State == Pending || r.State == probe.Timeout && !r.CutShort && r.Latency < 300*time.Millisecond ||
			r.CutShort && !strings.Contains(r.Detail, "cut short: the wait's --timeout (300ms) ended") {
			t.Errorf("%s: %s %q", r.Port.Label(), r.State, r.Detail)
		}
	}
}
