package sockets

import (
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/carbonprobe/carbonprobe/probe/procs"
)

func tcpL(addr string) Socket {
	return Socket{Proto: TCP, State: StateListen, Local: netip.MustParseAddrPort(addr)}
}

func udpS(local, remote string) Socket {
	s := Socket{Proto: UDP, State: StateUnconn, Local: netip.MustParseAddrPort(local), Remote: netip.MustParseAddrPort(remote)}
	if s.Remote.Port() != 0 {
		s.State = StateEstab
	}
	return s
}

func carbonProc(jvm procs.JVMOptions) Process {
	return Process{PID: 42, Carbon: &procs.Carbon{PID: 42, Product: procs.ProductCarbon, JVMOptions: jvm}}
}

func TestExtras(t *testing.T) {
	lo, _ := ephemeralRange()
	if lo == 0 {
		t.Skip("no ephemeral port range to judge UDP ports by")
	}
	eph := func(n int) string { return strconv.Itoa(lo + n) }
	fixed := map[string]bool{"tcp/9443": true, "tcp/9763": true, "udp/8000": true}
	base := []Socket{tcpL("0.0.0.0:9443"), tcpL("0.0.0.0:9763"), udpS("0.0.0.0:8000", "0.0.0.0:0")}
	type want struct{ key, attr, what string }
	tests := []struct {
		name  string
		proc  Process
		socks []Socket
		want  []want
	}{
		{"only fixed ports", carbonProc(procs.JVMOptions{JMXRemote: true}), nil, nil},
		{"jmxremote, one random listener", carbonProc(procs.JVMOptions{JMXRemote: true}),
			[]Socket{tcpL("0.0.0.0:" + eph(5))},
			[]want{{"tcp/" + eph(5), AttrJMX, "JDK local JMX connector"}}},
		{"local port pinned", carbonProc(procs.JVMOptions{JMXRemote: true, JMXLocalPort: 23456}),
			[]Socket{tcpL("0.0.0.0:23456")},
			[]want{{"tcp/23456", AttrJMX, "JDK local JMX connector"}}},
		{"local port pinned, another listener is not the JDK's", carbonProc(procs.JVMOptions{JMXRemote: true, JMXLocalPort: 23456}),
			[]Socket{tcpL("0.0.0.0:23456"), tcpL("0.0.0.0:" + eph(7))},
			[]want{{"tcp/23456", AttrJMX, "JDK local JMX connector"}, {"tcp/" + eph(7), AttrUnexplained, "TCP listener"}}},
		{"no jmxremote: a random listener is unexplained", carbonProc(procs.JVMOptions{}),
			[]Socket{tcpL("0.0.0.0:" + eph(5))},
			[]want{{"tcp/" + eph(5), AttrUnexplained, "TCP listener"}}},
		{"two random listeners, one expected", carbonProc(procs.JVMOptions{JMXRemote: true}),
			[]Socket{tcpL("0.0.0.0:" + eph(5)), tcpL("0.0.0.0:" + eph(6))},
			[]want{{"tcp/" + eph(5), AttrUnexplained, "TCP listener"}, {"tcp/" + eph(6), AttrUnexplained, "TCP listener"}}},
		{"remote agent: registry pinned, RMI server and local connector random", carbonProc(procs.JVMOptions{JMXRemote: true, JMXPort: 9010}),
			[]Socket{tcpL("0.0.0.0:9010"), tcpL("0.0.0.0:" + eph(5)), tcpL("0.0.0.0:" + eph(6))},
			[]want{{"tcp/9010", AttrJMX, "JDK JMX remote agent's RMI registry"}, {"tcp/" + eph(5), AttrJMX, "JDK JMX random port"}, {"tcp/" + eph(6), AttrJMX, "JDK JMX random port"}}},
		{"remote agent fully pinned", carbonProc(procs.JVMOptions{JMXRemote: true, JMXPort: 9010, JMXRMIPort: 9011, JMXLocalPort: 9012}),
			[]Socket{tcpL("0.0.0.0:9010"), tcpL("0.0.0.0:9011"), tcpL("0.0.0.0:9012")},
			[]want{{"tcp/9010", AttrJMX, "JDK JMX remote agent's RMI registry"}, {"tcp/9011", AttrJMX, "JDK JMX remote agent's RMI server"}, {"tcp/9012", AttrJMX, "JDK local JMX connector"}}},
		{"send-only UDP", carbonProc(procs.JVMOptions{}),
			[]Socket{udpS("0.0.0.0:"+eph(9), "0.0.0.0:0")},
			[]want{{"udp/" + eph(9), AttrSyslog, "send-only UDP socket (log4j SyslogAppender-like)"}}},
		{"UDP bound on purpose outside the ephemeral range", carbonProc(procs.JVMOptions{}),
			[]Socket{udpS("0.0.0.0:"+strconv.Itoa(lo-1), "0.0.0.0:0")},
			[]want{{"udp/" + strconv.Itoa(lo-1), AttrUnexplained, "UDP socket"}}},
		{"UDP connected to syslog", carbonProc(procs.JVMOptions{}),
			[]Socket{udpS("127.0.0.1:"+eph(9), "127.0.0.1:514")},
			[]want{{"udp/" + eph(9), AttrSyslog, "UDP socket connected to a syslog port"}}},
		{"UDP connected elsewhere", carbonProc(procs.JVMOptions{}),
			[]Socket{udpS("127.0.0.1:"+eph(9), "127.0.0.1:53")},
			[]want{{"udp/" + eph(9), AttrUnexplained, "UDP socket"}}},
		{"a JVM that is not Carbon: options read from the whole command line",
			Process{PID: 7, Cmdline: []string{"java", "-Dcom.sun.management.jmxremote", "-jar", "app.jar"}},
			[]Socket{tcpL("[::]:" + eph(3))},
			[]want{{"tcp/" + eph(3), AttrJMX, "JDK local JMX connector"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Extras(tt.proc, append(append([]Socket{}, base...), tt.socks...), fixed)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d extras %+v; want %d", len(got), got, len(tt.want))
			}
			for i, w := range tt.want {
				g := got[i]
				if g.Socket.Key() != w.key || g.Attribution != w.attr || g.What != w.what {
					t.Errorf("extra %d = %s %s %q; want %s %s %q", i, g.Socket.Key(), g.Attribution, g.What, w.key, w.attr, w.what)
				}
				if g.Evidence == "" {
					t.Errorf("extra %d (%s) has no evidence", i, g.Socket.Key())
				}
				if g.Attribution == AttrJMX && !strings.Contains(g.Confirm+g.What, "JRMP") && !strings.Contains(g.Confirm, "lookup") {
					t.Errorf("extra %d (%s): a JMX guess should say how to confirm it, got %q", i, g.Socket.Key(), g.Confirm)
				}
			}
		})
	}
}
