package testnet

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"
)

// server runs a handler on every connection a listener accepts. Its close
// hangs up on the connections still open, so that a handler blocked on a
// peer that never closes cannot hold the test's cleanup.
type server struct {
	ln    net.Listener
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns map[net.Conn]struct{}
	done  bool
}

func serve(ln net.Listener, handle func(net.Conn)) *server {
	s := &server{ln: ln, conns: map[net.Conn]struct{}{}}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if !s.track(c) {
				c.Close()
				return
			}
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer s.untrack(c)
				handle(c)
			}()
		}
	}()
	return s
}

func (s *server) track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return false
	}
	s.conns[c] = struct{}{}
	return true
}

func (s *server) untrack(c net.Conn) {
	c.Close()
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// close stops accepting, hangs up on every open connection and waits for the
// handlers. It may be called more than once.
func (s *server) close() {
	s.ln.Close()
	s.mu.Lock()
	s.done = true
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// loopback is the address to listen on for network: "tcp" and "tcp4" on
// 127.0.0.1, "tcp6" on ::1, always on a port the kernel picks.
func loopback(t testing.TB, network string) string {
	t.Helper()
	switch network {
	case "tcp", "tcp4":
		return "127.0.0.1:0"
	case "tcp6":
		return "[::1]:0"
	}
	t.Fatalf("testnet: network %q: want tcp, tcp4 or tcp6", network)
	return ""
}

// Peer runs handle on every connection accepted on a fresh loopback listener
// of network ("tcp", "tcp4" or "tcp6") and returns its host:port. The
// connection is closed when handle returns. When the test ends the listener
// closes, connections still open are closed, and the handlers are waited for.
func Peer(t testing.TB, network string, handle func(net.Conn)) string {
	t.Helper()
	addr := loopback(t, network)
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Fatalf("listen %s %s: %v", network, addr, err)
	}
	s := serve(ln, handle)
	t.Cleanup(s.close)
	return ln.Addr().String()
}

// UDPPeer answers every datagram sent to a fresh loopback UDP port with
// reply(datagram), or not at all when reply returns nil, and returns its
// host:port. It reads at most 64 KiB a datagram; it stops when the test ends.
func UDPPeer(t testing.TB, reply func([]byte) []byte) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 64<<10)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if out := reply(buf[:n]); out != nil {
				_, _ = pc.WriteTo(out, from)
			}
		}
	}()
	t.Cleanup(func() { pc.Close(); <-done })
	return pc.LocalAddr().String()
}

// Dial connects to a TCP addr and closes the connection when the test ends.
func Dial(t testing.TB, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// DialUDP connects a UDP socket to addr, so that an ICMP port unreachable
// comes back as ECONNREFUSED, and closes it when the test ends.
func DialUDP(t testing.TB, addr string) *net.UDPConn {
	t.Helper()
	c, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c.(*net.UDPConn)
}

// Context is a context that ends after d, or when the test ends.
func Context(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
