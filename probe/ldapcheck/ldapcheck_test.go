package ldapcheck

import (
	"context"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/carbonprobe/carbonprobe/internal/fixtures"
	"github.com/carbonprobe/carbonprobe/internal/testnet"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestCheckSlapd(t *testing.T) {
	s := fixtures.StartSlapd(t, 0)
	r, err := Check(testnet.Context(t, 5*time.Second), testnet.Dial(t, s.Addr))
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
	r, err := Check(testnet.Context(t, 5*time.Second), testnet.Dial(t, s.Addr))
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
		{"silent", testnet.Peer(t, "tcp", testnet.Ignore), 300 * time.Millisecond, "timeout"},
		{"closes", testnet.Peer(t, "tcp", testnet.Hangup), 0, "closed without a reply"},
		{"garbage", testnet.Peer(t, "tcp", testnet.Send([]byte{0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3})), 0, "garbage (hex deadbeef00010203)"},
		{"ssh banner", testnet.Peer(t, "tcp", testnet.Send([]byte("SSH-2.0-OpenSSH_9.2p1\r\n"))), 0, "SSH"},
		{"HTTP server", web.Listener.Addr().String(), 0, "HTTP"},
		// A BER header claiming a 2 GiB SEQUENCE, then an endless body.
		// The head of an LDAP message claiming 2 GiB, then nothing: not an answer.
		{"a header, then silence", testnet.Peer(t, "tcp", testnet.Send([]byte{0x30, 0x84, 0x7f, 0xff, 0xff, 0xff, 0x02, 0x01, 0x01, 0x64, 0x84, 0x7f, 0xff, 0xff, 0xf0})), 300 * time.Millisecond, "timeout"},
		{"huge length, endless stream", testnet.Peer(t, "tcp", testnet.Flood([]byte{0x30, 0x84, 0x7f, 0xff, 0xff, 0xff}, []byte{0x04, 0x01, 0x61}, 100<<20)), 0, "garbage (hex 30847fffffff"},
		{"stream 100 MB garbage", testnet.Peer(t, "tcp", testnet.Flood(nil, []byte{0xff, 0x00}, 100<<20)), 0, "garbage (hex ff00"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := tc.deadline
			if d == 0 {
				d = time.Minute // must end on the peer's behaviour, not the deadline
			}
			c := &testnet.Counted{Conn: testnet.Dial(t, tc.addr)}
			r, err := Check(testnet.Context(t, d), c)
			if err != nil {
				t.Fatal(err)
			}
			detail := "not LDAP: " + r.Seen
			if tc.name == "a header, then silence" {
				detail = "an LDAP message began (garbage (hex 30847fffffff02010164847ffffff0)) but was not complete within the deadline"
			}
			if r.OK || !strings.HasPrefix(r.Seen, tc.seen) || r.Detail != detail {
				t.Fatalf("got %+v; want Seen %q...", r, tc.seen)
			}
			if n := c.BytesRead(); n > maxReply {
				t.Errorf("read %d bytes, limit is %d", n, maxReply)
			}
		})
	}
}

// The library runs a reader and a dispatcher goroutine per connection: they
// must be gone once Check returns and the caller closes, whatever happened.
func TestCheckLeavesNoGoroutines(t *testing.T) {
	s := fixtures.StartSlapd(t, 0)
	// The peer's own goroutines are ignored: they live until the test ends.
	addr := testnet.Peer(t, "tcp", testnet.Ignore)
	before := goleak.IgnoreCurrent()
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
	goleak.VerifyNone(t, before)
}

func TestCheckCancelIsAnError(t *testing.T) {
	accepted := make(chan struct{})
	addr := testnet.Peer(t, "tcp", func(c net.Conn) { close(accepted); testnet.Ignore(c) })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { <-accepted; cancel() }()
	if r, err := Check(ctx, testnet.Dial(t, addr)); err == nil {
		t.Fatalf("cancelled probe: want an error, got %+v", r)
	}
}

func TestCheckNotStarted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Check(ctx, testnet.Dial(t, testnet.Peer(t, "tcp", testnet.Ignore))); err == nil {
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
