//go:build linux

package sockets

import (
	"cmp"
	"context"
	"errors"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// tableSource picks how Listeners reads the table; tests and benchmarks set
// it to compare the two.
var tableSource = sourceDiag

const (
	sourceDiag = iota
	sourceProcNet
)

// Listeners returns the TCP sockets in LISTEN and the UDP sockets (bound or
// connected) of this network namespace, sorted by protocol, port and address.
// It reads netlink sock_diag, and /proc/net where the kernel lacks it.
func Listeners(ctx context.Context, f Filter) ([]Socket, error) {
	tcp, udp, ports, err := f.check()
	if err != nil {
		return nil, err
	}
	keep := func(s Socket) bool { return ports == nil || ports[s.Local.Port()] }
	var socks []Socket
	if tableSource == sourceDiag {
		socks, err = listenersDiag(ctx, tcp, udp, keep)
	}
	if tableSource == sourceProcNet || errors.Is(err, errNoDiag) {
		socks, err = listenersProcNet(tcp, udp, keep)
	}
	if err != nil {
		return nil, err
	}
	slices.SortFunc(socks, func(a, b Socket) int {
		return cmp.Or(
			cmp.Compare(a.Proto, b.Proto),
			cmp.Compare(a.Local.Port(), b.Local.Port()),
			a.Local.Addr().Compare(b.Local.Addr()),
			a.Remote.Compare(b.Remote),
			cmp.Compare(a.Inode, b.Inode),
		)
	})
	return socks, nil
}

// OfProcess returns the sockets of Listeners that pid holds.
func OfProcess(ctx context.Context, pid int, f Filter) ([]Socket, error) {
	owned, err := OwnedBy(pid)
	if err != nil {
		return nil, err
	}
	all, err := Listeners(ctx, f)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, s := range all {
		if owned[s.Inode] {
			out = append(out, s)
		}
	}
	return out, nil
}

// ephemeralRange reads net.ipv4.ip_local_port_range (it applies to IPv6
// too); 0, 0 when unreadable.
func ephemeralRange() (lo, hi int) {
	ephemeralOnce.Do(func() {
		raw, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
		if err != nil {
			return
		}
		f := strings.Fields(string(raw))
		if len(f) != 2 {
			return
		}
		a, errA := strconv.Atoi(f[0])
		b, errB := strconv.Atoi(f[1])
		if errA == nil && errB == nil && a > 0 && a <= b {
			ephemeralLo, ephemeralHi = a, b
		}
	})
	return ephemeralLo, ephemeralHi
}

var (
	ephemeralOnce            sync.Once
	ephemeralLo, ephemeralHi int
)
