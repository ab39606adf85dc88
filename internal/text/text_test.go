package text

import (
	"errors"
	"strings"
	"testing"

	"github.com/hashicorp/go-multierror"
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

func TestLines(t *testing.T) {
	inner := multierror.Append(nil, errors.New("b"), errors.New("c\nd"))
	err := multierror.Append(errors.New("a"), inner, errors.Join(errors.New("e"), errors.New("f")))
	if got, want := strings.Join(Lines(err), "|"), "a|b|c d|e|f"; got != want {
		t.Errorf("Lines = %q, want %q", got, want)
	}
	if Lines(nil) != nil {
		t.Error("Lines(nil) is not empty")
	}
}
