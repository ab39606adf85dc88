package probe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/carbonprobe/carbonprobe/expect"
	"github.com/carbonprobe/carbonprobe/probe/jrmp"
	"github.com/carbonprobe/carbonprobe/probe/procs"
	"github.com/carbonprobe/carbonprobe/probe/sockets"
)

// Server is the process a check is about, when it is known.
type Server struct {
	PID    int
	Carbon *procs.Carbon // nil when the process is not a Carbon server
	From   string        // how it was found: "flag --pid", "/opt/mi/wso2carbon.pid", ...
}

// Describe names the server for people.
func (s Server) Describe() string {
	if s.Carbon != nil {
		return s.Carbon.Describe()
	}
	return "pid " + strconv.Itoa(s.PID)
}

// Selector says how to find the server process.
type Selector struct {
	PID        int
	PIDOrigin  string // "flag --pid"
	Home       string // a Carbon home, whose wso2carbon.pid names the server
	HomeOrigin string
	Offset     *int // the offset a flag gave: picks among several servers
}

// Discovery is what finding the server process came to.
type Discovery struct {
	Server  *Server
	Skipped string   // why the local socket table and processes were not read
	Problem string   // the named server is not there: the check fails
	Notes   []string // what a person should know: several candidates, unreadable processes
}

// Discover finds the server process on this host: the --pid, the pid file of
// a Carbon home, or the Carbon processes running here (one, or the only one
// with the offset asked for). host is the address the check dials: process
// discovery only makes sense when that is this machine.
func Discover(ctx context.Context, host string, sel Selector) Discovery {
	if runtime.GOOS != "linux" {
		return Discovery{Skipped: "process and socket discovery needs Linux's /proc; checked by dialling only"}
	}
	if !IsLocal(ctx, host) {
		return Discovery{Skipped: "remote host " + host + ": which process holds each port is not looked up; checked by dialling only"}
	}
	switch {
	case sel.PID > 0:
		c, isCarbon, err := procs.Inspect(sel.PID)
		if err != nil {
			return Discovery{Problem: fmt.Sprintf("%s %d: %v", sel.PIDOrigin, sel.PID, oneLine(err))}
		}
		s := &Server{PID: sel.PID, From: sel.PIDOrigin}
		d := Discovery{Server: s}
		if isCarbon {
			s.Carbon = c
		} else {
			d.Notes = append(d.Notes, fmt.Sprintf("pid %d is not a Carbon server (no Carbon main class on its command line)", sel.PID))
		}
		return d
	case sel.Home != "":
		c, err := procs.FromHome(sel.Home)
		if err != nil {
			return Discovery{Problem: fmt.Sprintf("%s %s: %v", sel.HomeOrigin, sel.Home, oneLine(err))}
		}
		return Discovery{Server: &Server{PID: c.PID, Carbon: &c, From: "the server of " + sel.Home}, Notes: c.Notes}
	}
	all, notes, err := procs.Find()
	if err != nil {
		return Discovery{Skipped: "could not list processes: " + oneLine(err)}
	}
	var d Discovery
	if len(notes) > 0 {
		d.Notes = append(d.Notes, fmt.Sprintf("%d processes could not be read (%s)", len(notes), notes[0]))
	}
	pick := func(c procs.Carbon, from string) Discovery {
		d.Server = &Server{PID: c.PID, Carbon: &c, From: from}
		return d
	}
	switch {
	case len(all) == 0:
		d.Notes = append(d.Notes, "no Carbon server process runs on this host")
		return d
	case len(all) == 1:
		return pick(all[0], "the only Carbon server on this host")
	}
	if sel.Offset != nil {
		var match []procs.Carbon
		for _, c := range all {
			if c.Offset != nil && *c.Offset == *sel.Offset {
				match = append(match, c)
			}
		}
		if len(match) == 1 {
			return pick(match[0], fmt.Sprintf("the only Carbon server here with -DportOffset=%d", *sel.Offset))
		}
	}
	list := make([]string, len(all))
	for i, c := range all {
		list[i] = c.Describe()
	}
	d.Notes = append(d.Notes, fmt.Sprintf("%d Carbon servers run here; choose one with --pid or --carbon-home to check who holds each port: %s",
		len(all), strings.Join(list, "; ")))
	return d
}

