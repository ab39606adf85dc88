package connect

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/net/nettest"
	"golang.org/x/sys/unix"

	"github.com/carbonprobe/carbonprobe/internal/testnet"
)

var lo4 = netip.MustParseAddr("127.0.0.1")

func TestOutcomes(t *testing.T) {
	up := testnet.Listen(t, "127.0.0.1:0").Port
	down := testnet.Refused(t)
	silent := testnet.Silent(t)
	for _, f := range []struct {
		name string
		fn   func(netip.Addr, int) Outcome
	}{{"Once", Once}, {"Serial", Serial}} {
		t.Run(f.name, func(t *testing.T) {
			for _, tc := range []struct {
				addr netip.Addr
				port int
				want Outcome
			}{
				{lo4, up, Accepted},
				{lo4, down, Refused},
				{netip.AddrFrom16(lo4.As16()), up, Accepted}, // v4-mapped
				{lo4, silent, Unknown},                       // the handshake cannot complete at once
				{netip.MustParseAddr("fe80::1%lo"), up, Unknown},
				{netip.Addr{}, up, Unknown},
			} {
				if got := f.fn(tc.addr, tc.port); got != tc.want {
					t.Errorf("%s(%s, %d) = %s, want %s", f.name, tc.addr, tc.port, got, tc.want)
				}
			}
		})
	}
}

func TestIPv6Loopback(t *testing.T) {
	if !nettest.SupportsIPv6() {
		t.Skip("no IPv6 here")
	}
	up := testnet.Listen(t, "[::1]:0").Port
	for _, fn := range []func(netip.Addr, int) Outcome{Once, Serial} {
		if got := fn(netip.IPv6Loopback(), up); got != Accepted {
			t.Errorf("::1 port %d: %s", up, got)
		}
	}
}

// peerPorts listens on n loopback ports and records the remote port of every
// connection, and whether the connection ended with a reset.
type peerPorts struct {
	mu     sync.Mutex
	remote []int
	resets int
	eofs   int
	ports  []int
}

func listenMany(t *testing.T, n int) *peerPorts {
	t.Helper()
	p := &peerPorts{}
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		p.ports = append(p.ports, ln.Addr().(*net.TCPAddr).Port)
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				go func() {
					defer c.Close()
					c.SetReadDeadline(time.Now().Add(5 * time.Second))
					_, err := c.Read(make([]byte, 1))
					p.mu.Lock()
					defer p.mu.Unlock()
					p.remote = append(p.remote, c.RemoteAddr().(*net.TCPAddr).Port)
					switch {
					case errors.Is(err, syscall.ECONNRESET):
						p.resets++
					case err != nil:
						p.eofs++
					}
				}()
			}
		}()
	}
	return p
}

// wait waits until n connections have ended on the server side.
func (p *peerPorts) wait(n int) {
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		p.mu.Lock()
		got := len(p.remote)
		p.mu.Unlock()
		if got >= n {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestSerialKeepsOneSocket: every connection after the first comes from the
// same local port (the socket is kept and its port pinned), each is reset
// rather than closed (no TIME-WAIT on either side), and the socket is
// closed once idle.
func TestSerialKeepsOneSocket(t *testing.T) {
	p := listenMany(t, 20)
	for _, port := range p.ports {
		if got := Serial(lo4, port); got != Accepted {
			t.Fatalf("port %d: %s", port, got)
		}
	}
	kept.Lock()
	pinned := 0
	if s := kept.socks[unix.AF_INET]; s != nil {
		pinned = s.pinned
	}
	kept.Unlock()
	if pinned == 0 {
		t.Fatal("no local port pinned after the first connection")
	}
	p.wait(len(p.ports))
	p.mu.Lock()
	for i, r := range p.remote {
		if r != pinned && i > 0 {
			t.Errorf("connection %d came from port %d, want the pinned %d", i, r, pinned)
		}
	}
	if p.resets != len(p.ports) {
		t.Errorf("%d of %d connections reset (%d closed): want every one reset", p.resets, len(p.ports), p.eofs)
	}
	p.mu.Unlock()

	// A target port equal to the pinned one would connect the socket to
	// itself (TCP simultaneous open) and look accepted: it must not.
	if got := Serial(lo4, pinned); got != Refused {
		t.Errorf("the pinned port %d itself: %s, want refused (nothing listens there)", pinned, got)
	}

	time.Sleep(idleClose + 50*time.Millisecond)
	kept.Lock()
	left := len(kept.socks)
	kept.Unlock()
	if left != 0 {
		t.Errorf("%d sockets still kept after %v idle", left, idleClose)
	}
}

// TestOnceClosesPolitely: Once ends an accepted connection with an orderly
// close, as a client does (the server reads EOF, not a reset).
func TestOnceClosesPolitely(t *testing.T) {
	p := listenMany(t, 1)
	if got := Once(lo4, p.ports[0]); got != Accepted {
		t.Fatal(got)
	}
	p.wait(1)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.eofs != 1 || p.resets != 0 {
		t.Errorf("%d EOF, %d resets; want one EOF", p.eofs, p.resets)
	}
}
