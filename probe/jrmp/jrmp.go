// Package jrmp speaks just enough Java RMI (JRMP, the stream protocol) to tell
// an RMI registry from an exported-object port and to read the endpoint the
// registry's "jmxrmi" stub advertises.
//
// The caller dials and closes the connection. Every exchange sets the
// connection deadline from the context (DefaultTimeout when the context has
// none) and reads at most MaxReply bytes, so a silent, chatty or hostile peer
// ends in an error within the deadline and bounded memory.
package jrmp

import (
	"github.com/carbonprobe/carbonprobe/internal/text"

	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"syscall"
	"time"

	"github.com/carbonprobe/carbonprobe/probe/peek"
)

const (
	// MaxReply bounds the bytes read for one exchange (one reply).
	MaxReply = 64 << 10
	// DefaultTimeout bounds an exchange whose context has no deadline.
	DefaultTimeout = 5 * time.Second
	// maxSeenHost bounds the host in a ProtocolAck: a real one is an address.
	maxSeenHost = 1024
)

// ErrNotJRMP: the peer did not answer the JRMP handshake as an RMI server does.
var ErrNotJRMP = errors.New("not JRMP")

// Role is what the port does, as far as its answers show.
type Role string

const (
	// RoleRegistry answers registry calls (list, lookup, including NotBoundException).
	RoleRegistry Role = "registry"
	// RoleObjectEndpoint answers JRMP but has no registry object: an RMI server
	// port such as Carbon's 11111 or the JDK's local JMX connector.
	RoleObjectEndpoint Role = "object-endpoint"
	// RoleUnknown: the handshake succeeded but no call gave a usable answer.
	RoleUnknown Role = "unknown"
)

// Result is what Probe learned from one connection.
type Result struct {
	// SeenAs is the client host:port the server reported in its ProtocolAck.
	SeenAs string
	Role   Role
	// Names is the registry's list() answer (at most 1024 names).
	Names []string
	// JMX is the endpoint of the stub bound as "jmxrmi", when there is one.
	JMX *Endpoint
	// Lookup is the exception lookup("jmxrmi") gave, e.g. "NotBoundException: jmxrmi".
	Lookup string
	// Detail says why Role is unknown, or what else went wrong after the handshake.
	Detail string
}

// Protocol bytes (sun.rmi.transport.TransportConstants).
var (
	header = []byte{'J', 'R', 'M', 'I', 0x00, 0x02, 0x4b} // magic, version 2, StreamProtocol
	// clientEndpoint is the endpoint we announce after the header. The server
	// reads and discards it, so we send it at once (no round trip) and make its
	// host "\r\n": a line-based server (HTTP, SMTP...) then sees a complete,
	// malformed line and answers with an error we can show, instead of
	// waiting silently for the rest of a line until the deadline.
	clientEndpoint = []byte{0x00, 0x02, '\r', '\n', 0x00, 0x00, 0x00, 0x00}
)

const (
	msgProtocolAck  = 0x4e
	msgNotSupported = 0x4f
	msgCall         = 0x50
	msgPing         = 0x52
	msgPingAck      = 0x53
	msgDgcAck       = 0x54

	// RegistryImpl_Stub's interface hash and operation numbers (JDK 1.1 stub protocol).
	registryHash = 4905912898345647071
	opList       = 1
	opLookup     = 2
)

// exchange runs one request/reply under the context's deadline and the read limit.
func exchange(ctx context.Context, conn net.Conn, req []byte, read func(*source) error) error {
	stop, err := peek.Arm(ctx, conn, DefaultTimeout)
	if err != nil {
		return err
	}
	defer stop()
	if len(req) > 0 {
		if _, err := conn.Write(req); err != nil {
			return netErr(ctx, "send", err)
		}
	}
	if read == nil {
		return nil
	}
	if err := read(netSource(conn, MaxReply)); err != nil {
		return netErr(ctx, "", err)
	}
	return nil
}

// netErr keeps context and deadline errors recognisable (errors.Is); step
// names a failed send.
func netErr(ctx context.Context, step string, err error) error {
	if step != "" {
		step += ": "
	}
	if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
		return fmt.Errorf("%s%w (%w)", step, err, ctx.Err())
	}
	if errors.Is(err, os.ErrDeadlineExceeded) && !errors.Is(err, ErrNotJRMP) {
		return fmt.Errorf("%sno complete reply before the deadline: %w", step, err)
	}
	if step == "" {
		return err
	}
	return fmt.Errorf("%s%w", step, err)
}

