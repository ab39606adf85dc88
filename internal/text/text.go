// Package text holds how carbonprobe quotes what it did not write itself (a
// flag's value, a file's contents) in a line for people: short, and on one
// line, whatever the value holds.
package text

import (
	"fmt"
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
