package carbonlike

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// sock is one socket of a process, read from /proc (the tests need no more than ss would show).
type sock struct {
	proto string // tcp, tcp6, udp, udp6
	ip    net.IP
	port  int
	state string // hex state from /proc/net: 0A = LISTEN, 07 = UDP unconnected
}

// procSockets lists the sockets that pid holds: its fds' socket inodes looked up in the
// /proc/PID/net tables of its network namespace.
func procSockets(t *testing.T, pid int) []sock {
	t.Helper()
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Fatalf("list fds of pid %d: %v", pid, err)
	}
	inodes := map[string]bool{}
	for _, fd := range fds {
		link, err := os.Readlink(filepath.Join(fmt.Sprintf("/proc/%d/fd", pid), fd.Name()))
		if err == nil && strings.HasPrefix(link, "socket:[") {
			inodes[strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]")] = true
		}
	}
	var socks []sock
	for _, proto := range []string{"tcp", "tcp6", "udp", "udp6"} {
		f, err := os.Open(fmt.Sprintf("/proc/%d/net/%s", pid, proto))
		if err != nil {
			continue // no IPv6 in this kernel
		}
		sc := bufio.NewScanner(f)
		sc.Scan() // header
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) < 10 || !inodes[fields[9]] {
				continue
			}
			addr, port, ok := strings.Cut(fields[1], ":")
			if !ok {
				continue
			}
			ip, err1 := hex.DecodeString(addr)
			p, err2 := strconv.ParseUint(port, 16, 16)
			if err1 != nil || err2 != nil {
				t.Fatalf("bad /proc/net/%s line %q", proto, sc.Text())
			}
			// /proc prints each 32-bit word of the address in host (little-endian) order.
			for i := 0; i+4 <= len(ip); i += 4 {
				ip[i], ip[i+1], ip[i+2], ip[i+3] = ip[i+3], ip[i+2], ip[i+1], ip[i]
			}
			socks = append(socks, sock{proto: proto, ip: net.IP(ip), port: int(p), state: fields[3]})
		}
		f.Close()
		if err := sc.Err(); err != nil {
			t.Fatalf("read /proc/net/%s: %v", proto, err)
		}
	}
	return socks
}

// listening returns port -> socket for the TCP listeners of pid.
func listening(t *testing.T, pid int) map[int]sock {
	t.Helper()
	m := map[int]sock{}
	for _, s := range procSockets(t, pid) {
		if strings.HasPrefix(s.proto, "tcp") && s.state == "0A" {
			m[s.port] = s
		}
	}
	return m
}
