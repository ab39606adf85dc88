//go:build !linux

package connect

import "net/netip"

// Once has no cheap form here: the caller dials the usual way.
func Once(netip.Addr, int) Outcome { return Unknown }

// Serial has no cheap form here: the caller dials the usual way.
func Serial(netip.Addr, int) Outcome { return Unknown }
