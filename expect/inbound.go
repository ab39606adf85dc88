package expect

import (
	"strings"

	"github.com/carbonprobe/carbonprobe/internal/text"
)

// InboundEndpoint is what carbonprobe reads from a Synapse inbound endpoint
// file (repository/deployment/server/synapse-configs/default/inbound-endpoints/*.xml):
// the listener an API-M gateway, an EI integrator or an MI opens for it.
type InboundEndpoint struct {
	File     string
	Name     string
	Protocol string  // "ws", "wss", "http", "https", "hl7", ...
	Suspend  Setting // the suspend attribute: "true" deploys it stopped
	// Port is the inbound.<protocol>.port parameter (inbound.ws.port,
	// inbound.http.port, ...); not Found when the endpoint has none (a
	// polling endpoint: JMS, file, Kafka).
	Port Setting
	// UseOffset is the ws.use.port.offset parameter of a WebSocket endpoint.
	UseOffset Setting
	Line      int
}

// wsProtocol reports whether the endpoint is a WebSocket one.
func (e *InboundEndpoint) wsProtocol() bool {
	p := strings.ToLower(e.Protocol)
	return p == "ws" || p == "wss"
}

// ParseInboundEndpoint reads one inbound endpoint file. Parameters count
// only as direct children of <parameters>, as Synapse's
// InboundEndpointFactory reads them.
func ParseInboundEndpoint(data []byte, file string) (InboundEndpoint, error) {
	out := InboundEndpoint{File: file}
	root := false
	err := walkXML(data, func(e *xmlElem) {
		switch {
		case e.is("inboundEndpoint"):
			root = true
			out.Line = e.Line
			out.Name, _ = e.attr("name")
			out.Protocol, _ = e.attr("protocol")
			if v, ok := e.attr("suspend"); ok {
				out.Suspend = Setting{Value: strings.TrimSpace(v), File: file, Line: e.Line, Key: "suspend"}
			}
		case e.is("inboundEndpoint", "parameters", "parameter"):
			name, _ := e.attr("name")
			name = strings.TrimSpace(name)
			switch {
			case name == "ws.use.port.offset" && !out.UseOffset.Found():
				out.UseOffset = Setting{Value: e.Text, File: file, Line: e.Line, Key: name}
			case isInboundPortParam(name) && !out.Port.Found():
				out.Port = Setting{Value: e.Text, File: file, Line: e.Line, Key: name}
			}
		}
	})
	if err != nil {
		return InboundEndpoint{File: file}, err
	}
	if !root {
		return out, lineError{1, "no <inboundEndpoint> root element: not a Synapse inbound endpoint"}
	}
	out.Name, out.Protocol = text.OneLine(out.Name), text.OneLine(out.Protocol)
	if len(out.Name) > maxCarbonKey {
		out.Name = out.Name[:maxCarbonKey]
	}
	return out, nil
}

// isInboundPortParam reports whether a parameter names a listening port:
// inbound.http.port, inbound.ws.port, inbound.hl7.port, inbound.tcp.port.
func isInboundPortParam(name string) bool {
	mid, ok := strings.CutPrefix(name, "inbound.")
	if !ok {
		return false
	}
	mid, ok = strings.CutSuffix(mid, ".port")
	return ok && mid != "" && !strings.Contains(mid, ".")
}
