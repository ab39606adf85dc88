// Package jmxdiag diagnoses why a JMX client such as JConsole cannot connect
// to a Carbon server's RMI registry: it walks the two hops the client makes
// (registry, then the endpoint the "jmxrmi" stub advertises) and says which
// one breaks and what to change.
package jmxdiag

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/carbonprobe/carbonprobe/internal/text"
	"github.com/carbonprobe/carbonprobe/probe/jrmp"
)

// Step statuses.
const (
	OK   = "ok"
	Fail = "fail"
	Warn = "warn"
	Skip = "skip"
)

// Step names, in the order Diagnose reports them.
const (
	StepReachable = "registry reachable"
	StepJRMP      = "registry speaks JRMP"
	StepBound     = "jmxrmi bound"
	StepEndpoint  = "advertised endpoint"
	StepResolves  = "advertised host resolves"
	StepLoopback  = "advertised host not loopback"
	StepAnswers   = "advertised endpoint answers"
)

var stepOrder = []string{StepReachable, StepJRMP, StepBound, StepEndpoint, StepResolves, StepLoopback, StepAnswers}

// Carbon's base ports (carbon.xml <JMX>), before the port offset.
const (
	baseRegistry  = 9999
	baseRMIServer = 11111
)

type Step struct{ Name, Status, Detail string }

type Report struct {
	Registry string // host:port dialled
	Steps    []Step
	Endpoint *jrmp.Endpoint
	// ServiceURL names both hops, for JConsole's "Remote Process" field.
	ServiceURL string
	// Fix is one sentence for the first failure, empty when OK.
	Fix string
	OK  bool
}

func (r *Report) add(name, status, detail string) {
	r.Steps = append(r.Steps, Step{Name: name, Status: status, Detail: detail})
}

// fail records a failed step; the first failure's fix is the report's.
func (r *Report) fail(name, detail, fix string) {
	r.add(name, Fail, detail)
	if r.Fix == "" {
		r.Fix = fix
	}
}

func (r *Report) skipRest(why string) {
	done := map[string]bool{}
	for _, s := range r.Steps {
		done[s.Name] = true
	}
	for _, name := range stepOrder {
		if !done[name] {
			r.add(name, Skip, why)
		}
	}
}

func (r *Report) finish() Report {
	r.OK = true
	for _, s := range r.Steps {
		if s.Status == Fail {
			r.OK = false
		}
	}
	return *r
}

