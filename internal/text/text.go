// Package text holds how carbonprobe quotes what it did not write itself (a
// flag's value, a file's contents) in a line for people: short, and on one
// line, whatever the value holds.
package text

import (
	"fmt"
	"strings"
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
