package probe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"time"

	"github.com/carbonprobe/carbonprobe/expect"
	"github.com/carbonprobe/carbonprobe/internal/text"
	"github.com/carbonprobe/carbonprobe/probe/jrmp"
	"github.com/carbonprobe/carbonprobe/probe/sockets"
	"github.com/carbonprobe/carbonprobe/target"
)

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
func owners(ctx context.Context, rep *Report, withExtras bool) {
	host, srv := rep.Target.Host, rep.Target.Server
	keys := map[string]bool{}
	var ports []uint16
	for _, r := range rep.Results {
		if r.Port.Checked() {
			keys[r.Port.Key()] = true
			ports = append(ports, uint16(r.Port.Number))
		}
	}
	socks, err := sockets.Listeners(ctx, sockets.Filter{Ports: ports})
	if err != nil {
		rep.OwnerNotes = append(rep.OwnerNotes, "could not read the socket table: "+text.OneLine(err.Error()))
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
		rep.OwnerNotes = append(rep.OwnerNotes, "could not map sockets to processes: "+text.OneLine(err.Error()))
	}
	for i := range rep.Results {
		r := &rep.Results[i]
		ss := byKey[r.Port.Key()]
		if len(ss) == 0 || !r.Port.Checked() {
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
			if srv != nil {
				// Never taken for the server: fail closed, and say why.
				r.Conflict = fmt.Sprintf("held by a process whose descriptors this user (uid %d) cannot read, so it is not known to be the server under test (%s): run carbonprobe as root or as the server's user",
					os.Geteuid(), srv.Describe())
			}
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
		if rep.Target.Spec.Profile != expect.NoProfile {
			mixedOwners(rep)
		}
		return
	}
	if withExtras {
		extras(ctx, rep, srv, keys)
	}
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
func extras(ctx context.Context, rep *Report, srv *target.Server, fixed map[string]bool) {
	socks, err := sockets.OfProcess(ctx, srv.PID, sockets.Filter{})
	if err != nil {
		rep.OwnerNotes = append(rep.OwnerNotes, fmt.Sprintf("could not read the sockets of pid %d: %s", srv.PID, text.OneLine(err.Error())))
		return
	}
	proc := sockets.Process{PID: srv.PID, Carbon: srv.Carbon, Cmdline: srv.Args}
	if n, keys := shiftedMatch(rep, socks); keys != nil {
		rep.Notes = append(rep.Notes, fmt.Sprintf("the server runs at offset %d (its listeners match this set at that offset; this check expects %d, from %s)",
			n, rep.Target.Spec.Offset.Value, rep.Target.Spec.Offset.From))
		for k := range keys {
			fixed[k] = true
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
			return "does not answer JRMP from loopback: " + text.OneLine(err.Error())
		}
		return "no JRMP answer from loopback: " + text.OneLine(err.Error())
	}
	return "answers JRMP from loopback"
}

// shiftedMatch looks for the offset the server really runs with when the
// expected set is not up: if the server's own sockets hold every required
// port that takes an offset at one other offset, it returns that offset and
// the keys of those sockets ("tcp/9450"), which are fixed ports, not random
// ones. keys is nil when no other offset fits.
func shiftedMatch(rep *Report, socks []sockets.Socket) (int, map[string]bool) {
	spec := rep.Target.Spec
	if spec.Profile == expect.NoProfile {
		return 0, nil
	}
	var shifting []expect.Port
	allUp := true
	for _, r := range rep.Results {
		p := r.Port
		if p.Need == expect.Required && p.Offset {
			shifting = append(shifting, p)
			allUp = allUp && r.Up()
		}
	}
	if allUp || len(shifting) == 0 {
		return 0, nil
	}
	held := map[string]bool{}
	for _, s := range socks {
		if s.Proto == sockets.UDP || s.State == sockets.StateListen {
			held[s.Key()] = true
		}
	}
	first := shifting[0]
	for _, s := range socks {
		if s.Proto != string(first.Proto) || !held[s.Key()] {
			continue
		}
		delta := int(s.Local.Port()) - first.Number
		n := spec.Offset.Value + delta
		if delta == 0 || n < 0 {
			continue
		}
		keys := map[string]bool{}
		for _, p := range shifting {
			k := fmt.Sprintf("%s/%d", p.Proto, p.Number+delta)
			if !held[k] {
				keys = nil
				break
			}
			keys[k] = true
		}
		if keys != nil {
			// Optional ports at that offset are the server's fixed ports too.
			for _, r := range rep.Results {
				if p := r.Port; p.Offset && p.Need == expect.Optional && held[fmt.Sprintf("%s/%d", p.Proto, p.Number+delta)] {
					keys[fmt.Sprintf("%s/%d", p.Proto, p.Number+delta)] = true
				}
			}
			return n, keys
		}
	}
	return 0, nil
}
