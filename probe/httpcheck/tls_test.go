package httpcheck

import (
	"crypto/tls"
	"crypto/x509/pkix"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/carbonprobe/carbonprobe/internal/testnet"
)

func leafSpec(days int) certSpec {
	return certSpec{
		subject:   pkix.Name{CommonName: "carbon.test", Organization: []string{"Test"}},
		notBefore: time.Now().Add(-time.Hour),
		notAfter:  time.Now().Add(time.Duration(days)*24*time.Hour + time.Hour),
		dns:       []string{"carbon.test", "localhost"},
		ips:       []net.IP{net.ParseIP("127.0.0.1")},
	}
}

var wso2Subject = pkix.Name{
	CommonName: "localhost", Organization: []string{"WSO2"}, Locality: []string{"Mountain View"},
	Province: []string{"CA"}, Country: []string{"US"},
}

func httpsServer(t testing.TB, cert tls.Certificate, maxVersion uint16) string {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Server", "WSO2 Carbon Server")
		w.WriteHeader(http.StatusOK)
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MaxVersion: maxVersion}
	srv.Config.ErrorLog = quietLog
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}

func TestCheckHTTPSCertificates(t *testing.T) {
	ca := newCA(t)
	wso2 := certSpec{subject: wso2Subject, notBefore: time.Now().Add(-time.Hour), notAfter: time.Now().Add(3650*24*time.Hour + time.Hour), dns: []string{"localhost"}, selfSign: true}
	wso2ByCA := wso2
	wso2ByCA.selfSign = false
	expired := leafSpec(0)
	expired.notBefore, expired.notAfter = time.Now().Add(-90*24*time.Hour), time.Now().Add(-5*24*time.Hour-time.Hour)

	cases := []struct {
		name       string
		spec       certSpec
		serverName string
		warnWithin time.Duration
		trustCA    bool
		days       int
		verified   bool
		warnings   []string // substrings, in order
		wso2       bool
	}{
		{"valid, unknown authority", leafSpec(365), "carbon.test", 0, false, 365, false, nil, false},
		{"valid, trusted", leafSpec(365), "carbon.test", 0, true, 365, true, nil, false},
		{"trusted by IP SAN", leafSpec(365), "127.0.0.1", 0, true, 365, true, nil, false},
		{"trusted CA, wrong name", leafSpec(365), "other.test", 0, true, 365, false, nil, false},
		{"expires soon", leafSpec(10), "carbon.test", 0, false, 10, false, []string{"expires on", "in 10 days (warning threshold 30 days)"}, false},
		{"expires soon, warning off", leafSpec(10), "carbon.test", -1, false, 10, false, nil, false},
		{"expires soon, custom threshold", leafSpec(10), "carbon.test", 7 * 24 * time.Hour, false, 10, false, nil, false},
		{"expired", expired, "carbon.test", 0, true, -6, false, []string{"certificate expired on", "(6 days ago)"}, false},
		{"WSO2 default", wso2, "localhost", 0, false, 3650, false, []string{WSO2DefaultCertWarning}, true},
		{"WSO2 subject, CA-issued", wso2ByCA, "localhost", 0, false, 3650, false, nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.trustCA {
				verifyRoots = ca.pool
				t.Cleanup(func() { verifyRoots = nil })
			}
			addr := httpsServer(t, ca.issue(t, tc.spec), 0)
			r, err := CheckHTTPS(testnet.Context(t, 5*time.Second), testnet.Dial(t, addr), tc.serverName, tc.warnWithin, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !r.OK || r.Fields["status_code"] != "200" || r.Fields["server"] != "WSO2 Carbon Server" {
				t.Fatalf("want HTTPS OK with 200 and Server, got %+v", r)
			}
			if r.Fields["days_left"] != strconv.Itoa(tc.days) {
				t.Errorf("days_left = %s, want %d", r.Fields["days_left"], tc.days)
			}
			if r.Fields["verified"] != strconv.FormatBool(tc.verified) {
				t.Errorf("verified = %s (%s), want %v", r.Fields["verified"], r.Fields["verify_error"], tc.verified)
			}
			if got := strings.Join(r.Warnings, " | "); len(tc.warnings) == 0 && got != "" {
				t.Errorf("unexpected warnings %q", got)
			}
			for _, w := range tc.warnings {
				if !strings.Contains(strings.Join(r.Warnings, " | "), w) {
					t.Errorf("warnings %q lack %q", r.Warnings, w)
				}
				if strings.Contains(r.Detail, w) {
					t.Errorf("detail %q repeats the warning %q: the report lists warnings apart", r.Detail, w)
				}
			}
			if (r.Fields["wso2_default_cert"] == "true") != tc.wso2 {
				t.Errorf("wso2_default_cert = %q, want %v", r.Fields["wso2_default_cert"], tc.wso2)
			}
			if r.Fields["subject"] != tc.spec.subject.String() {
				t.Errorf("subject = %q, want %q", r.Fields["subject"], tc.spec.subject)
			}
			if tc.spec.selfSign != (r.Fields["self_issued"] == "true") {
				t.Errorf("self_issued = %s", r.Fields["self_issued"])
			}
			if !tc.spec.selfSign && r.Fields["issuer"] != "CN=carbonprobe test CA" {
				t.Errorf("issuer = %q", r.Fields["issuer"])
			}
			if strings.ContainsAny(r.Detail, "\r\n") {
				t.Errorf("detail is not one line: %q", r.Detail)
			}
		})
	}
}

