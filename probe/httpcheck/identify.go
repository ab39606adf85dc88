package httpcheck

import (
	"bytes"
	"encoding/hex"
	"strconv"
	"unicode/utf8"
)

// Identify names the protocol of the first bytes a peer sent, for the Seen
// field of a result when the expected protocol did not answer: "HTTP", "TLS",
// "SSH", "JRMP", "LDAP", "Kerberos", "AMQP", `text "..."` or
// "garbage (hex ...)". It returns "" for no bytes. It only looks at the
// bytes: a guess from a banner, never a verification.
//
// The LDAP and Kerberos verifiers use it too, so that every verifier names
// what answered in the same words.
func Identify(b []byte) string {
	switch {
	case len(b) == 0:
		return ""
	case bytes.HasPrefix(b, []byte("HTTP/")):
		return "HTTP"
	case isTLSRecord(b):
		return "TLS"
	case bytes.HasPrefix(b, []byte("SSH-")):
		return "SSH"
	case bytes.HasPrefix(b, []byte("AMQP")):
		return "AMQP"
	case isJRMPAck(b):
		return "JRMP"
	case isLDAPMessage(b):
		return "LDAP"
	case isText(b):
		line := trimRune(b)
		if i := bytes.IndexAny(line, "\r\n"); i >= 0 {
			line = line[:i]
		}
		if len(line) > 60 {
			line = trimRune(line[:60])
		}
		return "text " + strconv.Quote(string(line))
	case isKerberos(b) || len(b) > 4 && b[0] == 0 && b[1] == 0 && isKerberos(b[4:]):
		return "Kerberos"
	}
	n := min(len(b), 16)
	return "garbage (hex " + hex.EncodeToString(b[:n]) + ")"
}

// isTLSRecord: content type handshake/alert/ccs/application data and a record
// version of SSL 3.0 to TLS 1.3 (TLS 1.3 still writes 03 01..03 03 there).
func isTLSRecord(b []byte) bool {
	return len(b) >= 3 && b[0] >= 0x14 && b[0] <= 0x17 && b[1] == 0x03 && b[2] <= 0x04
}

// isJRMPAck: a ProtocolAck (0x4e) with the client host as a Java modified-UTF
// string (2-byte length), or a lone ProtocolNotSupported (0x4f).
func isJRMPAck(b []byte) bool {
	if len(b) == 1 && b[0] == 0x4f {
		return true
	}
	if len(b) < 4 || b[0] != 0x4e {
		return false
	}
	n := int(b[1])<<8 | int(b[2])
	if n == 0 || n > 255 || len(b) < 3+n {
		return false
	}
	return isText(b[3 : 3+n])
}

// isLDAPMessage: SEQUENCE { INTEGER messageID, [APPLICATION n] ... } (RFC 4511
// 4.1.1), with a short or long-form length.
func isLDAPMessage(b []byte) bool {
	if len(b) < 5 || b[0] != 0x30 {
		return false
	}
	i := 2
	if b[1]&0x80 != 0 {
		i += int(b[1] & 0x7f)
	}
	if i+2 >= len(b) || b[i] != 0x02 || b[i+1] == 0 || b[i+1] > 4 {
		return false
	}
	op := i + 2 + int(b[i+1])
	return op < len(b) && b[op]&0xe0 == 0x60
}

// isKerberos: AS-REP (APPLICATION 11, 0x6b), TGS-REP (0x6d) or KRB-ERROR
// (APPLICATION 30, 0x7e), a DER length, then the SEQUENCE each one wraps.
// Over TCP the caller strips the 4-byte length prefix first.
func isKerberos(b []byte) bool {
	if len(b) < 3 || b[0] != 0x6b && b[0] != 0x6d && b[0] != 0x7e {
		return false
	}
	i := 2
	if b[1] >= 0x81 && b[1] <= 0x84 {
		i += int(b[1] & 0x7f)
	} else if b[1] >= 0x80 {
		return false
	}
	return i < len(b) && b[i] == 0x30
}

// trimRune drops a multi-byte rune cut off at the end of a capture.
func trimRune(b []byte) []byte {
	for j := len(b) - 1; j >= 0 && j >= len(b)-utf8.UTFMax; j-- {
		if utf8.RuneStart(b[j]) {
			if !utf8.FullRune(b[j:]) {
				return b[:j]
			}
			break
		}
	}
	return b
}

func isText(b []byte) bool {
	b = trimRune(b)
	if len(b) == 0 || !utf8.Valid(b) {
		return false
	}
	for _, r := range string(b) {
		if r < 0x20 && r != '\r' && r != '\n' && r != '\t' || r == 0x7f {
			return false
		}
	}
	return true
}