// IsLocal reports whether host names this machine: a loopback address, or an
// address of one of its interfaces.
func IsLocal(ctx context.Context, host string) bool {
	addrs := []netip.Addr{}
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = append(addrs, a)
	} else {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		if err != nil {
			return false
		}
		addrs = ips
	}
	ifaddrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		a = a.Unmap()
		if a.IsLoopback() || a.IsUnspecified() {
			return true
		}
		for _, ia := range ifaddrs {
			if n, ok := ia.(*net.IPNet); ok {
				if ip, ok := netip.AddrFromSlice(n.IP); ok && ip.Unmap() == a {
					return true
				}
			}
		}
	}
	return false
}

// Owner is the process that holds a fixed port, and on which addresses.
type Owner struct {
	sockets.Process
	Scope string // "all addresses (IPv4 and IPv6)", "loopback only", ...
}

// Extra is a socket of the server process that is not a fixed port.
type Extra struct {
	sockets.Extra
	Confirmed string // what a check from here showed, e.g. "answers JRMP from loopback"
}

// owners looks up who holds each fixed port and which random ports the
// server has, filling the report. It reads the local socket table only.
func owners(ctx context.Context, rep *Report, host string, srv *Server) {
	keys := map[string]bool{}
	var ports []uint16
	for _, r := range rep.Results {
		if r.Port.Need != expect.Off {
			keys[r.Port.Key()] = true
			ports = append(ports, uint16(r.Port.Number))
		}
	}
	socks, err := sockets.Listeners(ctx, sockets.Filter{Ports: ports})
	if err != nil {
		rep.OwnerNotes = append(rep.OwnerNotes, "could not read the socket table: "+oneLine(err))
		return
	}
	byKey := map[string][]sockets.Socket{}
	var mine []sockets.Socket
	for _, s := range socks {
		if keys[s.Key()] {
			byKey[s.Key()] = append(byKey[s.Key()], s)
			mine = append(mine, s)
		}
	}
	hint := 0
	if srv != nil {
		hint = srv.PID
	}
	procsByInode, notes, err := sockets.Owners(ctx, mine, hint)
	rep.OwnerNotes = append(rep.OwnerNotes, notes...)
	if err != nil {
		rep.OwnerNotes = append(rep.OwnerNotes, "could not map sockets to processes: "+oneLine(err))
	}
	for i := range rep.Results {
		r := &rep.Results[i]
		ss := byKey[r.Port.Key()]
		if len(ss) == 0 || r.Port.Need == expect.Off {
			continue
		}
		// Prefer the server's own socket; else the first one with a known owner.
		var chosen *sockets.Socket
		var owner *sockets.Process
		for j := range ss {
			p, ok := procsByInode[ss[j].Inode]
			if !ok {
				continue
			}
			if owner == nil || (srv != nil && p.PID == srv.PID) {
				chosen, owner = &ss[j], &p
			}
		}
		if owner == nil {
			r.Owner = &Owner{Scope: ss[0].Scope()}
			continue
		}
		r.Owner = &Owner{Process: *owner, Scope: chosen.Scope()}
		switch {
		case srv != nil && owner.PID != srv.PID:
			r.Conflict = "held by " + holder(*owner) + ", not by the server under test (" + srv.Describe() + ")"
		case !reaches(ss, host):
			r.Conflict = fmt.Sprintf("bound to %s only: not reachable at %s", chosen.Local.Addr(), host)
		}
	}
	if srv == nil {
		// One Carbon server holds all of a profile's ports; ad-hoc ports
		// may well belong to different programs.
		if rep.Spec.Profile != expect.NoProfile {
			mixedOwners(rep)
		}
		return
	}
	extras(ctx, rep, srv, keys)
}

