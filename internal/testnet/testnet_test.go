package testnet

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"testing"
	"time"
)

func TestPeerHandlers(t *testing.T) {
	t.Run("Send", func(t *testing.T) {
		c := Dial(t, Peer(t, "tcp", Send([]byte("hello"))))
		b := make([]byte, 5)
		if _, err := io.ReadFull(c, b); err != nil || string(b) != "hello" {
			t.Fatalf("read %q, %v", b, err)
		}
	})
	t.Run("Hangup", func(t *testing.T) {
		c := Dial(t, Peer(t, "tcp", Hangup))
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if n, err := c.Read(make([]byte, 1)); n != 0 || !errors.Is(err, io.EOF) {
			t.Fatalf("read %d, %v; want EOF", n, err)
		}
	})
	t.Run("Ignore", func(t *testing.T) {
		c := Dial(t, Peer(t, "tcp", Ignore))
		if _, err := c.Write([]byte("anyone there?")); err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		if n, err := c.Read(make([]byte, 1)); n != 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("read %d, %v; want a timeout", n, err)
		}
	})
	t.Run("tcp6", func(t *testing.T) {
		ln, err := net.Listen("tcp6", "[::1]:0")
		if err != nil {
			t.Skip("no IPv6 loopback:", err)
		}
		ln.Close()
		addr := Peer(t, "tcp6", Send([]byte("6")))
		if host, _, _ := net.SplitHostPort(addr); host != "::1" {
			t.Fatalf("tcp6 peer on %s", addr)
		}
		b := make([]byte, 1)
		if _, err := io.ReadFull(Dial(t, addr), b); err != nil || b[0] != '6' {
			t.Fatalf("read %q, %v", b, err)
		}
	})
}

// Flood sends the prefix, then the pattern, and stops at the limit exactly;
// Counted counts what went through.
func TestFloodStopsAtLimit(t *testing.T) {
	const limit = 200<<10 + 3
	c := &Counted{Conn: Dial(t, Peer(t, "tcp", Flood([]byte("HEAD"), []byte{0xab, 0xcd, 0xef}, limit)))}
	if _, err := c.Write([]byte("request")); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != limit || !bytes.HasPrefix(got, []byte("HEAD\xab\xcd\xef\xab")) {
		t.Fatalf("read %d bytes starting % x, want %d starting HEAD and the pattern", len(got), got[:min(len(got), 8)], limit)
	}
	if c.BytesRead() != limit || c.BytesWritten() != int64(len("request")) {
		t.Errorf("counted %d read, %d written", c.BytesRead(), c.BytesWritten())
	}
}

// A handler blocked on a client that never goes away does not hold the
// test's cleanup: the peer hangs up on it.
func TestPeerCleanupHangsUp(t *testing.T) {
	var c net.Conn
	t.Run("inner", func(t *testing.T) {
		var err error
		// Dialled outside the test's cleanups, so only the peer can end it.
		c, err = net.Dial("tcp", Peer(t, "tcp", Ignore))
		if err != nil {
			t.Fatal(err)
		}
	})
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Fatalf("read after cleanup: %v, want EOF", err)
	}
}

func TestStreamer(t *testing.T) {
	s := Streamer(t, 100<<10)
	c := Dial(t, net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Port)))
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	got, err := io.ReadAll(c)
	if err != nil || len(got) != 100<<10 {
		t.Fatalf("read %d bytes, %v; want %d", len(got), err, 100<<10)
	}
	if s.Sent() != 100<<10 {
		t.Errorf("Sent = %d, want %d", s.Sent(), 100<<10)
	}
}

func TestUDPPeers(t *testing.T) {
	echo := DialUDP(t, net.JoinHostPort("127.0.0.1", strconv.Itoa(UDPEcho(t))))
	if _, err := echo.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	_ = echo.SetReadDeadline(time.Now().Add(5 * time.Second))
	b := make([]byte, 16)
	if n, err := echo.Read(b); err != nil || string(b[:n]) != "ok" {
		t.Fatalf("echo: %q, %v", b[:n], err)
	}

	got := make(chan []byte, 1)
	c := DialUDP(t, UDPPeer(t, func(b []byte) []byte { got <- append([]byte(nil), b...); return nil }))
	if _, err := c.Write([]byte("quiet")); err != nil {
		t.Fatal(err)
	}
	if b := <-got; string(b) != "quiet" {
		t.Fatalf("peer got %q", b)
	}
	_ = c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if _, err := c.Read(b); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("a peer that returns nil answered: %v", err)
	}
}
