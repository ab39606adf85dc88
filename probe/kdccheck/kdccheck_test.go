package kdccheck

import (
	"context"
	"encoding/binary"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/carbonprobe/carbonprobe/internal/fixtures"
	"github.com/carbonprobe/carbonprobe/internal/testnet"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// MIT krb5kdc, asked about a principal that does not exist: in its own realm
// and in one it does not serve, over UDP and TCP. MIT looks the client up
// before it looks at the realm, so both give KDC_ERR_C_PRINCIPAL_UNKNOWN
// (other KDCs answer KDC_ERR_WRONG_REALM for the second).
func TestCheckKDC(t *testing.T) {
	k := fixtures.StartKDC(t, 0)
	cases := []struct {
		name, realm, code, errName string
	}{
		{"own realm", k.Realm, "6", "KDC_ERR_C_PRINCIPAL_UNKNOWN"},
		{"default realm", "", "6", "KDC_ERR_C_PRINCIPAL_UNKNOWN"},
	}
	for _, tc := range cases {
		for _, proto := range []string{"udp", "tcp"} {
			t.Run(tc.name+"/"+proto, func(t *testing.T) {
				r, err := checkOver(t, proto, k.Addr, tc.realm, 5*time.Second)
				if err != nil {
					t.Fatal(err)
				}
				if !r.OK || r.State != Answered || r.Seen != "" {
					t.Fatalf("want a KDC answer, got %+v", r)
				}
				if r.Fields["error_code"] != tc.code || r.Fields["error_name"] != tc.errName {
					t.Errorf("error %s %s, want %s %s (%+v)", r.Fields["error_code"], r.Fields["error_name"], tc.code, tc.errName, r)
				}
				if !strings.HasPrefix(r.Detail, "KDC: "+tc.errName+" (") {
					t.Errorf("detail %q", r.Detail)
				}
				if !strings.HasPrefix(r.Fields["client"], "carbonprobe-probe-") {
					t.Errorf("client %q", r.Fields["client"])
				}
				// Same machine, same clock: the offset must be tiny.
				off, err := time.ParseDuration(r.Fields["clock_offset"])
				if err != nil || off > 2*time.Second || off < -2*time.Second || r.Fields["clock_warning"] != "" {
					t.Errorf("clock_offset %q (%v), warning %q", r.Fields["clock_offset"], err, r.Fields["clock_warning"])
				}
				if _, err := time.Parse(time.RFC3339, r.Fields["server_time"]); err != nil {
					t.Errorf("server_time %q: %v", r.Fields["server_time"], err)
				}
			})
		}
	}
	for _, realm := range []string{k.Realm, DefaultRealm} {
		t.Run("reply names the realm "+realm, func(t *testing.T) {
			r, err := checkOver(t, "udp", k.Addr, realm, 5*time.Second)
			if err != nil || r.Fields["realm"] != realm {
				t.Fatalf("realm %q, want %q (%v)", r.Fields["realm"], realm, err)
			}
		})
	}
}

// A KDC whose clock runs 15 minutes ahead: the offset is reported, and it is
// past the 5-minute tolerance every Kerberos implementation defaults to.
func TestCheckKDCClockSkew(t *testing.T) {
	k := fixtures.StartKDC(t, 0, fixtures.ClockAhead(15*time.Minute))
	r, err := checkOver(t, "udp", k.Addr, k.Realm, 5*time.Second)
	if err != nil || !r.OK {
		t.Fatalf("got %+v, %v", r, err)
	}
	off, err := time.ParseDuration(r.Fields["clock_offset"])
	if err != nil || off < 15*time.Minute-2*time.Second || off > 15*time.Minute+2*time.Second {
		t.Errorf("clock_offset %q, want about 15m", r.Fields["clock_offset"])
	}
	if r.Fields["clock_warning"] != "true" || !strings.Contains(r.Detail, "WARNING: clocks differ by more than the 5-minute Kerberos tolerance") {
		t.Errorf("no skew warning: %+v", r)
	}
}

// kdb5_util creates kadmin/admin without pre-authentication, so the KDC
// issues a ticket: the AS-REP path, with a real reply.
func TestCheckKDCIssuesASRep(t *testing.T) {
	k := fixtures.StartKDC(t, 0)
	c := testnet.DialUDP(t, k.Addr)
	r, err := check(testnet.Context(t, 5*time.Second), c, k.Realm, "kadmin/admin", false)
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK || r.Fields["reply"] != "AS-REP" || r.Fields["client"] != "kadmin/admin" || r.Fields["realm"] != k.Realm {
		t.Fatalf("want an AS-REP for kadmin/admin, got %+v", r)
	}
}

func TestCheckUDPStates(t *testing.T) {
	t.Run("refused", func(t *testing.T) {
		// A port just freed: the kernel answers ICMP port unreachable.
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(testnet.UDPUnbound(t)))
		r, err := CheckUDP(testnet.Context(t, 5*time.Second), testnet.DialUDP(t, addr), "")
		if err != nil {
			t.Fatal(err)
		}
		if r.OK || r.State != Refused || r.Seen != "refused" {
			t.Fatalf("want refused, got %+v", r)
		}
	})
	t.Run("silent", func(t *testing.T) {
		addr := testnet.UDPPeer(t, func([]byte) []byte { return nil })
		r, err := CheckUDP(testnet.Context(t, 200*time.Millisecond), testnet.DialUDP(t, addr), "")
		if err != nil {
			t.Fatal(err)
		}
		if r.OK || r.State != Silent || r.Detail != silentDetail {
			t.Fatalf("want silent, got %+v", r)
		}
	})
	replies := []struct {
		name  string
		reply []byte
		seen  string
	}{
		{"HTTP", []byte("HTTP/1.1 400 Bad Request\r\n\r\n"), "HTTP"},
		{"garbage", []byte{0xde, 0xad, 0xbe, 0xef}, "garbage (hex deadbeef)"},
		{"KRB-ERROR tag, bad body", []byte{0x7e, 0x03, 0x30, 0x01, 0x02}, "garbage (hex 7e03300102)"},
		{"AS-REP tag, bad body", []byte{0x6b, 0x02, 0x30, 0x00}, "garbage (hex 6b023000)"},
		{"empty datagram", []byte{}, "an empty datagram"},
	}
	for _, tc := range replies {
		t.Run(tc.name, func(t *testing.T) {
			addr := testnet.UDPPeer(t, func([]byte) []byte { return tc.reply })
			r, err := CheckUDP(testnet.Context(t, 5*time.Second), testnet.DialUDP(t, addr), "")
			if err != nil {
				t.Fatal(err)
			}
			if r.OK || r.State != Answered || r.Seen != tc.seen || r.Detail != "not Kerberos: "+tc.seen {
				t.Fatalf("got %+v, want Seen %q", r, tc.seen)
			}
		})
	}
	t.Run("sends an AS-REQ", func(t *testing.T) {
		got := make(chan []byte, 1)
		addr := testnet.UDPPeer(t, func(b []byte) []byte { got <- append([]byte(nil), b...); return nil })
		_, _ = CheckUDP(testnet.Context(t, 200*time.Millisecond), testnet.DialUDP(t, addr), "")
		if b := <-got; len(b) < 2 || b[0] != 0x6a {
			t.Fatalf("datagram % x: want an AS-REQ (APPLICATION 10, 0x6a)", b[:min(len(b), 8)])
		}
	})
}