// Diagnose checks the registry at host:registryPort and the endpoint its
// "jmxrmi" stub advertises. timeout bounds each network step (dial, exchange,
// name lookup); dial is used for both hops (nil: a plain net.Dialer). The
// target's state comes back as data: every failure is a step in the Report.
func Diagnose(ctx context.Context, host string, registryPort int, timeout time.Duration, dial func(ctx context.Context, network, addr string) (net.Conn, error)) Report {
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	if timeout <= 0 {
		timeout = jrmp.DefaultTimeout
	}
	r := &Report{Registry: net.JoinHostPort(host, strconv.Itoa(registryPort))}
	hostnameFix := "Start the server with -Djava.rmi.server.hostname=" + host +
		" (the address clients use to reach it), so that the stub advertises an address they can resolve and reach."

	// Hop 1: the registry.
	regCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, err := dial(regCtx, "tcp", r.Registry)
	if err != nil {
		detail, fix := dialFailure(r.Registry, err, timeout)
		if isRefused(err) {
			fix = registryPortFix(r.Registry, registryPort)
		}
		r.fail(StepReachable, detail, fix)
		r.skipRest("needs the registry")
		return r.finish()
	}
	defer conn.Close()
	r.add(StepReachable, OK, "connected to "+conn.RemoteAddr().String())
	registryLoopback := isLoopbackAddr(conn.RemoteAddr())

	res, err := jrmp.Probe(regCtx, conn)
	if err != nil {
		r.fail(StepJRMP, err.Error(), fmt.Sprintf("%s does not speak Java RMI: point the client at the RMI registry port, %d + the port offset.", r.Registry, baseRegistry))
		r.skipRest("needs a JRMP registry")
		return r.finish()
	}
	r.add(StepJRMP, OK, "JRMP handshake answered; the server sees this client as "+res.SeenAs)

	switch {
	case res.JMX != nil:
		r.add(StepBound, OK, "lookup(\"jmxrmi\") returned a "+res.JMX.Class)
	case res.Role == jrmp.RoleObjectEndpoint:
		r.fail(StepBound, fmt.Sprintf("port %d is an RMI server port (an exported object), not a registry", registryPort), objectEndpointFix(registryPort))
	case res.Role == jrmp.RoleRegistry && strings.HasPrefix(res.Lookup, "NotBoundException"):
		r.fail(StepBound, fmt.Sprintf("the registry answers but has no jmxrmi (bound names: %s)", names(res.Names)),
			"The JMX RMI server is not running: enable it (repository/conf/etc/jmx.xml <StartRMIServer>true</StartRMIServer>, "+
				"or deployment.toml [monitoring.jmx] rmi_server_start = true) and look for \"Could not initialize RMI server\" in the server log.")
	default:
		detail := res.Lookup
		if detail == "" {
			detail = res.Detail
		}
		r.fail(StepBound, "lookup(\"jmxrmi\") gave no stub: "+detail, fmt.Sprintf("Check that %s is the server's RMI registry (%d + the port offset) and that its JMX server started.", r.Registry, baseRegistry))
	}
	if res.JMX == nil {
		r.skipRest("needs the jmxrmi stub")
		return r.finish()
	}
	ep := *res.JMX
	if ep.Port < 1 || ep.Port > 65535 {
		r.fail(StepEndpoint, fmt.Sprintf("the stub advertises port %d, which no client can dial", ep.Port), hostnameFix)
		r.skipRest("needs an endpoint a client can dial")
		return r.finish()
	}
	if shown := text.Quote(ep.Host); ep.Host == "" || text.Peer(ep.Host) != ep.Host || strings.ContainsAny(ep.Host, " /@") {
		r.fail(StepEndpoint, fmt.Sprintf("the stub advertises the host %s, which is no host name", shown), hostnameFix)
		r.skipRest("needs an endpoint a client can dial")
		return r.finish()
	}
	r.Endpoint = &ep
	r.ServiceURL = "service:jmx:rmi://" + ep.Addr() + "/jndi/rmi://" + r.Registry + "/jmxrmi"
	if ep.TLS() {
		r.add(StepEndpoint, Warn, ep.String()+": the endpoint speaks TLS; the client needs the server's certificate in its trust store")
	} else {
		r.add(StepEndpoint, OK, ep.String())
	}

	// Hop 2: the endpoint the stub advertises, as a client would see it.
	ips, err := resolve(ctx, ep.Host, timeout)
	if err != nil {
		r.fail(StepResolves, fmt.Sprintf("%q does not resolve here: %v", ep.Host, err), hostnameFix)
		r.skipRest("needs an address for the advertised host")
		return r.finish()
	}
	if net.ParseIP(ep.Host) != nil {
		r.add(StepResolves, OK, ep.Host+" is an IP address")
	} else {
		r.add(StepResolves, OK, ep.Host+" resolves to "+joinIPs(ips))
	}

	loopback := allLoopbackOrUnspecified(ips)
	switch {
	case loopback && !registryLoopback:
		what := ep.Host
		if net.ParseIP(ep.Host) == nil {
			what += " (" + joinIPs(ips) + ")"
		}
		r.fail(StepLoopback, "the stub advertises "+what+": a client on any other machine would dial itself", hostnameFix)
		r.skipRest("dialling a loopback address from here would not reach the server")
		return r.finish()
	case loopback:
		r.add(StepLoopback, OK, "a loopback address: it works only for clients on the server's host, as this probe is")
	default:
		r.add(StepLoopback, OK, "not a loopback address")
	}

	epCtx, cancel2 := context.WithTimeout(ctx, timeout)
	defer cancel2()
	c2, err := dial(epCtx, "tcp", ep.Addr())
	if err != nil {
		detail, fix := dialFailure(ep.Addr(), err, timeout)
		if isRefused(err) {
			detail = "nothing answers at the advertised endpoint " + ep.Addr() + " (connection refused)"
			fix = "Start the server with -Djava.rmi.server.hostname=" + host + " (the address clients use), and open or map port " +
				strconv.Itoa(ep.Port) + " with the same number on both sides: JMX needs the registry and the RMI server port."
		} else if isTimeout(err) {
			fix = "Open or map port " + strconv.Itoa(ep.Port) + " on " + ep.Host + " too, with the same number on both sides: JMX needs the registry and the RMI server port."
		}
		r.fail(StepAnswers, detail, fix)
		return r.finish()
	}
	defer c2.Close()
	if ep.TLS() {
		r.add(StepAnswers, OK, ep.Addr()+" accepts TCP (a TLS endpoint: JRMP not checked)")
		return r.finish()
	}
	res2, err := jrmp.Probe(epCtx, c2)
	switch {
	case err != nil:
		r.fail(StepAnswers, ep.Addr()+" does not answer as an RMI server: "+err.Error(),
			"Port "+strconv.Itoa(ep.Port)+" on "+ep.Host+" is held by something else: start the server with -Djava.rmi.server.hostname="+host+
				" and give the JMX server a port of its own (11111 + offset).")
	case res2.Role == jrmp.RoleObjectEndpoint:
		r.add(StepAnswers, OK, ep.Addr()+" answers JRMP as an RMI server port")
	default:
		r.add(StepAnswers, Warn, fmt.Sprintf("%s answers JRMP, as a %s rather than the RMI server", ep.Addr(), res2.Role))
	}
	return r.finish()
}

