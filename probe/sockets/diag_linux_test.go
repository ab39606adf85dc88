//go:build linux

package sockets

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"testing"

	"golang.org/x/sys/unix"
)

func nlmsg(typ, flags uint16, seq uint32, body []byte) []byte {
	ne := binary.NativeEndian
	b := make([]byte, nlmAlign(unix.NLMSG_HDRLEN+len(body)))
	ne.PutUint32(b[0:], uint32(unix.NLMSG_HDRLEN+len(body)))
	ne.PutUint16(b[4:], typ)
	ne.PutUint16(b[6:], flags)
	ne.PutUint32(b[8:], seq)
	copy(b[unix.NLMSG_HDRLEN:], body)
	return b
}

func diagMsg(family, state uint8, local, remote netip.AddrPort, uid, inode uint32, v6only int) []byte {
	ne, be := binary.NativeEndian, binary.BigEndian
	m := make([]byte, sizeofMsg)
	m[0], m[1] = family, state
	be.PutUint16(m[4:], local.Port())
	be.PutUint16(m[6:], remote.Port())
	src, dst := local.Addr().As16(), remote.Addr().As16()
	if family == unix.AF_INET {
		s4, d4 := local.Addr().As4(), remote.Addr().As4()
		copy(m[8:], s4[:])
		copy(m[24:], d4[:])
	} else {
		copy(m[8:], src[:])
		copy(m[24:], dst[:])
	}
	ne.PutUint32(m[64:], uid)
	ne.PutUint32(m[68:], inode)
	if v6only >= 0 {
		attr := make([]byte, 8)
		ne.PutUint16(attr[0:], 5)
		ne.PutUint16(attr[2:], attrSKV6Only)
		attr[4] = byte(v6only)
		m = append(m, attr...)
	}
	return m
}

func errMsg(seq uint32, errno unix.Errno) []byte {
	body := make([]byte, 4+unix.NLMSG_HDRLEN)
	binary.NativeEndian.PutUint32(body, uint32(-int32(errno)))
	return nlmsg(unix.NLMSG_ERROR, 0, seq, body)
}

func TestParseDiag(t *testing.T) {
	const seq = 7
	v6 := diagMsg(unix.AF_INET6, tcpListen, netip.MustParseAddrPort("[::]:9443"), netip.MustParseAddrPort("[::]:0"), 1000, 4242, 1)
	v4 := diagMsg(unix.AF_INET, tcpClose, netip.MustParseAddrPort("0.0.0.0:40000"), netip.MustParseAddrPort("0.0.0.0:0"), 0, 77, -1)
	var dgram []byte
	dgram = append(dgram, nlmsg(sockDiagByFamily, unix.NLM_F_MULTI, seq, v6)...)
	dgram = append(dgram, nlmsg(sockDiagByFamily, unix.NLM_F_MULTI, seq+1, v4)...) // another request's: ignored
	dgram = append(dgram, nlmsg(sockDiagByFamily, unix.NLM_F_MULTI|unix.NLM_F_DUMP_INTR, seq, v4)...)
	dgram = append(dgram, nlmsg(unix.NLMSG_DONE, unix.NLM_F_MULTI, seq, make([]byte, 4))...)

	var got []Socket
	done, intr, err := parseDiag(dgram, seq, unix.AF_INET6, unix.IPPROTO_UDP, func(s Socket) { got = append(got, s) })
	if err != nil || !done || !intr {
		t.Fatalf("done %v interrupted %v err %v; want done, interrupted, no error", done, intr, err)
	}
	if len(got) != 2 {
		t.Fatalf("got %v; want 2 sockets", got)
	}
	if s := got[0]; s.Proto != UDP || s.State != StateListen || s.Local.String() != "[::]:9443" || s.UID != 1000 || s.Inode != 4242 || !s.V6Only || !s.V6OnlyKnown {
		t.Errorf("IPv6 message parsed as %+v", s)
	}
	if s := got[1]; s.State != StateUnconn || s.Local.String() != "0.0.0.0:40000" || s.Remote.String() != "0.0.0.0:0" || s.Inode != 77 || s.V6OnlyKnown {
		t.Errorf("IPv4 message parsed as %+v", s)
	}

	_, _, err = parseDiag(errMsg(seq, unix.ENOENT), seq, unix.AF_INET, unix.IPPROTO_UDP, func(Socket) {})
	if !errors.Is(err, errNoDiag) {
		t.Errorf("ENOENT: got %v; want errNoDiag (fall back to /proc/net)", err)
	}
	_, _, err = parseDiag(errMsg(seq, unix.EPERM), seq, unix.AF_INET, unix.IPPROTO_TCP, func(Socket) {})
	if !errors.Is(err, unix.EPERM) || errors.Is(err, errNoDiag) {
		t.Errorf("EPERM: got %v", err)
	}
	bad := nlmsg(sockDiagByFamily, 0, seq, v4)
	binary.NativeEndian.PutUint32(bad, 1000)
	if _, _, err := parseDiag(bad, seq, unix.AF_INET, unix.IPPROTO_TCP, func(Socket) {}); err == nil {
		t.Error("a length past the datagram was accepted")
	}
	if _, _, err := parseDiag(nlmsg(sockDiagByFamily, 0, seq, v4[:40]), seq, unix.AF_INET, unix.IPPROTO_TCP, func(Socket) {}); err == nil {
		t.Error("a short socket message was accepted")
	}
}

func FuzzParseDiag(f *testing.F) {
	v6 := diagMsg(unix.AF_INET6, tcpListen, netip.MustParseAddrPort("[::1]:8243"), netip.MustParseAddrPort("[::]:0"), 0, 1, 0)
	f.Add(append(nlmsg(sockDiagByFamily, 0, 1, v6), nlmsg(unix.NLMSG_DONE, 0, 1, make([]byte, 4))...))
	f.Add(errMsg(1, unix.ENOENT))
	f.Fuzz(func(t *testing.T, b []byte) {
		n := 0
		parseDiag(b, 1, unix.AF_INET6, unix.IPPROTO_TCP, func(s Socket) {
			n++
			if !s.Local.IsValid() || s.Proto != TCP {
				t.Fatalf("invalid socket %+v", s)
			}
		})
		if n > len(b)/(unix.NLMSG_HDRLEN+sizeofMsg) {
			t.Fatalf("%d sockets from %d bytes", n, len(b))
		}
	})
}
