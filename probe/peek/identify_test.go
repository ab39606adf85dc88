package peek

import (
	"strings"
	"testing"
)

// Each case in both words: Identify's for a result's Seen field, Describe's,
// with the evidence, for an error message.
func TestIdentifyAndDescribe(t *testing.T) {
	cases := []struct {
		name               string
		in                 []byte
		identify, describe string
	}{
		{"nothing", nil, "", "nothing"},
		{"http", []byte("HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\n"), "HTTP", `an HTTP reply "HTTP/1.1 400 Bad Request"`},
		{"tls alert", []byte{0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28}, "TLS", "a TLS alert (handshake_failure, level 2)"},
		{"tls alert, decode_error", []byte{0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x32}, "TLS", "a TLS alert (decode_error, level 2)"},
		{"tls alert, unnamed", []byte{0x15, 0x03, 0x03, 0x00, 0x02, 0x01, 0x63}, "TLS", "a TLS alert (alert 99, level 1)"},
		{"tls alert, cut short", []byte{0x15, 0x03, 0x01, 0x00}, "TLS", "a TLS alert"},
		{"tls server hello", []byte{0x16, 0x03, 0x03, 0x00, 0x7a}, "TLS", "a TLS handshake record"},
		{"tls change cipher spec", []byte{0x14, 0x03, 0x03, 0x00, 0x01, 0x01}, "TLS", "a TLS change_cipher_spec record"},
		{"tls application data", []byte{0x17, 0x03, 0x03, 0x00, 0x10}, "TLS", "a TLS application_data record"},
		{"ssh", []byte("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"), "SSH", `an SSH banner "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3"`},
		{"amqp", []byte("AMQP\x00\x00\x09\x01"), "AMQP", "an AMQP protocol header"},
		// ProtocolAck, then host "127.0.0.1" and port 0x0000d431: what a JDK RMI server sends.
		{"jrmp ack", append([]byte{0x4e, 0x00, 0x09}, append([]byte("127.0.0.1"), 0, 0, 0xd4, 0x31)...), "JRMP", "a JRMP ProtocolAck"},
		{"jrmp not supported", []byte{0x4f}, "JRMP", "a JRMP ProtocolNotSupported"},
		// Notice of Disconnection from slapd: messageID 0, ExtendedResponse (0x78).
		{"ldap", []byte{0x30, 0x0c, 0x02, 0x01, 0x00, 0x78, 0x07, 0x0a, 0x01, 0x02, 0x04, 0x00, 0x04, 0x00}, "LDAP", "an LDAP message (BER)"},
		{"ldap long length", []byte{0x30, 0x84, 0x00, 0x00, 0x00, 0x0c, 0x02, 0x01, 0x01, 0x64, 0x07}, "LDAP", "an LDAP message (BER)"},
		{"krb-error", []byte{0x7e, 0x81, 0x90, 0x30}, "Kerberos", "a Kerberos KRB-ERROR"},
		{"text starting like a tag", []byte("k0 is not Kerberos"), `text "k0 is not Kerberos"`, `text "k0 is not Kerberos"`},
		{"krb-error over tcp", []byte{0, 0, 0, 0x93, 0x7e, 0x81, 0x90, 0x30}, "Kerberos", "a Kerberos KRB-ERROR"},
		{"as-rep over tcp", []byte{0, 0, 0, 0x93, 0x6b, 0x81, 0x90, 0x30}, "Kerberos", "a Kerberos AS-REP"},
		{"tgs-rep", []byte{0x6d, 0x05, 0x30}, "Kerberos", "a Kerberos TGS-REP"},
		{"text", []byte("220 mail.example ESMTP\r\nmore"), `text "220 mail.example ESMTP"`, `text "220 mail.example ESMTP"`},
		{"long text", []byte(strings.Repeat("a", 100)), `text "` + strings.Repeat("a", 60) + `"`, `text "` + strings.Repeat("a", 60) + `"`},
		{"text cut inside a rune", []byte("caf\xc3"), `text "caf"`, `text "caf"`},
		{"garbage", []byte{0xde, 0xad, 0xbe, 0xef}, "garbage (hex deadbeef)", "garbage (hex deadbeef)"},
		{"garbage is cut at 16 bytes", []byte(strings.Repeat("\x01", 40)), "garbage (hex " + strings.Repeat("01", 16) + ")", "garbage (hex " + strings.Repeat("01", 16) + ")"},
		{"not quite jrmp", []byte{0x4e, 0x00, 0x09, 'a'}, "garbage (hex 4e000961)", "garbage (hex 4e000961)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Identify(tc.in); got != tc.identify {
				t.Errorf("Identify(% x) = %q, want %q", tc.in, got, tc.identify)
			}
			if got := Describe(tc.in); got != tc.describe {
				t.Errorf("Describe(% x) = %q, want %q", tc.in, got, tc.describe)
			}
		})
	}
}

// LDAP allows only definite lengths of at most 4 bytes (RFC 4511 5.1): an
// indefinite or longer one is not an LDAPMessage.
func TestIdentifyLDAPLengthForms(t *testing.T) {
	for _, b := range [][]byte{
		{0x30, 0x80, 0x02, 0x01, 0x01, 0x64, 0x07},
		{0x30, 0x85, 0, 0, 0, 0, 0x0c, 0x02, 0x01, 0x01, 0x64, 0x07},
	} {
		if got := Identify(b); got == "LDAP" {
			t.Errorf("Identify(% x) = LDAP", b)
		}
	}
}

func FuzzIdentify(f *testing.F) {
	f.Add([]byte("HTTP/1.1 200 OK"))
	f.Add([]byte{0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x02})
	f.Add([]byte{0x4e, 0xff, 0xff})
	f.Add([]byte{0, 0, 0, 0x93, 0x7e})
	f.Add([]byte{0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28})
	f.Fuzz(func(t *testing.T, b []byte) {
		s := Identify(b)
		if (s == "") != (len(b) == 0) {
			t.Fatalf("Identify(% x) = %q", b, s)
		}
		if strings.ContainsAny(s, "\r\n") || len(s) > 100 {
			t.Fatalf("Identify(% x) = %q: not one short line", b, s)
		}
		d := Describe(b)
		if d == "" || strings.ContainsAny(d, "\r\n") || len(d) > 300 {
			t.Fatalf("Describe(% x) = %q: not one short line", b, d)
		}
		// The same bytes are the same thing in both words.
		if strings.HasPrefix(s, "text ") || strings.HasPrefix(s, "garbage ") {
			if d != s {
				t.Fatalf("Identify(% x) = %q but Describe = %q", b, s, d)
			}
		} else if s != "" && !strings.Contains(d, s) {
			t.Fatalf("Identify(% x) = %q but Describe = %q", b, s, d)
		}
	})
}
