package jrmp

import (
	"strconv"
	"strings"
	"unicode"
)

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
