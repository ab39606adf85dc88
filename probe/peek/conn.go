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
	"time"
)

// Arm applies ctx's deadline to every read and write on conn (or, when ctx
// has none, a deadline fallback from now; none at all when fallback is 0),
// and cuts them short when ctx is cancelled, which a deadline alone would
// not. Call stop when the exchange is over. The errors say why the probe
// could not start; callers prefix their package's name.
func Arm(ctx context.Context, conn net.Conn, fallback time.Duration) (stop func() bool, err error) {
	if conn == nil {
		return nil, errors.New("nil connection")
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("not started: %w", err)
	}
	dl, ok := ctx.Deadline()
	if !ok && fallback > 0 {
		dl = time.Now().Add(fallback)
	}
	if err := conn.SetDeadline(dl); err != nil {
		return nil, fmt.Errorf("cannot set a deadline on the connection: %w", err)
	}
	return context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) }), nil
}

// ErrTooLong marks a peer that sent more than a Recorder's byte limit.
var ErrTooLong = errors.New("reply longer than the read limit")

// FirstBytes is how many of the first bytes a Recorder keeps: enough for
// Identify and for a status line or a banner.
const FirstBytes = 64

// Recorder bounds what a peer may send and keeps its first bytes and the
// read error that ended the conversation, so that a result can say what
// answered even after a library (crypto/tls, go-ldap) consumed the bytes and
// flattened the error into a string. Writes go to the embedded conn. It is
// safe for a library that reads from a goroutine of its own.
type Recorder struct {
	net.Conn
	limit int64
	mu    sync.Mutex
	left  int64
	first []byte
	err   error
}

// NewRecorder reads from c at most limit bytes in all.
func NewRecorder(c net.Conn, limit int64) *Recorder {
	return &Recorder{Conn: c, limit: limit, left: limit}
}

func (r *Recorder) Read(p []byte) (int, error) {
	r.mu.Lock()
	left := r.left
	r.mu.Unlock()
	if left <= 0 {
		err := tooLong(r.limit)
		r.Fail(err)
		return 0, err
	}
	if int64(len(p)) > left {
		p = p[:left]
	}
	n, err := r.Conn.Read(p)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.left -= int64(n)
	if k := min(n, FirstBytes-len(r.first)); k > 0 {
		r.first = append(r.first, p[:k]...)
	}
	if err != nil && r.err == nil {
		r.err = err
	}
	return n, err
}

func tooLong(limit int64) error {
	if limit%1024 == 0 {
		return fmt.Errorf("%w of %d KiB", ErrTooLong, limit>>10)
	}
	return fmt.Errorf("%w of %d bytes", ErrTooLong, limit)
}

// Fail records err as what ended the conversation, unless a read error came
// first: for a caller that refuses what it read.
func (r *Recorder) Fail(err error) {
	r.mu.Lock()
	if r.err == nil {
		r.err = err
	}
	r.mu.Unlock()
}

// First is a copy of the first bytes the peer sent, at most FirstBytes.
func (r *Recorder) First() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]byte(nil), r.first...)
}

// Err is the first error a read returned, or that Fail recorded.
func (r *Recorder) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// Exhausted tells whether the peer sent the whole limit.
func (r *Recorder) Exhausted() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.left <= 0
}

// What a peer did instead of answering, in the words of a result's Seen field.
const (
	SeenTimeout = "timeout"
	SeenClosed  = "closed without a reply"
	SeenReset   = "closed without a reply (reset)"
	SeenEndless = "garbage (endless stream)" // more than a Recorder's limit
)

// Failure names what a peer did when a read or write failed with err: one
// of the Seen constants, or "" for an error that says none of these.
func Failure(err error) string {
	switch {
	case err == nil:
		return ""
	case IsTimeout(err):
		return SeenTimeout
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return SeenClosed
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE):
		return SeenReset
	case errors.Is(err, ErrTooLong):
		return SeenEndless
	}
	return ""
}

// IsTimeout tells a deadline that passed from other failures.
func IsTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) ||
		errors.As(err, &ne) && ne.Timeout()
}
