package probe

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/carbonprobe/carbonprobe/expect"
	"github.com/carbonprobe/carbonprobe/internal/carbonlike"
	"github.com/carbonprobe/carbonprobe/internal/testnet"
	"github.com/carbonprobe/carbonprobe/probe/procs/procstest"
	"github.com/carbonprobe/carbonprobe/probe/sockets"
	"github.com/carbonprobe/carbonprobe/target"
)

// TestMain lets procstest re-run this test binary as a fake Carbon server.
func TestMain(m *testing.M) {
	procstest.Main()
	os.Exit(m.Run())
}

// withServer is tg with the server process pid, found as the target
// package finds it, and this host's socket table read.
func withServer(t *testing.T, tg target.Target, pid int) target.Target {
	t.Helper()
	found, err := target.Resolve(context.Background(), target.Request{PID: target.Value{Value: fmt.Sprint(pid), Origin: "test pid"}, Profile: target.Value{Value: "carbon", Origin: "test"}})
	if err != nil || !found.Looked || found.Missing != "" || found.Server == nil {
		t.Fatalf("finding pid %d: %+v (%v)", pid, found, err)
	}
	tg.Local, tg.Looked, tg.Server = true, true, found.Server
	return tg
}

// looked is tg with this host's socket table read and no server named.
func looked(tg target.Target) target.Target {
	tg.Local, tg.Looked = true, true
	return tg
}

// TestRandomPortsFoundAndKeptApart: the JDK's jmxremote listener and the
// syslog-style UDP sender are found, attributed, never listed as fixed, and
// new at every start.
func TestRandomPortsFoundAndKeptApart(t *testing.T) {
	seen := map[string][]string{} // attribution -> "proto/port" per start
	offset := carbonlike.FreeOffset(t, "carbon")
	for start := 0; start < 2; start++ {
		srv := carbonlike.Start(t, carbonlike.Options{Offset: offset, OffsetSet: true})
		rep := Check(context.Background(), withServer(t, carbonSpec(t, srv.Offset), srv.PID), Options{Timeout: 5 * time.Second})
		if err := rep.Err(); err != nil {
			t.Fatalf("start %d: unhealthy:\n%v", start, err)
		}
		fixed := map[string]bool{}
		for _, r := range rep.Results {
			fixed[r.Port.Key()] = true
			if r.Port.Need == expect.Required && (r.Owner == nil || r.Owner.PID != srv.PID) {
				t.Errorf("start %d: %s held by %+v, want pid %d", start, r.Port.Name, r.Owner, srv.PID)
			}
		}
		var jmx, syslog int
		for _, x := range rep.Extras {
			key := fmt.Sprintf("%s/%d", x.Socket.Proto, x.Socket.Local.Port())
			if fixed[key] {
				t.Errorf("random port %s is a fixed port", key)
			}
			seen[x.Attribution] = append(seen[x.Attribution], key)
			switch x.Attribution {
			case sockets.AttrJMX:
				jmx++
				if x.Confirmed != "answers JRMP from loopback" {
					t.Errorf("jmxremote %s: confirmed %q", key, x.Confirmed)
				}
			case sockets.AttrSyslog:
				syslog++
			default:
				t.Errorf("unexplained extra socket %s: %+v", key, x)
			}
		}
		if jmx != 1 || syslog != 1 {
			t.Errorf("start %d: %d jmxremote and %d syslog extras, want 1 and 1: %+v", start, jmx, syslog, rep.Extras)
		}
		srv.Stop()
	}
	for attr, keys := range seen {
		if len(keys) == 2 && keys[0] == keys[1] {
			t.Errorf("%s took the same port %s at both starts: not random", attr, keys[0])
		}
	}
}

// TestSquatterIsNamed: another process (a second Carbon-like server at
// offset 0) holds one fixed port before the server starts; dialling alone
// would call the port bound, the check names the holder.
func TestSquatterIsNamed(t *testing.T) {
	offset := carbonlike.FreeOffset(t, "carbon")
	httpPort := 9763 + offset
	squat := procstest.Start(t, procstest.Options{
		ProgArgs: []string{"-DportOffset=0"},
		Socks:    []procstest.Sock{{Net: "tcp4", Addr: fmt.Sprintf("0.0.0.0:%d", httpPort)}},
	})
	srv := carbonlike.Start(t, carbonlike.Options{Offset: offset, OffsetSet: true, Props: map[string]string{"carbonlike.skip": "http"}})
	rep := Check(context.Background(), withServer(t, carbonSpec(t, offset), srv.PID), Options{NoVerify: true})
	err := rep.Err()
	if err == nil {
		t.Fatal("healthy with the HTTP port held by another process")
	}
	want := fmt.Sprintf("http %d/tcp: held by pid %d", httpPort, squat.PID)
	if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "another Carbon server at offset 0") {
		t.Errorf("problems lack %q and the holder's description:\n%v", want, err)
	}
	if strings.Count(err.Error(), "held by") != 1 {
		t.Errorf("only the squatted port may fail:\n%v", err)
	}
}

