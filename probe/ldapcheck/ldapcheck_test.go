package ldapcheck

import (
	"context"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/carbonprobe/carbonprobe/internal/fixtures"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestCheckSlapd(t *testing.T) {
	s := fixtures.StartSlapd(t, 0)
	r, err := Check(withTimeout(t, 5*time.Second), dial(t, s.Addr))
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK || r.Seen != "" {
		t.Fatalf("want OK, got %+v", r)
	}
	want := map[string]string{
		"naming_contexts":        fixtures.SlapdSuffix,
		"supported_ldap_version": "3",
		"subschema_subentry":     "cn=Subschema",
	}
	for k, v := range want {
		if r.Fields[k] != v {
			t.Errorf("Fields[%q] = %q, want %q", k, r.Fields[k], v)
		}
	}
	if _, ok := r.Fields["vendor_name"]; ok {
		t.Errorf("OpenLDAP publishes no vendorName, got %q", r.Fields["vendor_name"])
	}
	wantDetail := "root DSE of no vendorName (OpenLDAP publishes none); naming contexts dc=wso2,dc=org; LDAP versions 3"
	if r.Detail != wantDetail {
		t.Errorf("Detail = %q, want %q", r.Detail, wantDetail)
	}
}

func TestCheckSlapdRefusingAnonymous(t *testing.T) {
	s := fixtures.StartSlapd(t, 0, fixtures.NoAnonymous)
	r, err := Check(withTimeout(t, 5*time.Second), dial(t, s.Addr))
	if err != nil {
		t.Fatal(err)
	}
	// slapd's "require authc" answers unwillingToPerform (53).
	want := `LDAP answered, but refused the anonymous root DSE search: LDAP Result Code 53 "Unwilling To Perform": authentication required`
	if !r.OK || r.Detail != want || r.Fields["result_code"] != "53" {
		t.Fatalf("want LDAP that refused, got %+v", r)
	}
}

// Whatever the peer does, the verifier gives a clear result and reads at
// most its limit; only the silent peer makes it wait for the deadline.
func TestCheckHostilePeers(t *testing.T) {
	web := httptest.NewUnstartedServer(http.NotFoundHandler())
	web.Config.ErrorLog = log.New(io.Discard, "", 0)
	web.Start()
	defer web.Close()

	cases := []struct {
		name     string
		addr     string
		deadline time.Duration
		seen     string // prefix
	}{
		{"silent", peer(t, silent), 300 * time.Millisecond, "timeout"},
		{"closes", peer(t, closing), 0, "closed without a reply"},
		{"garbage", peer(t, sending([]byte{0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3})), 0, "garbage (hex deadbeef00010203)"},
		{"ssh banner", peer(t, sending([]byte("SSH-2.0-OpenSSH_9.2p1\r\n"))), 0, "SSH"},
		{"HTTP server", web.Listener.Addr().String(), 0, "HTTP"},
		// A BER header claiming a 2 GiB SEQUENCE, then an endless body.
		{"huge length, endless stream", peer(t, streaming([]byte{0x30, 0x84, 0x7f, 0xff, 0xff, 0xff}, []byte{0x04, 0x01, 0x61})), 0, "garbage (hex 30847fffffff"},
		{"stream 100 MB garbage", peer(t, streaming(nil, []byte{0xff, 0x00})), 0, "garbage (hex ff00"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := tc.deadline
			if d == 0 {
				d = time.Minute // must end on the peer's behaviour, not the deadline
			}
			c := &counted{Conn: dial(t, tc.addr)}
			r, err := Check(withTimeout(t, d), c)
			if err != nil {
				t.Fatal(err)
			}
			if r.OK || !strings.HasPrefix(r.Seen, tc.seen) || r.Detail != "not LDAP: "+r.Seen {
				t.Fatalf("got %+v; want Seen %q...", r, tc.seen)
			}
			if n := c.read(); n > maxReply {
				t.Errorf("read %d bytes, limit is %d", n, maxReply)
			}
		})
	}
}

// The library runs a reader and a dispatcher goroutine per connection: they
// must be gone once Check returns and the caller closes, whatever happened.
func TestCheckLeavesNoGoroutines(t *testing.T) {
	s := fixtures.StartSlapd(t, 0)
	before := goleak.IgnoreCurrent()
	ln, addr := listen(t)
	var wg sync.WaitGroup
	go serve(ln, &wg, silent)
	for _, target := range []struct {
		addr string
		d    time.Duration
	}{{s.Addr, 5 * time.Second}, {addr, 100 * time.Millisecond}} {
		for range 5 {
			c, err := net.Dial("tcp", target.addr)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), target.d)
			_, err = Check(ctx, c)
			cancel()
			c.Close()
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	ln.Close()
	wg.Wait()
	goleak.VerifyNone(t, before)
}

func TestCheckCancelIsAnError(t *testing.T) {
	accepted := make(chan struct{})
	addr := peer(t, func(c net.Conn) { close(accepted); silent(c) })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { <-accepted; cancel() }()
	if r, err := Check(ctx, dial(t, addr)); err == nil {
		t.Fatalf("cancelled probe: want an error, got %+v", r)
	}
}

func TestCheckNotStarted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Check(ctx, dial(t, peer(t, silent))); err == nil {
		t.Fatal("want an error for a done context")
	}
	if _, err := Check(context.Background(), nil); err == nil {
		t.Fatal("want an error for a nil conn")
	}
}

func BenchmarkCheckSlapd(b *testing.B) {
	s := fixtures.StartSlapd(b, 0)
	b.ReportAllocs()
	for b.Loop() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		c, err := net.Dial("tcp", s.Addr)
		if err != nil {
			b.Fatal(err)
		}
		r, err := Check(ctx, c)
		c.Close()
		cancel()
		if err != nil || !r.OK {
			b.Fatalf("%+v %v", r, err)
		}
	}
}

// Loopback peers.

func listen(t testing.TB) (net.Listener, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln, ln.Addr().String()
}

func serve(ln net.Listener, wg *sync.WaitGroup, handle func(net.Conn)) {
	wg.Add(1)
	defer wg.Done()
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			handle(c)
		}()
	}
}

func peer(t testing.TB, handle func(net.Conn)) string {
	t.Helper()
	ln, addr := listen(t)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); serve(ln, &wg, handle) }()
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	return addr
}

func dial(t testing.TB, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func withTimeout(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func silent(c net.Conn) { _, _ = io.Copy(io.Discard, c) }

func closing(net.Conn) {}

func sending(b []byte) func(net.Conn) {
	return func(c net.Conn) {
		_, _ = c.Write(b)
		_, _ = io.Copy(io.Discard, c)
	}
}

func streaming(prefix, pattern []byte) func(net.Conn) {
	return func(c net.Conn) {
		go func() { _, _ = io.Copy(io.Discard, c) }()
		if _, err := c.Write(prefix); err != nil {
			return
		}
		chunk := make([]byte, 0, 64<<10)
		for len(chunk)+len(pattern) <= cap(chunk) {
			chunk = append(chunk, pattern...)
		}
		for sent := 0; sent < 100<<20; sent += len(chunk) {
			if _, err := c.Write(chunk); err != nil {
				return
			}
		}
	}
}

// counted counts what the verifier read; the library reads from its own
// goroutine, hence the lock.
type counted struct {
	net.Conn
	mu sync.Mutex
	n  int64
}

func (c *counted) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	c.n += int64(n)
	c.mu.Unlock()
	return n, err
}

func (c *counted) read() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}
