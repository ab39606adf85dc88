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
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
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

// Want asks more of a reply than any HTTP status: a path, the statuses that
// count, a body or a header to match. A nil *Want asks nothing more.
type Want struct {
	Path   string         // the request's path; "/" when empty
	Status []string       // classes ("2xx") or codes ("204"); empty: 2xx and 3xx
	Body   *regexp.Regexp // matched against the first MaxBody bytes of the body
	Header string         // a header's name, matched by HeaderRE
	// HeaderRE is the header value's regular expression.
	HeaderRE *regexp.Regexp
}

// MaxBody bounds what is read of a body to match it.
const MaxBody = 64 << 10

// statusOK tells whether code is one of the statuses w counts.
func (w *Want) statusOK(code int) bool {
	if len(w.Status) == 0 {
		return code >= 200 && code < 400
	}
	c := strconv.Itoa(code)
	for _, s := range w.Status {
		if s == c || len(s) == 3 && strings.HasSuffix(s, "xx") && s[0] == c[0] {
			return true
		}
	}
	return false
}

func (w *Want) path() string {
	if w.Path == "" {
		return "/"
	}
	return w.Path
}

func (w *Want) statusText() string {
	if len(w.Status) == 0 {
		return "2xx or 3xx"
	}
	return strings.Join(w.Status, " or ")
}

// CheckHTTP sends GET (want's path, else /) with the given Host header (the
// remote address when empty) and reports the status and the Server header.
// Without a want, any HTTP status counts as HTTP answering: a 404 or 500
// still proves the protocol; with one, the reply must be what it asks.
func CheckHTTP(ctx context.Context, conn net.Conn, host string, want *Want) (Result, error) {
	stop, err := arm(ctx, conn)
	if err != nil {
		return Result{}, err
	}
	defer stop()
	req, err := request(host, conn, want)
	if err != nil {
		return Result{}, err
	}
	rec := peek.NewRecorder(conn, maxHTTPReply)
	r, err := exchange(ctx, rec, req, want)
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
func request(host string, conn net.Conn, want *Want) ([]byte, error) {
	if host == "" {
		host = conn.RemoteAddr().String()
	}
	if strings.ContainsAny(host, "\r\n\x00 ") {
		return nil, fmt.Errorf("httpcheck: Host header %q: want a host[:port], got control characters or spaces", host)
	}
	path := "/"
	if want != nil {
		path = want.path()
	}
	if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " \r\n\x00") {
		return nil, fmt.Errorf("httpcheck: path %q: want an absolute path without spaces or control characters", path)
	}
	return []byte("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: carbonprobe\r\nAccept: */*\r\nConnection: close\r\n\r\n"), nil
}

// exchange writes req and reads the reply's status line and headers through
// rec, which bounds what the peer may send.
func exchange(ctx context.Context, rec *peek.Recorder, req []byte, want *Want) (Result, error) {
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
	if want != nil {
		detail += " at " + want.path()
	}
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
	if want == nil {
		return Result{OK: true, Fields: f, Detail: detail}, nil
	}
	return judge(ctx, resp, want, f, detail)
}

// judge holds a reply to what want asks: its status, then its header, then
// its body (read only when a body match is asked, bounded by MaxBody and by
// the connection's deadline).
func judge(ctx context.Context, resp *http.Response, want *Want, f map[string]string, detail string) (Result, error) {
	f["path"] = want.path()
	var body []byte
	if want.Body != nil || !want.statusOK(resp.StatusCode) {
		body, _ = io.ReadAll(io.LimitReader(resp.Body, MaxBody))
		if errors.Is(ctx.Err(), context.Canceled) {
			return Result{}, fmt.Errorf("httpcheck: cancelled: %w", ctx.Err())
		}
	}
	excerpt := func() string {
		b := bytes.TrimSpace(body)
		if len(b) > 200 {
			b = append(b[:200:200], "..."...)
		}
		if len(b) == 0 {
			return ""
		}
		return ": " + string(b)
	}
	switch {
	case !want.statusOK(resp.StatusCode):
		return Result{Seen: "HTTP " + strconv.Itoa(resp.StatusCode), Fields: f,
			Detail: fmt.Sprintf("%s, not %s%s", detail, want.statusText(), excerpt())}, nil
	case want.HeaderRE != nil && !want.HeaderRE.MatchString(resp.Header.Get(want.Header)):
		return Result{Seen: "HTTP without the header", Fields: f,
			Detail: fmt.Sprintf("%s, but its %s header %q does not match %s", detail, want.Header, resp.Header.Get(want.Header), want.HeaderRE)}, nil
	case want.Body != nil && !want.Body.Match(body):
		return Result{Seen: "HTTP without the body", Fields: f,
			Detail: fmt.Sprintf("%s, but its body does not match %s%s", detail, want.Body, excerpt())}, nil
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
