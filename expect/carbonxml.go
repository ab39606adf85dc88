package expect

import "strings"

// CarbonXML is what carbonprobe reads from carbon.xml: the port offset, the
// host name, and every port under <Ports>, each with its line.
type CarbonXML struct {
	File   string
	Offset Setting // <Ports><Offset>; not Found when absent
	// OffsetRaw is <Offset>'s text untrimmed: Carbon parses it as it is, so
	// white space around the number stops the server.
	OffsetRaw string
	HostName  Setting // <HostName>
	// Ports holds every leaf element under <Ports> by the key Carbon's
	// ServerConfiguration gives it and jmx.xml's ${...} templates name:
	// "Ports.JMX.RMIRegistryPort", "Ports.EmbeddedLDAP.LDAPServerPort".
	Ports map[string]Setting
}

// maxCarbonKey bounds a <Ports> key: Carbon's longest is under 40 bytes, and
// a key built from absurdly long element names would cost memory for nothing.
const maxCarbonKey = 256

// ParseCarbonXML reads a carbon.xml (Carbon 4: repository/conf/carbon.xml;
// EI 6 and MI: conf/carbon.xml). file names it in settings and errors. Only
// the first occurrence of a key counts, as with Carbon's getFirstProperty.
func ParseCarbonXML(data []byte, file string) (CarbonXML, error) {
	out := CarbonXML{File: file, Ports: map[string]Setting{}}
	err := walkXML(data, func(e *xmlElem) {
		switch {
		case len(e.Names) < 3 || e.Names[0] != "Server" || e.Names[1] != "Ports":
			if e.is("Server", "HostName") && !out.HostName.Found() {
				out.HostName = Setting{Value: e.Text, File: file, Line: e.Line, Key: "<HostName>"}
			}
			return
		case !e.Leaf:
			return
		}
		key := strings.Join(e.Names[1:], ".")
		if len(key) > maxCarbonKey {
			return
		}
		if _, dup := out.Ports[key]; dup {
			return
		}
		s := Setting{Value: e.Text, File: file, Line: e.Line, Key: e.Names[len(e.Names)-1]}
		out.Ports[key] = s
		if key == "Ports.Offset" {
			s.Key = "<Offset>"
			out.Offset, out.OffsetRaw = s, e.Raw
		}
	})
	if err != nil {
		return CarbonXML{File: file, Ports: map[string]Setting{}}, err
	}
	if len(out.Ports) == 0 && !out.HostName.Found() {
		// A file without <Server> is not a carbon.xml, whatever its name.
		root := false
		_ = walkXML(data, func(e *xmlElem) { root = root || e.is("Server") })
		if !root {
			return out, lineError{1, "no <Server> root element: not a carbon.xml"}
		}
	}
	return out, nil
}
