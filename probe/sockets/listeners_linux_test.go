//go:build linux

package sockets

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/carbonprobe/carbonprobe/probe/procs/procstest"
)

func TestMain(m *testing.M) {
	procstest.Main()
	nobodyChild()
	os.Exit(m.Run())
}

func ipv6OK() bool {
	l, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// inodeOf reads the socket inode behind a Go socket, as the kernel table
// should report it.
func inodeOf(t *testing.T, c syscall.Conn) uint64 {
	t.Helper()
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var st syscall.Stat_t
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = syscall.Fstat(int(fd), &st) }); err != nil {
		t.Fatal(err)
	}
	if serr != nil {
		t.Fatal(serr)
	}
	return st.Ino
}

type made struct {
	proto, state, scope string
	local, remote       netip.AddrPort
	inode               uint64
	v6only              bool
	v6                  bool
}

func mustAddrPort(t *testing.T, a net.Addr) netip.AddrPort {
	t.Helper()
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		t.Fatal(err)
	}
	return ap
}

// openTestSockets opens one socket of each kind the table must tell apart,
// plus an established TCP connection that it must leave out.
func openTestSockets(t *testing.T) (want []made, established []uint64) {
	t.Helper()
	listen := func(network, addr, scope string, v6only bool) {
		l, err := net.Listen(network, addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
		la := mustAddrPort(t, l.Addr())
		if network == "tcp4" {
			la = netip.AddrPortFrom(la.Addr().Unmap(), la.Port())
		}
		want = append(want, made{TCP, StateListen, scope, la, netip.AddrPort{}, inodeOf(t, l.(*net.TCPListener)), v6only, network != "tcp4"})
	}
	listen("tcp4", "127.0.0.1:0", "loopback only", false)
	listen("tcp4", "0.0.0.0:0", "all IPv4 addresses", false)
	if ipv6OK() {
		// Go's "tcp" on [::] clears IPV6_V6ONLY; "tcp6" sets it.
		listen("tcp", "[::]:0", "all addresses (IPv4 and IPv6)", false)
		listen("tcp6", "[::]:0", "all IPv6 addresses (IPv6 only)", true)
		listen("tcp6", "[::1]:0", "loopback only", true)
	}

	u, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4zero})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { u.Close() })
	ua := mustAddrPort(t, u.LocalAddr())
	ua = netip.AddrPortFrom(netip.IPv4Unspecified(), ua.Port())
	want = append(want, made{UDP, StateUnconn, "all IPv4 addresses", ua, netip.AddrPortFrom(netip.IPv4Unspecified(), 0), inodeOf(t, u), false, false})

	cu, err := net.DialUDP("udp4", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: int(ua.Port())})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cu.Close() })
	want = append(want, made{UDP, StateEstab, "loopback only", mustAddrPort(t, cu.LocalAddr()), netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), ua.Port()), inodeOf(t, cu), false, false})

	c, err := net.Dial("tcp4", want[0].local.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return want, []uint64{inodeOf(t, c.(*net.TCPConn))}
}

func TestListenersSeeEachKind(t *testing.T) {
	want, established := openTestSockets(t)
	var ports []uint16
	for _, w := range want {
		ports = append(ports, w.local.Port())
	}
	for _, src := range []struct {
		name string
		src  int
	}{{"sock_diag", sourceDiag}, {"proc_net", sourceProcNet}} {
		t.Run(src.name, func(t *testing.T) {
			defer setSource(src.src)()
			socks, err := Listeners(context.Background(), Filter{Ports: ports})
			if err != nil {
				t.Fatal(err)
			}
			byInode := map[uint64]Socket{}
			for _, s := range socks {
				byInode[s.Inode] = s
			}
			for _, e := range established {
				if s, ok := byInode[e]; ok {
					t.Errorf("an established TCP connection is listed: %v", s)
				}
			}
			for _, w := range want {
				s, ok := byInode[w.inode]
				if !ok {
					t.Errorf("%s %v (inode %d) missing from %v", w.proto, w.local, w.inode, socks)
					continue
				}
				if s.Proto != w.proto || s.State != w.state || s.Local != w.local || s.UID != uint32(os.Geteuid()) {
					t.Errorf("got %v uid %d; want %s %v %s uid %d", s, s.UID, w.proto, w.local, w.state, os.Geteuid())
				}
				if w.proto == UDP && s.Remote != w.remote {
					t.Errorf("%v: remote %v; want %v", s, s.Remote, w.remote)
				}
				knowV6 := src.src == sourceDiag && w.v6
				if s.V6OnlyKnown != knowV6 || (knowV6 && s.V6Only != w.v6only) {
					t.Errorf("%v: V6Only %v known %v; want %v known %v", s, s.V6Only, s.V6OnlyKnown, w.v6only, knowV6)
				}
				scope := w.scope
				if !knowV6 && w.local.Addr().Is6() && w.local.Addr().IsUnspecified() {
					raw, _ := os.ReadFile("/proc/sys/net/ipv6/bindv6only")
					scope = "all IPv6 addresses, and IPv4 too unless the program set IPV6_V6ONLY (system default net.ipv6.bindv6only=" + strings.TrimSpace(string(raw)) + ")"
				}
				if got := s.Scope(); got != scope {
					t.Errorf("%v: scope %q; want %q", s, got, scope)
				}
			}
		})
	}
}

