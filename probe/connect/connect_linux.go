package connect

import (
	"errors"
	"net/netip"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Once connects to a:port on a new non-blocking socket and closes it: five
// system calls (socket, connect, getpeername or getsockopt, close). An
// accepted connection is closed the ordinary way (FIN).
func Once(a netip.Addr, port int) Outcome {
	if !usable(a) {
		return Unknown
	}
	family, sa := sockaddr(a, port)
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return Unknown
	}
	defer unix.Close(fd)
	return outcome(fd, unix.Connect(fd, sa))
}

// Serial connects to a:port on a socket kept from the call before, then
// disconnects it (connect(2) with AF_UNSPEC) for the next one. Measured on
// 2,000 loopback ports (docs/performance.md), a check spent a fifth of its
// time creating and closing sockets and in the FIN exchange and TIME-WAIT
// that close(2) starts; the kept socket leaves only the handshake and a RST:
// two system calls a port once the socket's local port is pinned, against
// five.
//
// The disconnect resets an accepted connection: the server sees a reset
// instead of an orderly close, and neither side keeps a TIME-WAIT entry.
// After the first accepted connection the socket binds the local port the
// kernel gave it, so that later connects skip the search for a free
// ephemeral port (which grows with the TIME-WAIT entries of the host); a
// target port equal to that local port is dialled with Once instead (a
// connect to itself would "succeed"). The socket is closed when no call has
// come for idleClose, so a long-running process holds no port.
//
// Calls are serialised on one socket per address family, whoever makes
// them: every check of the process and wait's re-checks share it.
func Serial(a netip.Addr, port int) Outcome {
	if !usable(a) {
		return Unknown
	}
	family, sa := sockaddr(a, port)
	kept.Lock()
	defer kept.Unlock()
	s := kept.get(family)
	if s == nil {
		return Unknown
	}
	if s.pinned == port {
		return Once(a, port)
	}
	out := outcome(s.fd, unix.Connect(s.fd, sa))
	var local unix.Sockaddr
	if out == Accepted && s.pinned == 0 {
		var err error
		local, err = unix.Getsockname(s.fd)
		lport, laddr := portOf(local)
		if err != nil || lport == port && laddr == a.Unmap() {
			out, local = Unknown, nil // connected to itself, or cannot tell: let the dialer decide
		}
	}
	if !disconnect(s.fd) {
		kept.drop(family)
		return out
	}
	if local != nil {
		s.pin(local)
	}
	return out
}

// idleClose is how long a kept socket outlives its last use.
const idleClose = 100 * time.Millisecond

type sock struct {
	fd     int
	pinned int // the local port bound after the first connection; 0 until then
}

// keptSockets are Serial's sockets, one per address family.
type keptSockets struct {
	sync.Mutex
	socks map[int]*sock // by address family
	idle  *time.Timer
}

var kept keptSockets

// get returns the kept socket of family, making one if needed, and pushes
// the idle close back. kept is locked.
func (k *keptSockets) get(family int) *sock {
	if k.idle == nil {
		k.idle = time.AfterFunc(idleClose, closeIdle)
	} else {
		k.idle.Reset(idleClose)
	}
	if s := k.socks[family]; s != nil {
		return s
	}
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	if k.socks == nil {
		k.socks = map[int]*sock{}
	}
	s := &sock{fd: fd}
	k.socks[family] = s
	return s
}

// drop closes the socket of family. kept is locked.
func (k *keptSockets) drop(family int) {
	if s := k.socks[family]; s != nil {
		unix.Close(s.fd)
		delete(k.socks, family)
	}
}

func closeIdle() {
	kept.Lock()
	defer kept.Unlock()
	for family := range kept.socks {
		kept.drop(family)
	}
}

// pin binds the disconnected socket to the local address and port its last
// connection had. A port bound by the user stays bound across disconnects,
// so the next connect does not search for one. Where the bind fails (the
// port was taken meanwhile), the socket goes on unbound.
func (s *sock) pin(local unix.Sockaddr) {
	if err := unix.Bind(s.fd, local); err == nil {
		s.pinned, _ = portOf(local)
	}
}

// outcome reads what connect said, asking the socket when it said "in
// progress": on a local address the handshake is usually done by then.
func outcome(fd int, err error) Outcome {
	switch {
	case err == nil:
		return Accepted
	case errors.Is(err, unix.ECONNREFUSED):
		return Refused
	case !errors.Is(err, unix.EINPROGRESS):
		return Unknown
	}
	if connected(fd) {
		return Accepted
	}
	if v, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR); err == nil && unix.Errno(v) == unix.ECONNREFUSED {
		return Refused
	}
	return Unknown
}

// connected is getpeername(2) without unix.Getpeername's translation of the
// address, which costs a getsockopt(SO_PROTOCOL) more for every AF_INET socket.
func connected(fd int) bool {
	var raw unix.RawSockaddrAny
	n := uint32(unix.SizeofSockaddrAny)
	_, _, e := unix.Syscall(unix.SYS_GETPEERNAME, uintptr(fd), uintptr(unsafe.Pointer(&raw)), uintptr(unsafe.Pointer(&n)))
	return e == 0
}

// unspec is the address that disconnects a socket (connect(2), AF_UNSPEC):
// an established connection is reset, the socket is ready to connect again.
var unspec = unix.RawSockaddrInet6{Family: unix.AF_UNSPEC}

func disconnect(fd int) bool {
	_, _, e := unix.Syscall(unix.SYS_CONNECT, uintptr(fd), uintptr(unsafe.Pointer(&unspec)), unsafe.Sizeof(unspec))
	return e == 0
}

func sockaddr(a netip.Addr, port int) (int, unix.Sockaddr) {
	if a.Is4() || a.Is4In6() {
		return unix.AF_INET, &unix.SockaddrInet4{Port: port, Addr: a.Unmap().As4()}
	}
	return unix.AF_INET6, &unix.SockaddrInet6{Port: port, Addr: a.As16()}
}

func portOf(sa unix.Sockaddr) (int, netip.Addr) {
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return sa.Port, netip.AddrFrom4(sa.Addr)
	case *unix.SockaddrInet6:
		return sa.Port, netip.AddrFrom16(sa.Addr).Unmap()
	}
	return 0, netip.Addr{}
}
