//go:build linux

package sockets

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Why not github.com/vishvananda/netlink: its SocketDiagTCP asks the kernel
// for every state (0xfff) and has no port or state filter, so a host with
// 40,000 TIME-WAIT entries sends all of them; and it drops the attributes,
// so IPV6_V6ONLY (INET_DIAG_SKV6ONLY) is lost. The request below is one
// struct; docs/sockets.md has the measurement.

// Layout from include/uapi/linux/inet_diag.h and sock_diag.h.
const (
	sockDiagByFamily = 20 // SOCK_DIAG_BY_FAMILY
	sizeofReq        = 56 // struct inet_diag_req_v2
	sizeofMsg        = 72 // struct inet_diag_msg
	attrSKV6Only     = 11 // INET_DIAG_SKV6ONLY: sent for IPv6 sockets in LISTEN and CLOSE

	tcpEstablished = 1
	tcpClose       = 7 // an unconnected UDP socket
	tcpListen      = 10
)

// The kernel answers in one go; the bounds only guard against a kernel (or
// an emulation such as gVisor) that never finishes. Half a million sockets
// are about 50 MiB of messages.
const (
	dumpLimit      = 64 << 20
	defaultTimeout = 5 * time.Second
	recvBufSize    = 64 << 10
)

var diagSeq atomic.Uint32

// errNoDiag means this kernel has no sock_diag for the protocol (module
// missing, or a sandbox that does not emulate it): read /proc/net instead.
var errNoDiag = errors.New("sock_diag not available")

type diagConn struct {
	fd       int
	buf      []byte
	received int
}

func openDiag(ctx context.Context) (*diagConn, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_SOCK_DIAG)
	if err != nil {
		if errors.Is(err, unix.EPROTONOSUPPORT) || errors.Is(err, unix.EAFNOSUPPORT) {
			return nil, fmt.Errorf("%w: netlink socket: %v", errNoDiag, err)
		}
		return nil, fmt.Errorf("open netlink sock_diag socket: %w", err)
	}
	timeout := defaultTimeout
	if d, ok := ctx.Deadline(); ok {
		timeout = time.Until(d)
		if timeout <= 0 {
			unix.Close(fd)
			return nil, context.DeadlineExceeded
		}
	}
	tv := unix.NsecToTimeval(timeout.Nanoseconds())
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("netlink sock_diag: set receive timeout: %w", err)
	}
	return &diagConn{fd: fd, buf: make([]byte, recvBufSize)}, nil
}

func (c *diagConn) Close() error { return unix.Close(c.fd) }

// dump sends one SOCK_DIAG_BY_FAMILY dump request and calls fn for every
// socket in the answer. A dump that the kernel marks interrupted (the table
// changed under it) is retried, since a missed listener would be a false
// "not bound".
func (c *diagConn) dump(family, proto uint8, states uint32, fn func(Socket)) error {
	var err error
	for range 3 {
		var batch []Socket
		var interrupted bool
		interrupted, err = c.dumpOnce(family, proto, states, func(s Socket) { batch = append(batch, s) })
		if err != nil {
			return err
		}
		if !interrupted {
			for _, s := range batch {
				fn(s)
			}
			return nil
		}
	}
	return fmt.Errorf("netlink sock_diag: the %s dump was interrupted three times by a changing table", protoName(family, proto))
}

func (c *diagConn) dumpOnce(family, proto uint8, states uint32, fn func(Socket)) (interrupted bool, err error) {
	seq := diagSeq.Add(1)
	req := make([]byte, unix.NLMSG_HDRLEN+sizeofReq)
	ne := binary.NativeEndian
	ne.PutUint32(req[0:], uint32(len(req)))
	ne.PutUint16(req[4:], sockDiagByFamily)
	ne.PutUint16(req[6:], unix.NLM_F_REQUEST|unix.NLM_F_DUMP)
	ne.PutUint32(req[8:], seq)
	r := req[unix.NLMSG_HDRLEN:]
	r[0], r[1] = family, proto
	ne.PutUint32(r[4:], states)
	if err := unix.Sendto(c.fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return false, fmt.Errorf("netlink sock_diag: send %s request: %w", protoName(family, proto), err)
	}
	for {
		n, _, flags, _, err := unix.Recvmsg(c.fd, c.buf, nil, 0)
		if err != nil {
			if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EWOULDBLOCK) {
				return false, fmt.Errorf("netlink sock_diag: no complete %s answer from the kernel in time: %w", protoName(family, proto), os.ErrDeadlineExceeded)
			}
			if errors.Is(err, unix.EINTR) {
				continue
			}
			return false, fmt.Errorf("netlink sock_diag: receive %s answer: %w", protoName(family, proto), err)
		}
		if flags&unix.MSG_TRUNC != 0 {
			return false, fmt.Errorf("netlink sock_diag: a %s message was larger than %d bytes", protoName(family, proto), len(c.buf))
		}
		c.received += n
		if c.received > dumpLimit {
			return false, fmt.Errorf("netlink sock_diag: the answers passed %d MiB; refusing to read more", dumpLimit>>20)
		}
		done, intr, err := parseDiag(c.buf[:n], seq, family, proto, fn)
		interrupted = interrupted || intr
		if err != nil || done {
			return interrupted, err
		}
	}
}

