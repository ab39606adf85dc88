package expect

// Axis2XML is what carbonprobe reads from axis2/axis2.xml: the Hazelcast
// clustering switch and ports, and the ports of the transport receivers
// (Synapse's pass-through HTTP and HTTPS listeners in EI and API-M).
type Axis2XML struct {
	File string
	// Clustering is the <clustering> element. Line is 0 when the file has none.
	Clustering struct {
		Line            int
		Enable          Setting // the enable attribute; Axis2 reads it with Boolean.parseBoolean
		Scheme          Setting // <parameter name="membershipScheme">
		LocalMemberPort Setting // <parameter name="localMemberPort">: no offset
		McastPort       Setting // <parameter name="mcastPort">: no offset
	}
	// Receivers maps a <transportReceiver name=...> to its <parameter name="port">.
	Receivers map[string]Setting
}

// ParseAxis2XML reads an axis2.xml. Only parameters that are direct children
// of <clustering> or of a <transportReceiver> count: axis2.xml nests
// parameters of the same names elsewhere (JMS connection factories, member
// properties).
func ParseAxis2XML(data []byte, file string) (Axis2XML, error) {
	out := Axis2XML{File: file, Receivers: map[string]Setting{}}
	root := false
	// A receiver's name is on the parent element, which closes after its
	// parameters: hold the port until then.
	var pending Setting
	err := walkXML(data, func(e *xmlElem) {
		switch {
		case len(e.Names) == 1:
			root = root || e.Names[0] == "axisconfig"
		case e.is("axisconfig", "clustering"):
			if out.Clustering.Line > 0 {
				return
			}
			out.Clustering.Line = e.Line
			v, _ := e.attr("enable")
			out.Clustering.Enable = Setting{Value: v, File: file, Line: e.Line, Key: "<clustering enable>"}
		case e.is("axisconfig", "clustering", "parameter"):
			name, _ := e.attr("name")
			var s *Setting
			switch name {
			case "membershipScheme":
				s = &out.Clustering.Scheme
			case "localMemberPort":
				s = &out.Clustering.LocalMemberPort
			case "mcastPort":
				s = &out.Clustering.McastPort
			default:
				return
			}
			if !s.Found() {
				*s = Setting{Value: e.Text, File: file, Line: e.Line, Key: name}
			}
		case e.is("axisconfig", "transportReceiver", "parameter"):
			if name, _ := e.attr("name"); name == "port" && !pending.Found() {
				pending = Setting{Value: e.Text, File: file, Line: e.Line}
			}
		case e.is("axisconfig", "transportReceiver"):
			name, _ := e.attr("name")
			if _, dup := out.Receivers[name]; pending.Found() && !dup && len(name) <= maxCarbonKey {
				pending.Key = "transportReceiver " + name + " port"
				out.Receivers[name] = pending
			}
			pending = Setting{}
		}
	})
	if err != nil {
		return Axis2XML{File: file, Receivers: map[string]Setting{}}, err
	}
	if !root {
		return out, lineError{1, "no <axisconfig> root element: not an axis2.xml"}
	}
	return out, nil
}
