// Package preflight tells, before a server starts, whether the ports of its
// offset are free, who holds those that are not, and which offset is the
// lowest whose whole set is free.
//
// "Free" is asked of the kernel the way the server will ask it: a bind on the
// address the JVM binds (all addresses, IPv4 and IPv6, unless told
// otherwise), with the socket options the JDK uses, closed at once. Nothing is
// dialled and nothing listens.
package preflight

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/hashicorp/go-multierror"

	"github.com/carbonprobe/carbonprobe/expect"
	"github.com/carbonprobe/carbonprobe/probe/sockets"
)

// State is what the bind test found on a port.
type State string

const (
	Free    State = "free"    // the bind succeeded
	Busy    State = "busy"    // EADDRINUSE: a socket holds it
	Skipped State = "skipped" // off in this configuration: not tested
	Failed  State = "error"   // the test could not be made (EACCES below 1024, an address not on this host, ...)
)

// Holder is a process that holds a busy port.
type Holder struct {
	PID     int
	User    string
	Command string
	Carbon  string // procs.Carbon.Describe() when the holder is a Carbon server
	Socket  string // "tcp 0.0.0.0:9443 LISTEN"
}

func (h Holder) String() string {
	if h.PID == 0 {
		return fmt.Sprintf("%s [%s]", h.Command, h.Socket)
	}
	who := fmt.Sprintf("pid %d", h.PID)
	if h.User != "" {
		who += " (" + h.User + ")"
	}
	if h.Carbon != "" {
		return fmt.Sprintf("%s: %s [%s]", who, h.Carbon, h.Socket)
	}
	return fmt.Sprintf("%s: %s [%s]", who, h.Command, h.Socket)
}

// Result is one port's test.
type Result struct {
	Port    expect.Port
	State   State
	Detail  string
	Holders []Holder
}

// Report is the test of one offset's ports.
type Report struct {
	Spec    expect.Spec
	Bind    string // "all addresses (IPv4 and IPv6)" or the address given
	Results []Result
	Notes   []string // why some holders could not be named
}

// Options says where to test.
type Options struct {
	Bind   netip.Addr // zero: all addresses, as the JVM binds by default
	Owners bool       // name the processes that hold busy ports (reads the socket table and /proc)
}

// Err returns one line per port of the set that is not free, or nil.
func (r Report) Err() error {
	var errs *multierror.Error
	for _, res := range r.Results {
		switch res.State {
		case Free, Skipped:
			continue
		}
		msg := fmt.Sprintf("%s: %s: %s", res.Port.Label(), res.State, res.Detail)
		if len(res.Holders) > 0 {
			hs := make([]string, len(res.Holders))
			for i, h := range res.Holders {
				hs[i] = h.String()
			}
			msg += "; held by " + strings.Join(hs, "; ")
		}
		errs = multierror.Append(errs, errors.New(msg))
	}
	return errs.ErrorOrNil()
}

// Free reports whether every tested port is free.
func (r Report) Free() bool { return r.Err() == nil }

// Check bind-tests every port of spec that is not off: required and optional
// alike, since an optional port turned on later needs its number free too.
func Check(ctx context.Context, spec expect.Spec, opt Options) Report {
	rep := Report{Spec: spec, Bind: bindWords(opt.Bind), Results: make([]Result, len(spec.Ports))}
	for i, p := range spec.Ports {
		res := Result{Port: p, State: Skipped, Detail: p.Skipped()}
		if p.Checked() {
			res.State, res.Detail = test(p.Proto, opt.Bind, p.Number)
		}
		rep.Results[i] = res
	}
	if opt.Owners {
		rep.Notes = holders(ctx, rep.Results)
	}
	return rep
}

// test is one bind test.
func test(proto expect.Proto, bind netip.Addr, port int) (State, string) {
	err := bindTest(proto, bind, port)
	switch {
	case err == nil:
		return Free, ""
	case errors.Is(err, errInUse):
		return Busy, "in use: the server's bind would fail with \"Address already in use\""
	}
	return Failed, err.Error()
}

// holders names the processes holding busy ports, from the socket table.
func holders(ctx context.Context, results []Result) []string {
	var tcp, udp []uint16
	for _, r := range results {
		if r.State != Busy {
			continue
		}
		if r.Port.Proto == expect.UDP {
			udp = append(udp, uint16(r.Port.Number))
		} else {
			tcp = append(tcp, uint16(r.Port.Number))
		}
	}
	if len(tcp)+len(udp) == 0 {
		return nil
	}
	var notes []string
	var socks []sockets.Socket
	for _, q := range []struct {
		proto string
		ports []uint16
	}{{sockets.TCP, tcp}, {sockets.UDP, udp}} {
		if len(q.ports) == 0 {
			continue
		}
		s, err := sockets.Listeners(ctx, sockets.Filter{Protos: []string{q.proto}, Ports: q.ports})
		if err != nil {
			return append(notes, "could not read the socket table to name the holders: "+err.Error())
		}
		socks = append(socks, s...)
	}
	owners, more, err := sockets.Owners(ctx, socks, 0)
	notes = append(notes, more...)
	if err != nil {
		notes = append(notes, "could not name the holders: "+err.Error())
	}
	byKey := map[string][]sockets.Socket{}
	for _, s := range socks {
		byKey[s.Key()] = append(byKey[s.Key()], s)
	}
	for i, r := range results {
		if r.State != Busy {
			continue
		}
		found := byKey[string(r.Port.Proto)+"/"+fmt.Sprint(r.Port.Number)]
		if len(found) == 0 {
			if r.Port.Proto == expect.TCP {
				results[i].Detail += "; no listener in this host's table: a socket holds it bound without listening (a server starting, or a client bound to it)"
			}
			continue
		}
		for _, s := range found {
			h := Holder{Socket: s.String()}
			if p, ok := owners[s.Inode]; ok {
				h.PID, h.User, h.Command = p.PID, p.User, p.Command()
				if p.Carbon != nil {
					h.Carbon = p.Carbon.Describe()
				}
			} else {
				h.Command = fmt.Sprintf("a process this user cannot see (uid %d; run as root to name it)", s.UID)
			}
			results[i].Holders = append(results[i].Holders, h)
		}
		sort.Slice(results[i].Holders, func(a, b int) bool { return results[i].Holders[a].PID < results[i].Holders[b].PID })
	}
	return notes
}

func bindWords(a netip.Addr) string {
	if !a.IsValid() {
		return "all addresses (IPv4 and IPv6), as the JVM binds"
	}
	return a.String()
}
