package httpcheck

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/carbonprobe/carbonprobe/probe/peek"
)

// Reply limits. A plain HTTP status line and headers fit in 64 KiB; a TLS
// handshake carries the server's certificate chain first, and chains with
// several RSA-4096 certificates pass 64 KiB, so TLS gets more.
const (
	maxHTTPReply = 64 << 10
	maxTLSReply  = 256 << 10
)

// arm applies ctx's deadline to every read and write on conn, and cuts them
// short when ctx is cancelled. The returned stop releases the cancel watch.
func arm(ctx context.Context, conn net.Conn) (stop func() bool, err error) {
	stop, err = peek.Arm(ctx, conn, 0) // no deadline beyond cancellation unless ctx has one
	if err != nil {
		return nil, fmt.Errorf("httpcheck: %w", err)
	}
	return stop, nil
}

// outcome turns a failed read or write into what the peer did, or into a Go
// error when the probe itself was cancelled rather than the peer failing.
func outcome(ctx context.Context, err error, first []byte) (seen string, cancelled error) {
	if errors.Is(ctx.Err(), context.Canceled) {
		return "", fmt.Errorf("httpcheck: cancelled: %w", ctx.Err())
	}
	if s := peek.Identify(first); s != "" {
		return s, nil
	}
	if s := peek.Failure(err); s != "" {
		return s, nil
	}
	return "connection error: " + err.Error(), nil
}
