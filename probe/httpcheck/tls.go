package httpcheck

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/carbonprobe/carbonprobe/probe/peek"
)

// DefaultWarnWithin is how close to expiry a certificate draws a warning when
// CheckHTTPS is given warnWithin == 0.
const DefaultWarnWithin = 30 * 24 * time.Hour

// WSO2DefaultCertWarning is the warning for the certificate every WSO2 product
// ships in wso2carbon.jks: its private key is public.
const WSO2DefaultCertWarning = "WSO2's default self-signed certificate: replace it before production"

// CheckHTTPS completes a TLS handshake without verifying the peer (WSO2 ships
// self-signed certificates), reports the leaf certificate and whether its
// chain verifies against the system roots for serverName, then sends GET / as
// CheckHTTP does. serverName is sent as SNI (unless it is an IP address) and
// used for verification; when empty, the remote host is used for
// verification. warnWithin == 0 means DefaultWarnWithin; a negative value
// turns the expiry warning off (an expired certificate still warns).
func CheckHTTPS(ctx context.Context, conn net.Conn, serverName string, warnWithin time.Duration, want *Want) (Result, error) {
	stop, err := arm(ctx, conn)
	if err != nil {
		return Result{}, err
	}
	defer stop()
	if serverName == "" {
		serverName, _, _ = net.SplitHostPort(conn.RemoteAddr().String())
	}
	if warnWithin == 0 {
		warnWithin = DefaultWarnWithin
	}
	req, err := request(serverName, conn, want)
	if err != nil {
		return Result{}, err
	}
	raw := peek.NewRecorder(conn, maxTLSReply)
	tc := tls.Client(raw, &tls.Config{
		ServerName:         serverName,
		InsecureSkipVerify: true, // verified below, against the system roots, to report rather than refuse
		MinVersion:         tls.VersionTLS10,
	})
	if err := tc.HandshakeContext(ctx); err != nil {
		return handshakeFailed(ctx, err, raw.First())
	}
	state := tc.ConnectionState()
	f := map[string]string{
		"tls_version": tls.VersionName(state.Version),
		"cipher":      tls.CipherSuiteName(state.CipherSuite),
	}
	var warnings []string
	certLine := "no certificate"
	if len(state.PeerCertificates) > 0 {
		certLine, warnings = describeCert(state.PeerCertificates, serverName, warnWithin, time.Now(), f)
	}
	tlsLine := tls.VersionName(state.Version) + ", " + certLine

	// A fresh budget for the HTTP part, as for plain HTTP.
	r, err := exchange(ctx, peek.NewRecorder(tc, maxHTTPReply), req, want)
	if err != nil {
		return Result{}, err
	}
	for k, v := range r.Fields {
		f[k] = v
	}
	r.Fields, r.Warnings = f, warnings
	if !r.OK {
		r.Detail = "TLS answered (" + tlsLine + ") but HTTP did not: " + r.Detail
		if r.Seen == "" {
			r.Seen = "TLS"
		}
		return r, nil
	}
	r.Detail = tlsLine + "; " + r.Detail
	return r, nil
}

// handshakeFailed says what answered a ClientHello with something other
// than a completed handshake.
func handshakeFailed(ctx context.Context, err error, first []byte) (Result, error) {
	var rhe tls.RecordHeaderError
	var op *net.OpError
	switch {
	case errors.As(err, &rhe):
		seen, cerr := outcome(ctx, err, first)
		if cerr != nil {
			return Result{}, cerr
		}
		if seen == "HTTP" {
			line, _, _ := bytes.Cut(first, []byte("\r\n"))
			return Result{Seen: "HTTP", Detail: fmt.Sprintf("not TLS: HTTP answered (%q)", line)}, nil
		}
		return Result{Seen: seen, Detail: "not TLS: " + seen}, nil
	case errors.As(err, &op) && op.Op == "remote error":
		// A TLS server that refused us (no common cipher, client certificate
		// required, ...): the protocol is TLS, the handshake failed.
		if _, cerr := outcome(ctx, err, nil); cerr != nil {
			return Result{}, cerr
		}
		return Result{Seen: "TLS", Detail: "TLS server refused the handshake: " + err.Error()}, nil
	}
	seen, cerr := outcome(ctx, err, first)
	if cerr != nil {
		return Result{}, cerr
	}
	if seen == "TLS" {
		return Result{Seen: seen, Detail: "TLS handshake failed: " + err.Error()}, nil
	}
	return Result{Seen: seen, Detail: "no TLS handshake: " + seen}, nil
}