// mixedOwners flags fixed ports held by different processes when no server
// was named: the minority ports are the suspects.
func mixedOwners(rep *Report) {
	count := map[int]int{}
	for _, r := range rep.Results {
		if r.Owner != nil && r.Owner.PID > 0 {
			count[r.Owner.PID]++
		}
	}
	if len(count) < 2 {
		return
	}
	best := 0
	for pid, n := range count {
		if n > count[best] || n == count[best] && pid < best {
			best = pid
		}
	}
	for i := range rep.Results {
		r := &rep.Results[i]
		if r.Owner != nil && r.Owner.PID > 0 && r.Owner.PID != best && r.Conflict == "" {
			r.Conflict = fmt.Sprintf("held by %s, while %d other fixed ports are held by pid %d", holder(r.Owner.Process), count[best], best)
		}
	}
}

// holder names a process that holds a port: pid, user, and what it is.
func holder(p sockets.Process) string {
	who := "pid " + strconv.Itoa(p.PID)
	if p.User != "" {
		who += " (user " + p.User + ")"
	}
	if p.Carbon != nil {
		what := "another Carbon server"
		if p.Carbon.Offset != nil {
			what += fmt.Sprintf(" at offset %d", *p.Carbon.Offset)
		}
		if p.Carbon.Home != "" {
			what += ", home " + p.Carbon.Home
		}
		return who + ": " + what
	}
	return who + ": " + p.Command()
}

// reaches reports whether a dial to host can land on one of the sockets: a
// wildcard bind (of the right family) takes any local address, a specific
// bind only its own. A host name other than localhost is given the benefit
// of the doubt.
func reaches(ss []sockets.Socket, host string) bool {
	target, err := netip.ParseAddr(host)
	if err != nil && host != "localhost" {
		return true
	}
	for _, s := range ss {
		a := s.Local.Addr()
		switch {
		case host == "localhost":
			if a.Unmap().IsLoopback() || a.IsUnspecified() {
				return true
			}
		case a.Is4() && a.IsUnspecified():
			if target.Unmap().Is4() {
				return true
			}
		case a.IsUnspecified():
			if target.Is6() && !target.Is4In6() || !s.V6Only {
				return true
			}
		case a.Unmap() == target.Unmap():
			return true
		}
	}
	return false
}

// extras lists the server's sockets that are not fixed ports, and confirms a
// JDK JMX connector by its JRMP answer from loopback.
func extras(ctx context.Context, rep *Report, srv *Server, fixed map[string]bool) {
	socks, err := sockets.OfProcess(ctx, srv.PID, sockets.Filter{})
	if err != nil {
		rep.OwnerNotes = append(rep.OwnerNotes, fmt.Sprintf("could not read the sockets of pid %d: %s", srv.PID, oneLine(err)))
		return
	}
	proc := sockets.Process{PID: srv.PID, Carbon: srv.Carbon}
	if srv.Carbon != nil {
		if args, _, err := procs.Cmdline(srv.PID); err == nil {
			proc.Cmdline = args
		}
	}
	for _, e := range sockets.Extras(proc, socks, fixed) {
		x := Extra{Extra: e}
		if e.Attribution == sockets.AttrJMX && e.Socket.Proto == sockets.TCP {
			x.Confirmed = confirmJRMP(ctx, e.Socket)
		}
		rep.Extras = append(rep.Extras, x)
	}
}

// confirmJRMP dials the socket's port on loopback and runs the JRMP
// handshake: the JDK's local connector answers local peers only.
func confirmJRMP(ctx context.Context, s sockets.Socket) string {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	host := "127.0.0.1"
	if s.Local.Addr().Is6() && !s.DualStack() && !s.Local.Addr().Is4In6() {
		host = "::1"
	}
	conn, err := dialer.DialContext(ctx, "tcp", net.JoinHostPort(host, strconv.Itoa(int(s.Local.Port()))))
	if err != nil {
		return "could not dial it from loopback: " + errText(err)
	}
	defer conn.Close()
	if _, err := jrmp.Handshake(ctx, conn); err != nil {
		if errors.Is(err, jrmp.ErrNotJRMP) {
			return "does not answer JRMP from loopback: " + oneLine(err)
		}
		return "no JRMP answer from loopback: " + oneLine(err)
	}
	return "answers JRMP from loopback"
}

func oneLine(err error) string { return strings.ReplaceAll(err.Error(), "\n", " ") }
