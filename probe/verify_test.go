package probe

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/carbonprobe/carbonprobe/expect"
	"github.com/carbonprobe/carbonprobe/internal/carbonlike"
	"github.com/carbonprobe/carbonprobe/internal/fixtures"
	"github.com/carbonprobe/carbonprobe/internal/testnet"
	"github.com/carbonprobe/carbonprobe/target"
)

func byName(rep Report) map[string]Result {
	out := map[string]Result{}
	for _, r := range rep.Results {
		out[r.Port.Name] = r
	}
	return out
}

func carbonSpec(t testing.TB, offset int) target.Target {
	t.Helper()
	spec, err := expect.Resolve(expect.Input{
		Profile: expect.Text{Value: "carbon", Origin: "flag --profile"},
		Offset:  expect.Text{Value: fmt.Sprint(offset), Origin: "flag --offset"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return target.Target{Spec: spec, Host: "127.0.0.1"}
}

// TestVerifyCarbonLikeServer checks the JDK's own HTTP(S) servers, RMI
// registry and JMX connector server, as a Carbon 4 kernel opens them.
func TestVerifyCarbonLikeServer(t *testing.T) {
	t.Parallel()
	srv := carbonlike.Start(t, carbonlike.Options{})
	rep := Check(context.Background(), carbonSpec(t, srv.Offset), Options{Timeout: 5 * time.Second})
	if err := rep.Err(); err != nil {
		t.Fatalf("unhealthy:\n%v", err)
	}
	got := byName(rep)
	for _, name := range []string{"https", "http", "jmx-registry", "jmx-server"} {
		r := got[name]
		if r.Answer == nil || !r.Answer.OK {
			t.Errorf("%s: %+v", name, r.Answer)
		}
	}
	if d := got["http"].Answer.Detail; !strings.Contains(d, "WSO2 Carbon Server") {
		t.Errorf("http detail %q lacks the Server header", d)
	}
	if f := got["https"].Answer.Fields; !strings.Contains(f["subject"], "CN=localhost") || !strings.Contains(f["subject"], "O=WSO2") {
		t.Errorf("https subject %q", f["subject"])
	}
	// The registry's jmxrmi stub must point at the RMI server port the profile expects.
	want := fmt.Sprintf("%d", srv.Ports["jmx-server"])
	if ep := got["jmx-registry"].Answer.Fields["jmxrmi"]; !strings.HasSuffix(ep, ":"+want) {
		t.Errorf("jmxrmi advertises %q, want port %s", ep, want)
	}
	var warned bool
	for _, w := range rep.Warnings() {
		warned = warned || strings.Contains(w, "https") && strings.Contains(w, "WSO2's default self-signed certificate")
	}
	if !warned {
		t.Errorf("no warning about WSO2's default certificate in %q", rep.Warnings())
	}
}

// TestSwappedJMXPorts names the ports as the docs do (11111 the registry):
// the wire says otherwise, and the check says what is where.
func TestSwappedJMXPorts(t *testing.T) {
	t.Parallel()
	srv := carbonlike.Start(t, carbonlike.Options{})
	reg, rmi := srv.Ports["jmx-registry"], srv.Ports["jmx-server"]
	spec := adhocList(t, fmt.Sprintf("%d=rmi-registry,%d=rmi-server", rmi, reg))
	rep := Check(context.Background(), spec, Options{Timeout: 5 * time.Second})
	err := rep.Err()
	if err == nil {
		t.Fatal("healthy with the JMX ports swapped")
	}
	for _, want := range []string{
		fmt.Sprintf("%d/tcp: an RMI server answered, not an RMI registry", rmi),
		fmt.Sprintf("%d/tcp: an RMI registry answered, not an RMI server", reg),
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("problems lack %q:\n%v", want, err)
		}
	}
	if len(rep.Notes) != 1 || !strings.Contains(rep.Notes[0], fmt.Sprintf("the registry answers on %d and the RMI server on %d", reg, rmi)) {
		t.Errorf("notes = %q", rep.Notes)
	}
}

func TestVerifyLDAPAndKDC(t *testing.T) {
	t.Parallel()
	ldap := fixtures.StartSlapd(t, 0)
	kdc := fixtures.StartKDC(t, 0)
	spec := adhocList(t, fmt.Sprintf("%d=ldap,%d=kdc,%d/tcp=kdc", ldap.Port, kdc.Port, kdc.Port))
	rep := Check(context.Background(), spec, Options{Timeout: 5 * time.Second})
	if err := rep.Err(); err != nil {
		t.Fatalf("unhealthy:\n%v", err)
	}
	got := byName(rep)
	l, k := got[fmt.Sprintf("%d/tcp", ldap.Port)], got[fmt.Sprintf("%d/udp", kdc.Port)]
	if l.State != Bound || !l.Answer.OK || !strings.Contains(l.Answer.Detail, fixtures.SlapdSuffix) {
		t.Errorf("ldap: %s %+v", l.State, l.Answer)
	}
	if k.State != Answered || !k.Answer.OK {
		t.Errorf("kdc: %s %+v", k.State, k.Answer)
	}
	if k := got[fmt.Sprintf("%d/tcp", kdc.Port)]; k.State != Bound || k.Answer == nil || !k.Answer.OK || !strings.Contains(k.Answer.Detail, "KDC_ERR_") {
		t.Errorf("kdc over TCP: %s %+v", k.State, k.Answer)
	}
}

// TestWrongProtocolFails: a port that answers another protocol than the one
// named is a failure that says what did answer.
func TestWrongProtocolFails(t *testing.T) {
	t.Parallel()
	srv := carbonlike.Start(t, carbonlike.Options{})
	http := srv.Ports["http"]
	spec := adhocList(t, fmt.Sprintf("%d=ldap", http))
	rep := Check(context.Background(), spec, Options{Timeout: 5 * time.Second})
	err := rep.Err()
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%d/tcp: ", http)) || !strings.Contains(err.Error(), "not LDAP") {
		t.Fatalf("err = %v, want a failure naming the port and LDAP", err)
	}
	spec = adhocList(t, fmt.Sprintf("%d=rmi-registry", http))
	rep = Check(context.Background(), spec, Options{Timeout: 5 * time.Second})
	if err := rep.Err(); err == nil || !strings.Contains(err.Error(), "not an RMI registry") || !strings.Contains(err.Error(), "HTTP") {
		t.Fatalf("err = %v, want HTTP named as what answered", err)
	}
}

// TestSilentPeerAfterAcceptTimesOut: a listener that accepts and never
// speaks costs one deadline, no more.
func TestSilentPeerAfterAcceptTimesOut(t *testing.T) {
	t.Parallel()
	for _, role := range []string{"http", "https", "ldap", "rmi-registry"} {
		t.Run(role, func(t *testing.T) {
			t.Parallel()
			l := testnet.Listen(t, "127.0.0.1:0")
			const timeout = 300 * time.Millisecond
			start := time.Now()
			rep := Check(context.Background(), adhocList(t, fmt.Sprintf("%d=%s", l.Port, role)), Options{Timeout: timeout})
			took := time.Since(start)
			r := rep.Results[0]
			if r.State != Bound || r.Answer == nil || r.Answer.OK {
				t.Fatalf("state %s, answer %+v", r.State, r.Answer)
			}
			if took < timeout || took > 5*timeout {
				t.Errorf("took %s for a %s deadline", took, timeout)
			}
		})
	}
}

func TestNoVerifyOnlyDials(t *testing.T) {
	t.Parallel()
	l := testnet.Listen(t, "127.0.0.1:0")
	rep := Check(context.Background(), adhocList(t, fmt.Sprintf("%d=ldap", l.Port)), Options{NoVerify: true, Timeout: time.Second})
	if r := rep.Results[0]; r.State != Bound || r.Answer != nil || !rep.Healthy() {
		t.Fatalf("--no-verify: %s %+v", r.State, r.Answer)
	}
}

// TestHostileStreamBoundedMemory: a peer that streams 100 MB at a verifier
// leaves memory bounded.
func TestHostileStreamBoundedMemory(t *testing.T) {
	stream := testnet.Streamer(t, 100<<20)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for _, role := range []string{"http", "ldap", "rmi-registry"} {
		rep := Check(context.Background(), adhocList(t, fmt.Sprintf("%d=%s", stream.Port, role)), Options{Timeout: 2 * time.Second})
		if r := rep.Results[0]; r.Answer == nil || r.Answer.OK {
			t.Errorf("%s: a garbage stream verified: %+v", role, r.Answer)
		}
	}
	runtime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 16<<20 {
		t.Errorf("allocated %d MiB against a 100 MB stream", grew>>20)
	}
	if sent := stream.Sent(); sent >= 100<<20 {
		t.Errorf("the verifiers read the whole stream (%d bytes)", sent)
	}
}

// BenchmarkVerifyCarbonLike is the full verification of a Carbon-like server
// with LDAP and KDC beside it: https, http, jmx-registry, jmx-server, ldap,
// kdc, checked with their protocols. Target: under 50 ms.
func BenchmarkVerifyCarbonLike(b *testing.B) {
	srv := carbonlike.Start(b, carbonlike.Options{})
	ldap := fixtures.StartSlapd(b, 0)
	kdc := fixtures.StartKDC(b, 0)
	list := fmt.Sprintf("%d=https,%d=http,%d=rmi-registry,%d=rmi-server,%d=ldap,%d=kdc",
		srv.Ports["https"], srv.Ports["http"], srv.Ports["jmx-registry"], srv.Ports["jmx-server"], ldap.Port, kdc.Port)
	spec := adhocList(b, list)
	b.ResetTimer()
	for b.Loop() {
		if rep := Check(context.Background(), spec, Options{Timeout: 5 * time.Second}); !rep.Healthy() {
			b.Fatal(rep.Err())
		}
	}
}

// BenchmarkVerifyMI is the full verification of a running server as
// `check --pid PID` does it: the target resolved from the process (its
// command line, main class and home), every port dialled and its protocol
// checked (HTTP, HTTPS with the certificate), each port's holder read from
// the socket table, the random ports attributed, and the product's
// readiness and liveness endpoints asked.
func BenchmarkVerifyMI(b *testing.B) {
	srv := carbonlike.Start(b, carbonlike.Options{Profile: "mi"})
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		tg, err := target.Resolve(ctx, target.Request{PID: target.Value{Value: fmt.Sprint(srv.PID), Origin: "flag --pid"}, Self: os.Getpid()})
		if err != nil {
			b.Fatal(err)
		}
		rep := Check(ctx, tg, Options{Timeout: 5 * time.Second})
		if !rep.Healthy() || rep.Level() != LevelReady || len(rep.Signals) < 2 {
			b.Fatalf("level %s, %d signals: %v", rep.Level(), len(rep.Signals), rep.Err())
		}
	}
}

