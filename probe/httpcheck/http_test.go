package httpcheck

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
	"golang.org/x/net/nettest"

	"github.com/carbonprobe/carbonprobe/internal/testnet"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// quietLog keeps the test servers' expected handshake complaints out of the output.
var quietLog = log.New(io.Discard, "", 0)

func TestCheckHTTPReportsStatusAndServer(t *testing.T) {
	var got *http.Request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		w.Header().Set("Server", "WSO2 Carbon Server")
		w.Header().Set("Location", "https://localhost:9443/carbon/")
		w.WriteHeader(http.StatusFound)
	}))
	defer srv.Close()
	addr := srv.Listener.Addr().String()

	r, err := CheckHTTP(testnet.Context(t, 5*time.Second), testnet.Dial(t, addr), "carbon.example:8290", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK || r.Seen != "" {
		t.Fatalf("want OK, got %+v", r)
	}
	want := map[string]string{
		"proto": "HTTP/1.1", "status": "302 Found", "status_code": "302",
		"server": "WSO2 Carbon Server", "location": "https://localhost:9443/carbon/",
	}
	for k, v := range want {
		if r.Fields[k] != v {
			t.Errorf("Fields[%q] = %q, want %q", k, r.Fields[k], v)
		}
	}
	if !strings.Contains(r.Detail, "302 Found") || !strings.Contains(r.Detail, "WSO2 Carbon Server") {
		t.Errorf("Detail %q lacks status or server", r.Detail)
	}
	if got == nil {
		t.Fatal("server saw no request")
	}
	if got.Method != "GET" || got.URL.Path != "/" || got.Host != "carbon.example:8290" ||
		got.UserAgent() != "carbonprobe" || !got.Close {
		t.Errorf("request = %s %s Host=%q UA=%q close=%v", got.Method, got.URL, got.Host, got.UserAgent(), got.Close)
	}
}

func TestCheckHTTPDefaultsHostToRemoteAddress(t *testing.T) {
	hosts := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hosts <- r.Host
	}))
	defer srv.Close()
	addr := srv.Listener.Addr().String()
	r, err := CheckHTTP(testnet.Context(t, 5*time.Second), testnet.Dial(t, addr), "", nil)
	if err != nil || !r.OK {
		t.Fatalf("got %+v, %v", r, err)
	}
	if h := <-hosts; h != addr {
		t.Errorf("Host = %q, want %q", h, addr)
	}
	if r.Fields["server"] != "" {
		t.Errorf("no Server header was sent, got %q", r.Fields["server"])
	}
}

func TestCheckHTTPAnyStatusIsHTTP(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	r, err := CheckHTTP(testnet.Context(t, 5*time.Second), testnet.Dial(t, srv.Listener.Addr().String()), "", nil)
	if err != nil || !r.OK || r.Fields["status_code"] != "404" {
		t.Fatalf("got %+v, %v", r, err)
	}
}

// TestCheckHTTPWant: a path, the statuses that count, a body and a header:
// a readiness endpoint that answers 500 is HTTP, but not the answer wanted.
func TestCheckHTTPWant(t *testing.T) {
	var lastPath string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lastPath = r.URL.Path
		w.Header().Set("X-Ready", r.URL.Query().Get("h"))
		switch r.URL.Path {
		case "/healthz":
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprint(w, `{"status": "not ready, faulty CAPPs detected", "Faulty CAPPs" : ["a"]}`)
		default:
			fmt.Fprint(w, `{"status" : "ready"}`)
		}
	}))
	defer srv.Close()
	addr := srv.Listener.Addr().String()
	for _, tc := range []struct {
		name   string
		want   Want
		ok     bool
		seen   string
		detail string
	}{
		{"a 500 is not 2xx or 3xx", Want{Path: "/healthz"}, false, "HTTP 500",
			`HTTP/1.1 500 Internal Server Error at /healthz, not 2xx or 3xx: {"status": "not ready, faulty CAPPs detected", "Faulty CAPPs" : ["a"]}`},
		{"unless 5xx is asked", Want{Path: "/healthz", Status: []string{"5xx"}}, true, "", "HTTP/1.1 500 Internal Server Error at /healthz"},
		{"a code", Want{Path: "/live", Status: []string{"204"}}, false, "HTTP 200", "not 204"},
		{"body matches", Want{Path: "/ready", Body: regexp.MustCompile(`"status" : "ready"`)}, true, "", "HTTP/1.1 200 OK at /ready"},
		{"body does not", Want{Path: "/ready", Body: regexp.MustCompile(`degraded`)}, false, "HTTP without the body", "but its body does not match degraded"},
		{"header does not", Want{Path: "/ready", Header: "X-Ready", HeaderRE: regexp.MustCompile(`^yes$`)}, false, "HTTP without the header", `its X-Ready header "" does not match ^yes$`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := CheckHTTP(testnet.Context(t, 5*time.Second), testnet.Dial(t, addr), "", &tc.want)
			if err != nil || r.OK != tc.ok || r.Seen != tc.seen || !strings.Contains(r.Detail, tc.detail) {
				t.Errorf("got %+v, %v; want ok %v, seen %q, detail %q", r, err, tc.ok, tc.seen, tc.detail)
			}
			if lastPath != tc.want.Path {
				t.Errorf("requested %q, want %q", lastPath, tc.want.Path)
			}
		})
	}
}

