package expect

import (
	"bytes"
	"embed"
	"fmt"
	"path"
	"sort"
	"strings"
	"sync"

	"github.com/hashicorp/go-multierror"
	"github.com/pelletier/go-toml/v2"
)

// Profile is the port knowledge of one product version range (and, for EI 6,
// one runtime), loaded from an embedded data file.
type Profile struct {
	Name    string   `toml:"name"`
	Title   string   `toml:"title"`
	Aliases []string `toml:"aliases"`
	// Product is the product family detection maps a home to: "apim", "ei6".
	Product string `toml:"product"`
	// Versions is the inclusive range of product versions the profile covers,
	// each bound compared on its own components: ["5.10", "5.11"] holds
	// 5.10.0 and 5.11.0; ["4", "4"] holds every 4.x.
	Versions []string `toml:"versions"`
	// Default marks the profile detection picks for its product when the
	// home does not tell the version.
	Default bool `toml:"default"`
	// Runtime is the EI 6 runtime the profile describes.
	Runtime string `toml:"runtime"`
	// Conf lists where the configuration lives, relative to the home, in the
	// order tried: "repository/conf", "conf", "wso2/broker/conf".
	Conf []string `toml:"conf"`
	// ConfHint is said when none of Conf holds a carbon.xml or deployment.toml.
	ConfHint string `toml:"conf_hint"`
	// Script is the start script, relative to the home.
	Script string `toml:"script"`
	// AssumeVersion picks the version-bound rows when no version is known.
	AssumeVersion string `toml:"assume_version"`

	// InboundDir is where the product deploys Synapse inbound endpoints,
	// relative to the home; "" for products without Synapse.
	InboundDir string `toml:"inbound_dir"`
	// InboundFilesDecide says that a row's inbound endpoint file missing
	// from InboundDir means the endpoint is not deployed (API-M 2.x/3.x ship
	// them there, and profileSetup.sh removes them); where a product can
	// deploy them from elsewhere too, a missing file leaves the row as is.
	InboundFilesDecide bool `toml:"inbound_files_decide"`
	// Ignore lists deployment.toml tables the product does not read, said
	// in a note when a home sets them.
	Ignore []profIgnore `toml:"ignore"`
	// Nodes are the node types -Dprofile=<name> starts (API-M 3.x/4.x).
	Nodes []profNode `toml:"node"`

	DefaultOffset       int          `toml:"default_offset"`
	DefaultOffsetWhy    string       `toml:"default_offset_why"`
	DefaultOffsetSource string       `toml:"default_offset_source"`
	MainClasses         []string     `toml:"main_classes"`
	Ports               []profPort   `toml:"port"`
	Random              []profRandom `toml:"random"`
	Docs                []profDocs   `toml:"docs"`
	// Signals are the product's own readiness and liveness endpoints
	// (signal.go); NoSignals says why a profile has none.
	Signals   []profSignal `toml:"signal"`
	NoSignals string       `toml:"no_signals"`
}

type profPort struct {
	Name        string   `toml:"name"`
	Base        int      `toml:"base"`
	Proto       Proto    `toml:"proto"`
	Offset      *bool    `toml:"offset"`
	NoOffsetWhy string   `toml:"no_offset_why"`
	Role        Role     `toml:"role"`
	Need        Need     `toml:"need"`
	Condition   string   `toml:"condition"`
	Source      string   `toml:"source"`
	Versions    []string `toml:"versions"`

	// Where the home's files can set the number or switch the port. Each is
	// read only where the product reads it: the XML files where there is no
	// deployment.toml, the TOML keys where there is one.
	CarbonXML     string  `toml:"carbon_xml"`     // a carbon.xml key: "Ports.EmbeddedLDAP.LDAPServerPort"
	Axis2Receiver string  `toml:"axis2_receiver"` // an axis2.xml transportReceiver whose "port" parameter sets the number
	TOML          string  `toml:"toml"`           // a deployment.toml key that sets the number
	TOMLEnable    string  `toml:"toml_enable"`    // a deployment.toml boolean that switches the port
	Feature       Feature `toml:"feature"`        // a switch read from a file carbonprobe knows
	// Catalina picks a tomcat/catalina-server.xml <Connector>, "http" or
	// "https", whose port sets the number (where there is no deployment.toml).
	Catalina string `toml:"catalina"`
	// Inbound names the Synapse inbound endpoint file that opens the port:
	// "WebSocketInboundEndpoint.xml". Absent or suspended, the port is off.
	Inbound string `toml:"inbound"`
	// SysEnable lists system properties one of which must be true for the
	// port to open (MI's -DenableManagementApi); SysEnableWhy says why.
	SysEnable    []string `toml:"sys_enable"`
	SysEnableWhy string   `toml:"sys_enable_why"`
}

// profIgnore is a deployment.toml table a product does not read.
type profIgnore struct {
	TOML   string `toml:"toml"`
	Why    string `toml:"why"`
	Source string `toml:"source"`
}