// describeCert fills f with the leaf's fields and returns a one-line summary
// and the warnings an operator should act on.
func describeCert(chain []*x509.Certificate, serverName string, warnWithin time.Duration, now time.Time, f map[string]string) (string, []string) {
	leaf := chain[0]
	sum := sha256.Sum256(leaf.Raw)
	left := leaf.NotAfter.Sub(now)
	days := int(math.Floor(left.Hours() / 24))
	selfIssued := bytes.Equal(leaf.RawSubject, leaf.RawIssuer)
	f["subject"] = leaf.Subject.String()
	f["issuer"] = leaf.Issuer.String()
	f["not_before"] = leaf.NotBefore.UTC().Format(time.RFC3339)
	f["not_after"] = leaf.NotAfter.UTC().Format(time.RFC3339)
	f["days_left"] = strconv.Itoa(days)
	f["serial"] = leaf.SerialNumber.Text(16)
	f["sha256"] = hex.EncodeToString(sum[:])
	f["self_issued"] = strconv.FormatBool(selfIssued)
	if sans := names(leaf); len(sans) > 0 {
		f["sans"] = strings.Join(sans, ",")
	}

	trust := "verifies for " + serverName
	chainErr, nameErr := verify(chain, serverName)
	f["verified"] = strconv.FormatBool(chainErr == nil && nameErr == nil)
	if chainErr != nil || nameErr != nil {
		var why, long []string
		if chainErr != nil {
			why, long = append(why, shortChainError(chainErr)), append(long, chainErr.Error())
		}
		if nameErr != nil {
			why, long = append(why, shortNameError(leaf, serverName)), append(long, nameErr.Error())
		}
		f["verify_error"] = strings.Join(long, "; ")
		trust = "does not verify for " + serverName + ": " + strings.Join(why, ", ")
	}

	var warnings []string
	switch {
	case !now.Before(leaf.NotAfter):
		warnings = append(warnings, fmt.Sprintf("certificate expired on %s (%d days ago)", leaf.NotAfter.UTC().Format(time.DateOnly), -days))
	case now.Before(leaf.NotBefore):
		warnings = append(warnings, "certificate not valid before "+leaf.NotBefore.UTC().Format(time.RFC3339))
	case warnWithin > 0 && left < warnWithin:
		warnings = append(warnings, fmt.Sprintf("certificate expires on %s, in %d days (warning threshold %d days)", leaf.NotAfter.UTC().Format(time.DateOnly), days, int(warnWithin.Hours()/24)))
	}
	if selfIssued && isWSO2Default(leaf) {
		f["wso2_default_cert"] = "true"
		warnings = append(warnings, WSO2DefaultCertWarning)
	}
	line := fmt.Sprintf("certificate %s, issuer %s, expires %s (%d days), %s",
		leaf.Subject, leaf.Issuer, leaf.NotAfter.UTC().Format(time.DateOnly), days, trust)
	if selfIssued {
		line = fmt.Sprintf("self-signed certificate %s, expires %s (%d days), %s",
			leaf.Subject, leaf.NotAfter.UTC().Format(time.DateOnly), days, trust)
	}
	return line, warnings // the warnings stand apart, where the report lists them
}

func names(c *x509.Certificate) []string {
	out := append([]string(nil), c.DNSNames...)
	for _, ip := range c.IPAddresses {
		out = append(out, ip.String())
	}
	out = append(out, c.EmailAddresses...)
	for _, u := range c.URIs {
		out = append(out, u.String())
	}
	return out
}

// verifyRoots is nil (the system roots) except in tests, which cannot add
// their CA to the machine's store.
var verifyRoots *x509.CertPool

// verify checks the chain and the name apart, as a client using the system
// roots would, so that a self-signed certificate with the right name and a
// trusted one with the wrong name read differently. An IP serverName is
// checked against the IP SANs.
func verify(chain []*x509.Certificate, serverName string) (chainErr, nameErr error) {
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	_, chainErr = chain[0].Verify(x509.VerifyOptions{Intermediates: inter, Roots: verifyRoots})
	return chainErr, chain[0].VerifyHostname(serverName)
}

func shortChainError(err error) string {
	var ua x509.UnknownAuthorityError
	var ce x509.CertificateInvalidError
	switch {
	case errors.As(err, &ua):
		return "signed by an unknown authority"
	case errors.As(err, &ce) && ce.Reason == x509.Expired:
		return "expired or not yet valid"
	}
	return err.Error()
}

func shortNameError(c *x509.Certificate, serverName string) string {
	if len(names(c)) == 0 {
		return "no subject alternative names, and clients ignore the CN"
	}
	return "not issued for " + serverName
}

// isWSO2Default matches the subject of the key pair in every WSO2 product's
// wso2carbon.jks: CN=localhost, O=WSO2, L=Mountain View, ST=CA, C=US.
func isWSO2Default(c *x509.Certificate) bool {
	s := c.Subject
	one := func(v []string, want string) bool { return len(v) == 1 && v[0] == want }
	return s.CommonName == "localhost" && one(s.Organization, "WSO2") &&
		one(s.Locality, "Mountain View") && one(s.Province, "CA") && one(s.Country, "US") &&
		len(s.OrganizationalUnit) == 0
}
