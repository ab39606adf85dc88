package probe

import (
	"net/netip"

	"github.com/carbonprobe/carbonprobe/probe/connect"
)

// quickConnect dials a loopback port with bare system calls, on a socket
// kept from one port to the next (connect.Serial): on loopback the kernel
// runs the whole handshake, or answers the SYN with RST, inside connect(2),
// so bound and refused are known at once. ok is false when the outcome is
// not known yet (and always off Linux); the caller then dials the usual way.
func quickConnect(a netip.Addr, port int) (st State, ok bool) {
	switch connect.Serial(a, port) {
	case connect.Accepted:
		return Bound, true
	case connect.Refused:
		return Refused, true
	}
	return "", false
}
