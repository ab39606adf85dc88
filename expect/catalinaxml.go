package expect

import "strings"

// CatalinaXML is what carbonprobe reads from tomcat/catalina-server.xml,
// the file Carbon 4's embedded Tomcat builds its servlet transports from:
// every <Connector> under <Server><Service>, each listening on its port
// plus the port offset.
type CatalinaXML struct {
	File       string
	Connectors []Connector
}

// Connector is one Tomcat <Connector>.
type Connector struct {
	Port   Setting // the port attribute
	Secure bool    // SSLEnabled="true", scheme="https" or secure="true": TLS
}

// maxConnectors bounds how many connectors are kept: Carbon ships two, a
// file with thousands is not a configuration.
const maxConnectors = 256

// ParseCatalinaXML reads a catalina-server.xml. A connector without a port
// attribute is kept with an empty port, which the resolver reports.
func ParseCatalinaXML(data []byte, file string) (CatalinaXML, error) {
	out := CatalinaXML{File: file}
	root := false
	err := walkXML(data, func(e *xmlElem) {
		switch {
		case len(e.Names) == 1:
			root = root || e.Names[0] == "Server"
		case e.is("Server", "Service", "Connector") && len(out.Connectors) < maxConnectors:
			port, _ := e.attr("port")
			port = port[:min(len(port), maxXMLText)] // bounded as element text is
			c := Connector{Port: Setting{Value: strings.TrimSpace(port), File: file, Line: e.Line, Key: "<Connector port>"}}
			for _, name := range []string{"SSLEnabled", "secure"} {
				if v, ok := e.attr(name); ok && javaBool(v) {
					c.Secure = true
				}
			}
			if v, ok := e.attr("scheme"); ok && strings.EqualFold(strings.TrimSpace(v), "https") {
				c.Secure = true
			}
			if c.Secure {
				c.Port.Key = "HTTPS <Connector port>"
			} else {
				c.Port.Key = "HTTP <Connector port>"
			}
			out.Connectors = append(out.Connectors, c)
		}
	})
	if err != nil {
		return CatalinaXML{File: file}, err
	}
	if !root {
		return out, lineError{1, "no <Server> root element: not a catalina-server.xml"}
	}
	return out, nil
}

// pick returns the first connector of a kind, "http" or "https".
func (c *CatalinaXML) pick(kind string) *Connector {
	for i := range c.Connectors {
		if c.Connectors[i].Secure == (kind == "https") {
			return &c.Connectors[i]
		}
	}
	return nil
}

// extras returns the connectors pick does not return.
func (c *CatalinaXML) extras() []Connector {
	var out []Connector
	seen := map[bool]bool{}
	for _, k := range c.Connectors {
		if !seen[k.Secure] {
			seen[k.Secure] = true
			continue
		}
		out = append(out, k)
	}
	return out
}
