//go:build linux

package sockets

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/netip"

	"github.com/prometheus/procfs"
)

// listenersProcNet reads /proc/net/{tcp,tcp6,udp,udp6}: the fallback where
// sock_diag is missing. It parses every line, TIME-WAIT entries included, and
// cannot see IPV6_V6ONLY.
func listenersProcNet(tcp, udp bool, keep func(Socket) bool) ([]Socket, error) {
	fsys, err := procfs.NewDefaultFS()
	if err != nil {
		return nil, err
	}
	type row struct {
		proto         string
		local, remote netip.AddrPort
		state         uint64
		uid, inode    uint64
	}
	var rows []row
	addTCP := func(t procfs.NetTCP) {
		for _, l := range t {
			rows = append(rows, row{TCP, addrPort(l.LocalAddr, l.LocalPort), addrPort(l.RemAddr, l.RemPort), l.St, l.UID, l.Inode})
		}
	}
	addUDP := func(t procfs.NetUDP) {
		for _, l := range t {
			rows = append(rows, row{UDP, addrPort(l.LocalAddr, l.LocalPort), addrPort(l.RemAddr, l.RemPort), l.St, l.UID, l.Inode})
		}
	}
	var errs []error
	// A missing tcp6/udp6 means IPv6 is disabled: nothing to list.
	v6 := func(err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	if tcp {
		t4, err4 := fsys.NetTCP()
		t6, err6 := fsys.NetTCP6()
		addTCP(t4)
		addTCP(t6)
		errs = append(errs, wrap("tcp", err4), wrap("tcp6", v6(err6)))
	}
	if udp {
		u4, err4 := fsys.NetUDP()
		u6, err6 := fsys.NetUDP6()
		addUDP(u4)
		addUDP(u6)
		errs = append(errs, wrap("udp", err4), wrap("udp6", v6(err6)))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	var out []Socket
	for _, r := range rows {
		s := Socket{Proto: r.proto, Local: r.local, Remote: r.remote, UID: uint32(r.uid), Inode: r.inode}
		switch {
		case r.proto == TCP && r.state == tcpListen:
			s.State = StateListen
		case r.proto == UDP && r.state == tcpClose:
			s.State = StateUnconn
		case r.proto == UDP && r.state == tcpEstablished:
			s.State = StateEstab
		default:
			continue
		}
		if keep(s) {
			out = append(out, s)
		}
	}
	return out, nil
}

func wrap(file string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("read /proc/net/%s: %w", file, err)
}

// addrPort keeps the family of the table: procfs gives 4-byte IPs for
// /proc/net/tcp and 16-byte ones for tcp6, v4-mapped or not.
func addrPort(ip net.IP, port uint64) netip.AddrPort {
	a, _ := netip.AddrFromSlice(ip)
	return netip.AddrPortFrom(a, uint16(port))
}
