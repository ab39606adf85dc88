package text

import (
	"strings"
	"testing"
)

func TestQuote(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"3", `"3"`},
		{"a\x1b[31mb\nc", `"a\x1b[31mb\nc"`},
		{strings.Repeat("9", 100_000), `"` + strings.Repeat("9", 40) + `"... (100000 bytes)`},
		{strings.Repeat("é", 30), `"` + strings.Repeat("é", 20) + `"... (60 bytes)`},
	} {
		if got := Quote(tc.in); got != tc.want {
			t.Errorf("Quote(%.50q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}