func TestCheckTCPHostilePeers(t *testing.T) {
	prefix := func(n uint32) []byte { return binary.BigEndian.AppendUint32(nil, n) }
	cases := []struct {
		name     string
		handle   func(net.Conn)
		deadline time.Duration
		state    State
		seen     string // prefix
	}{
		{"silent", testnet.Ignore, 200 * time.Millisecond, Silent, "timeout"},
		{"length then nothing", testnet.Send(prefix(100)), 200 * time.Millisecond, Silent, "timeout"},
		{"closes", testnet.Hangup, 0, Closed, "closed without a reply"},
		{"HTTP", testnet.Send([]byte("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n")), 0, Answered, "HTTP"},
		{"SSH banner", testnet.Send([]byte("SSH-2.0-OpenSSH_9.2p1\r\n")), 0, Answered, "SSH"},
		{"huge length", testnet.Send(append(prefix(0x7fffffff), 1, 2, 3)), 0, Answered, "garbage (hex 7fffffff010203)"},
		{"stream 100 MB garbage", testnet.Flood(nil, []byte{0xff, 0}, 100<<20), 0, Answered, "garbage (hex ff00ff00"},
		{"framed garbage", testnet.Send(append(prefix(4), 0xde, 0xad, 0xbe, 0xef)), 0, Answered, "garbage (hex deadbeef)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := tc.deadline
			if d == 0 {
				d = time.Minute // must end on the peer's behaviour, not the deadline
			}
			addr := testnet.Peer(t, "tcp", tc.handle)
			c := &testnet.Counted{Conn: testnet.Dial(t, addr)}
			r, err := CheckTCP(testnet.Context(t, d), c, "")
			if err != nil {
				t.Fatal(err)
			}
			if r.OK || r.State != tc.state || !strings.HasPrefix(r.Seen, tc.seen) {
				t.Fatalf("got %+v, want state %s, Seen %q...", r, tc.state, tc.seen)
			}
			if c.BytesRead() > maxReply+4096 {
				t.Errorf("read %d bytes, limit is %d", c.BytesRead(), maxReply)
			}
		})
	}
}

