// Package ldapcheck verifies that a port answers LDAP: an anonymous search of
// the root DSE (RFC 4512 5.1), on a connection the caller dialled, reporting
// the vendor and naming contexts the server publishes.
package ldapcheck

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/carbonprobe/carbonprobe/probe/httpcheck"
)

// Result is what the verifier learned. A Go error from Check means only that
// the probe could not run; everything the peer did is in the Result.
type Result struct {
	OK     bool              // an LDAP server answered (even if it refused the search)
	Detail string            // one line for humans
	Fields map[string]string // vendor_name, vendor_version, naming_contexts, ...
	Seen   string            // when not OK: what answered instead, if it can tell
}

// maxReply bounds what the server may send: a root DSE is a few KiB, even
// Active Directory's.
const maxReply = 64 << 10

var rootDSEAttrs = []string{"namingContexts", "supportedLDAPVersion", "vendorName", "vendorVersion", "subschemaSubentry"}

// Check sends an anonymous base-scope search of the root DSE, without a
// bind (LDAPv3 allows it), and reads the entry. It writes and reads only
// through conn within ctx's deadline; it does not close conn, but leaves a
// past deadline on it: the caller closes it.
func Check(ctx context.Context, conn net.Conn) (Result, error) {
	if conn == nil {
		return Result{}, errors.New("ldapcheck: nil connection")
	}
	if err := ctx.Err(); err != nil {
		return Result{}, fmt.Errorf("ldapcheck: not started: %w", err)
	}
	dl, hasDeadline := ctx.Deadline()
	if err := conn.SetDeadline(dl); err != nil {
		return Result{}, fmt.Errorf("ldapcheck: cannot set a deadline on the connection: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	rec := &recorder{Conn: conn, left: maxReply}
	l := ldap.NewConn(rec, false)
	if hasDeadline {
		// The library's own request timer, so that a reply that never comes
		// ends the search even if the read deadline were lost.
		l.SetTimeout(max(time.Until(dl), time.Millisecond))
	}
	l.Start()
	// Close stops the library's two goroutines; rec.Close unblocks its reader.
	defer l.Close()

	req := ldap.NewSearchRequest("", ldap.ScopeBaseObject, ldap.NeverDerefAliases, 0, 0, false,
		"(objectClass=*)", rootDSEAttrs, nil)
	res, err := l.Search(req)
	if err == nil {
		_ = l.Unbind() // be polite; the caller closes the socket
		return found(res), nil
	}
	if errors.Is(ctx.Err(), context.Canceled) {
		return Result{}, fmt.Errorf("ldapcheck: cancelled: %w", ctx.Err())
	}
	var le *ldap.Error
	if errors.As(err, &le) && le.ResultCode < ldap.ErrorNetwork {
		// The server answered in LDAP and said no (a directory that wants a
		// bind first): the port speaks LDAP.
		return Result{
			OK:     true,
			Detail: fmt.Sprintf("LDAP answered, but refused the anonymous root DSE search: %s", oneLine(le)),
			Fields: map[string]string{"result_code": fmt.Sprint(le.ResultCode), "result": ldap.LDAPResultCodeMap[le.ResultCode]},
		}, nil
	}
	first, readErr := rec.snapshot()
	seen := httpcheck.Identify(first)
	switch {
	case seen == "LDAP":
		// An LDAP message the library could not match to our search: a
		// Notice of Disconnection, or a server that hung up after replying.
		return Result{OK: true, Detail: "LDAP answered, but the root DSE search failed: " + oneLine(err)}, nil
	case seen != "":
	case isTimeout(readErr) || hasDeadline && !time.Now().Before(dl):
		seen = "timeout"
	case errors.Is(readErr, io.EOF):
		seen = "closed without a reply"
	case errors.Is(readErr, syscall.ECONNRESET) || errors.Is(readErr, syscall.EPIPE):
		seen = "closed without a reply (reset)"
	case errors.Is(readErr, errTooLong):
		seen = "garbage (endless stream)"
	default:
		seen = "error: " + oneLine(err)
	}
	return Result{Seen: seen, Detail: "not LDAP: " + seen}, nil
}

func found(res *ldap.SearchResult) Result {
	f := map[string]string{}
	if len(res.Entries) == 0 {
		// Access controls can hide the root DSE; the reply was LDAP all the same.
		return Result{OK: true, Fields: f, Detail: "LDAP answered, but the root DSE is hidden from anonymous searches"}
	}
	e := res.Entries[0]
	set := func(key, attr, sep string) string {
		v := strings.Join(e.GetAttributeValues(attr), sep)
		if v != "" {
			f[key] = v
		}
		return v
	}
	vendor := strings.TrimSpace(set("vendor_name", "vendorName", "; ") + " " + set("vendor_version", "vendorVersion", "; "))
	ncs := set("naming_contexts", "namingContexts", "; ")
	versions := set("supported_ldap_version", "supportedLDAPVersion", ",")
	set("subschema_subentry", "subschemaSubentry", "; ")
	if vendor == "" {
		vendor = "no vendorName (OpenLDAP publishes none)"
	}
	if ncs == "" {
		ncs = "none published"
	}
	d := fmt.Sprintf("root DSE of %s; naming contexts %s", vendor, ncs)
	if versions != "" {
		d += "; LDAP versions " + versions
	}
	return Result{OK: true, Fields: f, Detail: d}
}

func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
}

var (
	errTooLong = fmt.Errorf("reply longer than %d KiB", maxReply>>10)
	errNotLDAP = errors.New("reply is not a BER SEQUENCE")
)

// recorder bounds what the server may send, keeps its first bytes and the
// read error that ended the conversation (the library flattens errors into
// strings), and, on Close, only cuts pending reads short: the connection
// belongs to the caller. The library reads from its own goroutine, hence the
// lock.
type recorder struct {
	net.Conn
	mu    sync.Mutex
	left  int64
	first []byte
	err   error
}

func (r *recorder) Read(p []byte) (int, error) {
	r.mu.Lock()
	left := r.left
	r.mu.Unlock()
	if left <= 0 {
		r.fail(errTooLong)
		return 0, errTooLong
	}
	if int64(len(p)) > left {
		p = p[:left]
	}
	n, err := r.Conn.Read(p)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.left -= int64(n)
	firstRead := len(r.first) == 0
	if k := min(n, 64-len(r.first)); k > 0 {
		r.first = append(r.first, p[:k]...)
	}
	if firstRead && n > 0 && p[0] != 0x30 {
		// Every LDAPMessage is a SEQUENCE. Anything else is another
		// protocol, and the library would wait for the rest of a BER
		// element that will never come (an SSH banner waits for ours).
		err = errNotLDAP
		n = 0
	}
	if err != nil && r.err == nil {
		r.err = err
	}
	return n, err
}

func (r *recorder) fail(err error) {
	r.mu.Lock()
	if r.err == nil {
		r.err = err
	}
	r.mu.Unlock()
}

func (r *recorder) snapshot() ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]byte(nil), r.first...), r.err
}

func (r *recorder) Close() error {
	return r.Conn.SetDeadline(time.Unix(1, 0))
}
