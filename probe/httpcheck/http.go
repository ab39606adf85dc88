// Package httpcheck verifies that a port answers HTTP, or HTTPS, on a
// connection the caller dialled. It sends one GET / and reads only the status
// line and headers; for HTTPS it reports the server certificate as operators
// need it (subject, issuer, SANs, expiry, trust) and names WSO2's default
// self-signed certificate.
package httpcheck

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/carbonprobe/carbonprobe/probe/peek"
)

// Result is what a verifier learned. A Go error from a Check means only that
// the probe could not run; everything the peer did is in the Result.
type Result struct {
	OK       bool              // the expected protocol answered
	Detail   string            // one line for humans
	Fields   map[string]string // for JSON: status, server, certificate fields...
	Seen     string            // when not OK: what answered instead, if it can tell
	Warnings []string          // OK but worth acting on: certificate expiry, WSO2's default certificate
}

// CheckHTTP sends GET / with the given Host header (the remote address when
// empty) and reports the status and the Server header. Any HTTP status counts
// as HTTP answering: a 404 or 500 still proves the protocol.
func CheckHTTP(ctx context.Context, conn net.Conn, host string) (Result, error) {
	stop, err := arm(ctx, conn)
	if err != nil {
		return Result{}, err
	}
	defer stop()
	req, err := request(host, conn)
	if err != nil {
		return Result{}, err
	}
	rec := peek.NewRecorder(conn, maxHTTPReply)
	r, err := exchange(ctx, rec, req)
	if err != nil {
		return Result{}, err
	}
	switch {
	case r.OK:
	case strings.HasPrefix(r.Seen, "closed without a reply"):
		// Java's and Go's TLS servers hang up on plaintext without a word.
		r.Detail += " (a TLS-only port does this too: is it HTTPS?)"
	}
	return r, nil
}

// request builds the one request every check sends. Connection: close keeps
// the server from holding the connection open for a keep-alive we never use.
func request(host string, conn net.Conn) ([]byte, error) {
	if host == "" {
		host = conn.RemoteAddr().String()
	}
	if strings.ContainsAny(host, "\r\n\x00 ") {
		return nil, fmt.Errorf("httpcheck: Host header %q: want a host[:port], got control characters or spaces", host)
	}
	return []byte("GET / HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: carbonprobe\r\nAccept: */*\r\nConnection: close\r\n\r\n"), nil
}

// exchange writes req and reads the reply's status line and headers through
// rec, which bounds what the peer may send.
func exchange(ctx context.Context, rec *peek.Recorder, req []byte) (Result, error) {
	if _, err := rec.Write(req); err != nil {
		seen, cerr := outcome(ctx, err, rec.First())
		if cerr != nil {
			return Result{}, cerr
		}
		return Result{Seen: seen, Detail: "could not send the request: " + seen}, nil
	}
	br := bufio.NewReader(rec)
	head, err := br.Peek(5)
	if err != nil && peek.IsTimeout(err) && len(head) > 0 && bytes.HasPrefix([]byte("HTTP/"), head) {
		// A reply that began and was cut by the deadline (a peer that
		// drips a byte a second) is a timeout, not another protocol.
		return Result{Seen: peek.SeenTimeout, Detail: fmt.Sprintf("the reply began (%q) but its status line was not complete within the deadline", head)}, nil
	}
	if err != nil || !bytes.Equal(head, []byte("HTTP/")) {
		if len(head) == 0 {
			head = rec.First()
		} else if n := br.Buffered(); n > len(head) {
			head, _ = br.Peek(min(n, peek.FirstBytes))
		}
		seen, cerr := outcome(ctx, err, head)
		if cerr != nil {
			return Result{}, cerr
		}
		return Result{Seen: seen, Detail: "not HTTP: " + seen}, nil
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		if _, cerr := outcome(ctx, err, nil); cerr != nil {
			return Result{}, cerr
		}
		line, _, _ := bytes.Cut(rec.First(), []byte("\r\n"))
		why := err.Error()
		if rec.Exhausted() {
			why = fmt.Sprintf("headers longer than %d KiB", maxHTTPReply>>10)
		}
		return Result{Seen: "HTTP", Detail: fmt.Sprintf("HTTP reply unreadable after %q: %s", line, why)}, nil
	}
	// The body is never closed: Close would drain it, and a server that drips
	// an endless body would hold the probe until its deadline.
	f := map[string]string{
		"proto":       resp.Proto,
		"status":      resp.Status,
		"status_code": strconv.Itoa(resp.StatusCode),
	}
	detail := resp.Proto + " " + resp.Status
	if s := resp.Header.Get("Server"); s != "" {
		f["server"] = s
		detail += ", Server: " + s
	}
	if l := resp.Header.Get("Location"); l != "" {
		f["location"] = l
		detail += ", Location: " + l
	}
	if resp.StatusCode == http.StatusBadRequest && plainToTLS(resp.Body) {
		return Result{Seen: "TLS", Fields: f, Detail: "not HTTP: TLS (the server says plain HTTP was sent to its HTTPS port: " + detail + ")"}, nil
	}
	return Result{OK: true, Fields: f, Detail: detail}, nil
}

// plainToTLS recognises the 400 that Go's net/http and nginx send when plain
// HTTP reaches their TLS port, so that case reads "TLS" and not "HTTP 400".
func plainToTLS(body io.Reader) bool {
	b, _ := io.ReadAll(io.LimitReader(body, 512))
	return bytes.Contains(b, []byte("HTTP request to an HTTPS server")) ||
		bytes.Contains(b, []byte("HTTP request was sent to HTTPS port"))
}
