package expect

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"golang.org/x/text/encoding/charmap"

	"github.com/carbonprobe/carbonprobe/internal/safefile"
	"github.com/carbonprobe/carbonprobe/internal/text"
)

// maxConfigBytes bounds what is read of any configuration file: Carbon's
// largest (axis2.xml) is under 100 KiB, so a bigger file is a mistake, not a config.
const maxConfigBytes = 4 << 20

// maxXMLDepth bounds element nesting. Carbon's deepest file (axis2.xml) nests
// about eight levels; a document a million levels deep is an attack on the
// reader, not a configuration.
const maxXMLDepth = 100

// maxXMLText bounds the text kept of one element: a port or a flag is a few
// bytes, so the rest of a long text is of no use.
const maxXMLText = 4096

// readConfig reads a configuration file whole. It refuses without reading
// them anything but a regular file (a FIFO would block for ever, /dev/zero
// never ends) and a file past maxConfigBytes (a sparse 1 GB file costs one
// stat). The limit on the read itself stays, for a file that grows after the stat.
func readConfig(path string) ([]byte, error) {
	data, err := safefile.Read(path, maxConfigBytes)
	var big *safefile.TooLargeError
	switch {
	case errors.As(err, &big) && big.Size > 0:
		return nil, fmt.Errorf("larger than %d MiB (%d bytes): not a configuration file", maxConfigBytes>>20, big.Size)
	case errors.As(err, &big):
		return nil, fmt.Errorf("larger than %d MiB: not a configuration file", maxConfigBytes>>20)
	case err != nil:
		return nil, bareErr(err)
	}
	return data, nil
}

// bareErr drops the path from a *fs.PathError: callers name the file themselves.
func bareErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// xmlElem is one element of a document, handed to a visitor when it closes.
type xmlElem struct {
	// Names are the local names from the root to this element. The slice is
	// the walker's own and changes after the visit: copy what you keep.
	Names []string
	Attrs []xml.Attr
	Text  string // the element's own character data, trimmed; at most maxXMLText bytes
	Raw   string // the same, untrimmed
	Line  int    // the line its start tag begins on
	Leaf  bool   // whether it has no child elements
	// First is what a DOM reader's getFirstChild().getNodeValue() sees: the
	// first child node's value, untrimmed (the text up to the first other
	// node, a comment's data). FirstKind names that node: "text" (CDATA
	// included), "comment", "element", "instruction", or "" for an empty
	// element.
	First     string
	FirstKind string
}

// is reports whether the element's path of local names is exactly names.
func (e *xmlElem) is(names ...string) bool {
	if len(e.Names) != len(names) {
		return false
	}
	for i, n := range names {
		if e.Names[i] != n {
			return false
		}
	}
	return true
}

// attr returns the value of the attribute with the given local name.
func (e *xmlElem) attr(local string) (string, bool) {
	for _, a := range e.Attrs {
		if a.Name.Local == local {
			return a.Value, true
		}
	}
	return "", false
}

type xmlFrame struct {
	attrs     []xml.Attr
	text      []byte
	line      int
	leaf      bool
	first     []byte
	firstKind string
	firstDone bool // the first child node is complete
}

// child records a child node for the DOM-like First: consecutive character
// data is one text node; anything else ends it.
func (f *xmlFrame) child(kind string, data []byte) {
	if f.firstDone {
		return
	}
	switch {
	case f.firstKind == "":
		f.firstKind = kind
	case f.firstKind != "text" || kind != "text":
		f.firstDone = true
		return
	}
	if kind != "text" {
		f.firstDone = true
	}
	if room := maxXMLText - len(f.first); room > 0 {
		f.first = append(f.first, data[:min(room, len(data))]...)
	}
}

