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

func TestOneLine(t *testing.T) {
	for in, want := range map[string]string{
		"as it is":                     "as it is",
		" c ":                          " c ",
		"a\nb\r\n\tc\u2028d\u0085e  f": "a b c d e f",
	} {
		if got := OneLine(in); got != want {
			t.Errorf("OneLine(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFirst(t *testing.T) {
	two := multierror.Append(nil, errors.New("a"), errors.New("b"))
	three := multierror.Append(nil, errors.New("a"), errors.New("b"), errors.New("c"))
	for _, tc := range []struct {
		err  error
		want string
	}{
		{nil, ""},
		{errors.New("one\nline"), "one line"},
		{two, "a (and 1 more problem)"},
		{three, "a (and 2 more problems)"},
		{errors.New(strings.Repeat("x", 50)), strings.Repeat("x", 10) + "... (50 bytes)"},
	} {
		if got := First(tc.err, 10); got != tc.want {
			t.Errorf("First(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}

func TestPeer(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"WSO2 Carbon Server", "WSO2 Carbon Server"},
		{"evil\x1b]0;title\x07", `evil\x1b]0;title\x07`},
		{"x\nHEALTHY: spoofed", `x\nHEALTHY: spoofed`},
		{"a\\n", `a\\n`}, // a backslash the peer sent cannot pass for an escape
		{"\u202eevil", `\u202eevil`},
		{"bad\xffutf8", `bad\xffutf8`},
		{"CN=lo\u00e7alhost", "CN=loçalhost"},
	} {
		if got := Peer(tc.in); got != tc.want {
			t.Errorf("Peer(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	long := Peer(strings.Repeat("A", 60_000))
	if len(long) > PeerLimit+30 || !strings.HasSuffix(long, "... (60000 bytes)") {
		t.Errorf("a 60 KB string became %d bytes: %.80q", len(long), long)
	}
	esc := Peer(strings.Repeat("\x1b", 1000))
	if len(esc) > PeerLimit+30 || strings.ContainsRune(esc, 0x1b) {
		t.Errorf("escapes: %d bytes, raw ESC %v", len(esc), strings.ContainsRune(esc, 0x1b))
	}
}
