package testnet

import (
	"io"
	"net"
	"sync/atomic"
)

// Handlers for Peer: the hostile and scripted peers the verifiers must give a
// clear result against. Each returns when the client goes away, or when the
// Peer's test ends and hangs up on it.

// Ignore reads everything the client sends and never answers.
func Ignore(c net.Conn) { _, _ = io.Copy(io.Discard, c) }

// Hangup closes the connection without a byte.
func Hangup(net.Conn) {}

// Send writes b, then reads and ignores whatever the client sends until it
// closes.
func Send(b []byte) func(net.Conn) {
	return func(c net.Conn) {
		_, _ = c.Write(b)
		Ignore(c)
	}
}

// Flood writes prefix, then pattern again and again, limit bytes in all at
// most, and stops early when the client goes away. It reads (and drops) what
// the client sends meanwhile, and when done it half-closes and waits for the
// client to close: a request left unread would turn a full close into a
// reset, and the client could lose the end of the stream.
func Flood(prefix, pattern []byte, limit int64) func(net.Conn) {
	return func(c net.Conn) {
		drained := make(chan struct{})
		go func() { defer close(drained); Ignore(c) }()
		defer func() {
			if hc, ok := c.(interface{ CloseWrite() error }); !ok || hc.CloseWrite() != nil {
				c.Close()
			}
			<-drained
		}()
		if int64(len(prefix)) > limit {
			prefix = prefix[:limit]
		}
		var sent int64
		if len(prefix) > 0 {
			n, err := c.Write(prefix)
			if sent = int64(n); err != nil {
				return
			}
		}
		if len(pattern) == 0 {
			return
		}
		chunk := make([]byte, 0, max(64<<10, len(pattern)))
		for len(chunk)+len(pattern) <= cap(chunk) {
			chunk = append(chunk, pattern...)
		}
		for sent < limit {
			w, err := c.Write(chunk[:min(int64(len(chunk)), limit-sent)])
			sent += int64(w)
			if err != nil {
				return
			}
		}
	}
}

// Counted counts the bytes read and written through a connection, to show
// that a verifier keeps to its byte limit. It is safe for a library that
// reads from a goroutine of its own.
type Counted struct {
	net.Conn
	read, written atomic.Int64
}

func (c *Counted) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.read.Add(int64(n))
	return n, err
}

func (c *Counted) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.written.Add(int64(n))
	return n, err
}

// CloseWrite half-closes the connection when it can (TCP), and closes it
// otherwise.
func (c *Counted) CloseWrite() error {
	if hc, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return hc.CloseWrite()
	}
	return c.Conn.Close()
}

// BytesRead is how many bytes have been read through c.
func (c *Counted) BytesRead() int64 { return c.read.Load() }

// BytesWritten is how many bytes have been written through c.
func (c *Counted) BytesWritten() int64 { return c.written.Load() }
