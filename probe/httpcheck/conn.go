package httpcheck

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"time"
)

// Reply limits. A plain HTTP status line and headers fit in 64 KiB; a TLS
// handshake carries the server's certificate chain first, and chains with
// several RSA-4096 certificates pass 64 KiB, so TLS gets more.
const (
	maxHTTPReply = 64 << 10
	maxTLSReply  = 256 << 10
)

// errTooLong marks a peer that sent more than the verifier's byte limit.
var errTooLong = errors.New("reply longer than the limit")

// arm applies ctx's deadline to every read and write on conn, and cuts them
// short when ctx is cancelled. The returned stop releases the cancel watch.
func arm(ctx context.Context, conn net.Conn) (stop func(), err error) {
	if conn == nil {
		return nil, errors.New("httpcheck: nil connection")
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("httpcheck: not started: %w", err)
	}
	dl, _ := ctx.Deadline() // zero: no deadline beyond cancellation
	if err := conn.SetDeadline(dl); err != nil {
		return nil, fmt.Errorf("httpcheck: cannot set a deadline on the connection: %w", err)
	}
	after := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	return func() { after() }, nil
}

// recorder bounds what a peer may send and keeps its first bytes, so a
// result can say what answered even after a library (crypto/tls) consumed
// them. Writes go to the embedded conn; reads come from src.
type recorder struct {
	net.Conn
	src   io.Reader
	left  int64
	first []byte
}

const firstBytes = 64

func newRecorder(c net.Conn, limit int64) *recorder {
	return &recorder{Conn: c, src: c, left: limit}
}

func (r *recorder) Read(p []byte) (int, error) {
	if r.left <= 0 {
		return 0, errTooLong
	}
	if int64(len(p)) > r.left {
		p = p[:r.left]
	}
	n, err := r.src.Read(p)
	r.left -= int64(n)
	if k := min(n, firstBytes-len(r.first)); k > 0 {
		r.first = append(r.first, p[:k]...)
	}
	return n, err
}

// outcome turns a failed read or write into what the peer did, or into a Go
// error when the probe itself was cancelled rather than the peer failing.
func outcome(ctx context.Context, err error, first []byte) (seen string, cancelled error) {
	if errors.Is(ctx.Err(), context.Canceled) {
		return "", fmt.Errorf("httpcheck: cancelled: %w", ctx.Err())
	}
	if s := Identify(first); s != "" {
		return s, nil
	}
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded):
		return "timeout", nil
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return "closed without a reply", nil
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE):
		return "closed without a reply (reset)", nil
	case errors.Is(err, errTooLong):
		return "garbage (endless stream)", nil
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timeout", nil
	}
	return "connection error: " + err.Error(), nil
}
