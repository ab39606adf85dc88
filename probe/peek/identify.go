// Package peek tells what answered a verifier from the first bytes the peer
// sent, and holds the reads of every verifier to one deadline and one byte
// limit, so that the HTTP, TLS, LDAP, Kerberos and JRMP verifiers name a
// foreign reply, and a peer that failed them, in the same words.
package peek

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// kind is what the first bytes look like. The order of the checks in
// classify matters: text would also match an HTTP status line or an SSH
// banner, and a short KRB-ERROR could pass for text.
type kind int

const (
	none kind = iota
	httpReply
	tlsRecord
	sshBanner
	amqpHeader
	jrmpAck
	ldapMessage
	textLine
	kerberos
	garbage
)

func classify(b []byte) kind {
	switch {
	case len(b) == 0:
		return none
	case bytes.HasPrefix(b, []byte("HTTP/")):
		return httpReply
	case isTLSRecord(b):
		return tlsRecord
	case bytes.HasPrefix(b, []byte("SSH-")):
		return sshBanner
	case bytes.HasPrefix(b, []byte("AMQP")):
		return amqpHeader
	case isJRMPAck(b):
		return jrmpAck
	case isLDAPMessage(b):
		return ldapMessage
	case isText(b):
		return textLine
	case kerberosTag(b) != 0:
		return kerberos
	}
	return garbage
}

// Identify names the protocol of the first bytes a peer sent, for the Seen
// field of a result when the expected protocol did not answer: "HTTP", "TLS",
// "SSH", "AMQP", "JRMP", "LDAP", "Kerberos", `text "..."` or
// "garbage (hex ...)". It returns "" for no bytes. It only looks at the
// bytes: a guess from a banner, never a verification.
func Identify(b []byte) string {
	switch classify(b) {
	case none:
		return ""
	case httpReply:
		return "HTTP"
	case tlsRecord:
		return "TLS"
	case sshBanner:
		return "SSH"
	case amqpHeader:
		return "AMQP"
	case jrmpAck:
		return "JRMP"
	case ldapMessage:
		return "LDAP"
	case textLine:
		return text(b)
	case kerberos:
		return "Kerberos"
	}
	return Hex(b)
}

// Describe says what the first bytes a peer sent look like, as Identify
// does, with the evidence a user needs in an error message: the status line
// of an HTTP reply, an SSH banner, the name of a TLS alert, the kind of a
// Kerberos message. It returns "nothing" for no bytes.
func Describe(b []byte) string {
	switch classify(b) {
	case none:
		return "nothing"
	case httpReply:
		return "an HTTP reply " + strconv.Quote(firstLine(b))
	case tlsRecord:
		return describeTLS(b)
	case sshBanner:
		return "an SSH banner " + strconv.Quote(firstLine(b))
	case amqpHeader:
		return "an AMQP protocol header"
	case jrmpAck:
		if b[0] == 0x4f {
			return "a JRMP ProtocolNotSupported"
		}
		return "a JRMP ProtocolAck"
	case ldapMessage:
		return "an LDAP message (BER)"
	case textLine:
		return text(b)
	case kerberos:
		return "a Kerberos " + kerberosNames[kerberosTag(b)]
	}
	return Hex(b)
}

// Hex is the words for bytes that look like nothing known: their first 16
// bytes in hex.
func Hex(b []byte) string {
	return "garbage (hex " + hex.EncodeToString(b[:min(len(b), 16)]) + ")"
}

// maxLine bounds the quoted line in a description, so it stays one short line.
const maxLine = 60

func text(b []byte) string { return "text " + strconv.Quote(firstLine(b)) }

// firstLine is b up to its first line break, at most maxLine bytes, without
// a rune cut in two.
func firstLine(b []byte) string {
	line := trimRune(b)
	if i := bytes.IndexAny(line, "\r\n"); i >= 0 {
		line = line[:i]
	}
	if len(line) > maxLine {
		line = trimRune(line[:maxLine])
	}
	return string(line)
}

// isTLSRecord: content type change_cipher_spec, alert, handshake or
// application data, and a record version of SSL 3.0 to TLS 1.3 (TLS 1.3
// still writes 03 01..03 03 there).
func isTLSRecord(b []byte) bool {
	return len(b) >= 3 && b[0] >= 0x14 && b[0] <= 0x17 && b[1] == 0x03 && b[2] <= 0x04
}

func describeTLS(b []byte) string {
	switch b[0] {
	case 0x15:
		// An alert record: 5-byte header, then level and description.
		if len(b) >= 7 {
			return fmt.Sprintf("a TLS alert (%s, level %d)", tlsAlert(b[6]), b[5])
		}
		return "a TLS alert"
	case 0x16:
		return "a TLS handshake record"
	case 0x14:
		return "a TLS change_cipher_spec record"
	}
	return "a TLS application_data record"
}

// tlsAlert names the alerts a server sends a client it will not talk to
// (RFC 8446 6).
func tlsAlert(code byte) string {
	names := map[byte]string{
		0: "close_notify", 10: "unexpected_message", 20: "bad_record_mac", 22: "record_overflow",
		40: "handshake_failure", 42: "bad_certificate", 47: "illegal_parameter", 48: "unknown_ca",
		50: "decode_error", 70: "protocol_version", 80: "internal_error", 112: "unrecognized_name",
		116: "certificate_required",
	}
	if n, ok := names[code]; ok {
		return n
	}
	return "alert " + strconv.Itoa(int(code))
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
// 4.1.1), with a short length or a definite long one of 1 to 4 bytes (LDAP
// allows no other, RFC 4511 5.1).
func isLDAPMessage(b []byte) bool {
	if len(b) < 5 || b[0] != 0x30 {
		return false
	}
	i := 2
	switch {
	case b[1] < 0x80:
	case b[1] >= 0x81 && b[1] <= 0x84:
		i += int(b[1] & 0x7f)
	default:
		return false
	}
	if i+2 >= len(b) || b[i] != 0x02 || b[i+1] == 0 || b[i+1] > 4 {
		return false
	}
	op := i + 2 + int(b[i+1])
	return op < len(b) && b[op]&0xe0 == 0x60
}

var kerberosNames = map[byte]string{0x6b: "AS-REP", 0x6d: "TGS-REP", 0x7e: "KRB-ERROR"}

// kerberosTag is the tag of an AS-REP (APPLICATION 11, 0x6b), TGS-REP
// (0x6d) or KRB-ERROR (APPLICATION 30, 0x7e) followed by a DER length and
// the SEQUENCE each one wraps, bare (UDP) or after the 4-byte length prefix
// of TCP; 0 for anything else.
func kerberosTag(b []byte) byte {
	if isKerberos(b) {
		return b[0]
	}
	if len(b) > 4 && b[0] == 0 && b[1] == 0 && isKerberos(b[4:]) {
		return b[4]
	}
	return 0
}

func isKerberos(b []byte) bool {
	if len(b) < 3 || kerberosNames[b[0]] == "" {
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

// isText: valid UTF-8 without control characters but line breaks and tabs,
// as an SMTP, FTP or Redis greeting or error is.
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