// TestMixedOwnersWithoutAServer: with no server named, fixed ports held by
// different processes are suspect.
func TestMixedOwnersWithoutAServer(t *testing.T) {
	a := procstest.Start(t, procstest.Options{Socks: []procstest.Sock{{Net: "tcp4", Addr: "127.0.0.1:0"}, {Net: "tcp4", Addr: "127.0.0.1:0"}}})
	b := procstest.Start(t, procstest.Options{Socks: []procstest.Sock{{Net: "tcp4", Addr: "127.0.0.1:0"}}})
	// A profile's ports, as if a Carbon profile had named these three.
	spec := expect.Spec{Profile: "carbon", Title: "test"}
	for i, port := range []int{a.Port(0), a.Port(1), b.Port(0)} {
		spec.Ports = append(spec.Ports, expect.Port{Name: fmt.Sprintf("p%d", i), Proto: expect.TCP, Base: port, Number: port,
			Role: expect.RoleTCP, Need: expect.Required})
	}
	rep := Check(context.Background(), looked(target.Target{Spec: spec}), Options{})
	err := rep.Err()
	want := fmt.Sprintf("p2 %d/tcp: held by pid %d", b.Port(0), b.PID)
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), fmt.Sprintf("held by pid %d", a.PID)) {
		t.Fatalf("err = %v, want %q and the majority holder", err, want)
	}
	// Ad-hoc ports may belong to different programs: holders are shown, not judged.
	rep = Check(context.Background(), looked(adhocList(t, fmt.Sprintf("%d,%d", a.Port(0), b.Port(0)))), Options{})
	if err := rep.Err(); err != nil {
		t.Errorf("ad-hoc ports of two programs failed: %v", err)
	}
	if r := rep.Results[1]; r.Owner == nil || r.Owner.PID != b.PID {
		t.Errorf("holder of %d = %+v, want pid %d", b.Port(0), r.Owner, b.PID)
	}
}

// TestBoundElsewhereIsNotReachable: a listener on 127.0.0.2 only does not
// serve a check of 127.0.0.1, and the socket table says why.
func TestBoundElsewhereIsNotReachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("127.0.0.2 not usable here: %v", err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	rep := Check(context.Background(), looked(adhoc(t, port)), Options{})
	err = rep.Err()
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%d/tcp: refused", port)) ||
		!strings.Contains(err.Error(), "bound to 127.0.0.2 only: not reachable at 127.0.0.1") {
		t.Fatalf("err = %v", err)
	}
}

func TestNamedServerThatIsGoneFails(t *testing.T) {
	// A process that has exited and been reaped: its pid is free.
	srv := procstest.Start(t, procstest.Options{})
	pid := srv.PID
	srv.Stop()
	tg := adhoc(t, testnetPort(t))
	tg.Missing = fmt.Sprintf("flag --pid %d: no such process runs here", pid)
	rep := Check(context.Background(), tg, Options{})
	if rep.Healthy() {
		t.Error("healthy although the named server is gone")
	}
}

func testnetPort(t *testing.T) int { return testnet.Listen(t, "127.0.0.1:0").Port }

// TestStrictExtras: with StrictExtras the server's random ports fail the
// check, each named; without it they never do.
func TestStrictExtras(t *testing.T) {
	srv := carbonlike.Start(t, carbonlike.Options{})
	opt := Options{Timeout: 5 * time.Second, StrictExtras: true}
	tg := withServer(t, carbonSpec(t, srv.Offset), srv.PID)
	rep := Check(context.Background(), tg, opt)
	err := rep.Err()
	if err == nil || strings.Count(err.Error(), "--strict-extras allows the fixed ports only") != 2 ||
		!strings.Contains(err.Error(), "JDK local JMX connector") {
		t.Fatalf("err = %v, want the jmxremote and the syslog ports named", err)
	}
	opt.StrictExtras = false
	if rep := Check(context.Background(), tg, opt); !rep.Healthy() {
		t.Fatalf("unhealthy without --strict-extras: %v", rep.Err())
	}
}

// TestStartLog: the server's log says when its start is over; a line from
// an earlier run of the same home does not count for this JVM.
func TestStartLog(t *testing.T) {
	srv := carbonlike.Start(t, carbonlike.Options{})
	rep := Check(context.Background(), withServer(t, carbonSpec(t, srv.Offset), srv.PID), Options{Timeout: 5 * time.Second})
	if l := rep.StartLog; l == nil || !l.Started || !strings.Contains(l.Line, "WSO2 Carbon started in") {
		t.Errorf("start log %+v", l)
	}

	old := procstest.Start(t, procstest.Options{})
	logPath := filepath.Join(old.Home, target.LogFile)
	if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(logPath, []byte("[2020-01-01 00:00:00,000]  INFO {StartupFinalizerServiceComponent} - WSO2 Carbon started in 12 sec\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rep = Check(context.Background(), withServer(t, adhoc(t, testnetPort(t)), old.PID), Options{})
	if l := rep.StartLog; l == nil || l.Started || !strings.Contains(l.Detail, "from an earlier run") {
		t.Errorf("start log %+v", l)
	}
	if w := strings.Join(rep.Warnings(), "\n"); !strings.Contains(w, "from an earlier run") {
		t.Errorf("no warning about the start line:\n%s", w)
	}
}
