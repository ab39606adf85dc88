package jrmp

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func capture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "captures", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The capture servers ran with registry/server port pairs 41999/42111,
// 44999/45111, 46999/47111, 48999/49111 (see testdata/README.md).
func TestParseReturnLookupStubs(t *testing.T) {
	tests := []struct {
		file    string
		want    Endpoint
		ackNeed bool
	}{
		{"lookup-unicastref.bin", Endpoint{Host: "127.0.0.1", Port: 42111, Ref: "UnicastRef", Class: "javax.management.remote.rmi.RMIServerImpl_Stub"}, true},
		{"lookup-codebase.bin", Endpoint{Host: "127.0.0.1", Port: 42111, Ref: "UnicastRef", Class: "javax.management.remote.rmi.RMIServerImpl_Stub"}, true},
		{"lookup-unicastref2.bin", Endpoint{Host: "127.0.0.1", Port: 45111, Ref: "UnicastRef2", Class: "javax.management.remote.rmi.RMIServerImpl_Stub"}, true},
		{"lookup-unicastref2-factory.bin", Endpoint{Host: "wso2.example.test", Port: 47111, Ref: "UnicastRef2", Factory: "javax.rmi.ssl.SslRMIClientSocketFactory", Class: "javax.management.remote.rmi.RMIServerImpl_Stub"}, true},
		{"lookup-proxy.bin", Endpoint{Host: "127.0.0.1", Port: 49111, Ref: "UnicastRef", Class: "javax.management.remote.rmi.RMIServer"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			b := capture(t, tt.file)
			r, err := ParseReturn(b)
			if err != nil {
				t.Fatalf("ParseReturn: %v", err)
			}
			if !r.Normal || r.Exception != nil {
				t.Fatalf("want a normal return, got exception %v", r.Exception)
			}
			if r.Stub == nil {
				t.Fatal("no stub found")
			}
			got := *r.Stub
			if got.ObjID.Num == 0 || got.ObjID.UID == (UID{}) {
				t.Errorf("ObjID %v: want the random ObjID of an exported object", got.ObjID)
			}
			got.ObjID = ObjID{}
			if got != tt.want {
				t.Errorf("stub\n got %+v\nwant %+v", got, tt.want)
			}
			if r.AckNeeded != tt.ackNeed {
				t.Errorf("AckNeeded = %v, want %v", r.AckNeeded, tt.ackNeed)
			}
			// The ack ID is the UID right after the return type in the header block.
			if !bytes.Equal(r.UID[:], b[8:22]) {
				t.Errorf("UID %x, want %x", r.UID[:], b[8:22])
			}
		})
	}
}

