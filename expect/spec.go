// Package expect says what should be there: the ports a WSO2 Carbon server
// opens for a profile and a port offset, why each has its number, and which
// random ports it may open besides. It is pure: no network, no /proc.
package expect

import "fmt"

// MaxPort is the highest TCP or UDP port number.
const MaxPort = 65535

// Proto is a transport protocol.
type Proto string

const (
	TCP Proto = "tcp"
	UDP Proto = "udp"
)

// Role is what must answer on a port.
type Role string

const (
	RoleTCP         Role = "tcp"          // any TCP accept
	RoleUDP         Role = "udp"          // any UDP answer; silence proves nothing
	RoleHTTP        Role = "http"         // an HTTP/1.x response
	RoleHTTPS       Role = "https"        // a TLS handshake, then HTTP
	RoleLDAP        Role = "ldap"         // an LDAP rootDSE
	RoleKDC         Role = "kdc"          // a Kerberos KRB-ERROR to an AS-REQ
	RoleRMIRegistry Role = "rmi-registry" // a Java RMI registry (lookup "jmxrmi")
	RoleRMIServer   Role = "rmi-server"   // an exported RMI object endpoint (JMX RMI server)
)

// Roles lists every role, in the order help texts show them.
var Roles = []Role{RoleTCP, RoleUDP, RoleHTTP, RoleHTTPS, RoleLDAP, RoleKDC, RoleRMIRegistry, RoleRMIServer}

func (r Role) valid() bool {
	for _, k := range Roles {
		if r == k {
			return true
		}
	}
	return false
}

// Proto returns the transport a role speaks over by default.
func (r Role) Proto() Proto {
	if r == RoleUDP || r == RoleKDC {
		return UDP
	}
	return TCP
}

// Fits reports whether the role can answer over p: a KDC serves UDP and,
// with the 4-byte length prefix of RFC 4120 7.2.2, TCP; every other role one.
func (r Role) Fits(p Proto) bool { return r == RoleKDC || r.Proto() == p }

// Need says whether a port must be there for the server to count as healthy.
type Need string

const (
	Required Need = "required" // missing: unhealthy
	Optional Need = "optional" // checked and shown, never fails a check
	Off      Need = "off"      // opens only when enabled in the server's configuration; not checked
)

func (n Need) valid() bool { return n == Required || n == Optional || n == Off }

// Port is one fixed port the server is expected to open.
type Port struct {
	Name      string // "passthrough-http"; for --ports entries "8080/tcp"
	Proto     Proto
	Base      int  // the number before any offset
	Offset    bool // whether the port offset applies
	Number    int  // the effective number
	Role      Role
	Need      Need
	Condition string // why a port is optional or off
	Why       string // why this number: "8280 + offset 3 (replaces MI's built-in 10)"
	Source    string // where the base number and the rule come from
	AdHoc     bool   // from --ports, not from the profile
	// From names the home's files that set this port's number or switched
	// it on or off, "repository/conf/carbon.xml:31 RMIRegistryPort"; empty
	// when the profile's default stands.
	From string
	// Expect is the --expect file row that added this port, "ports.toml:12".
	Expect string
	// Cluster marks a cluster's port (Hazelcast's member and multicast
	// discovery ports): a probe never sends it a datagram, which would land
	// in the cluster's own discovery socket.
	Cluster bool
	// HTTP, when set, asks more of an http or https port than any HTTP
	// reply: a path to request, the status that means yes, a body or header
	// match (from --ports 9201=http:/healthz or an --expect row).
	HTTP *HTTPExpect
	// Unknown says why the port's number cannot be told, naming the
	// placeholder and the file and line that hold it: "$env{HTTP_PORT}
	// (conf/deployment.toml:14 [transport.http] listener.port) is not set in
	// pid 4242's environment". Number is then 0; Checked leaves the port out.
	Unknown string
}

// Label names a port for people: "passthrough-http 8290/tcp", or "8080/tcp"
// for a --ports entry, whose name is its number.
func (p Port) Label() string {
	n := fmt.Sprintf("%d/%s", p.Number, p.Proto)
	if p.Name == n {
		return n
	}
	return p.Name + " " + n
}

// Key identifies a port on a host: "tcp/8290".
func (p Port) Key() string { return fmt.Sprintf("%s/%d", p.Proto, p.Number) }

// HTTPExpect is what an HTTP endpoint must answer.
type HTTPExpect struct {
	Path string // the request's path, "/healthz"; "/" when empty
	// Status lists the statuses that count: classes ("2xx") or codes
	// ("204"); empty: 2xx and 3xx.
	Status []string
	Body   string // a regular expression the first 64 KiB of the body must match; "" for none
	Header string // "Name: regexp", a header the reply must carry, matching; "" for none
}

