// Package sockets reads which TCP listeners and UDP sockets exist on this
// host, and which processes own them. On Linux the table comes from netlink
// sock_diag with the state filter applied by the kernel (as ss does), so the
// cost follows the number of listeners, not of connections or TIME-WAIT
// entries; owners come from the socket:[inode] links under /proc/PID/fd.
package sockets

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
)

// Protocols.
const (
	TCP = "tcp"
	UDP = "udp"
)

// States, named as ss names them. A UDP socket is UNCONN until connect(2)
// gives it a peer, then ESTAB.
const (
	StateListen = "LISTEN"
	StateUnconn = "UNCONN"
	StateEstab  = "ESTAB"
)

// ErrUnsupported is returned where the socket table or its owners need Linux.
var ErrUnsupported = errors.New("reading the socket table is supported on Linux only")

// Socket is one row of the kernel's socket table.
type Socket struct {
	Proto  string         // TCP or UDP
	Local  netip.AddrPort // IPv4 sockets hold 4-byte addresses, IPv6 ones 16-byte
	Remote netip.AddrPort // UDP: 0.0.0.0:0 or [::]:0 unless connected
	State  string
	Inode  uint64
	UID    uint32 // the socket's owner as the kernel records it (the creator's fsuid)
	// V6Only is IPV6_V6ONLY of an IPv6 socket; V6OnlyKnown is false when the
	// table came from /proc/net, which does not show it.
	V6Only      bool
	V6OnlyKnown bool
	// Queue and QueueMax are a TCP listener's accept queue: the connections
	// the kernel completed that the program has not accepted yet, and the
	// backlog it allows; the kernel drops new SYNs once Queue exceeds
	// QueueMax. QueueKnown is false when the table came from /proc/net.
	Queue, QueueMax uint32
	QueueKnown      bool
}

// QueueFull tells whether a listener's accept queue is full: the program
// stopped accepting, and new connections are not completed.
func (s Socket) QueueFull() bool { return s.QueueKnown && s.Queue > s.QueueMax }

// Key is "tcp/9443": the form Extras takes its fixed ports in.
func (s Socket) Key() string { return s.Proto + "/" + strconv.Itoa(int(s.Local.Port())) }

// String is "tcp 127.0.0.1:9443 LISTEN".
func (s Socket) String() string {
	out := s.Proto + " " + s.Local.String()
	if s.Remote.Port() != 0 {
		out += " -> " + s.Remote.String()
	}
	return out + " " + s.State
}

// Scope says which addresses a socket is reachable on, in words. A Java
// listener on [::] with IPV6_V6ONLY off serves IPv4 too: "tcp6" would mislead.
func (s Socket) Scope() string {
	a := s.Local.Addr()
	switch {
	case a.Unmap().IsLoopback():
		return "loopback only"
	case a.Is4() && a.IsUnspecified():
		return "all IPv4 addresses"
	case a.IsUnspecified() && s.V6OnlyKnown && s.V6Only:
		return "all IPv6 addresses (IPv6 only)"
	case a.IsUnspecified() && s.V6OnlyKnown:
		return "all addresses (IPv4 and IPv6)"
	case a.IsUnspecified():
		return "all IPv6 addresses, and IPv4 too unless the program set IPV6_V6ONLY (" + v6OnlyDefaultWords() + ")"
	}
	return "only " + a.Unmap().String()
}

// DualStack tells whether the socket accepts IPv4 and IPv6 alike.
func (s Socket) DualStack() bool {
	a := s.Local.Addr()
	return a.Is6() && a.IsUnspecified() && s.V6OnlyKnown && !s.V6Only
}

// Filter narrows Listeners. The zero Filter asks for everything.
type Filter struct {
	Protos []string // TCP, UDP; empty: both
	Ports  []uint16 // local ports; empty: all
}

func (f Filter) check() (tcp, udp bool, ports map[uint16]bool, err error) {
	if len(f.Protos) == 0 {
		tcp, udp = true, true
	}
	for _, p := range f.Protos {
		switch p {
		case TCP:
			tcp = true
		case UDP:
			udp = true
		default:
			return false, false, nil, fmt.Errorf("socket filter: want protocol %q or %q, got %q", TCP, UDP, p)
		}
	}
	if len(f.Ports) > 0 {
		ports = make(map[uint16]bool, len(f.Ports))
		for _, p := range f.Ports {
			ports[p] = true
		}
	}
	return tcp, udp, ports, nil
}
