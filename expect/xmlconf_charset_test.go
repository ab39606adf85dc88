package expect

import (
	"strings"
	"testing"
)

// Carbon 4 writes carbon.xml as ISO-8859-1; a byte such as 0xA9 (©) in a
// comment must read, and an encoding carbonprobe does not know is one clear
// error, not a silent misreading.
func TestXMLCharsets(t *testing.T) {
	latin1 := "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<!-- \xa9 WSO2 -->\n<Server><Ports><Offset>4</Offset></Ports></Server>\n"
	var offset string
	err := walkXML([]byte(latin1), func(e *xmlElem) {
		if e.Names[len(e.Names)-1] == "Offset" {
			offset = e.Text
		}
	})
	if err != nil || strings.TrimSpace(offset) != "4" {
		t.Fatalf("ISO-8859-1 document: offset %q, err %v", offset, err)
	}
	sjis := "<?xml version=\"1.0\" encoding=\"Shift_JIS\"?>\n<Server/>\n"
	err = walkXML([]byte(sjis), func(*xmlElem) {})
	if err == nil || !strings.Contains(err.Error(), `encoding "Shift_JIS" is not one carbonprobe reads`) {
		t.Fatalf("Shift_JIS: err = %v", err)
	}
}
