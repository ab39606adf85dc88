// Package connect tells, with bare system calls, whether a TCP port on this
// host accepts connections right now. On a local address the kernel runs the
// whole handshake, or answers the SYN with a RST, inside connect(2) itself,
// so a non-blocking connect tells accepted from refused at once: no
// netpoller registration, no goroutine, no timer. Anything it cannot decide
// at once (a connect still in progress, a full accept queue, another error)
// is Unknown, and the caller dials the usual way; only that dial's result
// then counts.
//
// It has two forms. Serial connects port after port on one kept socket: a
// check's ports, and wait's re-check of a refusing port. Once uses a socket
// of its own and closes it, as any client would: Serial's fallback for the
// one port its kept socket cannot dial.
//
// This is the one implementation of the bare connect; probe's quick path and
// wait's refusal check both use it (Linux only; elsewhere every call is
// Unknown).
package connect

import "net/netip"

// Outcome is what one connect told.
type Outcome uint8

const (
	Unknown  Outcome = iota // not known at once: dial the usual way
	Accepted                // the handshake completed: something listens and accepted
	Refused                 // RST: nothing listens on this address and port
)

func (o Outcome) String() string {
	switch o {
	case Accepted:
		return "accepted"
	case Refused:
		return "refused"
	}
	return "unknown"
}

// usable reports whether a can be connected to without more than its bytes:
// a scoped IPv6 address needs its interface index, left to the dialer.
func usable(a netip.Addr) bool {
	return a.IsValid() && (a.Is4() || a.Is4In6() || a.Zone() == "")
}
