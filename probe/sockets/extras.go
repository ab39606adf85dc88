package sockets

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/carbonprobe/carbonprobe/probe/procs"
)

// Attributions of an extra socket, as the report names them.
const (
	AttrJMX         = "jmxremote"
	AttrSyslog      = "syslog"
	AttrUnexplained = "unexplained"
)

// Extra is a socket of the server process that is not one of its fixed
// ports: a port that changes at every start, listed apart.
type Extra struct {
	Socket      Socket
	Attribution string // AttrJMX, AttrSyslog or AttrUnexplained
	What        string // "JDK local JMX connector", ...
	Evidence    string // why we think so, in one line
	Confirm     string // how the caller can make sure, "" when nothing more can be learnt
}

const confirmJRMP = "a JRMP handshake from loopback: the JDK connector answers 0x4e"

// Extras classifies the sockets of proc that are not in fixed ("tcp/9443").
// socks must be proc's own sockets (OfProcess gives them). It never dials:
// the JRMP handshake that confirms a JMX connector is the caller's.
func Extras(proc Process, socks []Socket, fixed map[string]bool) []Extra {
	jvm := jvmOptions(proc)
	var out []Extra
	var unexplainedTCP []Socket
	for _, s := range socks {
		if fixed[s.Key()] {
			continue
		}
		port := int(s.Local.Port())
		switch {
		case s.Proto == TCP && s.State != StateListen:
			continue
		case s.Proto == TCP && jvm.JMXLocalPort != 0 && port == jvm.JMXLocalPort:
			out = append(out, Extra{s, AttrJMX, "JDK local JMX connector",
				fmt.Sprintf("the port equals -Dcom.sun.management.jmxremote.local.port=%d", port), confirmJRMP})
		case s.Proto == TCP && jvm.JMXPort != 0 && port == jvm.JMXPort:
			out = append(out, Extra{s, AttrJMX, "JDK JMX remote agent's RMI registry",
				fmt.Sprintf("the port equals -Dcom.sun.management.jmxremote.port=%d", port), "a registry lookup(\"jmxrmi\")"})
		case s.Proto == TCP && jvm.JMXRMIPort != 0 && port == jvm.JMXRMIPort:
			out = append(out, Extra{s, AttrJMX, "JDK JMX remote agent's RMI server",
				fmt.Sprintf("the port equals -Dcom.sun.management.jmxremote.rmi.port=%d", port), confirmJRMP})
		case s.Proto == TCP:
			unexplainedTCP = append(unexplainedTCP, s)
		case s.Proto == UDP:
			out = append(out, udpExtra(s))
		}
	}
	out = append(out, randomTCP(jvm, unexplainedTCP)...)
	slices.SortStableFunc(out, func(a, b Extra) int {
		return cmp.Or(cmp.Compare(a.Socket.Proto, b.Socket.Proto), cmp.Compare(a.Socket.Local.Port(), b.Socket.Local.Port()))
	})
	return out
}

// randomTCP attributes the listeners that no fixed or pinned port explains.
// The JDK opens one random listener for the local connector (jmxremote
// without .local.port) and one for the remote agent's RMI server (.port
// without .rmi.port); when the count matches, they are the JDK's.
func randomTCP(jvm procs.JVMOptions, socks []Socket) []Extra {
	var expected []string
	if jvm.JMXRemote && jvm.JMXLocalPort == 0 {
		expected = append(expected, "the local connector (-Dcom.sun.management.jmxremote without .local.port)")
	}
	if jvm.JMXPort != 0 && jvm.JMXRMIPort == 0 {
		expected = append(expected, "the remote agent's RMI server (-Dcom.sun.management.jmxremote.port without .rmi.port)")
	}
	var out []Extra
	for _, s := range socks {
		e := Extra{Socket: s, Attribution: AttrUnexplained, What: "TCP listener"}
		switch {
		case len(socks) == 1 && len(expected) == 1 && jvm.JMXLocalPort == 0:
			e.Attribution, e.What = AttrJMX, "JDK local JMX connector"
			e.Evidence = "the only listener that is not a fixed port, in a JVM started with -Dcom.sun.management.jmxremote; pin it with -Dcom.sun.management.jmxremote.local.port"
			e.Confirm = confirmJRMP
		case len(socks) == len(expected) && len(expected) > 1:
			e.Attribution, e.What = AttrJMX, "JDK JMX random port"
			e.Evidence = fmt.Sprintf("%d listeners that are not fixed ports, as the JVM options expect: %s", len(socks), strings.Join(expected, "; "))
			e.Confirm = confirmJRMP
		case len(expected) > 0:
			e.Evidence = fmt.Sprintf("%d listeners are not fixed ports, and the JVM options explain %d (%s)", len(socks), len(expected), strings.Join(expected, "; "))
			e.Confirm = confirmJRMP + "; the others are not the JDK's"
		default:
			e.Evidence = "not a fixed port, and no JMX option of the JVM explains it"
		}
		out = append(out, e)
	}
	return out
}

func udpExtra(s Socket) Extra {
	e := Extra{Socket: s, Attribution: AttrUnexplained, What: "UDP socket"}
	port := int(s.Local.Port())
	switch {
	case s.State == StateEstab && s.Remote.Port() == 514:
		e.Attribution, e.What = AttrSyslog, "UDP socket connected to a syslog port"
		e.Evidence = "connected to " + s.Remote.String() + ", the syslog port"
	case s.State == StateEstab:
		e.Evidence = "connected to " + s.Remote.String() + ": an outgoing exchange, not a port anyone connects to"
	case !inEphemeralRange(port):
		lo, hi := ephemeralRange()
		e.Evidence = fmt.Sprintf("unconnected, on port %d outside the ephemeral range %d-%d: bound on purpose, so not a send-only socket's random port", port, lo, hi)
	default:
		e.Attribution, e.What = AttrSyslog, "send-only UDP socket (log4j SyslogAppender-like)"
		e.Evidence = "unconnected (peer " + s.Remote.String() + ") on a random port: log4j 1.x SyslogAppender's new DatagramSocket() looks like this; nothing answers on it"
	}
	return e
}

func inEphemeralRange(port int) bool {
	lo, hi := ephemeralRange()
	return lo == 0 || (port >= lo && port <= hi)
}

// jvmOptions takes the parsed options of a Carbon server; for another JVM it
// reads the whole command line, not knowing where its main class stands.
func jvmOptions(p Process) procs.JVMOptions {
	if p.Carbon != nil {
		return p.Carbon.JVMOptions
	}
	return procs.ParseJVMOptions(p.Cmdline)
}
