//go:build !linux

package probe

import "net/netip"

// quickConnect has no fast path off Linux: the caller dials the usual way.
func quickConnect(netip.Addr, int) (State, bool) { return "", false }