// Signal is an HTTP endpoint a product answers to say that it is ready to
// serve (readiness) or that it is alive (liveness): what the product itself
// means by ready, beyond bound ports and answering protocols.
type Signal struct {
	Kind string // "readiness" or "liveness"
	// Port names the row of Spec.Ports the endpoint is served on; its role
	// (http or https) says the scheme. The signal is asked only when that
	// port is checked.
	Port   string
	Expect HTTPExpect
	Means  string // what a yes means: "every CApp is deployed"
	Source string // the product source that shows the endpoint and its answers
	// Condition says when the endpoint exists, "" when always with its port.
	Condition string
	// Need is Required when a wrong answer fails the check, Optional when
	// the answer is shown and never fails it: where the sources leave the
	// endpoint's answers unconfirmed (Condition says why). Never Off: a
	// signal the configuration switches off is left out of the Spec.
	Need Need
	// From names the home's files or the Java options that switched the
	// endpoint on: "-DenableReadinessProbe=true (bin/micro-integrator.sh:55
	// -DenableReadinessProbe)"; empty when the profile's default stands.
	From string
}

// RandomKind is a kind of port the server opens on a random number at every start.
type RandomKind struct {
	Kind     string // "jmxremote", "syslog"
	Proto    Proto
	Expected bool   // whether this profile's default configuration opens it
	Why      string // what opens it, or why it is not expected
	Pin      string // how to fix the number, or why it cannot be
	Source   string
	From     string // the home's file and line that decided Expected, when one did
}

// DocsClaim is a place where the product documentation and the product sources differ.
type DocsClaim struct {
	Claim  string // what the documentation says
	Fact   string // what the sources say
	Source string
}

// OffsetKind says where a port offset came from, in precedence order.
type OffsetKind string

const (
	OffsetFlag      OffsetKind = "flag"            // --offset or $CARBONPROBE_OFFSET
	OffsetSysProp   OffsetKind = "sysprop"         // -DportOffset=N in Java options
	OffsetTOML      OffsetKind = "deployment.toml" // [server] offset in deployment.toml
	OffsetCarbonXML OffsetKind = "carbon.xml"      // <Ports><Offset> in carbon.xml
	OffsetDefault   OffsetKind = "default"         // the profile's built-in default
)

// short names the offset's source in a port's explanation: "offset from -DportOffset".
func (k OffsetKind) short() string {
	switch k {
	case OffsetFlag:
		return "flag --offset"
	case OffsetSysProp:
		return "-DportOffset"
	case OffsetTOML:
		return "deployment.toml [server] offset"
	case OffsetCarbonXML:
		return "carbon.xml <Offset>"
	}
	return "the profile's default"
}

// Offset is the effective port offset and where it came from.
type Offset struct {
	Value int
	Kind  OffsetKind
	From  string // for people: "flag --offset", "-DportOffset=3 in flag --java-opts", "/opt/mi/conf/carbon.xml:31 <Offset>"
	// Source cites the default when Kind is OffsetDefault.
	Source string
}

// Spec is everything expected of one server.
type Spec struct {
	Profile string // profile name; "none" for --ports alone
	Title   string
	Offset  Offset
	Ports   []Port
	Random  []RandomKind
	Docs    []DocsClaim
	// Signals are the product's own readiness and liveness endpoints.
	Signals []Signal

	// Home is the server's home directory, when one was read.
	Home string
	// Version is the product version, "4.2.0", when known.
	Version string
	// Chosen says how the profile was chosen: "flag --profile", or what in
	// the home showed the product: "bin/api-manager.sh; updates/product.txt:1 wso2am-4.2.0".
	Chosen string
	// Notes are things to know that are not errors: a stale file, a value
	// the server will overwrite at its next start.
	Notes []string
}

// Checked returns the ports a check dials: all but those that are off and
// those whose number cannot be known.
func (s Spec) Checked() []Port {
	out := make([]Port, 0, len(s.Ports))
	for _, p := range s.Ports {
		if p.Checked() {
			out = append(out, p)
		}
	}
	return out
}

// Checked tells whether a check dials the port: it is not off, and its
// number is known.
func (p Port) Checked() bool { return p.Need != Off && p.Unknown == "" }

// Skipped says why a check does not dial the port, "" when it does.
func (p Port) Skipped() string {
	switch {
	case p.Unknown != "":
		return "not dialled: its number is unknown: " + p.Unknown
	case p.Need == Off:
		return p.Condition
	}
	return ""
}
