package jrmp_test

// Integration tests against a real JDK 17 RMI registry and JMX connector
// server (internal/carbonlike), on loopback.

import (
	"context"
	"errors"
	"net"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/carbonprobe/carbonprobe/internal/carbonlike"
	"github.com/carbonprobe/carbonprobe/probe/jrmp"
)

func startServer(t *testing.T, jvmArgs []string, props map[string]string) *carbonlike.Server {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a JVM; skipped with -short")
	}
	return carbonlike.Start(t, carbonlike.Options{JVMArgs: jvmArgs, Props: props})
}

func probePort(t *testing.T, port int) (jrmp.Result, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return jrmp.Probe(ctx, c)
}

func TestCarbonlikeRoles(t *testing.T) {
	s := startServer(t, []string{"-Djava.rmi.server.hostname=127.0.0.1"}, nil)
	reg, srv := s.Ports["jmx-registry"], s.Ports["jmx-server"]

	t.Run("registry", func(t *testing.T) {
		res, err := probePort(t, reg)
		if err != nil {
			t.Fatal(err)
		}
		host, _, _ := net.SplitHostPort(res.SeenAs)
		if res.Role != jrmp.RoleRegistry || host != "127.0.0.1" || !slices.Contains(res.Names, "jmxrmi") || res.Lookup != "" {
			t.Fatalf("Probe = %+v", res)
		}
		want := jrmp.Endpoint{Host: "127.0.0.1", Port: srv, Ref: "UnicastRef", Class: "javax.management.remote.rmi.RMIServerImpl_Stub"}
		got := *res.JMX
		got.ObjID = jrmp.ObjID{}
		if got != want {
			t.Errorf("JMX endpoint %+v, want %+v", got, want)
		}
	})
	t.Run("RMI server port", func(t *testing.T) {
		res, err := probePort(t, srv)
		if err != nil {
			t.Fatal(err)
		}
		if res.Role != jrmp.RoleObjectEndpoint || res.JMX != nil || res.Names != nil {
			t.Fatalf("Probe = %+v", res)
		}
	})
	t.Run("ping both", func(t *testing.T) {
		for _, port := range []int{reg, srv} {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := jrmp.Handshake(ctx, c); err != nil {
				t.Error(err)
			} else if err := jrmp.Ping(ctx, c); err != nil {
				t.Error(err)
			}
			c.Close()
			cancel()
		}
	})
	t.Run("HTTP and HTTPS ports are not JRMP", func(t *testing.T) {
		for name, want := range map[string]string{"http": `HTTP reply "HTTP/1.1 400 Bad Request"`, "https": "not JRMP: expected ProtocolAck (4e)"} {
			_, err := probePort(t, s.Ports[name])
			if !errors.Is(err, jrmp.ErrNotJRMP) || !strings.Contains(err.Error(), want) {
				t.Errorf("%s port: err = %v, want ErrNotJRMP with %q", name, err, want)
			}
			t.Logf("%s port: %v", name, err)
		}
	})
	t.Run("JDK local connector from hsperfdata", func(t *testing.T) {
		jcmd, err := exec.LookPath("jcmd")
		if err != nil {
			t.Skip("jcmd not on PATH")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, jcmd, strconv.Itoa(s.PID), "PerfCounter.print").Output()
		if err != nil {
			t.Fatalf("jcmd: %v", err)
		}
		m := regexp.MustCompile(`sun\.management\.JMXConnectorServer\.address="([^"]+)"`).FindSubmatch(out)
		if m == nil {
			t.Fatalf("no JMXConnectorServer.address in jcmd output")
		}
		ep, err := jrmp.ParseStubBase64(string(m[1]))
		if err != nil {
			t.Fatal(err)
		}
		// The local connector uses LocalRMIServerSocketFactory: a UnicastRef2 without a client factory.
		if ep.Host != "127.0.0.1" || ep.Port <= 0 || ep.Ref != "UnicastRef2" || ep.Factory != "" {
			t.Fatalf("local connector stub %+v", ep)
		}
		res, err := probePort(t, ep.Port)
		if err != nil {
			t.Fatal(err)
		}
		if res.Role != jrmp.RoleObjectEndpoint {
			t.Errorf("local connector port %d: %+v", ep.Port, res)
		}
	})
	// What we did to the server must not have harmed it: a real JMX client
	// still connects through the registry.
	t.Run("JMX client still connects", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		url := "service:jmx:rmi:///jndi/rmi://127.0.0.1:" + strconv.Itoa(reg) + "/jmxrmi"
		n, err := carbonlike.RunJMXClient(ctx, t, url)
		if err != nil || n == 0 {
			t.Fatalf("JMX client: %d MBeans, %v", n, err)
		}
	})
}

// With carbonlike.bind the connector is exported with an RMIServerSocketFactory,
// so the stub is a UnicastRef2; the advertised host is whatever
// java.rmi.server.hostname says, even a name that never resolves.
func TestCarbonlikeUnicastRef2AndHostname(t *testing.T) {
	s := startServer(t, []string{"-Djava.rmi.server.hostname=wso2.invalid"}, map[string]string{"carbonlike.bind": "127.0.0.1"})
	res, err := probePort(t, s.Ports["jmx-registry"])
	if err != nil {
		t.Fatal(err)
	}
	if res.Role != jrmp.RoleRegistry || res.JMX == nil {
		t.Fatalf("Probe = %+v", res)
	}
	if res.JMX.Host != "wso2.invalid" || res.JMX.Port != s.Ports["jmx-server"] || res.JMX.Ref != "UnicastRef2" || res.JMX.Factory != "" {
		t.Errorf("JMX endpoint %+v", res.JMX)
	}
}

func TestCarbonlikeRegistryWithoutJMXServer(t *testing.T) {
	s := startServer(t, []string{"-Djava.rmi.server.hostname=127.0.0.1"}, map[string]string{"carbonlike.skip": "jmx-server"})
	res, err := probePort(t, s.Ports["jmx-registry"])
	if err != nil {
		t.Fatal(err)
	}
	if res.Role != jrmp.RoleRegistry || res.JMX != nil || len(res.Names) != 0 || res.Lookup != "NotBoundException: jmxrmi" {
		t.Errorf("Probe = %+v", res)
	}
}

// BenchmarkProbeCarbonlike: dial, handshake, list(), lookup("jmxrmi"),
// DgcAck and close against the real JDK registry on loopback.
func BenchmarkProbeCarbonlike(b *testing.B) {
	if testing.Short() {
		b.Skip("starts a JVM; skipped with -short")
	}
	s := carbonlike.Start(b, carbonlike.Options{JVMArgs: []string{"-Djava.rmi.server.hostname=127.0.0.1"}})
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Ports["jmx-registry"]))
	for b.Loop() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		c, err := net.Dial("tcp", addr)
		if err != nil {
			b.Fatal(err)
		}
		res, err := jrmp.Probe(ctx, c)
		c.Close()
		cancel()
		if err != nil || res.JMX == nil {
			b.Fatalf("Probe = %+v, %v", res, err)
		}
	}
}