func TestCheckCancelIsAnError(t *testing.T) {
	got := make(chan struct{})
	addr := testnet.UDPPeer(t, func([]byte) []byte { close(got); return nil })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { <-got; cancel() }()
	if r, err := CheckUDP(ctx, testnet.DialUDP(t, addr), ""); err == nil {
		t.Fatalf("cancelled probe: want an error, got %+v", r)
	}
}

func TestCheckNotStarted(t *testing.T) {
	if _, err := CheckUDP(context.Background(), nil, ""); err == nil {
		t.Fatal("want an error for a nil conn")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := CheckTCP(ctx, testnet.Dial(t, testnet.Peer(t, "tcp", testnet.Ignore)), ""); err == nil {
		t.Fatal("want an error for a done context")
	}
}

func TestErrorName(t *testing.T) {
	for code, want := range map[int32][2]string{
		6:   {"KDC_ERR_C_PRINCIPAL_UNKNOWN", "client not found in Kerberos database"},
		68:  {"KDC_ERR_WRONG_REALM", "reserved for future use"},
		25:  {"KDC_ERR_PREAUTH_REQUIRED", "additional pre-authentication required"},
		999: {"error code 999", "not in RFC 4120"},
	} {
		if n, d := errorName(code); n != want[0] || d != want[1] {
			t.Errorf("errorName(%d) = %q, %q; want %q, %q", code, n, d, want[0], want[1])
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte{0x7e, 0x03, 0x30, 0x01, 0x02})
	f.Add([]byte{0x6b, 0x82, 0xff, 0xff, 0x30})
	f.Add([]byte("HTTP/1.1 200 OK"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r := parse(b, DefaultRealm, "x", time.Now())
		if r.State != Answered || r.Detail == "" || r.OK == (r.Seen != "") {
			t.Fatalf("parse(% x) = %+v", b, r)
		}
	})
}

func BenchmarkCheckKDC(b *testing.B) {
	k := fixtures.StartKDC(b, 0)
	for _, proto := range []string{"udp", "tcp"} {
		b.Run(proto, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r, err := checkOver(b, proto, k.Addr, k.Realm, 5*time.Second)
				if err != nil || !r.OK {
					b.Fatalf("%+v %v", r, err)
				}
			}
		})
	}
}

// checkOver dials, checks and closes, as the caller does.
func checkOver(t testing.TB, proto, addr, realm string, d time.Duration) (Result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	c, err := net.Dial(proto, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if proto == "udp" {
		return CheckUDP(ctx, c.(*net.UDPConn), realm)
	}
	return CheckTCP(ctx, c, realm)
}
