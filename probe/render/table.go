package render

import (
	"io"
	"strings"
	"unicode/utf8"
)

// table lays out rows in columns padded to the widest cell. Widths are taken
// from the plain text, so colour added afterwards does not skew the layout
// (text/tabwriter would count the escape sequences).
type table struct {
	header []string
	rows   [][]cell
}

type cell struct {
	text  string
	color string // an ANSI SGR code such as "32", or ""
}

func (t *table) add(cells ...cell) { t.rows = append(t.rows, cells) }

func plain(s string) cell         { return cell{text: s} }
func colored(s, code string) cell { return cell{text: s, color: code} }
func cells(ss ...string) []cell {
	out := make([]cell, len(ss))
	for i, s := range ss {
		out[i] = plain(s)
	}
	return out
}

func (t *table) write(w io.Writer, st Style) error {
	widths := make([]int, len(t.header))
	measure := func(i int, s string) {
		if i < len(widths) && utf8.RuneCountInString(s) > widths[i] {
			widths[i] = utf8.RuneCountInString(s)
		}
	}
	for i, h := range t.header {
		measure(i, h)
	}
	for _, r := range t.rows {
		for i, c := range r {
			measure(i, c.text)
		}
	}
	// On a terminal narrower than the table, the last column (a long
	// detail) goes on a line of its own under its row, indented: every
	// other column stays aligned, and nothing wraps mid-column.
	compact := false
	if st.Width > 0 && len(widths) > 1 {
		total := 0
		for _, w := range widths {
			total += w + 2
		}
		compact = total-2 > st.Width
	}
	last := len(widths) - 1
	var b strings.Builder
	line := func(r []cell) {
		var below cell
		if compact && len(r) > last {
			below, r = r[last], r[:last]
		}
		end := len(r) // trailing empty cells would leave trailing spaces
		for end > 0 && r[end-1].text == "" {
			end--
		}
		for i, c := range r[:end] {
			b.WriteString(st.paint(c.text, c.color))
			if i < end-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c.text)+2))
			}
		}
		b.WriteByte('\n')
		if below.text != "" {
			b.WriteString("    " + st.paint(below.text, below.color) + "\n")
		}
	}
	hdr := make([]cell, len(t.header))
	for i, h := range t.header {
		hdr[i] = cell{text: h, color: "1"}
	}
	if compact {
		hdr[last].text = "(" + strings.ToLower(hdr[last].text) + " below each row)"
	}
	line(hdr)
	for _, r := range t.rows {
		line(r)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
