// Package ldapcheck verifies that a port answers LDAP: an anonymous search of
// the root DSE (RFC 4512 5.1), on a connection the caller dialled, reporting
// the vendor and naming contexts the server publishes.
package ldapcheck

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/carbonprobe/carbonprobe/internal/text"
	"github.com/carbonprobe/carbonprobe/probe/peek"
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
	stop, err := peek.Arm(ctx, conn, 0)
	if err != nil {
		return Result{}, fmt.Errorf("ldapcheck: %w", err)
	}
	defer stop()
	dl, hasDeadline := ctx.Deadline()

	rec := &berConn{Recorder: peek.NewRecorder(conn, maxReply)}
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
			Detail: fmt.Sprintf("LDAP answered, but refused the anonymous root DSE search: %s", text.OneLine(le.Error())),
			Fields: map[string]string{"result_code": fmt.Sprint(le.ResultCode), "result": ldap.LDAPResultCodeMap[le.ResultCode]},
		}, nil
	}
	seen := peek.Identify(rec.First())
	timedOut := hasDeadline && !time.Now().Before(dl) || peek.IsTimeout(rec.Err())
	switch {
	case seen == "LDAP" && timedOut:
		// The first bytes of an LDAP message, then nothing more: a peer
		// that claims a reply and never completes it is not answering.
		return Result{Seen: peek.SeenTimeout, Detail: fmt.Sprintf("an LDAP message began (%s) but was not complete within the deadline", peek.Hex(rec.First()))}, nil
	case seen == "LDAP":
		// An LDAP message the library could not match to our search: a
		// Notice of Disconnection, or a server that hung up after replying.
		return Result{OK: true, Detail: "LDAP answered, but the root DSE search failed: " + text.OneLine(err.Error())}, nil
	case seen != "":
	case timedOut:
		seen = peek.SeenTimeout
	default:
		// The library flattens the read error into a string: the recorder
		// kept the real one.
		if seen = peek.Failure(rec.Err()); seen == "" {
			seen = "error: " + text.OneLine(err.Error())
		}
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

var errNotLDAP = errors.New("reply is not a BER SEQUENCE")

// berConn refuses a reply that does not start as an LDAPMessage, and, on
// Close, only cuts pending reads short: the connection belongs to the caller.
type berConn struct {
	*peek.Recorder
	started atomic.Bool
}

func (c *berConn) Read(p []byte) (int, error) {
	n, err := c.Recorder.Read(p)
	if n > 0 && !c.started.Swap(true) && p[0] != 0x30 {
		// Every LDAPMessage is a SEQUENCE. Anything else is another
		// protocol, and the library would wait for the rest of a BER
		// element that will never come (an SSH banner waits for ours).
		c.Fail(errNotLDAP)
		return 0, errNotLDAP
	}
	return n, err
}

func (c *berConn) Close() error {
	return c.SetDeadline(time.Unix(1, 0))
}
