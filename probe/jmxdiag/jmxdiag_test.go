package jmxdiag_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/carbonprobe/carbonprobe/internal/carbonlike"
	"github.com/carbonprobe/carbonprobe/probe/jmxdiag"
)

func start(t *testing.T, jvmArgs []string, props map[string]string) *carbonlike.Server {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a JVM; skipped with -short")
	}
	return carbonlike.Start(t, carbonlike.Options{JVMArgs: jvmArgs, Props: props})
}

func diagnose(t *testing.T, port int, dial func(context.Context, string, string) (net.Conn, error)) jmxdiag.Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r := jmxdiag.Diagnose(ctx, "127.0.0.1", port, 5*time.Second, dial)
	for _, s := range r.Steps {
		t.Logf("%-40s %-4s %s", s.Name, s.Status, s.Detail)
	}
	t.Logf("fix: %s", r.Fix)
	return r
}

func step(t *testing.T, r jmxdiag.Report, name string) jmxdiag.Step {
	t.Helper()
	for _, s := range r.Steps {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no step %q in %+v", name, r.Steps)
	return jmxdiag.Step{}
}

// expectFailure checks the first failing step, its detail and the fix, and
// that every later step was skipped or failed too (nothing claims success
// past a broken hop).
func expectFailure(t *testing.T, r jmxdiag.Report, name, detail, fix string) {
	t.Helper()
	if r.OK {
		t.Fatalf("report OK, want %q to fail", name)
	}
	var first *jmxdiag.Step
	for i := range r.Steps {
		if r.Steps[i].Status == jmxdiag.Fail {
			first = &r.Steps[i]
			break
		}
	}
	if first == nil || first.Name != name || !strings.Contains(first.Detail, detail) {
		t.Errorf("first failure %+v, want %q containing %q", first, name, detail)
	}
	if !strings.Contains(r.Fix, fix) {
		t.Errorf("fix %q does not contain %q", r.Fix, fix)
	}
	if len(r.Steps) != 7 {
		t.Errorf("%d steps, want all 7 reported", len(r.Steps))
	}
}

func TestGoodServer(t *testing.T) {
	s := start(t, []string{"-Djava.rmi.server.hostname=127.0.0.1"}, nil)
	reg, srv := s.Ports["jmx-registry"], s.Ports["jmx-server"]

	t.Run("registry", func(t *testing.T) {
		r := diagnose(t, reg, nil)
		if !r.OK || r.Fix != "" {
			t.Fatalf("report not OK: %+v", r)
		}
		if r.Endpoint == nil || r.Endpoint.Host != "127.0.0.1" || r.Endpoint.Port != srv {
			t.Errorf("endpoint %+v, want 127.0.0.1:%d", r.Endpoint, srv)
		}
		want := "service:jmx:rmi://127.0.0.1:" + strconv.Itoa(srv) + "/jndi/rmi://127.0.0.1:" + strconv.Itoa(reg) + "/jmxrmi"
		if r.ServiceURL != want {
			t.Errorf("ServiceURL %q, want %q", r.ServiceURL, want)
		}
		for _, st := range r.Steps {
			if st.Status != jmxdiag.OK {
				t.Errorf("step %+v, want ok", st)
			}
		}
		// The URL we print must work in a real JMX client.
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		if n, err := carbonlike.RunJMXClient(ctx, t, r.ServiceURL); err != nil || n == 0 {
			t.Errorf("JMX client on %s: %d MBeans, %v", r.ServiceURL, n, err)
		}
	})
	t.Run("RMI server port instead of the registry", func(t *testing.T) {
		r := diagnose(t, srv, nil)
		expectFailure(t, r, jmxdiag.StepBound, "is an RMI server port", "Point the client at the RMI registry")
	})
	t.Run("HTTP port", func(t *testing.T) {
		r := diagnose(t, s.Ports["http"], nil)
		expectFailure(t, r, jmxdiag.StepJRMP, `HTTP reply "HTTP/1.1 400 Bad Request"`, "does not speak Java RMI")
	})
}

func TestHostnameDoesNotResolve(t *testing.T) {
	s := start(t, []string{"-Djava.rmi.server.hostname=wso2.invalid"}, nil)
	r := diagnose(t, s.Ports["jmx-registry"], nil)
	expectFailure(t, r, jmxdiag.StepResolves, `"wso2.invalid" does not resolve`, "-Djava.rmi.server.hostname=127.0.0.1")
	if r.Endpoint == nil || r.Endpoint.Host != "wso2.invalid" || r.Endpoint.Port != s.Ports["jmx-server"] {
		t.Errorf("endpoint %+v", r.Endpoint)
	}
}

func TestNothingAnswersAtAdvertisedEndpoint(t *testing.T) {
	s := start(t, []string{"-Djava.rmi.server.hostname=127.0.0.2"}, map[string]string{"carbonlike.bind": "127.0.0.1"})
	r := diagnose(t, s.Ports["jmx-registry"], nil)
	expectFailure(t, r, jmxdiag.StepAnswers, "nothing answers at the advertised endpoint 127.0.0.2:"+strconv.Itoa(s.Ports["jmx-server"]),
		"-Djava.rmi.server.hostname=127.0.0.1")
}

func TestRegistryWithoutJMXServer(t *testing.T) {
	s := start(t, []string{"-Djava.rmi.server.hostname=127.0.0.1"}, map[string]string{"carbonlike.skip": "jmx-server"})
	r := diagnose(t, s.Ports["jmx-registry"], nil)
	expectFailure(t, r, jmxdiag.StepBound, "has no jmxrmi (bound names: none)", "StartRMIServer")
	if r.Endpoint != nil || r.ServiceURL != "" {
		t.Errorf("endpoint %v, URL %q with nothing bound", r.Endpoint, r.ServiceURL)
	}
}

// A stub advertising a loopback address works only on the server's own host.
// The probe must run on loopback here, so the dialler reports the registry
// connection's peer as a documentation address (TEST-NET-1, never dialled):
// what a probe from another machine would see.
func TestLoopbackStubSeenFromElsewhere(t *testing.T) {
	s := start(t, []string{"-Djava.rmi.server.hostname=127.0.1.1"}, nil)
	remote := &net.TCPAddr{IP: net.IPv4(192, 0, 2, 10), Port: s.Ports["jmx-registry"]}
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return peerAs{c, remote}, nil
	}
	r := diagnose(t, s.Ports["jmx-registry"], dial)
	expectFailure(t, r, jmxdiag.StepLoopback, "the stub advertises 127.0.1.1: a client on any other machine would dial itself", "-Djava.rmi.server.hostname=127.0.0.1")
	if st := step(t, r, jmxdiag.StepAnswers); st.Status != jmxdiag.Skip {
		t.Errorf("endpoint step %+v, want skip: dialling loopback proves nothing", st)
	}
}