func TestCheckHTTPOverIPv6(t *testing.T) {
	if !nettest.SupportsIPv6() {
		t.Skip("no IPv6 loopback")
	}
	addr := testnet.Peer(t, "tcp6", testnet.Send([]byte("HTTP/1.0 200 OK\r\nServer: v6\r\n\r\n")))
	r, err := CheckHTTP(testnet.Context(t, 5*time.Second), testnet.Dial(t, addr), "", nil)
	if err != nil || !r.OK || r.Fields["server"] != "v6" {
		t.Fatalf("got %+v, %v", r, err)
	}
}

func TestCheckHTTPRejectsHeaderInjection(t *testing.T) {
	addr := testnet.Peer(t, "tcp", testnet.Ignore)
	if _, err := CheckHTTP(testnet.Context(t, 5*time.Second), testnet.Dial(t, addr), "a\r\nX-Evil: 1", nil); err == nil {
		t.Fatal("want an error for a Host with CRLF")
	}
}

// TestCheckHTTPHostilePeers: whatever the peer does, the verifier gives a
// clear result, reads at most its limit, and does not wait for the deadline
// unless the peer is silent.
func TestCheckHTTPHostilePeers(t *testing.T) {
	tlsSrv := httptest.NewUnstartedServer(http.NotFoundHandler())
	tlsSrv.Config.ErrorLog = quietLog
	tlsSrv.StartTLS()
	defer tlsSrv.Close()
	ca := newCA(t)
	rawTLS := tlsPeer(t, &tls.Config{Certificates: []tls.Certificate{ca.issue(t, leafSpec(365))}})

	cases := []struct {
		name     string
		addr     string
		deadline time.Duration // the silent case only waits for this
		seen     string        // prefix
		detail   string        // substring
	}{
		{"silent", testnet.Peer(t, "tcp", testnet.Ignore), 300 * time.Millisecond, "timeout", "not HTTP: timeout"},
		// A reply that drips too slowly for the deadline is a timeout, not "text HTT".
		{"a slow reply cut by the deadline", testnet.Peer(t, "tcp", testnet.Send([]byte("HTT"))), 300 * time.Millisecond, "timeout", `the reply began ("HTT") but its status line was not complete`},
		{"closes", testnet.Peer(t, "tcp", testnet.Hangup), 0, "closed without a reply", "not HTTP"},
		{"garbage", testnet.Peer(t, "tcp", testnet.Send([]byte{0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3})), 0, "garbage (hex deadbeef00010203)", ""},
		{"ssh", testnet.Peer(t, "tcp", testnet.Send([]byte("SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n"))), 0, "SSH", ""},
		{"text", testnet.Peer(t, "tcp", testnet.Send([]byte("220 smtp ready\r\n"))), 0, `text "220 smtp ready"`, ""},
		{"stream 100 MB garbage", testnet.Peer(t, "tcp", testnet.Flood(nil, []byte{0xff, 0}, 100<<20)), 0, "garbage (hex ff00", ""},
		{"endless headers", testnet.Peer(t, "tcp", testnet.Flood([]byte("HTTP/1.1 200 OK\r\n"), []byte("X-A: b\r\n"), 100<<20)), 0, "HTTP", "headers longer than 64 KiB"},
		{"net/http TLS server", tlsSrv.Listener.Addr().String(), 0, "TLS", "not HTTP: TLS"},
		// crypto/tls hangs up on a plaintext first record without an alert:
		// nothing on the wire says TLS, and the result must not claim it.
		{"crypto/tls server", rawTLS, 0, "closed without a reply", "not HTTP"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := tc.deadline
			if d == 0 {
				d = time.Minute // must finish on the peer's behaviour, not the deadline
			}
			c := &testnet.Counted{Conn: testnet.Dial(t, tc.addr)}
			r, err := CheckHTTP(testnet.Context(t, d), c, "", nil)
			if err != nil {
				t.Fatal(err)
			}
			if r.OK || !strings.HasPrefix(r.Seen, tc.seen) || !strings.Contains(r.Detail, tc.detail) {
				t.Fatalf("got %+v; want Seen %q..., Detail containing %q", r, tc.seen, tc.detail)
			}
			if c.BytesRead() > maxHTTPReply {
				t.Errorf("read %d bytes, limit is %d", c.BytesRead(), maxHTTPReply)
			}
		})
	}
}

func TestCheckHTTPCancelIsAnError(t *testing.T) {
	accepted := make(chan struct{})
	addr := testnet.Peer(t, "tcp", func(c net.Conn) { close(accepted); testnet.Ignore(c) })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { <-accepted; cancel() }()
	r, err := CheckHTTP(ctx, testnet.Dial(t, addr), "", nil)
	if err == nil {
		t.Fatalf("cancelled probe: want an error, got %+v", r)
	}
}

func TestCheckHTTPNotStartedOnDoneContext(t *testing.T) {
	addr := testnet.Peer(t, "tcp", testnet.Ignore)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := CheckHTTP(ctx, testnet.Dial(t, addr), "", nil); err == nil {
		t.Fatal("want an error for a done context")
	}
	if _, err := CheckHTTP(context.Background(), nil, "", nil); err == nil {
		t.Fatal("want an error for a nil conn")
	}
}

// tlsPeer is a bare crypto/tls server (no net/http), answering "hello".
func tlsPeer(t testing.TB, cfg *tls.Config) string {
	return testnet.Peer(t, "tcp", func(c net.Conn) {
		tc := tls.Server(c, cfg)
		if err := tc.Handshake(); err != nil {
			return
		}
		testnet.Ignore(tc)
	})
}
