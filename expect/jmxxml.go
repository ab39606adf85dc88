package expect

import (
	"fmt"
	"strings"

	"github.com/carbonprobe/carbonprobe/internal/text"
)

// JMXXML is what carbonprobe reads from etc/jmx.xml, the file Carbon 4's
// JMXServerManager reads to decide whether to start the RMI registry and the
// JMX connector server, and on which ports.
type JMXXML struct {
	File         string
	Start        Setting // <StartRMIServer>; JMXServerManager starts nothing unless it is "true"
	HostName     Setting // <HostName>: put in the service URL, not a bind address
	RegistryPort Setting // <RMIRegistryPort>: "${Ports.JMX.RMIRegistryPort}" or a literal
	ServerPort   Setting // <RMIServerPort>
	// StartFirst describes <StartRMIServer>'s first child node when it is
	// not its text ("a comment <!-- c -->"): JMXServerManager reads that
	// node's value, so the text after it does not count. StartText is the
	// element's whole text, for the message.
	StartFirst string
	StartText  string
}

// ParseJMXXML reads a jmx.xml. Like JMXServerManager (getElementsByTagName),
// it takes the first element of each name anywhere under <JMX>, and reads
// the value of its first child node, trimmed (getChildNodes().item(0)
// .getNodeValue().trim()): a comment before the text is what it reads.
func ParseJMXXML(data []byte, file string) (JMXXML, error) {
	out := JMXXML{File: file}
	root := false
	err := walkXML(data, func(e *xmlElem) {
		if len(e.Names) == 1 {
			root = root || e.Names[0] == "JMX"
			return
		}
		if e.Names[0] != "JMX" {
			return
		}
		var s *Setting
		name := e.Names[len(e.Names)-1]
		switch name {
		case "StartRMIServer":
			s = &out.Start
		case "HostName":
			s = &out.HostName
		case "RMIRegistryPort":
			s = &out.RegistryPort
		case "RMIServerPort":
			s = &out.ServerPort
		default:
			return
		}
		if s.Found() {
			return
		}
		value := strings.TrimSpace(e.First)
		if e.FirstKind == "element" {
			value = "" // an element's node value is null: JMXServerManager fails to read it
		}
		*s = Setting{Value: value, File: file, Line: e.Line, Key: name}
		if name == "StartRMIServer" && e.FirstKind != "text" && e.FirstKind != "" {
			out.StartText = e.Text
			switch e.FirstKind {
			case "comment":
				out.StartFirst = fmt.Sprintf("a comment <!--%s-->", text.OneLine(e.First))
			case "element":
				out.StartFirst = "an element, whose node value is null"
			default:
				out.StartFirst = "a processing instruction"
			}
		}
	})
	if err != nil {
		return JMXXML{File: file}, err
	}
	if !root {
		return out, lineError{1, "no <JMX> root element: not a jmx.xml"}
	}
	return out, nil
}
