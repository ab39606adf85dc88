package logtail

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTail(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	var big strings.Builder
	for i := 0; big.Len() < 3*tailBytes; i++ {
		fmt.Fprintf(&big, "line %06d %s\n", i, strings.Repeat("x", 50))
	}
	lastBig := strings.Split(strings.TrimSpace(big.String()), "\n")

	for _, tc := range []struct {
		name, content string
		n             int
		want          []string
	}{
		{"fewer lines than asked", "a\nb\n", 5, []string{"a", "b"}},
		{"last n", "a\nb\nc\nd\n", 2, []string{"c", "d"}},
		{"no final newline", "a\nb", 1, []string{"b"}},
		{"crlf", "a\r\nb\r\n", 5, []string{"a", "b"}},
		{"empty", "", 5, nil},
		{"control characters and tabs", "\x1b[31mred\x1b[0m\tx\x00\n", 1, []string{"\uFFFD[31mred\uFFFD[0m x\uFFFD"}},
		{"invalid utf-8", "ok \xff\xfe\n", 1, []string{"ok \uFFFD\uFFFD"}},
		{"a bidi override, which would reorder the terminal", "ok \u202eevil\n", 1, []string{"ok \uFFFDevil"}},
		{"a long line is cut", strings.Repeat("y", 1000) + "\n", 1, []string{strings.Repeat("y", maxLineRune) + "..."}},
		{"only the end of a big file is read", big.String(), 3, lastBig[len(lastBig)-3:]},
		{"n 0", "a\n", 0, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Tail(write(strings.ReplaceAll(tc.name, " ", "-"), tc.content), tc.n)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") || len(got) != len(tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}

	// A whole 64 KiB window of one line: the cut first line is dropped, nothing is left.
	got, err := Tail(write("one-huge-line", strings.Repeat("z", 2*tailBytes)+"\n"), 5)
	if err != nil || len(got) != 0 {
		t.Errorf("a line longer than the window: %q, %v", got, err)
	}
	if _, err := Tail(filepath.Join(dir, "missing"), 5); !os.IsNotExist(err) {
		t.Errorf("missing file: %v", err)
	}
}