func TestListenersFilter(t *testing.T) {
	want, _ := openTestSockets(t)
	tcpPort, udpPort := want[0].local.Port(), want[len(want)-2].local.Port()
	ctx := context.Background()

	socks, err := Listeners(ctx, Filter{Protos: []string{UDP}, Ports: []uint16{tcpPort, udpPort}})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range socks {
		if s.Proto != UDP || (s.Local.Port() != tcpPort && s.Local.Port() != udpPort) {
			t.Errorf("filter let through %v", s)
		}
	}
	if len(socks) == 0 {
		t.Error("the UDP socket was filtered out")
	}
	socks, err = Listeners(ctx, Filter{Protos: []string{TCP}, Ports: []uint16{tcpPort}})
	if err != nil || len(socks) != 1 || socks[0].Inode != want[0].inode {
		t.Errorf("got %v, %v; want the one listener on %d", socks, err, tcpPort)
	}
	if _, err := Listeners(ctx, Filter{Protos: []string{"sctp"}}); err == nil || !strings.Contains(err.Error(), `got "sctp"`) {
		t.Errorf("unknown protocol: got %v", err)
	}
}

func TestListenersContextDeadline(t *testing.T) {
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	if _, err := Listeners(ctx, Filter{}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v; want the deadline error", err)
	}
}

func TestOwnersOfOwnSockets(t *testing.T) {
	want, _ := openTestSockets(t)
	self := os.Getpid()
	owned, err := OwnedBy(self)
	if err != nil {
		t.Fatal(err)
	}
	var inodes []uint64
	var socks []Socket
	for _, w := range want {
		if !owned[w.inode] {
			t.Errorf("OwnedBy(self) lacks inode %d (%v)", w.inode, w.local)
		}
		inodes = append(inodes, w.inode)
		socks = append(socks, Socket{Inode: w.inode, UID: uint32(os.Geteuid())})
	}
	check := func(name string, got map[uint64]Process, notes []string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, ino := range inodes {
			p := got[ino]
			if p.PID != self || p.UID != uint32(os.Geteuid()) || strings.Join(p.Cmdline, " ") != strings.Join(os.Args, " ") {
				t.Errorf("%s: owner of %d = %+v; want this test process", name, ino, p)
			}
		}
		if len(notes) != 0 {
			t.Errorf("%s: notes %q", name, notes)
		}
	}
	got, notes, err := FindOwners(context.Background(), inodes)
	check("FindOwners", got, notes, err)
	got, notes, err = Owners(context.Background(), socks, self)
	check("Owners with hint", got, notes, err)
	got, notes, err = Owners(context.Background(), socks, 0)
	check("Owners without hint", got, notes, err)
}

func TestOwnersNotFound(t *testing.T) {
	const nowhere = 1 << 40 // socket inodes are 32-bit
	got, notes, err := FindOwners(context.Background(), []uint64{nowhere})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := got[nowhere]; ok || len(notes) == 0 || !strings.HasPrefix(notes[0], "no owner found for 1 socket") {
		t.Errorf("got %v, notes %q", got, notes)
	}
	_, notes, _ = Owners(context.Background(), []Socket{{Inode: nowhere}}, exitedPID(t))
	if len(notes) < 2 || !strings.Contains(notes[0], "is not running") {
		t.Errorf("a gone hint: notes %q", notes)
	}
}

func TestOwnersContextCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := FindOwners(ctx, []uint64{1 << 40}); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v", err)
	}
}

func exitedPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

func TestSocketInodesOfVanishedProcess(t *testing.T) {
	if err := socketInodes(exitedPID(t), func(uint64) bool { return true }); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("got %v; want fs.ErrNotExist", err)
	}
	if _, err := OwnedBy(exitedPID(t)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("OwnedBy: got %v; want fs.ErrNotExist", err)
	}
}

func TestSocketInode(t *testing.T) {
	for in, want := range map[string]uint64{"socket:[12345]": 12345, "socket:[]": 0, "pipe:[5]": 0, "/dev/null": 0, "socket:[1x]": 0, "socket:[4294967296]": 4294967296} {
		got, ok := socketInode([]byte(in))
		if got != want || ok != (want != 0) {
			t.Errorf("socketInode(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
}

// TestOwnedByManyFds drives the pipelined fd reading: enough fds for several
// getdents batches, every socket among them found, and an early stop.
func TestOwnedByManyFds(t *testing.T) {
	var inodes []uint64
	for range 3000 {
		u, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { u.Close() })
		inodes = append(inodes, inodeOf(t, u))
	}
	owned, err := OwnedBy(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	for _, ino := range inodes {
		if !owned[ino] {
			t.Fatalf("OwnedBy lacks inode %d of %d sockets", ino, len(inodes))
		}
	}
	seen := 0
	if err := socketInodes(os.Getpid(), func(ino uint64) bool { seen++; return ino != inodes[1000] }); err != nil {
		t.Fatal(err)
	}
	if seen >= len(owned) {
		t.Errorf("socketInodes did not stop early: saw %d of %d", seen, len(owned))
	}
	got, notes, err := FindOwners(context.Background(), []uint64{inodes[10], inodes[2999]})
	if err != nil || got[inodes[10]].PID != os.Getpid() || got[inodes[2999]].PID != os.Getpid() || len(notes) != 0 {
		t.Errorf("FindOwners: %v %q %v", got, notes, err)
	}
}