// walkXML reads a document and calls visit for every element as it closes.
// Namespaces are ignored, as Carbon's files have a default namespace and
// Carbon reads them by local name. encoding/xml expands no entity a DTD
// declares, so an entity bomb is a syntax error, not a memory blow-up;
// nesting is bounded by maxXMLDepth and kept text by maxXMLText, so time and
// memory stay linear in the input.
func walkXML(data []byte, visit func(*xmlElem)) error {
	dec := xml.NewDecoder(bytes.NewReader(data))
	// Carbon's files declare encoding="ISO-8859-1"; encoding/xml reads only UTF-8 by itself.
	dec.CharsetReader = charsetReader
	var names []string
	var frames []xmlFrame
	seen := false // any element at all
	for {
		// Every byte of the input belongs to some token (white space is
		// character data), so the position before a token is where it starts.
		line, _ := dec.InputPos()
		tok, err := dec.Token()
		if err == io.EOF {
			if len(names) > 0 {
				end, _ := dec.InputPos()
				return lineError{end, fmt.Sprintf("XML ends inside <%s>", names[len(names)-1])}
			}
			if !seen {
				return lineError{1, "no XML element: an empty file, or only comments"}
			}
			return nil
		}
		if err != nil {
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				if se.Msg == "unexpected EOF" && len(names) > 0 {
					return lineError{se.Line, fmt.Sprintf("XML ends inside <%s>", text.OneLine(names[len(names)-1]))}
				}
				return lineError{se.Line, "XML syntax error: " + text.OneLine(se.Msg)}
			}
			at, _ := dec.InputPos()
			return lineError{at, "XML: " + text.OneLine(err.Error())}
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(names) >= maxXMLDepth {
				return lineError{line, fmt.Sprintf("XML nests deeper than %d elements: not a configuration file", maxXMLDepth)}
			}
			if n := len(frames); n > 0 {
				frames[n-1].leaf = false
				frames[n-1].child("element", nil)
			}
			seen = true
			names = append(names, t.Name.Local)
			frames = append(frames, xmlFrame{attrs: t.Attr, line: line, leaf: true})
		case xml.CharData:
			if n := len(frames); n > 0 {
				f := &frames[n-1]
				if len(f.text) < maxXMLText {
					room := maxXMLText - len(f.text)
					f.text = append(f.text, t[:min(room, len(t))]...)
				}
				f.child("text", t)
			}
		case xml.Comment:
			if n := len(frames); n > 0 {
				frames[n-1].child("comment", t)
			}
		case xml.ProcInst:
			if n := len(frames); n > 0 {
				frames[n-1].child("instruction", t.Inst)
			}
		case xml.EndElement:
			f := frames[len(frames)-1]
			raw := string(f.text)
			visit(&xmlElem{Names: names, Attrs: f.attrs, Text: strings.TrimSpace(raw), Raw: raw, Line: f.line, Leaf: f.leaf,
				First: string(f.first), FirstKind: f.firstKind})
			names = names[:len(names)-1]
			frames = frames[:len(frames)-1]
		}
	}
}

// lineError is a problem at a line of a file; the caller adds the file's name.
type lineError struct {
	Line int
	Msg  string
}

func (e lineError) Error() string { return fmt.Sprintf("%d: %s", e.Line, e.Msg) }

// charsetReader decodes the encodings Carbon's XML files declare: Carbon 4
// writes encoding="ISO-8859-1", and encoding/xml reads only UTF-8 by itself.
// Only single-byte Western encodings are known: a full label table (x/net's
// html/charset) would add half a megabyte of CJK tables to the binary for
// files that never use them.
func charsetReader(label string, input io.Reader) (io.Reader, error) {
	switch strings.ToLower(strings.TrimSpace(label)) {
	case "utf-8", "utf8", "us-ascii", "ascii":
		return input, nil
	case "iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1":
		return charmap.ISO8859_1.NewDecoder().Reader(input), nil
	case "iso-8859-15", "iso8859-15", "latin-9":
		return charmap.ISO8859_15.NewDecoder().Reader(input), nil
	case "windows-1252", "cp1252":
		return charmap.Windows1252.NewDecoder().Reader(input), nil
	}
	return nil, fmt.Errorf("encoding %q is not one carbonprobe reads (UTF-8, ISO-8859-1, ISO-8859-15, windows-1252)", label)
}
