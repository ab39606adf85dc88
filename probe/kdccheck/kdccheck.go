// Package kdccheck verifies that a port answers Kerberos (RFC 4120): it sends
// an AS-REQ for a client principal that does not exist and expects a
// KRB-ERROR, which any KDC sends, whatever its realm. Over UDP silence proves
// nothing, so a UDP result is answered, refused or silent, never "up" by
// default.
package kdccheck

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/carbonprobe/carbonprobe/probe/peek"
)

// DefaultRealm is asked for when the caller names none. No KDC serves it, so
// a KDC answers KDC_ERR_WRONG_REALM or KDC_ERR_C_PRINCIPAL_UNKNOWN: either
// proves a KDC.
const DefaultRealm = "CARBONPROBE.INVALID"

// State is what came back, in the words UDP allows.
type State string

const (
	Answered State = "answered" // a reply came (Kerberos or not: see OK)
	Refused  State = "refused"  // UDP: ICMP port unreachable; nothing is bound
	Silent   State = "silent"   // no reply within the deadline: proves nothing over UDP
	Closed   State = "closed"   // TCP: the peer hung up without a reply
)

// Result is what the verifier learned. A Go error from a Check means only
// that the probe could not run; everything the peer did is in the Result.
type Result struct {
	OK     bool              // a KDC answered (KRB-ERROR or AS-REP)
	State  State             // answered, refused, silent or closed
	Detail string            // one line for humans
	Fields map[string]string // error_code, error_name, realm, server_time, clock_offset, ...
	Seen   string            // when not OK: what answered instead, if it can tell
}

// maxReply bounds a reply: the largest UDP payload, and far more than any
// KRB-ERROR; an AS-REP with a PAC can reach a few KiB.
const maxReply = 64 << 10

// clockSkew is the default tolerance of MIT, Heimdal and Active Directory.
const clockSkew = 5 * time.Minute

const silentDetail = "no answer: a KDC may be there but filtered, or nothing; UDP silence proves nothing"

// CheckUDP sends one AS-REQ datagram on conn, a UDP socket the caller
// connected to the KDC (so that an ICMP port unreachable comes back as
// ECONNREFUSED), and waits for one reply within ctx's deadline.
func CheckUDP(ctx context.Context, conn *net.UDPConn, realm string) (Result, error) {
	return check(ctx, conn, realm, probePrincipal(), false)
}

// CheckTCP sends the AS-REQ on conn with the 4-byte length prefix of RFC 4120
// 7.2.2 and reads one reply within ctx's deadline.
func CheckTCP(ctx context.Context, conn net.Conn, realm string) (Result, error) {
	return check(ctx, conn, realm, probePrincipal(), true)
}

// probePrincipal is random so that it cannot exist by accident, and named so
// that a KDC's log says who asked.
func probePrincipal() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "carbonprobe-probe-" + hex.EncodeToString(b[:])
}

func asReq(realm, client string) ([]byte, error) {
	b, err := encodeASReq(realm, strings.Split(client, "/"), time.Now(), nonce())
	if err != nil {
		return nil, fmt.Errorf("kdccheck: encoding the AS-REQ: %w", err)
	}
	return b, nil
}

func check(ctx context.Context, conn net.Conn, realm, client string, stream bool) (Result, error) {
	if conn == nil || conn == (*net.UDPConn)(nil) {
		return Result{}, errors.New("kdccheck: nil connection")
	}
	if realm == "" {
		realm = DefaultRealm
	}
	stop, err := peek.Arm(ctx, conn, 0)
	if err != nil {
		return Result{}, fmt.Errorf("kdccheck: %w", err)
	}
	defer stop()
	req, err := asReq(realm, client)
	if err != nil {
		return Result{}, err
	}

	sent := time.Now()
	var reply []byte
	if stream {
		reply, err = exchangeTCP(conn, req)
	} else {
		reply, err = exchangeUDP(conn, req)
	}
	if err != nil {
		if errors.Is(ctx.Err(), context.Canceled) {
			return Result{}, fmt.Errorf("kdccheck: cancelled: %w", ctx.Err())
		}
		return failed(err, reply, stream), nil
	}
	return parse(reply, realm, client, sent), nil
}

func exchangeUDP(conn net.Conn, req []byte) ([]byte, error) {
	if _, err := conn.Write(req); err != nil {
		return nil, err
	}
	buf := make([]byte, maxReply)
	n, err := conn.Read(buf)
	return buf[:n], err
}

var errTooLong = fmt.Errorf("reply length prefix over %d KiB", maxReply>>10)