// Handshake sends the JRMP header for the stream protocol and reads the
// ProtocolAck. It returns the client address the server says it sees. Any
// other answer gives an error wrapping ErrNotJRMP that says what was seen.
func Handshake(ctx context.Context, conn net.Conn) (seenAs string, err error) {
	err = exchange(ctx, conn, append(append([]byte{}, header...), clientEndpoint...), func(src *source) error {
		first, err := src.byte()
		if err != nil {
			return notJRMPFromError(err)
		}
		switch first {
		case msgProtocolAck:
			seenAs, err = readAck(src)
			return err
		case msgNotSupported:
			return fmt.Errorf("%w: expected ProtocolAck (4e), got ProtocolNotSupported (4f): the server refuses the stream protocol", ErrNotJRMP)
		}
		return fmt.Errorf("%w: expected ProtocolAck (4e), got %s", ErrNotJRMP, peek.Describe(arrived(src, first)))
	})
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) && !errors.Is(err, ErrNotJRMP) {
		// A JRMP server acks at once; silence means something else holds the port.
		err = fmt.Errorf("%w: %w", ErrNotJRMP, err)
	}
	return seenAs, err
}

func readAck(src *source) (string, error) {
	n, err := src.u16()
	if err != nil {
		return "", fmt.Errorf("ProtocolAck host: %w", err)
	}
	if n > maxSeenHost {
		return "", fmt.Errorf("%w: ProtocolAck announces a host of %d bytes", ErrNotJRMP, n)
	}
	b, err := src.full(int64(n))
	if err != nil {
		return "", fmt.Errorf("ProtocolAck host: %w", err)
	}
	port, err := src.u32()
	if err != nil {
		return "", fmt.Errorf("ProtocolAck port: %w", err)
	}
	return joinHostPort(decodeModifiedUTF8(b), int(int32(port))), nil
}

// ParseHandshakeReply parses what a server sent in answer to the JRMP header:
// a ProtocolAck gives the client address it sees; anything else is an error
// wrapping ErrNotJRMP.
func ParseHandshakeReply(b []byte) (seenAs string, err error) {
	src := bytesSource(b)
	first, err := src.byte()
	if err != nil {
		return "", notJRMPFromError(err)
	}
	switch first {
	case msgProtocolAck:
		return readAck(src)
	case msgNotSupported:
		return "", fmt.Errorf("%w: expected ProtocolAck (4e), got ProtocolNotSupported (4f)", ErrNotJRMP)
	}
	return "", fmt.Errorf("%w: expected ProtocolAck (4e), got %s", ErrNotJRMP, peek.Describe(b[:min(len(b), 256)]))
}

// arrived returns the first byte and whatever else has already arrived (up to
// 256 bytes), without waiting for more.
func arrived(src *source, first byte) []byte {
	out := []byte{first}
	if br, ok := src.r.(interface{ Buffered() int }); ok {
		for n := min(br.Buffered(), 255); n > 0; n-- {
			b, err := src.byte()
			if err != nil {
				break
			}
			out = append(out, b)
		}
	}
	return out
}

func notJRMPFromError(err error) error {
	switch {
	case errors.Is(err, errTruncated), errors.Is(err, io.EOF):
		return fmt.Errorf("%w: expected ProtocolAck (4e), the peer closed without a reply", ErrNotJRMP)
	case errors.Is(err, syscall.ECONNRESET):
		return fmt.Errorf("%w: expected ProtocolAck (4e), the peer reset the connection without a reply", ErrNotJRMP)
	case errors.Is(err, os.ErrDeadlineExceeded):
		return fmt.Errorf("%w: expected ProtocolAck (4e), no reply before the deadline: %w", ErrNotJRMP, err)
	}
	return err
}

// Ping sends a JRMP Ping and expects a PingAck: the cheapest proof that the
// port is a live JRMP endpoint. Call it after Handshake.
func Ping(ctx context.Context, conn net.Conn) error {
	return exchange(ctx, conn, []byte{msgPing}, func(src *source) error {
		b, err := src.byte()
		if err != nil {
			return err
		}
		if b != msgPingAck {
			return fmt.Errorf("expected PingAck (53), got %02x", b)
		}
		return nil
	})
}

