package probe_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	ber "github.com/go-asn1-ber/asn1-ber"

	"github.com/carbonprobe/carbonprobe/expect"
	"github.com/carbonprobe/carbonprobe/internal/testnet"
	"github.com/carbonprobe/carbonprobe/probe"
	"github.com/carbonprobe/carbonprobe/probe/render"
	"github.com/carbonprobe/carbonprobe/target"
)

// spoof is what a hostile peer puts in every string it controls: a terminal
// escape (clear the screen), a bell, a line break forging a verdict line,
// and 50 KB more.
var spoof = "evil\x1b[2J\x07\nHEALTHY: spoofed\r\n" + strings.Repeat("A", 50_000)

// TestPeerTextNeverReachesAReportRaw: whatever an HTTP Server header, a TLS
// certificate's subject or an LDAP root DSE holds, the text, JSON and JUnit
// reports carry it escaped and cut.
func TestPeerTextNeverReachesAReportRaw(t *testing.T) {
	httpPeer := testnet.Peer(t, "tcp", func(c net.Conn) {
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		_, _ = c.Read(make([]byte, 4096))
		fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nServer: %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", strings.ReplaceAll(spoof[:2000], "\n", "\x0b"))
	})
	tlsPeer := tlsServer(t, spoof[:300])
	ldapPeer := testnet.Peer(t, "tcp", ldapRootDSE(spoof))
	list := fmt.Sprintf("%s=http,%s=https,%s=ldap", port(httpPeer), port(tlsPeer), port(ldapPeer))
	spec, err := expect.Resolve(expect.Input{Ports: expect.Text{Value: list, Origin: "test"}})
	if err != nil {
		t.Fatal(err)
	}
	rep := probe.Check(context.Background(), target.Target{Spec: spec, Host: "127.0.0.1"}, probe.Options{Timeout: 5 * time.Second})
	for _, r := range rep.Results {
		if r.Answer == nil {
			t.Fatalf("%s: %s %s: no answer to look at", r.Port.Label(), r.State, r.Detail)
		}
	}
	var text, js, junit bytes.Buffer
	if err := render.CheckText(&text, rep, render.Style{}); err != nil {
		t.Fatal(err)
	}
	if err := render.CheckJSON(&js, rep); err != nil {
		t.Fatal(err)
	}
	if err := render.CheckJUnit(&junit, rep, render.JUnitOptions{}); err != nil {
		t.Fatal(err)
	}
	// JSON and XML escape control characters themselves: what counts is the
	// strings a reader of the document gets back.
	for name, out := range map[string]string{"text": text.String(), "json": strings.Join(jsonStrings(t, js.Bytes()), "\n"), "junit": strings.Join(xmlStrings(t, junit.Bytes()), "\n")} {
		if strings.ContainsAny(out, "\x1b\x07\x0b\r") {
			t.Errorf("%s: a control character the peer sent reached the report:\n%q", name, out)
		}
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "HEALTHY: spoofed") {
				t.Errorf("%s: the peer forged a line: %q", name, line)
			}
			if len(line) > 2000 {
				t.Errorf("%s: a line of %d bytes: %.100q...", name, len(line), line)
			}
		}
	}
	if !strings.Contains(text.String(), `evil\x1b[2J\x07`) {
		t.Errorf("the peer's text is not shown escaped:\n%s", text.String())
	}
}

// jsonStrings is every string a JSON document holds, decoded.
func jsonStrings(t *testing.T, doc []byte) []string {
	t.Helper()
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		t.Fatal(err)
	}
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			out = append(out, v)
		case []any:
			for _, x := range v {
				walk(x)
			}
		case map[string]any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(v)
	return out
}

// xmlStrings is every attribute value and character data of an XML
// document, decoded.
func xmlStrings(t *testing.T, doc []byte) []string {
	t.Helper()
	var out []string
	dec := xml.NewDecoder(bytes.NewReader(doc))
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			for _, a := range tok.Attr {
				out = append(out, a.Value)
			}
		case xml.CharData:
			out = append(out, string(tok))
		}
	}
}

func port(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}

// tlsServer serves HTTPS with a self-signed certificate whose subject is cn.
func tlsServer(t *testing.T, cn string) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn, Organization: []string{cn}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), DNSNames: []string{"localhost"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	return testnet.Peer(t, "tcp", func(c net.Conn) {
		tc := tls.Server(c, cfg)
		defer tc.Close()
		_ = tc.SetDeadline(time.Now().Add(5 * time.Second))
		if tc.Handshake() != nil {
			return
		}
		_, _ = tc.Read(make([]byte, 4096))
		fmt.Fprintf(tc, "HTTP/1.1 200 OK\r\nServer: %s\r\nContent-Length: 0\r\n\r\n", "WSO2 Carbon Server")
	})
}

// ldapRootDSE answers an anonymous root DSE search with vendorName and
// namingContexts holding v, and a diagnostic message holding v too.
func ldapRootDSE(v string) func(net.Conn) {
	return func(c net.Conn) {
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		req, err := ber.ReadPacket(c)
		if err != nil || len(req.Children) < 1 {
			return
		}
		id := req.Children[0].Value
		entry := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "")
		entry.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, id, ""))
		res := ber.Encode(ber.ClassApplication, ber.TypeConstructed, 4, nil, "")
		res.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, "", ""))
		attrs := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "")
		for _, name := range []string{"vendorName", "namingContexts", "vendorVersion"} {
			a := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "")
			a.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, name, ""))
			vals := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSet, nil, "")
			vals.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, v, ""))
			a.AppendChild(vals)
			attrs.AppendChild(a)
		}
		res.AppendChild(attrs)
		entry.AppendChild(res)
		done := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "")
		done.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, id, ""))
		d := ber.Encode(ber.ClassApplication, ber.TypeConstructed, 5, nil, "")
		d.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagEnumerated, 0, ""))
		d.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, "", ""))
		d.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, v[:100], ""))
		done.AppendChild(d)
		_, _ = c.Write(entry.Bytes())
		_, _ = c.Write(done.Bytes())
		_, _ = ber.ReadPacket(c) // the unbind, or the peer's close
	}
}