func exchangeTCP(conn net.Conn, req []byte) ([]byte, error) {
	msg := make([]byte, 4+len(req))
	binary.BigEndian.PutUint32(msg, uint32(len(req)))
	copy(msg[4:], req)
	if _, err := conn.Write(msg); err != nil {
		return nil, err
	}
	// Buffered, so that when the prefix is not a length the bytes that came
	// with it are at hand to say what answered, without waiting for more.
	br := bufio.NewReaderSize(conn, 4096)
	var hdr [4]byte
	if n, err := io.ReadFull(br, hdr[:]); err != nil {
		return hdr[:n], err
	}
	// The top bit is reserved for extensions (RFC 4120 7.2.2); no KDC reply
	// is near 64 KiB, so a larger length is another protocol talking.
	n := binary.BigEndian.Uint32(hdr[:])
	if n > maxReply {
		more, _ := br.Peek(min(br.Buffered(), 60))
		return append(hdr[:], more...), errTooLong
	}
	body := make([]byte, n)
	if k, err := io.ReadFull(br, body); err != nil {
		return nil, fmt.Errorf("%d of the %d bytes announced: %w", k, n, err)
	}
	return body, nil
}

// failed turns a transport failure into a result. got holds whatever bytes
// did arrive (over TCP, a partial reply or another protocol's banner).
func failed(err error, got []byte, stream bool) Result {
	if s := peek.Identify(got); s != "" {
		return Result{State: Answered, Seen: s, Detail: "not Kerberos: " + s}
	}
	switch seen := peek.Failure(err); {
	case errors.Is(err, syscall.ECONNREFUSED):
		return Result{State: Refused, Seen: "refused", Detail: "refused: ICMP port unreachable, nothing listens on this UDP port"}
	case errors.Is(err, errTooLong):
		return Result{State: Answered, Seen: "garbage (length prefix over 64 KiB)", Detail: "not Kerberos: " + err.Error()}
	case seen == peek.SeenTimeout:
		if stream {
			return Result{State: Silent, Seen: seen, Detail: "no complete reply to the AS-REQ within the deadline: " + err.Error()}
		}
		return Result{State: Silent, Seen: seen, Detail: silentDetail}
	case seen == peek.SeenClosed || seen == peek.SeenReset:
		return Result{State: Closed, Seen: seen, Detail: "not Kerberos: " + seen}
	}
	return Result{Seen: "error: " + err.Error(), Detail: "no reply: " + err.Error()}
}

// parse reads a KDC reply. A panic in the ASN.1 decoder on hostile bytes
// becomes "not Kerberos", not a crash of the prober.
func parse(b []byte, realm, client string, sent time.Time) (r Result) {
	defer func() {
		if recover() != nil {
			r = notKerberos(b)
		}
	}()
	switch {
	case len(b) > 0 && b[0] == 0x7e:
		e, err := decodeKRBError(b)
		if err != nil {
			return notKerberos(b)
		}
		return krbError(e, realm, client, sent)
	case len(b) > 0 && b[0] == 0x6b:
		rep, err := decodeASRep(b)
		if err != nil {
			return notKerberos(b)
		}
		f := map[string]string{"reply": "AS-REP", "realm": rep.CRealm, "client": rep.CName.String()}
		return Result{OK: true, State: Answered, Fields: f,
			Detail: fmt.Sprintf("Kerberos KDC answered with an AS-REP (a ticket) for %s@%s", rep.CName.String(), rep.CRealm)}
	}
	return notKerberos(b)
}

func notKerberos(b []byte) Result {
	s := peek.Identify(b)
	if s == "" {
		s = "an empty datagram"
	}
	if s == "Kerberos" {
		s = peek.Hex(b) // looked like Kerberos, did not parse
	}
	return Result{State: Answered, Seen: s, Detail: "not Kerberos: " + s}
}

func krbError(e krbErrorMsg, realm, client string, sent time.Time) Result {
	name, desc := errorName(e.ErrorCode)
	f := map[string]string{
		"reply":       "KRB-ERROR",
		"error_code":  strconv.Itoa(int(e.ErrorCode)),
		"error_name":  name,
		"realm":       e.Realm,
		"asked_realm": realm,
		"client":      client,
	}
	d := fmt.Sprintf("KDC: %s (%s) for realm %s", name, desc, e.Realm)
	if e.EText != "" {
		f["e_text"] = e.EText
		d += ", " + strconv.Quote(e.EText)
	}
	if !e.STime.IsZero() {
		st := e.STime.Add(time.Duration(e.Susec) * time.Microsecond)
		// The reply was made between sent and now; its midpoint is the
		// fairest local time to compare with.
		now := time.Now()
		local := sent.Add(now.Sub(sent) / 2)
		off := st.Sub(local).Round(time.Second)
		f["server_time"] = st.UTC().Format(time.RFC3339)
		f["clock_offset"] = off.String()
		d += fmt.Sprintf("; server time %s (offset %s)", st.UTC().Format(time.RFC3339), off)
		if off > clockSkew || off < -clockSkew {
			f["clock_warning"] = "true"
			d += "; WARNING: clocks differ by more than the 5-minute Kerberos tolerance"
		}
	}
	return Result{OK: true, State: Answered, Fields: f, Detail: d}
}

// errorName is the error's constant name and its description from RFC 4120.
func errorName(code int32) (name, desc string) {
	if code < 0 || int(code) >= len(errorCodes) || errorCodes[code][0] == "" {
		return "error code " + strconv.Itoa(int(code)), "not in RFC 4120"
	}
	name, desc = errorCodes[code][0], errorCodes[code][1]
	return name, strings.ToLower(desc[:min(1, len(desc))]) + desc[min(1, len(desc)):]
}
