package peek

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/carbonprobe/carbonprobe/internal/testnet"
)

func TestArm(t *testing.T) {
	for _, tc := range []struct {
		name               string
		deadline, fallback time.Duration // deadline 0: the context has none
	}{
		{"deadline from the context", 100 * time.Millisecond, time.Hour},
		{"fallback without a context deadline", 0, 100 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := testnet.Dial(t, testnet.Peer(t, "tcp", testnet.Ignore))
			ctx := context.Background()
			if tc.deadline > 0 {
				ctx = testnet.Context(t, tc.deadline)
			}
			stop, err := Arm(ctx, c, tc.fallback)
			if err != nil {
				t.Fatal(err)
			}
			defer stop()
			if _, err := c.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("read from a silent peer: %v, want the deadline", err)
			}
		})
	}
	t.Run("cancel wakes a blocked read", func(t *testing.T) {
		c := testnet.Dial(t, testnet.Peer(t, "tcp", testnet.Ignore))
		ctx, cancel := context.WithCancel(context.Background())
		stop, err := Arm(ctx, c, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer stop()
		time.AfterFunc(50*time.Millisecond, cancel)
		if _, err := c.Read(make([]byte, 1)); !IsTimeout(err) {
			t.Fatalf("read after cancel: %v, want it cut short", err)
		}
	})
	t.Run("refuses", func(t *testing.T) {
		if _, err := Arm(context.Background(), nil, 0); err == nil || err.Error() != "nil connection" {
			t.Errorf("nil conn: %v", err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		c := testnet.Dial(t, testnet.Peer(t, "tcp", testnet.Ignore))
		if _, err := Arm(ctx, c, 0); !errors.Is(err, context.Canceled) || err.Error() != "not started: context canceled" {
			t.Errorf("done context: %v", err)
		}
	})
}

// The recorder stops at its limit, keeps the first bytes and the error that
// ended the reads, and stands a library reading from its own goroutine.
func TestRecorder(t *testing.T) {
	const limit = 100 << 10
	c := &testnet.Counted{Conn: testnet.Dial(t, testnet.Peer(t, "tcp", testnet.Flood([]byte("SSH-2.0-x\r\n"), []byte{0xff}, 100<<20)))}
	r := NewRecorder(c, limit)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = r.First(); _ = r.Err(); _ = r.Exhausted() }()
	n, err := io.Copy(io.Discard, r)
	wg.Wait()
	if n != limit || !errors.Is(err, ErrTooLong) || err.Error() != "reply longer than the read limit of 100 KiB" {
		t.Fatalf("read %d bytes, %v; want %d and the limit", n, err, limit)
	}
	if c.BytesRead() != limit || !r.Exhausted() || !errors.Is(r.Err(), ErrTooLong) {
		t.Errorf("read %d from the socket, exhausted %v, err %v", c.BytesRead(), r.Exhausted(), r.Err())
	}
	if first := r.First(); len(first) != FirstBytes || Identify(first) != "SSH" {
		t.Errorf("first bytes %q", first)
	}
	r.Fail(errors.New("later"))
	if !errors.Is(r.Err(), ErrTooLong) {
		t.Errorf("Fail replaced the first error: %v", r.Err())
	}
	if _, err := r.Write([]byte("x")); err != nil {
		t.Errorf("writes go to the connection: %v", err)
	}
}

func TestRecorderKeepsTheReadError(t *testing.T) {
	r := NewRecorder(testnet.Dial(t, testnet.Peer(t, "tcp", testnet.Send([]byte("hi")))), 1<<10)
	_ = r.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	b, err := io.ReadAll(r)
	if string(b) != "hi" || !IsTimeout(err) || r.Err() != err || r.Exhausted() {
		t.Fatalf("read %q, %v; recorded %v", b, err, r.Err())
	}
}

func TestFailure(t *testing.T) {
	var timeout net.Error = &net.OpError{Op: "read", Err: os.ErrDeadlineExceeded}
	for _, tc := range []struct {
		err  error
		want string
	}{
		{nil, ""},
		{timeout, SeenTimeout},
		{context.DeadlineExceeded, SeenTimeout},
		{io.EOF, SeenClosed},
		{fmt.Errorf("header: %w", io.ErrUnexpectedEOF), SeenClosed},
		{&net.OpError{Op: "read", Err: os.NewSyscallError("read", syscall.ECONNRESET)}, SeenReset},
		{syscall.EPIPE, SeenReset},
		{tooLong(64 << 10), SeenEndless},
		{errors.New("something else"), ""},
	} {
		if got := Failure(tc.err); got != tc.want {
			t.Errorf("Failure(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
