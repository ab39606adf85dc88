package jrmp

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/carbonprobe/carbonprobe/internal/testnet"
)

// readHeader consumes what Handshake sends: the JRMI header and our client endpoint.
func readHeader(c net.Conn) error {
	b := make([]byte, len(header)+len(clientEndpoint))
	if _, err := io.ReadFull(c, b); err != nil {
		return err
	}
	if !bytes.Equal(b[:len(header)], header) {
		return errors.New("bad header " + hex.EncodeToString(b))
	}
	return nil
}

func TestHandshakeNotJRMP(t *testing.T) {
	httpSrv := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(httpSrv.Close)
	tests := []struct {
		name   string
		addr   string
		expect string
	}{
		{"HTTP server", strings.TrimPrefix(httpSrv.URL, "http://"), `got an HTTP reply "HTTP/1.1 400 Bad Request"`},
		{"closes at once", testnet.Peer(t, "tcp", testnet.Hangup), "without a reply"}, // closed or reset: a race with our write
		{"reads then closes", testnet.Peer(t, "tcp", func(c net.Conn) { _ = readHeader(c) }), "the peer closed without a reply"},
		{"resets", testnet.Peer(t, "tcp", func(c net.Conn) {
			_ = readHeader(c)
			_ = c.(*net.TCPConn).SetLinger(0)
		}), "the peer reset the connection without a reply"},
		{"ProtocolNotSupported", testnet.Peer(t, "tcp", func(c net.Conn) { _ = readHeader(c); _, _ = c.Write([]byte{0x4f}) }), "ProtocolNotSupported (4f)"},
		{"SSH banner first", testnet.Peer(t, "tcp", func(c net.Conn) {
			_, _ = c.Write([]byte("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"))
			_ = readHeader(c)
		}), `got an SSH banner "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3"`},
		{"TLS alert", testnet.Peer(t, "tcp", func(c net.Conn) { _ = readHeader(c); _, _ = c.Write([]byte{0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x32}) }), "got a TLS alert (decode_error, level 2)"},
		{"binary garbage", testnet.Peer(t, "tcp", func(c net.Conn) { _ = readHeader(c); _, _ = c.Write([]byte{0x00, 0x01, 0x02, 0xff}) }), "got garbage (hex 000102ff)"},
		{"huge ack host", testnet.Peer(t, "tcp", func(c net.Conn) { _ = readHeader(c); _, _ = c.Write([]byte{0x4e, 0xff, 0xff}) }), "ProtocolAck announces a host of 65535 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testnet.Dial(t, tt.addr)
			seen, err := Handshake(testnet.Context(t, 5*time.Second), c)
			if !errors.Is(err, ErrNotJRMP) {
				t.Fatalf("Handshake = %q, %v; want ErrNotJRMP", seen, err)
			}
			if !strings.Contains(err.Error(), tt.expect) {
				t.Errorf("error %q does not contain %q", err, tt.expect)
			}
			if strings.ContainsAny(err.Error(), "\r\n") {
				t.Errorf("error spans lines: %q", err)
			}
		})
	}
}

func TestHandshakeSilentPeerEndsAtDeadline(t *testing.T) {
	addr := testnet.Peer(t, "tcp", testnet.Ignore)
	c := testnet.Dial(t, addr)
	start := time.Now()
	_, err := Handshake(testnet.Context(t, 300*time.Millisecond), c)
	if !errors.Is(err, ErrNotJRMP) || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("err = %v, want ErrNotJRMP and a deadline error", err)
	}
	// Generous bound: the point is "ends at the deadline", not its precision.
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("returned after %v with a 300ms deadline", d)
	}
}

