package jrmp

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// describeReply says in a few words what a non-JRMP answer looks like, so the
// user learns what holds the port: the classic mistake is pointing a JMX
// client at the HTTPS or LDAP port of the wrong offset.
func describeReply(b []byte) string {
	switch {
	case len(b) == 0:
		return "nothing"
	case bytes.HasPrefix(b, []byte("HTTP/")):
		return "an HTTP reply " + strconv.Quote(firstLine(b))
	case bytes.HasPrefix(b, []byte("SSH-")):
		return "an SSH banner " + strconv.Quote(firstLine(b))
	case len(b) >= 3 && b[1] == 0x03 && b[2] <= 0x04 && (b[0] == 0x15 || b[0] == 0x16):
		if b[0] == 0x15 && len(b) >= 7 {
			return fmt.Sprintf("a TLS alert (%s, level %d)", tlsAlert(b[6]), b[5])
		}
		if b[0] == 0x15 {
			return "a TLS alert"
		}
		return "a TLS handshake record"
	case isLDAP(b):
		return "an LDAP message (BER)"
	case isText(b):
		return "text " + strconv.Quote(firstLine(b))
	}
	n := min(len(b), 16)
	s := "bytes " + hex.EncodeToString(b[:n])
	if len(b) > n {
		s += "..."
	}
	return s
}

func firstLine(b []byte) string {
	if i := bytes.IndexAny(b, "\r\n"); i >= 0 {
		b = b[:i]
	}
	if len(b) > 80 {
		b = b[:80]
	}
	return string(b)
}

// isText: the first line is mostly printable ASCII (an SMTP, FTP, Redis or
// similar greeting or error).
func isText(b []byte) bool {
	line := []byte(firstLine(b))
	if len(line) < 2 {
		return false
	}
	printable := 0
	for _, c := range line {
		if c >= 0x20 && c < 0x7f || c == '\t' {
			printable++
		}
	}
	return printable*10 >= len(line)*9
}

// isLDAP: a BER SEQUENCE whose first element is an INTEGER (the messageID),
// which is how every LDAP message, including a Notice of Disconnection, starts.
func isLDAP(b []byte) bool {
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
	return i < len(b) && b[i] == 0x02
}

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

// safe makes a name that came from the peer fit for a one-line message:
// quoted when it holds anything unprintable, and cut when very long.
func safe(s string) string {
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return strconv.Quote(s)
		}
	}
	return s
}

// oneLine keeps a server's exception message on one line: Java messages may
// legitimately span lines.
func oneLine(s string) string {
	if len(s) > 500 {
		s = s[:500] + "..."
	}
	return strings.Map(func(r rune) rune {
		if !unicode.IsPrint(r) {
			return ' '
		}
		return r
	}, s)
}