// TestReadinessSignal: a Micro Integrator whose CApps failed answers every
// port, HTTP included, but its readiness endpoint says 500: the check fails
// on the product's own word, and is ready only when that word is yes.
func TestReadinessSignal(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		props  map[string]string
		level  Level
		health bool
	}{
		{"CApps deployed", nil, LevelReady, true},
		{"a CApp failed", map[string]string{"carbonlike.faultyCapps": "orders,billing"}, LevelAnswering, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := carbonlike.Start(t, carbonlike.Options{Profile: "mi", Props: tc.props})
			spec, err := expect.Resolve(expect.Input{Profile: expect.Text{Value: "mi", Origin: "test"}, Offset: expect.Text{Value: fmt.Sprint(srv.Offset), Origin: "test"},
				JavaOpts: expect.Text{Value: "-DenableReadinessProbe=true -DenableLivenessProbe=true -DenableManagementApi=true", Origin: "test"}})
			if err != nil {
				t.Fatal(err)
			}
			// The mi profile's own rows give the signal: -DenableReadinessProbe switches it on.
			if len(spec.Signals) == 0 || spec.Signals[0].Expect.Path != "/healthz" {
				t.Fatalf("the mi profile resolves no /healthz signal: %+v", spec.Signals)
			}
			rep := Check(context.Background(), target.Target{Spec: spec, Host: "127.0.0.1"}, Options{Timeout: 5 * time.Second})
			if rep.Healthy() != tc.health || rep.Level() != tc.level {
				t.Fatalf("healthy %v, level %s; want %v, %s:\n%v", rep.Healthy(), rep.Level(), tc.health, tc.level, rep.Err())
			}
			// /healthz and /liveness, both on the internal API port.
			if len(rep.Signals) != 2 || !rep.Signals[0].Asked || rep.Signals[0].Number != srv.Ports["internal-http"] || !rep.Signals[1].OK {
				t.Fatalf("signals %+v", rep.Signals)
			}
			if !tc.health {
				want := fmt.Sprintf(`readiness /healthz on internal-http %d/tcp: HTTP/1.1 500 Internal Server Error at /healthz, Server: WSO2 Carbon Server, not 200: {"version":"4.2.0","status": "not ready, faulty CAPPs detected", "Faulty CAPPs" : ["orders","billing"]} (readiness means every CApp deployed without fault: ReadinessResource answers 200`,
					srv.Ports["internal-http"])
				if err := rep.Err(); err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("err = %v\nwant %s", err, want)
				}
			}
		})
	}
}
