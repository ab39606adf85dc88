package expect

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"golang.org/x/net/html/charset"
)

// maxConfigBytes bounds what is read of any configuration file: Carbon's
// largest (axis2.xml) is under 100 KiB, so a bigger file is a mistake, not a config.
const maxConfigBytes = 4 << 20

// readConfig reads a configuration file whole, refusing one past maxConfigBytes.
func readConfig(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return nil, pe.Err // the caller names the file
		}
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxConfigBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxConfigBytes {
		return nil, fmt.Errorf("larger than %d MiB: not a configuration file", maxConfigBytes>>20)
	}
	return data, nil
}

// xmlValue is the text of an element and the line it starts on.
type xmlValue struct {
	Text string
	Line int
}

// readXMLValues walks an XML document and returns the text of the elements whose
// slash-joined path of local names ("Server/Ports/Offset") is in want. Namespaces
// are ignored, as Carbon's files have a default namespace. Only the first
// occurrence of a path is kept. encoding/xml expands no entities of a DTD, so an
// entity bomb is a syntax error, not a memory blow-up.
func readXMLValues(data []byte, want map[string]bool) (map[string]xmlValue, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	// Carbon's files declare encoding="ISO-8859-1"; encoding/xml reads only UTF-8 by itself.
	dec.CharsetReader = charset.NewReaderLabel
	got := make(map[string]xmlValue, len(want))
	var stack []string
	var text strings.Builder
	var capturing string
	var capLine int
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			if len(stack) > 0 {
				line, _ := dec.InputPos()
				return nil, lineError{line, fmt.Sprintf("XML ends inside <%s>", stack[len(stack)-1])}
			}
			return got, nil
		}
		if err != nil {
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				return nil, lineError{se.Line, "XML syntax error: " + se.Msg}
			}
			line, _ := dec.InputPos()
			return nil, lineError{line, err.Error()}
		}
		switch t := tok.(type) {
		case xml.StartElement:
			stack = append(stack, t.Name.Local)
			p := strings.Join(stack, "/")
			if want[p] && capturing == "" {
				if _, dup := got[p]; !dup {
					capturing, capLine = p, 0
					capLine, _ = dec.InputPos()
					text.Reset()
				}
			}
		case xml.CharData:
			if capturing != "" {
				text.Write(t)
			}
		case xml.EndElement:
			if p := strings.Join(stack, "/"); p == capturing {
				got[p] = xmlValue{strings.TrimSpace(text.String()), capLine}
				capturing = ""
			}
			stack = stack[:len(stack)-1]
		}
	}
}

// lineError is a problem at a line of a file; the caller adds the file's name.
type lineError struct {
	Line int
	Msg  string
}

func (e lineError) Error() string { return fmt.Sprintf("%d: %s", e.Line, e.Msg) }