func TestCheckHTTPSSaysWhyItDoesNotVerify(t *testing.T) {
	ca := newCA(t)
	noSAN := leafSpec(365)
	noSAN.dns, noSAN.ips, noSAN.selfSign = nil, nil, true
	cases := []struct {
		name, serverName string
		spec             certSpec
		trust            bool
		want             string
	}{
		{"self-signed, right name", "carbon.test", func() certSpec { s := leafSpec(365); s.selfSign = true; return s }(), false, "does not verify for carbon.test: signed by an unknown authority;"},
		{"trusted, wrong name", "other.test", leafSpec(365), true, "does not verify for other.test: not issued for other.test;"},
		{"untrusted, wrong name", "other.test", leafSpec(365), false, "does not verify for other.test: signed by an unknown authority, not issued for other.test;"},
		{"CN only", "carbon.test", noSAN, false, "signed by an unknown authority, no subject alternative names, and clients ignore the CN;"},
		{"trusted", "carbon.test", leafSpec(365), true, "verifies for carbon.test;"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.trust {
				verifyRoots = ca.pool
				t.Cleanup(func() { verifyRoots = nil })
			}
			addr := httpsServer(t, ca.issue(t, tc.spec), 0)
			r, err := CheckHTTPS(testnet.Context(t, 5*time.Second), testnet.Dial(t, addr), tc.serverName, 0, nil)
			if err != nil || !r.OK {
				t.Fatalf("got %+v, %v", r, err)
			}
			if !strings.Contains(r.Detail, tc.want) {
				t.Errorf("detail %q lacks %q", r.Detail, tc.want)
			}
		})
	}
}

func TestCheckHTTPSFields(t *testing.T) {
	ca := newCA(t)
	addr := httpsServer(t, ca.issue(t, leafSpec(365)), tls.VersionTLS12)
	r, err := CheckHTTPS(testnet.Context(t, 5*time.Second), testnet.Dial(t, addr), "carbon.test", 0, nil)
	if err != nil || !r.OK {
		t.Fatalf("got %+v, %v", r, err)
	}
	if r.Fields["tls_version"] != "TLS 1.2" || r.Fields["cipher"] == "" {
		t.Errorf("tls_version %q cipher %q", r.Fields["tls_version"], r.Fields["cipher"])
	}
	if r.Fields["sans"] != "carbon.test,localhost,127.0.0.1" {
		t.Errorf("sans = %q", r.Fields["sans"])
	}
	if len(r.Fields["sha256"]) != 64 || r.Fields["serial"] == "" || r.Fields["not_after"] == "" {
		t.Errorf("fingerprint/serial/not_after missing: %v", r.Fields)
	}
	if !strings.HasPrefix(r.Detail, "TLS 1.2, certificate CN=carbon.test,O=Test, issuer CN=carbonprobe test CA") {
		t.Errorf("detail = %q", r.Detail)
	}
}

