package httpcheck

import (
	"strings"
	"testing"
)

func TestIdentify(t *testing.T) {
	cases := []struct {
		name string
		in   []byte
		want string
	}{
		{"nothing", nil, ""},
		{"http", []byte("HTTP/1.1 400 Bad Request\r\n"), "HTTP"},
		{"tls alert", []byte{0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28}, "TLS"},
		{"tls server hello", []byte{0x16, 0x03, 0x03, 0x00, 0x7a}, "TLS"},
		{"ssh", []byte("SSH-2.0-OpenSSH_9.2\r\n"), "SSH"},
		{"amqp", []byte("AMQP\x00\x00\x09\x01"), "AMQP"},
		// ProtocolAck, then host "127.0.0.1" and port 0x0000d431: what a JDK RMI server sends.
		{"jrmp ack", append([]byte{0x4e, 0x00, 0x09}, append([]byte("127.0.0.1"), 0, 0, 0xd4, 0x31)...), "JRMP"},
		{"jrmp not supported", []byte{0x4f}, "JRMP"},
		// Notice of Disconnection from slapd: messageID 0, ExtendedResponse (0x78).
		{"ldap", []byte{0x30, 0x0c, 0x02, 0x01, 0x00, 0x78, 0x07, 0x0a, 0x01, 0x02, 0x04, 0x00, 0x04, 0x00}, "LDAP"},
		{"ldap long length", []byte{0x30, 0x84, 0x00, 0x00, 0x00, 0x0c, 0x02, 0x01, 0x01, 0x64, 0x07}, "LDAP"},
		{"krb-error", []byte{0x7e, 0x81, 0x90, 0x30}, "Kerberos"},
		{"text starting like a tag", []byte("k0 is not Kerberos"), `text "k0 is not Kerberos"`},
		{"krb-error over tcp", []byte{0, 0, 0, 0x93, 0x7e, 0x81, 0x90, 0x30}, "Kerberos"},
		{"text", []byte("220 mail.example ESMTP\r\nmore"), `text "220 mail.example ESMTP"`},
		{"long text", []byte(strings.Repeat("a", 100)), `text "` + strings.Repeat("a", 60) + `"`},
		{"text cut inside a rune", []byte("caf\xc3"), `text "caf"`},
		{"garbage", []byte{0xde, 0xad, 0xbe, 0xef}, "garbage (hex deadbeef)"},
		{"garbage is cut at 16 bytes", []byte(strings.Repeat("\x01", 40)), "garbage (hex " + strings.Repeat("01", 16) + ")"},
		{"not quite jrmp", []byte{0x4e, 0x00, 0x09, 'a'}, "garbage (hex 4e000961)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Identify(tc.in); got != tc.want {
				t.Errorf("Identify(% x) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func FuzzIdentify(f *testing.F) {
	f.Add([]byte("HTTP/1.1 200 OK"))
	f.Add([]byte{0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x02})
	f.Add([]byte{0x4e, 0xff, 0xff})
	f.Add([]byte{0, 0, 0, 0x93, 0x7e})
	f.Fuzz(func(t *testing.T, b []byte) {
		s := Identify(b)
		if (s == "") != (len(b) == 0) {
			t.Fatalf("Identify(% x) = %q", b, s)
		}
		if strings.ContainsAny(s, "\r\n") || len(s) > 100 {
			t.Fatalf("Identify(% x) = %q: not one short line", b, s)
		}
	})
}
