package probe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/carbonprobe/carbonprobe/expect"
	"github.com/carbonprobe/carbonprobe/internal/text"
	"github.com/carbonprobe/carbonprobe/probe/httpcheck"
	"github.com/carbonprobe/carbonprobe/probe/jrmp"
	"github.com/carbonprobe/carbonprobe/probe/kdccheck"
	"github.com/carbonprobe/carbonprobe/probe/ldapcheck"
)

// Answer is what a protocol check learned on a port that accepted.
type Answer struct {
	Protocol string            // what was expected to answer: "http", "rmi-registry", ...
	OK       bool              // it answered as its role demands
	Detail   string            // one line: "HTTP/1.1 200, Server: WSO2 Carbon Server"
	Seen     string            // when not OK: what answered instead, where it can tell
	Fields   map[string]string // structured detail for JSON
	Warnings []string          // OK, but worth acting on (a certificate near expiry)
	Took     time.Duration     // time spent on the exchange, after the connect
}

// verifyTCP runs the verifier for a port's role over an accepted connection.
// It shares the dial's deadline: a silent peer cannot outlive the probe.
// Roles with nothing to verify (tcp) return nil.
func verifyTCP(ctx context.Context, conn net.Conn, host string, opt Options, p expect.Port) *Answer {
	start := time.Now()
	var a *Answer
	switch p.Role {
	case expect.RoleHTTP, expect.RoleHTTPS:
		want, err := wantOf(p.HTTP)
		if err != nil {
			a = answer(p, false, "", "", nil, nil, err)
			break
		}
		var r httpcheck.Result
		if p.Role == expect.RoleHTTP {
			r, err = httpcheck.CheckHTTP(ctx, conn, net.JoinHostPort(host, strconv.Itoa(p.Number)), want)
		} else {
			r, err = httpcheck.CheckHTTPS(ctx, conn, host, opt.CertWarn, want)
		}
		a = fromHTTP(p, r, err)
	case expect.RoleLDAP:
		r, err := ldapcheck.Check(ctx, conn)
		a = answer(p, r.OK, r.Detail, r.Seen, r.Fields, nil, err)
	case expect.RoleRMIRegistry, expect.RoleRMIServer:
		a = verifyJRMP(ctx, conn, p)
	case expect.RoleKDC: // a KDC over TCP: --ports 88/tcp=kdc
		r, err := kdccheck.CheckTCP(ctx, conn, opt.Realm)
		a = answer(p, r.OK, r.Detail, r.Seen, r.Fields, nil, err)
	default:
		return nil
	}
	a.Took = time.Since(start)
	return a.clean()
}

// DetailLimit bounds an answer's detail: a line composed around what the
// peer said (a certificate's subject, a Server header).
const DetailLimit = 512

// clean keeps what the peer said from reaching a report raw: every string
// of the answer escaped and cut (internal/text), whatever the verifier made
// of the peer's bytes.
func (a *Answer) clean() *Answer {
	a.Detail, a.Seen = text.Cut(a.Detail, DetailLimit), text.Peer(a.Seen)
	for i, w := range a.Warnings {
		a.Warnings[i] = text.Peer(w)
	}
	for k, v := range a.Fields {
		a.Fields[k] = text.Peer(v)
	}
	return a
}

func fromHTTP(p expect.Port, r httpcheck.Result, err error) *Answer {
	return answer(p, r.OK, r.Detail, r.Seen, r.Fields, r.Warnings, err)
}

func answer(p expect.Port, ok bool, detail, seen string, fields map[string]string, warnings []string, err error) *Answer {
	a := &Answer{Protocol: string(p.Role), OK: ok, Detail: detail, Seen: seen, Fields: fields, Warnings: warnings}
	if err != nil {
		a.OK, a.Detail = false, "could not verify: "+err.Error()
	}
	return a
}

// verifyJRMP tells a registry from an RMI server by what the port answers to
// registry calls, since the documentation swaps 9999 and 11111.
func verifyJRMP(ctx context.Context, conn net.Conn, p expect.Port) *Answer {
	a := &Answer{Protocol: string(p.Role), Fields: map[string]string{}}
	r, err := jrmp.Probe(ctx, conn)
	if err != nil {
		a.Seen = "not JRMP"
		if !errors.Is(err, jrmp.ErrNotJRMP) {
			a.Seen = "no JRMP answer"
		}
		a.Detail = err.Error()
		return a
	}
	a.Fields["rmi_role"] = string(r.Role)
	a.Fields["seen_as"] = r.SeenAs
	switch r.Role {
	case jrmp.RoleRegistry:
		a.Seen = "an RMI registry"
		switch {
		case r.JMX != nil:
			a.Detail = "RMI registry; jmxrmi -> " + r.JMX.String()
			a.Fields["jmxrmi"] = r.JMX.Addr()
		case r.Lookup != "":
			a.Detail = "RMI registry; lookup(jmxrmi): " + r.Lookup
		default:
			a.Detail = "RMI registry"
		}
		if len(r.Names) > 0 {
			a.Fields["names"] = strings.Join(r.Names, ",")
		}
	case jrmp.RoleObjectEndpoint:
		a.Seen = "an RMI server"
		a.Detail = "RMI server: JRMP with exported objects, no registry"
	default:
		a.Seen = "Java RMI of unknown role"
		a.Detail = "JRMP, role unknown: " + r.Detail
	}
	a.OK = p.Role == expect.RoleRMIRegistry && r.Role == jrmp.RoleRegistry ||
		p.Role == expect.RoleRMIServer && r.Role == jrmp.RoleObjectEndpoint
	return a
}

// verifyKDC sends an AS-REQ over a connected UDP socket.
func verifyKDC(ctx context.Context, conn *net.UDPConn, opt Options, p expect.Port) (State, *Answer) {
	start := time.Now()
	r, err := kdccheck.CheckUDP(ctx, conn, opt.Realm)
	a := answer(p, r.OK, r.Detail, r.Seen, r.Fields, nil, err).clean()
	a.Took = time.Since(start)
	switch r.State {
	case kdccheck.Refused:
		return Refused, nil
	case kdccheck.Silent:
		return Silent, nil
	}
	if err != nil {
		return Failed, a
	}
	return Answered, a
}

// swapNote explains JMX ports whose roles are each other's: the registry on
// the port the profile calls the server's, and the other way round.
func swapNote(results []Result) string {
	var reg, srv *Result
	for i := range results {
		r := &results[i]
		if r.Answer == nil || r.Answer.OK {
			continue
		}
		switch {
		case r.Port.Role == expect.RoleRMIRegistry && r.Answer.Fields["rmi_role"] == string(jrmp.RoleObjectEndpoint):
			reg = r
		case r.Port.Role == expect.RoleRMIServer && r.Answer.Fields["rmi_role"] == string(jrmp.RoleRegistry):
			srv = r
		}
	}
	if reg == nil || srv == nil {
		return ""
	}
	return fmt.Sprintf("the JMX ports are swapped: the registry answers on %d and the RMI server on %d "+
		"(Carbon puts the registry on 9999 + offset and the server on 11111 + offset; many docs swap them)",
		srv.Port.Number, reg.Port.Number)
}