// profNode is an API-M node type: -Dprofile=<name> makes the start script
// run profileSetup.sh, which takes listeners out of the node.
type profNode struct {
	Name   string   `toml:"name"`
	Off    []string `toml:"off"`
	Why    string   `toml:"why"`
	Source string   `toml:"source"`
}

func (n *profNode) turnsOff(port string) bool {
	for _, p := range n.Off {
		if p == port {
			return true
		}
	}
	return false
}

// Feature names a port whose presence a product decides from its own switch.
type Feature string

const (
	// FeatureJMXRegistry and FeatureJMXServer are Carbon's JMX RMI ports:
	// etc/jmx.xml <StartRMIServer> and its port templates, or
	// [monitoring.jmx] in deployment.toml.
	FeatureJMXRegistry Feature = "jmx-registry"
	FeatureJMXServer   Feature = "jmx-server"
	// FeatureClusterMember is Hazelcast's member port, open whenever
	// clustering is on; FeatureClusterMulticast its multicast discovery port,
	// open only with membershipScheme multicast.
	FeatureClusterMember    Feature = "cluster-member"
	FeatureClusterMulticast Feature = "cluster-multicast"
)

type profRandom struct {
	RandomKind
	Versions []string `toml:"versions"`
}

type profDocs struct {
	DocsClaim
	Versions []string `toml:"versions"`
}

// NoProfile is the profile name for ad-hoc checks of --ports alone.
const NoProfile = "none"

// Runtimes are EI 6's runtimes, each a JVM of its own.
var Runtimes = []string{"integrator", "business-process", "broker", "analytics"}

//go:embed profiles/*.toml
var profileFS embed.FS

type profileSet struct {
	byName map[string]*Profile // names and aliases
	list   []*Profile          // sorted by name
}

var loadProfiles = sync.OnceValues(func() (*profileSet, error) {
	entries, err := profileFS.ReadDir("profiles")
	if err != nil {
		return nil, err
	}
	set := &profileSet{byName: map[string]*Profile{}}
	var errs *multierror.Error
	for _, e := range entries {
		file := path.Join("profiles", e.Name())
		data, err := profileFS.ReadFile(file)
		if err != nil {
			return nil, err
		}
		p, err := parseProfile(file, data)
		if err != nil {
			errs = multierror.Append(errs, err)
			continue
		}
		for _, n := range append([]string{p.Name}, p.Aliases...) {
			if _, dup := set.byName[n]; dup || n == NoProfile {
				errs = multierror.Append(errs, fmt.Errorf("%s: profile name %q is taken", file, n))
				continue
			}
			set.byName[n] = p
		}
		set.list = append(set.list, p)
	}
	sort.Slice(set.list, func(i, j int) bool { return set.list[i].Name < set.list[j].Name })
	return set, errs.ErrorOrNil()
})