func TestCheckHTTPSHostilePeers(t *testing.T) {
	plain := httptest.NewUnstartedServer(http.NotFoundHandler())
	plain.Config.ErrorLog = quietLog
	plain.Start()
	defer plain.Close()
	ca := newCA(t)
	clientCertTLS12 := tlsPeer(t, &tls.Config{
		Certificates: []tls.Certificate{ca.issue(t, leafSpec(365))},
		ClientAuth:   tls.RequireAnyClientCert,
		MaxVersion:   tls.VersionTLS12,
	})
	tlsThenSilent := tlsPeer(t, &tls.Config{Certificates: []tls.Certificate{ca.issue(t, leafSpec(365))}})

	cases := []struct {
		name     string
		addr     string
		deadline time.Duration
		seen     string
		detail   string
	}{
		{"plain HTTP server", plain.Listener.Addr().String(), 0, "HTTP", `not TLS: HTTP answered ("HTTP/1.1 400 Bad Request")`},
		{"silent", testnet.Peer(t, "tcp", testnet.Ignore), 300 * time.Millisecond, "timeout", "no TLS handshake: timeout"},
		{"closes", testnet.Peer(t, "tcp", testnet.Hangup), 0, "closed without a reply", "no TLS handshake"},
		{"garbage", testnet.Peer(t, "tcp", testnet.Send([]byte{0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3})), 0, "garbage (hex deadbeef", "not TLS"},
		{"ssh", testnet.Peer(t, "tcp", testnet.Send([]byte("SSH-2.0-OpenSSH_9.2p1\r\n"))), 0, "SSH", "not TLS: SSH"},
		{"stream 100 MB garbage", testnet.Peer(t, "tcp", testnet.Flood(nil, []byte{0xff, 0}, 100<<20)), 0, "garbage (hex ff00", "not TLS"},
		{"stream 100 MB of TLS-looking records", testnet.Peer(t, "tcp", testnet.Flood(nil, []byte{0x16, 0x03, 0x03, 0x00, 0x04, 0x0b, 0, 0, 0}, 100<<20)), 0, "TLS", "TLS handshake failed"},
		{"client certificate required", clientCertTLS12, 0, "TLS", "TLS server refused the handshake: remote error"},
		// Long enough for a handshake on a loaded CI machine; the peer then stays silent.
		{"TLS then no HTTP", tlsThenSilent, 2 * time.Second, "timeout", "TLS answered (TLS 1.3, certificate CN=carbon.test"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := tc.deadline
			if d == 0 {
				d = time.Minute
			}
			c := &testnet.Counted{Conn: testnet.Dial(t, tc.addr)}
			r, err := CheckHTTPS(testnet.Context(t, d), c, "carbon.test", 0, nil)
			if err != nil {
				t.Fatal(err)
			}
			if r.OK || !strings.HasPrefix(r.Seen, tc.seen) || !strings.Contains(r.Detail, tc.detail) {
				t.Fatalf("got %+v; want Seen %q..., Detail containing %q", r, tc.seen, tc.detail)
			}
			if c.BytesRead() > maxTLSReply+maxHTTPReply {
				t.Errorf("read %d bytes, limit is %d", c.BytesRead(), maxTLSReply+maxHTTPReply)
			}
		})
	}
}
