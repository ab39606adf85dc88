//go:build linux

package sockets

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"strconv"
)

// listenersProcNet reads /proc/net/{tcp,tcp6,udp,udp6}: the fallback where
// sock_diag is missing. It parses every line, TIME-WAIT entries included, and
// cannot see IPV6_V6ONLY.
//
// The tables are parsed here rather than with prometheus/procfs, which did it
// before: procfs compiles a dozen regular expressions in its package
// initialisation, 0.19 ms at every start of carbonprobe (GODEBUG=inittrace=1),
// for a fallback most hosts never take (docs/performance.md).
func listenersProcNet(tcp, udp bool, keep func(Socket) bool) ([]Socket, error) {
	var rows []procNetRow
	var errs []error
	// A missing tcp6/udp6 means IPv6 is disabled: nothing to list.
	read := func(proto, file string, optional bool) {
		r, err := readProcNet(proto, "/proc/net/"+file)
		if optional && errors.Is(err, fs.ErrNotExist) {
			err = nil
		}
		rows = append(rows, r...)
		errs = append(errs, wrap(file, err))
	}
	if tcp {
		read(TCP, "tcp", false)
		read(TCP, "tcp6", true)
	}
	if udp {
		read(UDP, "udp", false)
		read(UDP, "udp6", true)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	var out []Socket
	for _, r := range rows {
		s := Socket{Proto: r.proto, Local: r.local, Remote: r.remote, UID: r.uid, Inode: r.inode}
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

type procNetRow struct {
	proto         string
	local, remote netip.AddrPort
	state         uint64
	uid           uint32
	inode         uint64
}

// readProcNet parses one table:
//
//	sl  local_address rem_address   st tx_queue:rx_queue tr:tm->when retrnsmt   uid  timeout inode ...
//	0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 12345 ...
//
// Addresses are the kernel's 32-bit words printed as hex in host byte order.
func readProcNet(proto, path string) ([]procNetRow, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var rows []procNetRow
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for n := 0; sc.Scan(); n++ {
		if n == 0 {
			continue // the header
		}
		fields := bytes.Fields(sc.Bytes())
		if len(fields) < 10 {
			return nil, fmt.Errorf("line %d: %d fields, want at least 10", n+1, len(fields))
		}
		local, err1 := procNetAddr(fields[1])
		remote, err2 := procNetAddr(fields[2])
		state, err3 := strconv.ParseUint(string(fields[3]), 16, 8)
		uid, err4 := strconv.ParseUint(string(fields[7]), 10, 32)
		inode, err5 := strconv.ParseUint(string(fields[9]), 10, 64)
		if err := errors.Join(err1, err2, err3, err4, err5); err != nil {
			return nil, fmt.Errorf("line %d: %w", n+1, err)
		}
		rows = append(rows, procNetRow{proto, local, remote, state, uint32(uid), inode})
	}
	return rows, sc.Err()
}

// procNetAddr reads "0100007F:1F90" (tcp) or 32 hex digits and a port
// (tcp6), keeping the table's family: a v4-mapped address in tcp6 stays
// 16 bytes.
func procNetAddr(b []byte) (netip.AddrPort, error) {
	host, port, ok := bytes.Cut(b, []byte(":"))
	if !ok || (len(host) != 8 && len(host) != 32) {
		return netip.AddrPort{}, fmt.Errorf("address %q", b)
	}
	raw := make([]byte, len(host)/2)
	if _, err := hex.Decode(raw, host); err != nil {
		return netip.AddrPort{}, fmt.Errorf("address %q: %w", b, err)
	}
	// Each 32-bit word was printed as a number in host order: put it back
	// in memory order, which is network order.
	for i := 0; i < len(raw); i += 4 {
		binary.NativeEndian.PutUint32(raw[i:], binary.BigEndian.Uint32(raw[i:]))
	}
	p, err := strconv.ParseUint(string(port), 16, 16)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("port %q: %w", port, err)
	}
	a, _ := netip.AddrFromSlice(raw)
	return netip.AddrPortFrom(a, uint16(p)), nil
}

func wrap(file string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("read /proc/net/%s: %w", file, err)
}
