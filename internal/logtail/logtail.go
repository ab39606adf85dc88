// Package logtail reads the end of a server's log, bounded: the last lines
// to show when a server exits, and the lines where it says it started. A log
// can be gigabytes, a FIFO or a device: only its last bytes are read, from a
// regular file, with every control character replaced.
package logtail

import (
	"bytes"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/carbonprobe/carbonprobe/internal/safefile"
)

// Bounds of a log tail: the server's log can be gigabytes, and a Java stack
// trace line can be long; the report needs the last few lines, each readable.
const (
	tailBytes   = 64 << 10
	maxLineRune = 400
)

// Tail returns the last n lines of a file, reading at most its last 64 KiB.
// Control characters (colour codes, a stray NUL) are shown as U+FFFD so a log
// cannot drive the terminal or break a JSON or XML report.
func Tail(path string, n int) ([]string, error) {
	if n <= 0 {
		return nil, nil
	}
	lines, err := Lines(path, tailBytes)
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return lines, err
}

// Lines returns the whole lines in the last window bytes of a file, cleaned
// as Tail's are.
func Lines(path string, window int64) ([]string, error) {
	f, err := safefile.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	size, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return nil, err
	}
	from := max(size-window, 0)
	buf := make([]byte, size-from)
	if _, err := f.ReadAt(buf, from); err != nil && err != io.EOF {
		return nil, err
	}
	if from > 0 {
		// The first line is cut: drop it rather than show half of it.
		if i := bytes.IndexByte(buf, '\n'); i >= 0 {
			buf = buf[i+1:]
		}
	}
	buf = bytes.TrimRight(buf, "\r\n")
	if len(buf) == 0 {
		return nil, nil
	}
	lines := strings.Split(string(buf), "\n")
	for i, l := range lines {
		lines[i] = clean(strings.TrimSuffix(l, "\r"))
	}
	return lines, nil
}

func clean(s string) string {
	var b strings.Builder
	runes := 0
	for _, r := range s {
		if runes == maxLineRune {
			b.WriteString("...")
			break
		}
		runes++
		switch {
		case r == '\t':
			b.WriteRune(' ')
		case r == utf8.RuneError, !unicode.IsPrint(r): // controls, and bidi overrides that would reorder the terminal
			b.WriteRune('\uFFFD')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
