package wait

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/carbonprobe/carbonprobe/expect"
	"github.com/carbonprobe/carbonprobe/probe/procs/procstest"
	"github.com/carbonprobe/carbonprobe/target"
)

func TestMain(m *testing.M) {
	procstest.Main() // the fake Carbon servers are this binary, re-executed
	os.Exit(m.Run())
}

// late is a loopback port that refuses until it starts listening.
type late struct {
	Port   int
	fd     int
	mu     sync.Mutex
	ln     net.Listener
	listen chan time.Time // gets the moment listen(2) returned
}

// lateListener reserves a loopback port the kernel picks (bound, not
// listening, so it refuses and nobody else can take it) and starts listening
// on it after delay; a negative delay never listens.
func lateListener(t testing.TB, delay time.Duration) *late {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		unix.Close(fd)
		t.Fatal(err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		unix.Close(fd)
		t.Fatal(err)
	}
	l := &late{Port: sa.(*unix.SockaddrInet4).Port, fd: fd, listen: make(chan time.Time, 1)}
	var timer *time.Timer
	if delay >= 0 {
		timer = time.AfterFunc(delay, l.start)
	}
	t.Cleanup(func() {
		if timer != nil {
			timer.Stop()
		}
		l.Close()
	})
	return l
}

func (l *late) start() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fd < 0 || l.ln != nil {
		return
	}
	if err := unix.Listen(l.fd, 128); err != nil {
		panic(err)
	}
	l.listen <- time.Now()
	f := os.NewFile(uintptr(l.fd), "late")
	ln, err := net.FileListener(f)
	f.Close()
	l.fd = -1
	if err != nil {
		panic(err)
	}
	l.ln = ln
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
				_, _ = io.Copy(io.Discard, io.LimitReader(c, 1<<10))
			}()
		}
	}()
}

// Close stops listening (or releases the reservation): the port refuses again
// until the kernel hands it to someone else.
func (l *late) Close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ln != nil {
		l.ln.Close()
		l.ln = nil
	}
	if l.fd >= 0 {
		unix.Close(l.fd)
		l.fd = -1
	}
}

func adhoc(t testing.TB, ports ...int) expect.Spec {
	t.Helper()
	list := make([]string, len(ports))
	for i, p := range ports {
		list[i] = fmt.Sprint(p)
	}
	s, err := expect.Resolve(expect.Input{Ports: expect.Text{Value: strings.Join(list, ","), Origin: "test"}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// at is the target of spec on 127.0.0.1, no server looked for.
func at(spec expect.Spec) target.Target { return target.Target{Spec: spec, Host: "127.0.0.1"} }

// resolved resolves req as a command does, and gives the wait the same
// request as its resolver.
func resolved(t testing.TB, req target.Request, opt Options) (target.Target, Options) {
	t.Helper()
	first, err := target.Resolve(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	opt.Resolve = func(ctx context.Context, prev *target.Server) (target.Target, error) {
		r := req
		r.Previous = prev
		return target.Resolve(ctx, r)
	}
	return first, opt
}

// portsRequest checks ports as given (profile none), the server named by the caller.
func portsRequest(ports ...int) target.Request {
	list := make([]string, len(ports))
	for i, p := range ports {
		list[i] = fmt.Sprint(p)
	}
	return target.Request{Profile: target.Value{Value: expect.NoProfile, Origin: "test"},
		Ports: target.Value{Value: strings.Join(list, ","), Origin: "test"}, Since: time.Now()}
}

// recorder keeps every progress event.
type recorder struct {
	mu     sync.Mutex
	events []Status
	done   []Result
}

func (r *recorder) Update(s Status) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, s)
}

func (r *recorder) Done(res Result) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.done = append(r.done, res)
}

// index is the position of the first event containing text, or -1.
func (r *recorder) index(text string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, e := range r.events {
		if strings.Contains(e.Event, text) {
			return i
		}
	}
	return -1
}

func (r *recorder) count(text string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, e := range r.events {
		if strings.Contains(e.Event, text) {
			n++
		}
	}
	return n
}

func (r *recorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var b strings.Builder
	for _, e := range r.events {
		fmt.Fprintf(&b, "  %8.3fs %s\n", e.Elapsed.Seconds(), e.Event)
	}
	return b.String()
}

func itoa(n int) string { return fmt.Sprint(n) }

// syncBuffer is a bytes.Buffer the progress bar's goroutine may write to
// while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// freePort returns a loopback TCP port the kernel handed out and that was
// released at once, for a server started later to bind.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