func TestCancelWakesBlockedRead(t *testing.T) {
	addr := testnet.Peer(t, "tcp", testnet.Ignore)
	c := testnet.Dial(t, addr)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err := Handshake(ctx, c)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestEndlessStreamBoundedMemory(t *testing.T) {
	const hundredMB = 100 << 20
	ack := capture(t, "ack.bin")
	tests := []struct {
		name   string
		handle func(net.Conn)
		run    func(context.Context, net.Conn) error
		expect string
	}{
		{"text before the ack", func(c net.Conn) { testnet.Flood(nil, []byte("AAAA"), hundredMB)(c) },
			func(ctx context.Context, c net.Conn) error { _, err := Handshake(ctx, c); return err }, "not JRMP"},
		{"endless ReturnData block", func(c net.Conn) {
			if readHeader(c) != nil {
				return
			}
			_, _ = c.Write(ack)
			_, _ = c.Read(make([]byte, 64)) // the call
			_, _ = c.Write([]byte{0x51, 0xac, 0xed, 0x00, 0x05, 0x7a, 0x7f, 0xff, 0xff, 0xff})
			testnet.Flood(nil, []byte{0x01}, hundredMB)(c)
		}, func(ctx context.Context, c net.Conn) error {
			if _, err := Handshake(ctx, c); err != nil {
				return err
			}
			_, err := List(ctx, c)
			return err
		}, "larger than the read limit"},
		{"endless nested objects", func(c net.Conn) {
			if readHeader(c) != nil {
				return
			}
			_, _ = c.Write(ack)
			_, _ = c.Read(make([]byte, 64))
			_, _ = c.Write(capture(t, "list-jmxrmi.bin")[:22])
			// An array of Object claiming 2^31-1 elements, each a new String.
			_, _ = c.Write([]byte{0x75, 0x72, 0x00, 0x13})
			_, _ = c.Write([]byte("[Ljava.lang.Object;"))
			_, _ = c.Write([]byte{0, 0, 0, 0, 0, 0, 0, 1, 0x02, 0x00, 0x00, 0x78, 0x70, 0x7f, 0xff, 0xff, 0xff})
			testnet.Flood(nil, []byte{0x74, 0x00, 0x03, 'a', 'b', 'c'}, hundredMB)(c)
		}, func(ctx context.Context, c net.Conn) error {
			if _, err := Handshake(ctx, c); err != nil {
				return err
			}
			_, err := Lookup(ctx, c, "jmxrmi")
			return err
		}, "larger than the read limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := testnet.Peer(t, "tcp", tt.handle)
			c := &testnet.Counted{Conn: testnet.Dial(t, addr)}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			err := tt.run(testnet.Context(t, 10*time.Second), c)
			runtime.ReadMemStats(&after)
			if err == nil || !strings.Contains(err.Error(), tt.expect) {
				t.Fatalf("err = %v, want one containing %q", err, tt.expect)
			}
			// Per exchange at most MaxReply bytes; the handshake is an exchange too.
			if n := c.BytesRead(); n > 2*MaxReply {
				t.Errorf("read %d bytes from a 100 MB stream, limit %d per exchange", n, MaxReply)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8<<20 {
				t.Errorf("allocated %d bytes walking a hostile stream", alloc)
			}
		})
	}
}

// readMsg reads one client message whole: a registry Call (with its
// argument when it is lookup), a DgcAck or a Ping.
func readMsg(c net.Conn) ([]byte, error) {
	op := make([]byte, 1)
	if _, err := io.ReadFull(c, op); err != nil {
		return nil, err
	}
	msg := op
	more := func(n int) error {
		b := make([]byte, n)
		_, err := io.ReadFull(c, b)
		msg = append(msg, b...)
		return err
	}
	switch op[0] {
	case msgCall:
		if err := more(4 + 2 + 34); err != nil {
			return msg, err
		}
		if msg[len(msg)-9] == opLookup {
			if err := more(3); err != nil {
				return msg, err
			}
			return msg, more(int(msg[len(msg)-2])<<8 | int(msg[len(msg)-1]))
		}
	case msgDgcAck:
		return msg, more(14)
	}
	return msg, nil
}

// fakeRegistry answers the client's calls with JDK 17 captures, one reply per
// call, and records every message the client sent after the handshake. Once
// the replies are used up it reads one more message (the DgcAck, or a call it
// answers by closing the connection).
func fakeRegistry(t *testing.T, replies ...[]byte) (addr string, sent func() []byte) {
	var mu sync.Mutex
	var got bytes.Buffer
	done := make(chan struct{})
	addr = testnet.Peer(t, "tcp", func(c net.Conn) {
		defer close(done)
		if readHeader(c) != nil {
			return
		}
		if _, err := c.Write(capture(t, "ack.bin")); err != nil {
			return
		}
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		for i := 0; i <= len(replies); i++ {
			msg, err := readMsg(c)
			mu.Lock()
			got.Write(msg)
			mu.Unlock()
			if err != nil || i == len(replies) {
				return
			}
			if _, err := c.Write(replies[i]); err != nil {
				return
			}
		}
	})
	return addr, func() []byte {
		<-done
		mu.Lock()
		defer mu.Unlock()
		return got.Bytes()
	}
}

func TestProbeRegistryExactBytesAndDgcAck(t *testing.T) {
	list, lookup := capture(t, "list-jmxrmi.bin"), capture(t, "lookup-unicastref.bin")
	addr, sent := fakeRegistry(t, list, lookup)
	c := testnet.Dial(t, addr)
	res, err := Probe(testnet.Context(t, 5*time.Second), c)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if res.Role != RoleRegistry || res.SeenAs != "127.0.0.1:40610" || len(res.Names) != 1 || res.Names[0] != "jmxrmi" ||
		res.JMX == nil || res.JMX.Addr() != "127.0.0.1:42111" || res.Lookup != "" {
		t.Errorf("Probe = %+v (JMX %v)", res, res.JMX)
	}
	// Research notes 4.2: list() and lookup("jmxrmi") calls, then the DgcAck
	// echoing the lookup reply's UID (list's String[] needs none).
	want := "50aced00057722" + strings.Repeat("00", 22) + "00000001" + "44154dc9d4e63bdf" +
		"50aced00057722" + strings.Repeat("00", 22) + "00000002" + "44154dc9d4e63bdf" + "7400066a6d78726d69" +
		"54" + hex.EncodeToString(lookup[8:22])
	if got := hex.EncodeToString(sent()); got != want {
		t.Errorf("client sent\n%s\nwant\n%s", got, want)
	}
}

func TestProbeRoles(t *testing.T) {
	tests := []struct {
		name    string
		replies [][]byte
		role    Role
		lookup  string
		detail  string
	}{
		{"registry without jmxrmi", [][]byte{capture(t, "list-empty.bin"), capture(t, "lookup-notbound.bin")}, RoleRegistry, "NotBoundException: jmxrmi", ""},
		{"RMI server port", [][]byte{capture(t, "lookup-nosuchobject.bin")}, RoleObjectEndpoint, "", "no registry object here: NoSuchObjectException: no such object in table"},
		{"ack then close", nil, RoleUnknown, "", "list(): the peer closed the connection instead of returning"},
		{"ack then garbage", [][]byte{[]byte("garbage")}, RoleUnknown, "", "list(): expected ReturnData (51), got 67"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr, _ := fakeRegistry(t, tt.replies...)
			c := testnet.Dial(t, addr)
			res, err := Probe(testnet.Context(t, 5*time.Second), c)
			if err != nil {
				t.Fatal(err)
			}
			if res.Role != tt.role || res.Lookup != tt.lookup || res.Detail != tt.detail || res.JMX != nil {
				t.Errorf("Probe = %+v", res)
			}
		})
	}
}

func TestPing(t *testing.T) {
	addr := testnet.Peer(t, "tcp", func(c net.Conn) {
		if readHeader(c) != nil {
			return
		}
		_, _ = c.Write(capture(t, "ack.bin"))
		b := make([]byte, 1)
		if _, err := io.ReadFull(c, b); err == nil && b[0] == msgPing {
			_, _ = c.Write(capture(t, "pingack.bin"))
		}
	})
	c := testnet.Dial(t, addr)
	ctx := testnet.Context(t, 5*time.Second)
	if _, err := Handshake(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := Ping(ctx, c); err != nil {
		t.Fatal(err)
	}
	// A second ping gets no answer: the server closed.
	if err := Ping(ctx, c); err == nil {
		t.Fatal("ping after close succeeded")
	}
}