// parseDiag walks the netlink messages of one datagram.
func parseDiag(b []byte, seq uint32, family, proto uint8, fn func(Socket)) (done, interrupted bool, err error) {
	ne := binary.NativeEndian
	for len(b) >= unix.NLMSG_HDRLEN {
		l := int(ne.Uint32(b[0:]))
		typ := ne.Uint16(b[4:])
		flags := ne.Uint16(b[6:])
		if l < unix.NLMSG_HDRLEN || l > len(b) {
			return false, false, fmt.Errorf("netlink sock_diag: message length %d in a %d-byte datagram", l, len(b))
		}
		body := b[unix.NLMSG_HDRLEN:l]
		if ne.Uint32(b[8:]) == seq {
			interrupted = interrupted || flags&unix.NLM_F_DUMP_INTR != 0
			switch typ {
			case unix.NLMSG_DONE:
				return true, interrupted, nil
			case unix.NLMSG_ERROR:
				if len(body) < 4 {
					return false, false, fmt.Errorf("netlink sock_diag: short error message")
				}
				errno := syscall.Errno(-int32(ne.Uint32(body)))
				if errno == 0 {
					return true, interrupted, nil
				}
				if errno == unix.ENOENT || errno == unix.EOPNOTSUPP || errno == unix.EINVAL {
					return false, false, fmt.Errorf("%w for %s: %v", errNoDiag, protoName(family, proto), errno)
				}
				return false, false, fmt.Errorf("netlink sock_diag: %s dump: %w", protoName(family, proto), errno)
			case sockDiagByFamily:
				s, err := parseMsg(body, proto)
				if err != nil {
					return false, false, err
				}
				fn(s)
			}
		}
		b = b[min(nlmAlign(l), len(b)):]
	}
	return false, interrupted, nil
}

func parseMsg(m []byte, proto uint8) (Socket, error) {
	if len(m) < sizeofMsg {
		return Socket{}, fmt.Errorf("netlink sock_diag: socket message of %d bytes, want at least %d", len(m), sizeofMsg)
	}
	ne, be := binary.NativeEndian, binary.BigEndian
	s := Socket{Proto: TCP}
	if proto == unix.IPPROTO_UDP {
		s.Proto = UDP
	}
	switch m[1] {
	case tcpListen:
		s.State = StateListen
	case tcpClose:
		s.State = StateUnconn
	case tcpEstablished:
		s.State = StateEstab
	default:
		s.State = fmt.Sprintf("state-%d", m[1])
	}
	sport, dport := be.Uint16(m[4:]), be.Uint16(m[6:])
	var src, dst netip.Addr
	switch m[0] {
	case unix.AF_INET:
		src, dst = netip.AddrFrom4([4]byte(m[8:12])), netip.AddrFrom4([4]byte(m[24:28]))
	case unix.AF_INET6:
		src, dst = netip.AddrFrom16([16]byte(m[8:24])), netip.AddrFrom16([16]byte(m[24:40]))
	default:
		return Socket{}, fmt.Errorf("netlink sock_diag: socket of address family %d", m[0])
	}
	s.Local, s.Remote = netip.AddrPortFrom(src, sport), netip.AddrPortFrom(dst, dport)
	s.UID = ne.Uint32(m[64:])
	s.Inode = uint64(ne.Uint32(m[68:]))
	if s.Proto == TCP && s.State == StateListen {
		// For a listener, idiag_rqueue is the accept queue's length and
		// idiag_wqueue its limit (inet_diag's sk_ack_backlog, sk_max_ack_backlog).
		s.Queue, s.QueueMax, s.QueueKnown = ne.Uint32(m[56:]), ne.Uint32(m[60:]), true
	}
	if m[0] == unix.AF_INET6 {
		for a := m[sizeofMsg:]; len(a) >= 4; {
			al, at := int(ne.Uint16(a[0:])), ne.Uint16(a[2:])&^unix.NLA_F_NESTED
			if al < 4 || al > len(a) {
				break
			}
			if at == attrSKV6Only && al >= 5 {
				s.V6Only, s.V6OnlyKnown = a[4] != 0, true
			}
			a = a[min(nlaAlign(al), len(a)):]
		}
	}
	return s, nil
}

func nlmAlign(n int) int { return (n + unix.NLMSG_ALIGNTO - 1) &^ (unix.NLMSG_ALIGNTO - 1) }
func nlaAlign(n int) int { return (n + unix.NLA_ALIGNTO - 1) &^ (unix.NLA_ALIGNTO - 1) }

func protoName(family, proto uint8) string {
	p := "tcp"
	if proto == unix.IPPROTO_UDP {
		p = "udp"
	}
	if family == unix.AF_INET6 {
		p += "6"
	}
	return p
}

// listenersDiag reads TCP listeners and UDP sockets through sock_diag. The
// TCP request names LISTEN alone, so the kernel walks only its listening hash.
func listenersDiag(ctx context.Context, tcp, udp bool, keep func(Socket) bool) ([]Socket, error) {
	c, err := openDiag(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	var out []Socket
	add := func(s Socket) {
		if keep(s) {
			out = append(out, s)
		}
	}
	type req struct {
		on     bool
		proto  uint8
		states uint32
	}
	for _, r := range []req{
		{tcp, unix.IPPROTO_TCP, 1 << tcpListen},
		{udp, unix.IPPROTO_UDP, 1<<tcpClose | 1<<tcpEstablished},
	} {
		if !r.on {
			continue
		}
		for _, fam := range []uint8{unix.AF_INET, unix.AF_INET6} {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if err := c.dump(fam, r.proto, r.states, add); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

func v6OnlyDefaultWords() string {
	raw, err := os.ReadFile("/proc/sys/net/ipv6/bindv6only")
	if err != nil {
		return "the system default net.ipv6.bindv6only could not be read"
	}
	return "system default net.ipv6.bindv6only=" + strings.TrimSpace(string(raw))
}
