package expect

// JMXXML is what carbonprobe reads from etc/jmx.xml, the file Carbon 4's
// JMXServerManager reads to decide whether to start the RMI registry and the
// JMX connector server, and on which ports.
type JMXXML struct {
	File         string
	Start        Setting // <StartRMIServer>; JMXServerManager starts nothing unless it is "true"
	HostName     Setting // <HostName>: put in the service URL, not a bind address
	RegistryPort Setting // <RMIRegistryPort>: "${Ports.JMX.RMIRegistryPort}" or a literal
	ServerPort   Setting // <RMIServerPort>
}

// ParseJMXXML reads a jmx.xml. Like JMXServerManager (getElementsByTagName),
// it takes the first element of each name anywhere under <JMX>.
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
		switch e.Names[len(e.Names)-1] {
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
		if !s.Found() {
			*s = Setting{Value: e.Text, File: file, Line: e.Line, Key: e.Names[len(e.Names)-1]}
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