func TestParseReturnTLSFactory(t *testing.T) {
	r, err := ParseReturn(capture(t, "lookup-unicastref2-factory.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if !r.Stub.TLS() {
		t.Errorf("stub with %s: TLS() = false", r.Stub.Factory)
	}
	r, err = ParseReturn(capture(t, "lookup-unicastref.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Stub.TLS() {
		t.Error("plain UnicastRef stub: TLS() = true")
	}
}

func TestParseReturnExceptions(t *testing.T) {
	tests := []struct {
		file      string
		class     string
		message   string
		short     string
		causeOf   string
		wantError string
	}{
		{"lookup-notbound.bin", "java.rmi.NotBoundException", "jmxrmi", "NotBoundException: jmxrmi", "", "NotBoundException: jmxrmi"},
		{"lookup-nosuchobject.bin", "java.rmi.NoSuchObjectException", "no such object in table", "NoSuchObjectException: no such object in table", "", "NoSuchObjectException: no such object in table"},
		{"lookup-serverexception.bin", "java.rmi.ServerException", "RemoteException occurred in server thread",
			"ServerException: RemoteException occurred in server thread", "java.rmi.UnmarshalException",
			"ServerException: RemoteException occurred in server thread; caused by UnmarshalException: skeleton class not found but required for client version"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			r, err := ParseReturn(capture(t, tt.file))
			if err != nil {
				t.Fatalf("ParseReturn: %v", err)
			}
			if r.Normal || r.Exception == nil {
				t.Fatalf("want an exceptional return, got %+v", r)
			}
			e := r.Exception
			if e.Class != tt.class || e.Message != tt.message || e.Short() != tt.short || e.Error() != tt.wantError {
				t.Errorf("got class %q message %q short %q error %q", e.Class, e.Message, e.Short(), e.Error())
			}
			if tt.causeOf != "" && !e.Has(tt.causeOf) {
				t.Errorf("cause chain lacks %s: %v", tt.causeOf, e)
			}
			if r.AckNeeded || r.Stub != nil {
				t.Errorf("exception reply: AckNeeded %v, Stub %v", r.AckNeeded, r.Stub)
			}
		})
	}
}

func TestParseReturnList(t *testing.T) {
	r, err := ParseReturn(capture(t, "list-jmxrmi.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if !r.Normal || len(r.Strings) != 1 || r.Strings[0] != "jmxrmi" {
		t.Errorf("list: normal %v, names %q; want [jmxrmi]", r.Normal, r.Strings)
	}
	if r.AckNeeded {
		t.Error("a String[] carries no remote objects, yet AckNeeded")
	}
	r, err = ParseReturn(capture(t, "list-empty.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if !r.Normal || len(r.Strings) != 0 {
		t.Errorf("empty list: normal %v, names %q", r.Normal, r.Strings)
	}
}

func TestParseStubBase64Hsperfdata(t *testing.T) {
	text := strings.TrimSpace(string(capture(t, "hsperfdata-address.txt")))
	for _, s := range []string{text, text[strings.Index(text, "/stub/")+6:], strings.TrimRight(text, "=")} {
		ep, err := ParseStubBase64(s)
		if err != nil {
			t.Fatalf("ParseStubBase64(%.40q...): %v", s, err)
		}
		if ep.Host != "127.0.0.1" || ep.Port != 44157 || ep.Ref != "UnicastRef2" || ep.Factory != "" ||
			ep.Class != "javax.management.remote.rmi.RMIServerImpl_Stub" {
			t.Errorf("got %+v", ep)
		}
	}
	if _, err := ParseStubBase64("service:jmx:rmi://127.0.0.1/stub/!!!"); err == nil {
		t.Error("bad base64 accepted")
	}
}

// A stub as RMI's MarshalOutputStream writes it (with class annotations) also
// parses as a bare stream, once the ReturnData header is taken off.
func TestParseStubWithAnnotations(t *testing.T) {
	b := capture(t, "lookup-unicastref.bin")
	stream := append([]byte{0xac, 0xed, 0x00, 0x05}, b[22:]...)
	ep, err := ParseStub(stream)
	if err != nil {
		t.Fatal(err)
	}
	if ep.Addr() != "127.0.0.1:42111" {
		t.Errorf("got %v", ep)
	}
}

func TestParseReturnTruncated(t *testing.T) {
	for _, file := range []string{"lookup-unicastref.bin", "lookup-unicastref2-factory.bin", "lookup-proxy.bin", "lookup-notbound.bin", "list-jmxrmi.bin"} {
		b := capture(t, file)
		for n := 0; n < len(b); n++ {
			_, err := ParseReturn(b[:n])
			if err == nil {
				t.Fatalf("%s cut at %d of %d bytes: no error", file, n, len(b))
			}
			if !errors.Is(err, errTruncated) {
				t.Fatalf("%s cut at %d: error %v does not say truncated", file, n, err)
			}
		}
	}
}

func TestObjIDString(t *testing.T) {
	r, err := ParseReturn(capture(t, "lookup-unicastref.bin"))
	if err != nil {
		t.Fatal(err)
	}
	// Java prints ObjID as [unique:time:count, objNum] with hex UID parts.
	s := r.Stub.ObjID.String()
	if !strings.HasPrefix(s, "[") || !strings.HasSuffix(s, "]") || strings.Count(s, ":") != 2 || !strings.Contains(s, ", ") {
		t.Errorf("ObjID %q", s)
	}
	if got := (ObjID{Num: 0}).String(); got != "[0]" {
		t.Errorf("registry ObjID prints %q, want [0]", got)
	}
}