func names(n []string) string {
	if len(n) == 0 {
		return "none"
	}
	if len(n) > 10 {
		return strings.Join(n[:10], ", ") + fmt.Sprintf(" and %d more", len(n)-10)
	}
	return strings.Join(n, ", ")
}

func resolve(ctx context.Context, host string, timeout time.Duration) ([]net.IP, error) {
	if ip := net.ParseIP(host); ip != nil {
		return []net.IP{ip}, nil
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupIPAddr(ctx, host)
	if err != nil {
		var de *net.DNSError
		if errors.As(err, &de) && de.IsNotFound {
			return nil, errors.New("no such host")
		}
		return nil, err
	}
	ips := make([]net.IP, 0, len(addrs))
	for _, a := range addrs {
		ips = append(ips, a.IP)
	}
	return ips, nil
}

func joinIPs(ips []net.IP) string {
	s := make([]string, 0, len(ips))
	for _, ip := range ips {
		s = append(s, ip.String())
	}
	return strings.Join(s, ", ")
}

func allLoopbackOrUnspecified(ips []net.IP) bool {
	for _, ip := range ips {
		if !ip.IsLoopback() && !ip.IsUnspecified() {
			return false
		}
	}
	return len(ips) > 0
}

func isLoopbackAddr(a net.Addr) bool {
	if t, ok := a.(*net.TCPAddr); ok {
		return t.IP.IsLoopback()
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func isRefused(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
}

// dialFailure describes a failed dial and gives the generic fix.
func dialFailure(addr string, err error, timeout time.Duration) (detail, fix string) {
	var de *net.DNSError
	switch {
	case errors.As(err, &de):
		return fmt.Sprintf("%s: the host does not resolve here (%v)", addr, de),
			"Use a host name or address that resolves from this machine."
	case isRefused(err):
		return "connection refused: nothing listens on " + addr, ""
	case isTimeout(err):
		return fmt.Sprintf("no answer from %s within %v (dropped by a firewall, or the host is down)", addr, timeout),
			"Open the port in the firewalls between here and the server (JMX needs the registry and the RMI server port)."
	}
	return err.Error(), "Check the network path to " + addr + "."
}

// registryPortFix: Carbon's registry is 9999 + offset, so the port tells the
// offset it assumes.
func registryPortFix(addr string, port int) string {
	if port >= baseRegistry {
		return fmt.Sprintf("Nothing listens on %s: start the server, or check the offset: the registry is 9999 + offset (%d is offset %d), and the JMX server may be disabled in jmx.xml / deployment.toml.",
			addr, port, port-baseRegistry)
	}
	return fmt.Sprintf("Nothing listens on %s: the Carbon RMI registry is 9999 + the port offset, and %d is below 9999.", addr, port)
}

func objectEndpointFix(port int) string {
	if port >= baseRMIServer {
		return fmt.Sprintf("Point the client at the RMI registry, not the RMI server port: with Carbon's defaults that is %d (9999 + offset %d).",
			baseRegistry+port-baseRMIServer, port-baseRMIServer)
	}
	return "Point the client at the RMI registry port (9999 + the port offset), not at an RMI server port."
}
