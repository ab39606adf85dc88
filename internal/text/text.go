// Package text holds how carbonprobe quotes what it did not write itself (a
// flag's value, a file's contents) in a line for people: short, and on one
// line, whatever the value holds.
package text

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// QuoteLimit is how many bytes of a value an error line quotes.
const QuoteLimit = 40

// Quote quotes v with Go's escapes (so a control character or a line break
// cannot reach the terminal raw); a value longer than QuoteLimit is cut,
// and the line says how long it was.
func Quote(v string) string {
	if len(v) <= QuoteLimit {
		return fmt.Sprintf("%q", v)
	}
	cut := QuoteLimit
	for cut > 0 && !utf8.RuneStart(v[cut]) {
		cut--
	}
	return fmt.Sprintf("%q... (%d bytes)", v[:cut], len(v))
}

// Lines splits an error that gathers several problems (go-multierror's, or
// errors.Join's) into one line per problem, nested ones flattened; each line
// has its line breaks turned into spaces, so a problem is always one line.
func Lines(err error) []string {
	if err == nil {
		return nil
	}
	var parts []error
	switch e := err.(type) {
	case interface{ WrappedErrors() []error }:
		parts = e.WrappedErrors()
	case interface{ Unwrap() []error }:
		parts = e.Unwrap()
	default:
		return []string{strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(err.Error())}
	}
	var out []string
	for _, p := range parts {
		out = append(out, Lines(p)...)
	}
	return out
}

// OneLine keeps a message on one line, whatever a parser, a file or a peer
// put in it: line breaks and other control characters (NEL, U+2028 and
// U+2029 too) become spaces, and runs of them one space. A message that
// holds none is returned as it is.
func OneLine(s string) string {
	if !strings.ContainsFunc(s, breaks) {
		return s
	}
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || breaks(r) }), " ")
}

func breaks(r rune) bool { return r < 0x20 || r == 0x7f || r == 0x85 || r == 0x2028 || r == 0x2029 }

// First is the first of err's problems, cut at limit bytes, with the count
// of the rest: "https 9443/tcp: refused (and 2 more problems)"; "" for nil.
// The one line a health log, an event or a progress line keeps.
func First(err error, limit int) string {
	lines := Lines(err)
	if len(lines) == 0 {
		return ""
	}
	out := Cut(lines[0], limit)
	switch n := len(lines) - 1; {
	case n == 1:
		out += " (and 1 more problem)"
	case n > 1:
		out += fmt.Sprintf(" (and %d more problems)", n)
	}
	return out
}

// PeerLimit bounds what a report shows of one string a peer sent.
const PeerLimit = 256

// Peer makes a string that a peer sent (a header, a certificate's name, a
// directory's vendor name, an exception message) fit for a report line: every
// rune that is not printable (control characters, line breaks, the escape
// that starts a terminal sequence, bidirectional overrides) is shown as an
// escape (\x1b, \n, \u202e), bytes that are not UTF-8 as \xNN, and the
// result is cut at PeerLimit bytes, saying how long the original was. The
// same string is safe in text, JSON and JUnit alike.
func Peer(s string) string { return Cut(s, PeerLimit) }

// Cut is Peer with another bound: for a line that carbonprobe composed
// around what a peer said.
func Cut(s string, limit int) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		var piece string
		switch {
		case r == utf8.RuneError && size == 1:
			piece = fmt.Sprintf(`\x%02x`, s[i])
		case r == '\\':
			piece = `\\`
		case unicode.IsPrint(r):
			piece = s[i : i+size]
		case r == '\n':
			piece = `\n`
		case r == '\r':
			piece = `\r`
		case r == '\t':
			piece = `\t`
		case r < 0x100:
			piece = fmt.Sprintf(`\x%02x`, r)
		default:
			piece = fmt.Sprintf(`\u%04x`, r)
		}
		if b.Len()+len(piece) > limit {
			fmt.Fprintf(&b, "... (%d bytes)", len(s))
			break
		}
		b.WriteString(piece)
		i += size
	}
	return b.String()
}
