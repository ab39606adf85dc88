package httpcheck

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"
)

// peer runs handle on every connection accepted on a fresh loopback
// listener and returns its address. Cleanup closes the listener and waits for
// the handlers, which end when the client side closes.
func peer(t testing.TB, network string, handle func(net.Conn)) string {
	t.Helper()
	addr := "127.0.0.1:0"
	if network == "tcp6" {
		addr = "[::1]:0"
	}
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
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
	}()
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	return ln.Addr().String()
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

// Hostile peers, shared by the HTTP and HTTPS tests.

// silent reads what it is sent and never answers.
func silent(c net.Conn) { _, _ = io.Copy(io.Discard, c) }

// closing hangs up without a byte.
func closing(c net.Conn) {}

func sending(b []byte) func(net.Conn) {
	return func(c net.Conn) {
		_, _ = c.Write(b)
		_, _ = io.Copy(io.Discard, c)
	}
}

// streaming writes up to 100 MB of pattern and stops when the client goes.
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

// counted counts the bytes a verifier read, to show the byte limit holds.
type counted struct {
	net.Conn
	n int64
}

func (c *counted) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.n += int64(n)
	return n, err
}

// Certificates made in the test.

type certSpec struct {
	subject   pkix.Name
	notBefore time.Time
	notAfter  time.Time
	dns       []string
	ips       []net.IP
	selfSign  bool
}

type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
}

func newCA(t testing.TB) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "carbonprobe test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testCA{cert: cert, key: key, pool: pool}
}

// issue makes a leaf from s, signed by ca unless s.selfSign.
func (ca *testCA) issue(t testing.TB, s certSpec) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      s.subject,
		NotBefore:    s.notBefore,
		NotAfter:     s.notAfter,
		DNSNames:     s.dns,
		IPAddresses:  s.ips,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	parent, signer := ca.cert, ca.key
	if s.selfSign {
		parent, signer = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	chain := [][]byte{der}
	if !s.selfSign {
		chain = append(chain, ca.cert.Raw)
	}
	return tls.Certificate{Certificate: chain, PrivateKey: key}
}
