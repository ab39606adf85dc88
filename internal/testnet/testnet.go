// Package testnet makes loopback peers for tests: listeners that accept,
// ports that refuse, listeners that never answer a SYN, and scripted or
// hostile peers (silent, hanging up, sending garbage, streaming without end)
// for the protocol verifiers. Every port comes from the kernel (port 0), never
// from a guess, and lives until the test ends; every goroutine a peer starts
// ends with it.
package testnet

import (
	"errors"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Listener accepts connections on loopback and counts how many its peers
// closed, so a test can prove that the prober closed every connection.
type Listener struct {
	Port   int
	srv    *server
	closed atomic.Int64
}

// Listen starts a listener on addr ("127.0.0.1:0", "[::1]:0") that accepts,
// reads until the peer closes, counts that close, and then resets.
func Listen(t testing.TB, addr string) *Listener {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen %s: %v", addr, err)
	}
	l := &Listener{Port: ln.Addr().(*net.TCPAddr).Port}
	l.srv = serve(ln, l.handle)
	t.Cleanup(l.Close)
	return l
}

func (l *Listener) handle(c net.Conn) {
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	var buf [256]byte
	for {
		if _, err := c.Read(buf[:]); err != nil {
			switch {
			case errors.Is(err, io.EOF):
				l.closed.Add(1)
				// Reset rather than close: the prober's socket then skips
				// TIME-WAIT, so repeated runs do not fill the table.
				_ = c.(*net.TCPConn).SetLinger(0)
			case errors.Is(err, syscall.ECONNRESET):
				l.closed.Add(1) // the peer ended it with a reset (probe/connect's Serial does)
			}
			return
		}
	}
}

// PeerClosed is how many accepted connections the peer has closed or reset.
func (l *Listener) PeerClosed() int64 { return l.closed.Load() }

// Close stops the listener and waits for its goroutines.
func (l *Listener) Close() { l.srv.close() }

// Refused returns a loopback TCP port that refuses connections: a socket
// is bound to it (so no one else can take it) but never listens, and the
// kernel answers a SYN with RST.
func Refused(t testing.TB) int {
	t.Helper()
	_, port := boundTCP(t)
	return port
}

// Silent returns a loopback TCP port whose listener never completes a
// handshake: its accept queue (backlog 0) is filled and never drained, so the
// kernel drops further SYNs and a dial can only time out. No outside address
// is involved.
func Silent(t testing.TB) int {
	t.Helper()
	fd, port := boundTCP(t)
	if err := unix.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	addr := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port}
	// Fill the queue: dial until a dial times out, keeping the ones that got in.
	for i := 0; i < 16; i++ {
		d := net.Dialer{Timeout: 200 * time.Millisecond}
		c, err := d.Dial("tcp", addr.String())
		if err != nil {
			return port
		}
		t.Cleanup(func() { c.Close() })
	}
	t.Fatalf("port %d still accepts after 16 queued connections", port)
	return 0
}

// boundTCP binds a TCP socket to a loopback port the kernel picks, without
// listening, and closes it when the test ends.
func boundTCP(t testing.TB) (fd, port int) {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	return fd, sa.(*unix.SockaddrInet4).Port
}

// UDPEcho returns a loopback UDP port that answers every datagram with "ok".
func UDPEcho(t testing.TB) int {
	t.Helper()
	addr := UDPPeer(t, func([]byte) []byte { return []byte("ok") })
	return port(t, addr)
}

func port(t testing.TB, addr string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// UDPSilent returns a loopback UDP port bound by a socket that never answers.
func UDPSilent(t testing.TB) int {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	return pc.LocalAddr().(*net.UDPAddr).Port
}

// UDPUnbound returns a loopback UDP port that nothing is bound to: the kernel
// picks a free one, and the socket is closed at once. Nothing reserves a
// UDP port without also receiving on it, so this is the one port here that
// is free rather than held; the kernel does not hand a just-freed port out
// again at once.
func UDPUnbound(t testing.TB) int {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := pc.LocalAddr().(*net.UDPAddr).Port
	pc.Close()
	return port
}

// Stream is a loopback listener that sends garbage to every peer, up to a
// limit per connection, and counts what the peers took.
type Stream struct {
	Port  int
	mu    sync.Mutex
	conns []*Counted
}

// Sent is how many bytes the peers have taken in all.
func (s *Stream) Sent() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n int64
	for _, c := range s.conns {
		n += c.BytesWritten()
	}
	return n
}

// Streamer starts a Stream that sends up to limit bytes per connection
// without answering anything: a hostile or broken peer.
func Streamer(t testing.TB, limit int64) *Stream {
	t.Helper()
	pattern := make([]byte, 32<<10)
	for i := range pattern {
		pattern[i] = byte(i*7 + 13) // not the start of any protocol's reply
	}
	flood := Flood(nil, pattern, limit)
	s := &Stream{}
	s.Port = port(t, Peer(t, "tcp", func(c net.Conn) {
		_ = c.SetWriteDeadline(time.Now().Add(30 * time.Second))
		cc := &Counted{Conn: c}
		s.mu.Lock()
		s.conns = append(s.conns, cc)
		s.mu.Unlock()
		flood(cc)
	}))
	return s
}