// registryCall builds a Call to the registry object (ObjID 0) with the JDK 1.1
// stub protocol: operation number plus RegistryImpl_Stub's interface hash.
func registryCall(op int32, arg *string) ([]byte, error) {
	b := []byte{msgCall, 0xac, 0xed, 0x00, 0x05, tcBlockData, 34}
	b = append(b, make([]byte, 22)...) // ObjID.REGISTRY_ID: objNum 0, UID 0
	b = binary.BigEndian.AppendUint32(b, uint32(op))
	b = binary.BigEndian.AppendUint64(b, registryHash)
	if arg != nil {
		s := encodeModifiedUTF8(*arg)
		if len(s) > 0xffff {
			return nil, fmt.Errorf("name of %d bytes is too long for a Java string", len(s))
		}
		b = append(b, tcString)
		b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
		b = append(b, s...)
	}
	return b, nil
}

// call runs one registry call and, when the reply handed us remote objects
// the server now pins for us, releases them with a DgcAck.
func call(ctx context.Context, conn net.Conn, op int32, arg *string) (Return, error) {
	req, err := registryCall(op, arg)
	if err != nil {
		return Return{}, err
	}
	var r Return
	err = exchange(ctx, conn, req, func(src *source) error {
		r, err = readReturn(src)
		if errors.Is(err, errTruncated) && src.read == 0 {
			return errors.New("the peer closed the connection instead of returning")
		}
		return err
	})
	if err != nil {
		return Return{}, err
	}
	if r.AckNeeded {
		// A failed ack only delays the server's cleanup (dgcAckTimeout, 5
		// minutes), and the reply is already complete: not worth an error.
		_ = exchange(ctx, conn, append([]byte{msgDgcAck}, r.UID[:]...), nil)
	}
	return r, nil
}

// List calls the registry's list(). An exception from the server comes back
// as a *RemoteError.
func List(ctx context.Context, conn net.Conn) ([]string, error) {
	r, err := call(ctx, conn, opList, nil)
	if err != nil {
		return nil, fmt.Errorf("list(): %w", err)
	}
	if r.Exception != nil {
		return nil, r.Exception
	}
	return r.Strings, nil
}

// Lookup calls the registry's lookup(name) and returns the endpoint its stub
// advertises. An exception from the server (NotBoundException,
// NoSuchObjectException on a port that is no registry) comes back as a
// *RemoteError.
func Lookup(ctx context.Context, conn net.Conn, name string) (*Endpoint, error) {
	r, err := call(ctx, conn, opLookup, &name)
	if err != nil {
		return nil, fmt.Errorf("lookup(%q): %w", name, err)
	}
	if r.Exception != nil {
		return nil, r.Exception
	}
	if r.Stub == nil {
		return nil, fmt.Errorf("lookup(%q): %w", name, errNoStub)
	}
	return r.Stub, nil
}

// Probe runs the handshake, list() and lookup("jmxrmi") on one connection and
// tells the port's role from the answers. The error is non-nil only when the
// handshake fails (wrapping ErrNotJRMP when the peer is not JRMP) or the
// context ends; later failures leave Role unknown and say why in Detail.
func Probe(ctx context.Context, conn net.Conn) (Result, error) {
	var res Result
	seen, err := Handshake(ctx, conn)
	if err != nil {
		return res, err
	}
	res.SeenAs, res.Role = text.Peer(seen), RoleUnknown

	// list() first: it has no argument, so after an exception the stream is
	// still in step for the next call.
	names, err := List(ctx, conn)
	var re *RemoteError
	switch {
	case err == nil:
		res.Role = RoleRegistry
		for _, n := range names {
			res.Names = append(res.Names, text.Peer(n))
		}
	case errors.As(err, &re) && re.Has("java.rmi.NoSuchObjectException"):
		res.Role = RoleObjectEndpoint
		res.Detail = "no registry object here: " + re.Short()
		return res, nil
	case errors.As(err, &re):
		res.Detail = "list(): " + re.Error()
	default:
		if ctx.Err() != nil {
			return res, err
		}
		res.Detail = err.Error()
		return res, nil
	}

	ep, err := Lookup(ctx, conn, "jmxrmi")
	re = nil
	switch {
	case err == nil:
		res.Role, res.JMX = RoleRegistry, ep
	case errors.As(err, &re) && re.Has("java.rmi.NotBoundException"):
		res.Role, res.Lookup = RoleRegistry, re.Short()
	case errors.As(err, &re) && re.Has("java.rmi.NoSuchObjectException"):
		res.Role, res.Lookup = RoleObjectEndpoint, re.Short()
	case errors.As(err, &re):
		res.Lookup = re.Error()
	default:
		if ctx.Err() != nil {
			return res, err
		}
		res.Detail = err.Error()
	}
	return res, nil
}

func joinHostPort(host string, port int) string {
	return net.JoinHostPort(host, strconv.Itoa(port))
}