type peerAs struct {
	net.Conn
	remote net.Addr
}

func (p peerAs) RemoteAddr() net.Addr { return p.remote }

func TestRegistryPortRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	r := diagnose(t, port, nil)
	expectFailure(t, r, jmxdiag.StepReachable, "connection refused", "Nothing listens on 127.0.0.1:"+strconv.Itoa(port))
	if strings.Contains(r.Fix, "\n") {
		t.Errorf("fix spans lines: %q", r.Fix)
	}
}

func TestSilentRegistry(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var held []net.Conn
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held = append(held, c) // accepted and never answered
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		for _, c := range held {
			c.Close()
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r := jmxdiag.Diagnose(ctx, "127.0.0.1", ln.Addr().(*net.TCPAddr).Port, 300*time.Millisecond, nil)
	expectFailure(t, r, jmxdiag.StepJRMP, "no reply before the deadline", "does not speak Java RMI")
}

// fakeRegistry answers as a JDK registry does (the captured ack and list()
// of probe/jrmp/testdata), and to lookup("jmxrmi") with a stub that
// advertises host:port, whatever they are.
func fakeRegistry(t *testing.T, host string, port int32) func(context.Context, string, string) (net.Conn, error) {
	t.Helper()
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("..", "jrmp", "testdata", "captures", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	ack, list, lookup := read("ack.bin"), read("list-jmxrmi.bin"), read("lookup-unicastref.bin")
	// The capture's endpoint block: 77 32, "UnicastRef", "127.0.0.1", port.
	at := bytes.Index(lookup, []byte("\x77\x32\x00\x0aUnicastRef\x00\x09127.0.0.1"))
	if at < 0 {
		t.Fatal("the lookup capture has not the expected endpoint block")
	}
	stub := append([]byte(nil), lookup[:at]...)
	stub = append(stub, 0x77, byte(0x32-9+len(host)), 0x00, 0x0a)
	stub = append(stub, "UnicastRef"...)
	stub = binary.BigEndian.AppendUint16(stub, uint16(len(host)))
	stub = append(stub, host...)
	stub = binary.BigEndian.AppendUint32(stub, uint32(port))
	stub = append(stub, lookup[at+2+12+11+4:]...)
	return func(ctx context.Context, _, _ string) (net.Conn, error) {
		client, server := net.Pipe()
		go func() {
			defer server.Close()
			_ = server.SetDeadline(time.Now().Add(10 * time.Second))
			buf := make([]byte, 4096)
			// The client writes its header with its endpoint, then one call at a time.
			for _, reply := range [][]byte{ack, list, stub} {
				if _, err := server.Read(buf); err != nil {
					return
				}
				if _, err := server.Write(reply); err != nil {
					return
				}
			}
			_, _ = io.Copy(io.Discard, server)
		}()
		return client, nil
	}
}

// TestImpossibleAdvertisedEndpoint: a stub may advertise port 0, -1 or a
// "host" that no name can be: each is named, never "ok".
func TestImpossibleAdvertisedEndpoint(t *testing.T) {
	for _, tc := range []struct {
		name, host string
		port       int32
		want       string
	}{
		{"port 0", "127.0.0.1", 0, "advertises port 0, which no client can dial"},
		{"port -1", "127.0.0.1", -1, "advertises port -1, which no client can dial"},
		{"a terminal escape for a host", "evil\x1b[2J\nhost", 11111, `advertises the host "evil\x1b[2J\nhost", which is no host name`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := diagnose(t, 9999, fakeRegistry(t, tc.host, tc.port))
			expectFailure(t, r, jmxdiag.StepEndpoint, tc.want, "-Djava.rmi.server.hostname=")
			for _, s := range r.Steps {
				if strings.ContainsAny(s.Detail, "\x1b\n") {
					t.Errorf("step %s carries the peer's control characters: %q", s.Name, s.Detail)
				}
			}
		})
	}
}
