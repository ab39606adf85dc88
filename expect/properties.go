package expect

import (
	"strconv"
	"strings"
)

// property is one key of a Java .properties file and the line its logical line starts on.
type property struct {
	Value string
	Line  int
}

// parseProperties reads a .properties file as java.util.Properties.load does,
// which is how log4j 1.x and log4j2 read theirs: ISO-8859-1 bytes, '#' and '!'
// comments, a key ending at the first unescaped '=', ':' or white space,
// backslash continuation lines, \uXXXX escapes, and the last of repeated keys
// winning. It cannot fail: Java accepts any bytes. Time is linear in the input.
func parseProperties(data []byte) map[string]property {
	out := map[string]property{}
	line := 1
	i := 0
	for i < len(data) {
		// One logical line: natural lines joined where one ends in an odd
		// number of backslashes; leading white space of each is skipped.
		start := line
		var logical []byte
		first := true
		for {
			for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\f') {
				i++
			}
			if first && i < len(data) && (data[i] == '#' || data[i] == '!') {
				for i < len(data) && data[i] != '\n' && data[i] != '\r' {
					i++
				}
				i, line = skipEOL(data, i, line)
				break
			}
			if first && i < len(data) && (data[i] == '\n' || data[i] == '\r') {
				i, line = skipEOL(data, i, line)
				start = line
				continue
			}
			first = false
			j := i
			for j < len(data) && data[j] != '\n' && data[j] != '\r' {
				j++
			}
			seg := data[i:j]
			i, line = skipEOL(data, j, line)
			if n := trailingBackslashes(seg); n%2 == 1 && i <= len(data) && j < len(data) {
				logical = append(logical, seg[:len(seg)-1]...)
				continue
			} else if n%2 == 1 {
				seg = seg[:len(seg)-1] // a continuation at the end of the file continues into nothing
			}
			logical = append(logical, seg...)
			break
		}
		if len(logical) == 0 {
			continue
		}
		k, v := splitProperty(logical)
		out[k] = property{Value: v, Line: start}
	}
	return out
}

func skipEOL(data []byte, i, line int) (int, int) {
	switch {
	case i >= len(data):
		return i, line
	case data[i] == '\r' && i+1 < len(data) && data[i+1] == '\n':
		return i + 2, line + 1
	default:
		return i + 1, line + 1
	}
}

func trailingBackslashes(b []byte) int {
	n := 0
	for k := len(b) - 1; k >= 0 && b[k] == '\\'; k-- {
		n++
	}
	return n
}

// splitProperty splits a logical line into its key and value and unescapes both.
func splitProperty(b []byte) (string, string) {
	k := 0
	for k < len(b) {
		c := b[k]
		if c == '\\' {
			k += 2
			continue
		}
		if c == '=' || c == ':' || c == ' ' || c == '\t' || c == '\f' {
			break
		}
		k++
	}
	key := b[:min(k, len(b))]
	v := k
	for v < len(b) && (b[v] == ' ' || b[v] == '\t' || b[v] == '\f') {
		v++
	}
	if v < len(b) && (b[v] == '=' || b[v] == ':') {
		v++
		for v < len(b) && (b[v] == ' ' || b[v] == '\t' || b[v] == '\f') {
			v++
		}
	}
	return unescapeProperty(key), unescapeProperty(b[min(v, len(b)):])
}

func unescapeProperty(b []byte) string {
	if !strings.ContainsRune(string(b), '\\') {
		return latin1(b)
	}
	var sb strings.Builder
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c != '\\' || i+1 >= len(b) {
			sb.WriteRune(rune(c))
			continue
		}
		i++
		switch b[i] {
		case 't':
			sb.WriteByte('\t')
		case 'n':
			sb.WriteByte('\n')
		case 'r':
			sb.WriteByte('\r')
		case 'f':
			sb.WriteByte('\f')
		case 'u':
			// Java throws on a malformed \u escape; keeping the text is kinder
			// and changes nothing carbonprobe reads.
			if i+4 < len(b) {
				if r, err := strconv.ParseUint(string(b[i+1:i+5]), 16, 16); err == nil {
					sb.WriteRune(rune(r))
					i += 4
					continue
				}
			}
			sb.WriteString(`\u`)
		default:
			sb.WriteRune(rune(b[i]))
		}
	}
	return sb.String()
}

// latin1 decodes ISO-8859-1, the encoding Properties.load(InputStream) assumes.
func latin1(b []byte) string {
	ascii := true
	for _, c := range b {
		if c >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return string(b)
	}
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}
