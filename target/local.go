package target

import (
	"context"
	"net"
	"net/netip"
	"time"
)

// Locality resolves host and tells whether every address it names is this
// machine's own: a loopback address, the unspecified address (a dial to
// 0.0.0.0 or :: reaches this host), or an address of one of its interfaces.
// Only then can its processes and socket table be read, and a refusal be
// known to cost the server nothing. A name that does not resolve within
// timeout is not local.
func Locality(ctx context.Context, host string, timeout time.Duration) (addrs []netip.Addr, local bool) {
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else {
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		if addrs, err = net.DefaultResolver.LookupNetIP(ctx, "ip", host); err != nil {
			return nil, false
		}
	}
	own := map[netip.Addr]bool{}
	if ifaddrs, err := net.InterfaceAddrs(); err == nil {
		for _, ia := range ifaddrs {
			if pfx, err := netip.ParsePrefix(ia.String()); err == nil {
				own[pfx.Addr().Unmap().WithZone("")] = true
			}
		}
	}
	for _, a := range addrs {
		a = a.Unmap().WithZone("")
		if !a.IsLoopback() && !a.IsUnspecified() && !own[a] {
			return addrs, false
		}
	}
	return addrs, len(addrs) > 0
}

// IsLocal reports whether host names this machine (see Locality).
func IsLocal(ctx context.Context, host string) bool {
	_, local := Locality(ctx, host, 2*time.Second)
	return local
}