func parseProfile(file string, data []byte) (*Profile, error) {
	dec := toml.NewDecoder(bytes.NewReader(data)).DisallowUnknownFields()
	var p Profile
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	var errs *multierror.Error
	bad := func(format string, args ...any) {
		errs = multierror.Append(errs, fmt.Errorf("%s: "+format, append([]any{file}, args...)...))
	}
	if p.Name == "" || p.Title == "" || p.DefaultOffsetSource == "" {
		bad("name, title and default_offset_source are required")
	}
	if want := strings.TrimSuffix(path.Base(file), ".toml"); p.Name != want && strings.HasSuffix(file, ".toml") {
		bad("name %q differs from the file's name %q: ProfileNames reads the file names", p.Name, want)
	}
	if len(p.Conf) == 0 {
		p.Conf = []string{"repository/conf", "conf"}
	}
	if err := checkRange(p.Versions); err != nil {
		bad("versions: %v", err)
	}
	if p.Runtime != "" && !isRuntime(p.Runtime) {
		bad("runtime %q is not one of %s", p.Runtime, strings.Join(Runtimes, ", "))
	}
	if p.AssumeVersion != "" {
		if _, err := parseVersion(p.AssumeVersion); err != nil {
			bad("assume_version: %v", err)
		}
	}
	seen := map[string]bool{}
	for i := range p.Ports {
		pp := &p.Ports[i]
		if pp.Proto == "" {
			pp.Proto = TCP
		}
		switch {
		case pp.Name == "":
			bad("port %d: missing name", i+1)
		case pp.Base < 1 || pp.Base > MaxPort:
			bad("port %s: base %d is not a port number", pp.Name, pp.Base)
		case pp.Proto != TCP && pp.Proto != UDP:
			bad("port %s: proto %q is neither tcp nor udp", pp.Name, pp.Proto)
		case !pp.Role.valid() || !pp.Role.Fits(pp.Proto):
			bad("port %s: role %q does not fit proto %s", pp.Name, pp.Role, pp.Proto)
		case !pp.Need.valid():
			bad("port %s: need %q is not required, optional or off", pp.Name, pp.Need)
		case pp.Need != Required && pp.Condition == "":
			bad("port %s: an %s port needs a condition saying why", pp.Name, pp.Need)
		case pp.Offset != nil && !*pp.Offset && pp.NoOffsetWhy == "":
			bad("port %s: a port without offset needs no_offset_why", pp.Name)
		case pp.Source == "":
			bad("port %s: every port cites its source", pp.Name)
		case !pp.Feature.valid():
			bad("port %s: feature %q is not one of jmx-registry, jmx-server, cluster-member, cluster-multicast", pp.Name, pp.Feature)
		case pp.Feature.clustering() && (pp.Offset == nil || *pp.Offset):
			bad("port %s: Hazelcast's ports take no offset: set offset = false", pp.Name)
		case pp.Catalina != "" && pp.Catalina != "http" && pp.Catalina != "https":
			bad("port %s: catalina %q is neither http nor https", pp.Name, pp.Catalina)
		case len(pp.SysEnable) > 0 && pp.SysEnableWhy == "":
			bad("port %s: sys_enable needs sys_enable_why", pp.Name)
		}
		if err := checkRange(pp.Versions); err != nil {
			bad("port %s: versions: %v", pp.Name, err)
		}
		// Two rows may share a name only when their version ranges cannot both hold.
		key := pp.Name + "@" + strings.Join(pp.Versions, "-")
		if seen[key] {
			bad("port %d: repeated name %q", i+1, pp.Name)
		}
		seen[key] = true
	}
	for i, n := range p.Nodes {
		if n.Name == "" || n.Why == "" || n.Source == "" {
			bad("node %d: name, why and source are required", i+1)
		}
		for _, off := range n.Off {
			if _, ok := p.portRole(off); !ok {
				bad("node %s: no port %q to turn off", n.Name, off)
			}
		}
	}
	for i, ig := range p.Ignore {
		if ig.TOML == "" || ig.Why == "" || ig.Source == "" {
			bad("ignore %d: toml, why and source are required", i+1)
		}
	}
	for i, r := range p.Random {
		if r.Kind != "jmxremote" && r.Kind != "syslog" {
			bad("random %d: kind %q is neither jmxremote nor syslog", i+1, r.Kind)
		}
		if r.Why == "" || r.Source == "" {
			bad("random %s: why and source are required", r.Kind)
		}
		if err := checkRange(r.Versions); err != nil {
			bad("random %s: versions: %v", r.Kind, err)
		}
	}
	for i, d := range p.Docs {
		if d.Claim == "" || d.Fact == "" || d.Source == "" {
			bad("docs %d: claim, fact and source are required", i+1)
		}
		if err := checkRange(d.Versions); err != nil {
			bad("docs %d: versions: %v", i+1, err)
		}
	}
	for _, problem := range p.signalProblems() {
		bad("%s", problem)
	}
	return &p, errs.ErrorOrNil()
}

func (f Feature) valid() bool {
	switch f {
	case "", FeatureJMXRegistry, FeatureJMXServer, FeatureClusterMember, FeatureClusterMulticast:
		return true
	}
	return false
}

func (f Feature) clustering() bool {
	return f == FeatureClusterMember || f == FeatureClusterMulticast
}

func (f Feature) jmx() bool { return f == FeatureJMXRegistry || f == FeatureJMXServer }

func isRuntime(r string) bool {
	for _, k := range Runtimes {
		if k == r {
			return true
		}
	}
	return false
}

// LookupProfile returns the named profile. A name may be an alias
// ("is-6" for is-7); "ei6" with a runtime names that runtime's profile.
func LookupProfile(name string) (*Profile, error) {
	set, err := loadProfiles()
	if err != nil {
		return nil, err
	}
	if p, ok := set.byName[name]; ok {
		return p, nil
	}
	return nil, fmt.Errorf("unknown profile %q (known: %s)", name, strings.Join(ProfileNames(), ", "))
}

// ProfileNames lists the known profiles, "none" last. It reads the embedded
// file names, not the files: every command's --help names the profiles, and
// parsing all of them would cost each start-up close to a millisecond.
// parseProfile holds each file's name to its profile's name.
func ProfileNames() []string {
	entries, _ := profileFS.ReadDir("profiles")
	names := make([]string, 0, len(entries)+1)
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".toml"))
	}
	sort.Strings(names)
	return append(names, NoProfile)
}

// Profiles returns every profile, sorted by name.
func Profiles() []*Profile {
	set, _ := loadProfiles()
	if set == nil {
		return nil
	}
	return set.list
}

// covers reports whether the profile's version range holds v.
// A profile without a range (the bare kernel's) covers every version.
func (p *Profile) covers(v version) bool { return len(p.Versions) == 0 || inRange(v, p.Versions) }

// applies reports whether a row bound to versions holds for v. With no
// version known, the profile's assumed version stands in; a row without
// bounds always applies.
func applies(rowVersions []string, v version) bool {
	if len(rowVersions) == 0 {
		return true
	}
	return inRange(v, rowVersions)
}
