package jrmp

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// Seeds live in testdata/fuzz/<FuzzName>/ (JDK 17 captures, see testdata/README.md).

func FuzzParseReturn(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseReturn(b)
		// The connection path must agree with the byte-slice path.
		r2, err2 := readReturn(netSource(bytes.NewReader(b), MaxReply))
		if len(b) <= MaxReply && (err == nil) != (err2 == nil) {
			t.Fatalf("ParseReturn err %v, connection path err %v", err, err2)
		}
		if err != nil {
			if strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("error spans lines: %q", err)
			}
			return
		}
		if !reflect.DeepEqual(r, r2) {
			t.Fatalf("paths disagree:\n%+v\n%+v", r, r2)
		}
		if r.Normal == (r.Exception != nil) {
			t.Fatalf("Normal %v with exception %v", r.Normal, r.Exception)
		}
		if len(r.Strings) > maxKept {
			t.Fatalf("%d names kept, limit %d", len(r.Strings), maxKept)
		}
		if r.Stub != nil && r.Stub.Ref != "UnicastRef" && r.Stub.Ref != "UnicastRef2" {
			t.Fatalf("stub with ref %q", r.Stub.Ref)
		}
		if r.Exception != nil {
			_ = r.Exception.Error()
		}
	})
}

func FuzzParseStub(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		ep, err := ParseStub(b)
		if err != nil {
			return
		}
		if ep.Ref != "UnicastRef" && ep.Ref != "UnicastRef2" {
			t.Fatalf("endpoint with ref %q", ep.Ref)
		}
		if ep.Factory != "" && ep.Ref != "UnicastRef2" {
			t.Fatalf("socket factory %q on a %s", ep.Factory, ep.Ref)
		}
		_ = ep.String()
	})
}

func FuzzHandshakeReply(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		seen, err := ParseHandshakeReply(b)
		if err == nil {
			if len(b) < 7 || b[0] != msgProtocolAck || seen == "" {
				t.Fatalf("accepted %x as a ProtocolAck (seen as %q)", b, seen)
			}
			return
		}
		if len(b) > 0 && b[0] != msgProtocolAck && !errors.Is(err, ErrNotJRMP) {
			t.Fatalf("reply starting %02x: error %v does not wrap ErrNotJRMP", b[0], err)
		}
		if strings.ContainsAny(err.Error(), "\r\n") {
			t.Fatalf("error spans lines: %q", err)
		}
	})
}
