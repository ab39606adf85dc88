package expect

import (
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/hashicorp/go-multierror"

	"github.com/carbonprobe/carbonprobe/internal/text"
)

// DefaultProfile is the profile used when neither --profile, --carbon-home
// nor --ports says otherwise: the product of the page our users start from.
const DefaultProfile = "mi"

// Text is a value given by the user and where it came from ("flag --offset",
// "$CARBONPROBE_OFFSET"), so an error can name it. An empty Value is unset.
type Text struct {
	Value  string
	Origin string
}

func (t Text) set() bool { return t.Value != "" }

// fromFlag reports whether the value was typed as a flag rather than inherited from the environment.
func (t Text) fromFlag() bool { return len(t.Origin) > 0 && t.Origin[0] != '$' }

// Input is what the user asked for, before any of it is checked.
type Input struct {
	Profile    Text
	Offset     Text
	JavaOpts   Text // Java options that may hold -DportOffset=N and other -D properties
	CarbonHome Text
	Ports      Text // an ad-hoc --ports list
	Runtime    Text // EI 6's runtime: integrator, business-process, broker, analytics
	Expect     Text // an --expect file of extra ports (.toml, .yaml or .yml)

	// Environ looks up the server's environment variables, for $env{} in
	// deployment.toml and ${} in Carbon's XML files: the running server's
	// /proc/PID/environ when it is local and readable, else this process's
	// environment. nil means no environment is known.
	Environ func(name string) (string, bool)
	// EnvironOrigin names that environment in messages: "pid 4242's
	// environment", "this environment".
	EnvironOrigin string
}

// Resolve turns the user's input into a Spec: the profile (given, or
// detected from the home), the offset by Carbon's precedence, and every port
// with the file and line that decided it. It reports every problem it finds,
// one line each, not only the first.
func Resolve(in Input) (Spec, error) {
	r := &resolver{in: in}
	spec := r.resolve()
	return spec, r.errs.ErrorOrNil()
}

type resolver struct {
	in    Input
	errs  *multierror.Error
	notes []string
	props sysProps
	home  *homeConfig
	prof  *Profile
	ver   version // the version rows are chosen by: detected, or the profile's assumed one
	// given holds the offsets the user typed (flag, then -DportOffset),
	// checked before any file is read so their problems are said first.
	given []Offset
	vars  vars
	// node is the API-M node type -Dprofile names, when the profile knows it.
	node *profNode
	// offByDefault names the ports that are off by their profile row alone,
	// with nothing in the configuration deciding so (set by ports).
	offByDefault map[string]bool
	// unknownSeen holds the notes noteUnknown has added, so that each is
	// said once.
	unknownSeen map[string]bool
}

// noteUnknown adds a note once, however many ports it explains.
func (r *resolver) noteUnknown(what string) {
	if r.unknownSeen == nil {
		r.unknownSeen = map[string]bool{}
	}
	if !r.unknownSeen[what] {
		r.unknownSeen[what] = true
		r.notes = append(r.notes, what)
	}
}

func (r *resolver) fail(err error) { r.errs = multierror.Append(r.errs, err) }

func (r *resolver) resolve() Spec {
	in := r.in
	var adhoc []Port
	if in.Ports.set() {
		var err error
		if adhoc, err = ParsePorts(in.Ports.Value, in.Ports.Origin); err != nil {
			r.fail(err)
		}
	}
	runtime := strings.TrimSpace(in.Runtime.Value)
	if in.Runtime.set() && !isRuntime(runtime) {
		r.fail(fmt.Errorf("%s: %q is not an EI 6 runtime (%s)", in.Runtime.Origin, in.Runtime.Value, strings.Join(Runtimes, ", ")))
		runtime = ""
	}

	var det Detection
	homeOK := false
	if in.CarbonHome.set() {
		d, err := DetectHome(in.CarbonHome.Value)
		if err != nil {
			r.fail(fmt.Errorf("%s %w", in.CarbonHome.Origin, err))
		} else {
			det, homeOK = d, true
		}
	}

	spec := Spec{}
	name := in.Profile.Value
	switch {
	case name != "":
		spec.Chosen = in.Profile.Origin
		if name == NoProfile {
			break
		}
		p, err := LookupProfile(name)
		if err != nil {
			r.fail(fmt.Errorf("%s: %w", orDefault(in.Profile.Origin, "profile"), err))
			break
		}
		if det.Product != "" && det.Product != p.Product && p.Product != "carbon" {
			r.notes = append(r.notes, fmt.Sprintf("the home looks like %s (%s); %s %s overrides", det.Product, strings.Join(det.Evidence, "; "), in.Profile.Origin, name))
		}
		if det.Product == p.Product {
			r.ver, _ = parseVersion(det.Version)
			spec.Version = det.Version
		}
		if runtime != "" && runtime != p.Runtime {
			if p.Runtime == "" {
				r.fail(fmt.Errorf("%s: profile %s has one runtime; runtimes are EI 6's", in.Runtime.Origin, p.Name))
				break
			}
			if p, err = r.pick(p.Product, runtime); err != nil {
				break
			}
		}
		r.prof = p
	case homeOK && det.Product != "":
		spec.Chosen = strings.Join(det.Evidence, "; ")
		r.ver, _ = parseVersion(det.Version)
		spec.Version = det.Version
		if runtime != "" && det.Product != "ei6" {
			r.fail(fmt.Errorf("%s: %s is not EI 6; runtimes are EI 6's", in.Runtime.Origin, det.Product))
			break
		}
		if det.Product == "ei6" && runtime == "" {
			runtime = "integrator"
		}
		p, err := r.pick(det.Product, runtime)
		if err == nil {
			r.prof = p
		}
		if in.Runtime.set() {
			spec.Chosen += "; " + in.Runtime.Origin + " " + runtime
		}
	case homeOK:
		// Nothing names the product: fall back to the kernel's profile, whose
		// files and rules every Carbon 4 product shares.
		p, err := LookupProfile("carbon")
		if err != nil {
			r.fail(err)
			break
		}
		r.prof = p
		spec.Chosen = "no start script or version file names the product: the generic Carbon 4 kernel profile"
	case in.Ports.set() && runtime == "" && !in.Expect.set():
		name = NoProfile
	case runtime != "":
		p, err := r.pick("ei6", runtime)
		if err == nil {
			r.prof = p
			spec.Chosen = in.Runtime.Origin
		}
	default:
		p, err := LookupProfile(DefaultProfile)
		if err != nil {
			r.fail(err)
			break
		}
		r.prof = p
		spec.Chosen = "the default profile"
	}
	r.notes = append(r.notes, det.Notes...)
	if r.prof != nil && r.ver == nil && r.prof.AssumeVersion != "" {
		r.ver, _ = parseVersion(r.prof.AssumeVersion)
		r.notes = append(r.notes, fmt.Sprintf("no version known: %s's rows for version %s apply; the version changes %s",
			r.prof.Name, r.prof.AssumeVersion, strings.Join(r.prof.versionBound(), ", ")))
	}

	if name != NoProfile {
		r.given = r.givenOffsets()
	}
	r.props = parseSysProps(in.JavaOpts.Value, in.CarbonHome.Value)
	r.vars = vars{props: r.props, propsFrom: in.JavaOpts.Origin, environ: in.Environ, envFrom: orDefault(in.EnvironOrigin, "this environment")}
	if !in.JavaOpts.set() {
		r.vars.propsFrom = ""
	}
	if r.prof != nil {
		r.pickNode(&spec)
	}
	if homeOK && name != NoProfile {
		r.home = readHome(in.CarbonHome.Value, in.CarbonHome.Origin, r.prof, r.props, in.JavaOpts.Origin)
		for _, err := range r.home.errs {
			r.fail(err)
		}
		spec.Home = in.CarbonHome.Value
		r.vars.toml = r.home.dtoml
	}

	if name == NoProfile {
		spec.Profile, spec.Title = NoProfile, "ad-hoc ports"
		spec.Offset = Offset{Kind: OffsetDefault, From: "not used: --ports numbers take no offset"}
		if in.Offset.set() && in.Offset.fromFlag() {
			r.fail(fmt.Errorf("%s: profile none has no offset ports; --ports numbers are dialled as given", in.Offset.Origin))
		}
		if !in.Ports.set() && !in.Expect.set() {
			r.fail(fmt.Errorf("%s none: give the ports to check with --ports", in.Profile.Origin))
		}
	} else {
		off, err := r.offset()
		if err != nil {
			r.fail(err)
		}
		if r.prof != nil {
			spec.Profile, spec.Title, spec.Offset = r.prof.Name, r.prof.Title, off
			spec.Ports = r.ports(off)
			spec.Random = r.random()
			spec.Docs = r.docs()
			spec.Signals = r.signals(spec.Ports)
			for _, p := range spec.Ports {
				if p.Number > MaxPort && p.Checked() {
					r.fail(fmt.Errorf("offset %d from %s pushes port %s (%d) to %d, past %d",
						off.Value, off.From, p.Name, p.Base, p.Number, MaxPort))
				}
			}
		}
	}

	if in.Expect.set() {
		spec.Ports = append(spec.Ports, r.expectPorts(spec)...)
	}
	spec.Ports = append(spec.Ports, adhoc...)
	r.checkCollisions(spec.Ports)

	if r.home != nil {
		r.notes = append(r.notes, r.home.notes...)
	}
	spec.Notes = r.notes
	oneLineSpec(&spec)
	return spec
}

// oneLineSpec keeps every text of a spec on one line: values read from a
// file can hold line breaks, and every row of the output is one line.
func oneLineSpec(s *Spec) {
	s.Chosen, s.Offset.From = text.OneLine(s.Chosen), text.OneLine(s.Offset.From)
	for i := range s.Ports {
		p := &s.Ports[i]
		p.Why, p.Condition, p.From, p.Source = text.OneLine(p.Why), text.OneLine(p.Condition), text.OneLine(p.From), text.OneLine(p.Source)
		p.Name, p.Unknown = text.OneLine(p.Name), text.OneLine(p.Unknown)
	}
	for i := range s.Random {
		k := &s.Random[i]
		k.Why, k.Pin, k.From = text.OneLine(k.Why), text.OneLine(k.Pin), text.OneLine(k.From)
	}
	for i := range s.Signals {
		g := &s.Signals[i]
		g.Means, g.Source, g.Condition, g.From = text.OneLine(g.Means), text.OneLine(g.Source), text.OneLine(g.Condition), text.OneLine(g.From)
	}
	for i := range s.Notes {
		s.Notes[i] = text.OneLine(s.Notes[i])
	}
}

// pick chooses a profile by product and runtime for the detected version.
func (r *resolver) pick(product, runtime string) (*Profile, error) {
	p, notes, err := pickProfile(product, r.ver, runtime)
	if err != nil {
		r.fail(err)
		return nil, err
	}
	r.notes = append(r.notes, notes...)
	return p, nil
}

// checkCollisions reports two names on one effective number. Ports that are
// off open nothing, so they collide with nothing.
// The first three are said one per line; thousands of duplicates (a
// repeated --ports range) add one line more, not thousands.
func (r *resolver) checkCollisions(ports []Port) {
	const shown = 3
	seen := make(map[string]string, len(ports))
	dups := 0
	for _, p := range ports {
		if !p.Checked() {
			continue
		}
		if other, dup := seen[p.Key()]; dup {
			if dups++; dups <= shown {
				r.fail(fmt.Errorf("port %d/%s is named twice: %s and %s", p.Number, p.Proto, text.OneLine(other), text.OneLine(p.Name)))
			}
			continue
		}
		seen[p.Key()] = p.Name
	}
	if dups > shown {
		r.fail(fmt.Errorf("and %d more ports are named twice", dups-shown))
	}
}

// offset applies Carbon's precedence: the flag (what the user says the
// server runs with), then -DportOffset (the system property Carbon reads
// first), then deployment.toml's [server] offset, then carbon.xml's <Offset>,
// then the profile's default. Where a deployment.toml exists, the server
// renders carbon.xml from it, so carbon.xml's <Offset> is not used: an
// absent [server] offset renders the template's default, which is the
// profile's. Every source given is read and checked, so a broken one is
// reported even when a higher one decides.
func (r *resolver) offset() (Offset, error) {
	var errs *multierror.Error
	found := append([]Offset(nil), r.given...) // in precedence order
	read := func(s Setting, kind OffsetKind) {
		n, unknown, err := r.offsetSetting(s)
		switch {
		case err != nil:
			errs = multierror.Append(errs, err)
		case unknown != "" && len(found) > 0:
			// A higher source decides: this one does not matter.
			r.noteUnknown(fmt.Sprintf("%s does not decide the offset (%s does), and could not be read anyway: %s", s.Where(), found[0].From, unknown))
		case unknown != "":
			errs = multierror.Append(errs, s.errAt(r.home.home, "%s %q: the port offset cannot be known: %s; give the offset with --offset", s.Key, s.Value, unknown))
		default:
			found = append(found, Offset{Value: n, Kind: kind, From: s.Where()})
		}
	}
	if h := r.home; h != nil {
		if h.tomlEra && h.dtoml != nil {
			if s, ok := h.dtoml.Values["server.offset"]; ok {
				read(s, OffsetTOML)
			}
		}
		if h.carbon != nil && h.carbon.Offset.Found() {
			read(h.carbon.Offset, OffsetCarbonXML)
		}
	}
	if p := r.prof; p != nil {
		found = append(found, Offset{Value: p.DefaultOffset, Kind: OffsetDefault,
			From: fmt.Sprintf("profile %s's default (%s)", p.Name, p.DefaultOffsetWhy), Source: p.DefaultOffsetSource})
	}
	if err := errs.ErrorOrNil(); err != nil || len(found) == 0 {
		return Offset{}, err
	}
	return found[0], nil
}

// givenOffsets checks the offsets the user gave, --offset then -DportOffset,
// reporting their problems.
func (r *resolver) givenOffsets() []Offset {
	in := r.in
	var found []Offset
	if in.Offset.set() {
		n, err := ParseOffset(in.Offset.Value, in.Offset.Origin)
		if err != nil {
			r.fail(err)
		} else {
			found = append(found, Offset{Value: n, Kind: OffsetFlag, From: in.Offset.Origin})
		}
	}
	if in.JavaOpts.set() {
		n, ok, err := OffsetFromJavaOpts(in.JavaOpts.Value, in.JavaOpts.Origin)
		switch {
		case err != nil:
			r.fail(err)
		case ok:
			found = append(found, Offset{Value: n, Kind: OffsetSysProp, From: fmt.Sprintf("-DportOffset=%d in %s", n, in.JavaOpts.Origin)})
		}
	}
	return found
}

// offsetSetting reads an offset from a file, as Carbon's Integer.parseInt
// would, after its placeholders. unknown says why it cannot be known here.
func (r *resolver) offsetSetting(s Setting) (int, string, error) {
	s, unknown, err := r.vars.expand(s, r.home.home)
	if err != nil || unknown != "" {
		return 0, unknown, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(s.Value))
	switch {
	case err != nil:
		return 0, "", s.errAt(r.home.home, "%s %q is not a whole number", s.Key, s.Value)
	case n < 0:
		return 0, "", s.errAt(r.home.home, "%s %d is negative; a port offset is 0 or more", s.Key, n)
	case n > maxOffset:
		return 0, "", s.errAt(r.home.home, "%s %d is past %d; no port can take it", s.Key, n, MaxPort)
	}
	return n, "", nil
}

// ports applies the home's files, the node type and the offset to the
// profile's rows, then adds the ports the home's files declare beyond them
// (Tomcat connectors, inbound endpoints).
func (r *resolver) ports(off Offset) []Port {
	p := r.prof
	out := make([]Port, 0, len(p.Ports))
	for _, pp := range p.Ports {
		if !applies(pp.Versions, r.ver) {
			continue
		}
		d := r.decide(pp)
		if r.node != nil && r.node.turnsOff(pp.Name) && d.need != Off && !(d.need == "" && pp.Need == Off) {
			d.need, d.cond = Off, fmt.Sprintf("not expected on an API-M %s node: %s", r.node.Name, r.node.Why)
			d.from = append(d.from, fmt.Sprintf("-Dprofile=%s in %s", r.node.Name, r.in.JavaOpts.Origin))
			d.unknown = ""
		}
		if d.need == "" && pp.Need == Off && len(d.from) == 0 {
			// Off as the profile has it, nothing in the configuration deciding.
			if r.offByDefault == nil {
				r.offByDefault = map[string]bool{}
			}
			r.offByDefault[pp.Name] = true
		}
		out = append(out, r.makePort(pp, d, off))
	}
	return append(out, r.extraPorts(off)...)
}

func (r *resolver) makePort(pp profPort, d decision, off Offset) Port {
	p := r.prof
	withOffset := (pp.Offset == nil || *pp.Offset) && d.noOffset == ""
	base := pp.Base
	if d.base > 0 {
		base = d.base
	}
	port := Port{
		Name: pp.Name, Proto: pp.Proto, Base: base, Offset: withOffset,
		Number: base, Role: pp.Role, Need: pp.Need,
		Condition: pp.Condition, Source: pp.Source,
		From:    strings.Join(d.from, "; "),
		Cluster: pp.Feature.clustering(),
	}
	if d.need != "" {
		port.Need, port.Condition = d.need, d.cond
	}
	if d.unknown != "" && port.Need != Off {
		port.Unknown, port.Number = d.unknown, 0
		port.Why = "unknown: " + d.unknown
		r.noteUnknown(fmt.Sprintf("port %s: its number cannot be known: %s", pp.Name, d.unknown))
		return port
	}
	var parts []string
	if d.baseAt.Found() {
		parts = append(parts, d.baseAt.Where())
	}
	if d.context != "" {
		parts = append(parts, d.context)
	}
	switch {
	case withOffset:
		port.Number += off.Value
		port.Why = fmt.Sprintf("%d + offset %d", base, off.Value)
		if len(parts) > 0 {
			parts = append(parts, p.offsetNote(off, true))
		} else if note := p.offsetNote(off, false); note != "" {
			parts = append(parts, note)
		}
	case d.noOffset != "":
		port.Why = strconv.Itoa(base)
		parts = append(parts, d.noOffset)
	case len(parts) > 0:
		port.Why = strconv.Itoa(base)
		parts = append(parts, "no offset")
	default:
		port.Why = fmt.Sprintf("%d (no offset: %s)", base, pp.NoOffsetWhy)
	}
	if len(parts) > 0 {
		port.Why += " (" + strings.Join(parts, "; ") + ")"
	}
	return port
}

// versionBound names the rows that hold for some versions only.
func (p *Profile) versionBound() []string {
	var out []string
	seen := map[string]bool{}
	add := func(what string) {
		if !seen[what] {
			seen[what] = true
			out = append(out, what)
		}
	}
	for _, pp := range p.Ports {
		if len(pp.Versions) > 0 {
			add("port " + pp.Name)
		}
	}
	for _, r := range p.Random {
		if len(r.Versions) > 0 {
			add("the " + r.Kind + " random port")
		}
	}
	for _, d := range p.Docs {
		if len(d.Versions) > 0 {
			add("a documentation note")
		}
	}
	for _, s := range p.Signals {
		if len(s.Versions) > 0 {
			add("the " + s.Kind + " signal " + s.Path)
		}
	}
	return out
}

// offsetNote explains the offset in a port's Why. With a file named before
// it, it says where the offset came from ("offset from -DportOffset");
// otherwise only what people misread: MI's built-in 10, and that an explicit
// offset replaces it.
func (p *Profile) offsetNote(off Offset, long bool) string {
	var note string
	switch {
	case off.Kind == OffsetDefault && long:
		note = "offset: " + p.DefaultOffsetWhy
	case off.Kind == OffsetDefault:
		note = p.DefaultOffsetWhy
	case long:
		note = "offset from " + off.Kind.short()
		if p.DefaultOffset != 0 && off.Value != p.DefaultOffset {
			note += ", replacing " + p.DefaultOffsetWhy
		}
	case p.DefaultOffset != 0 && off.Value != p.DefaultOffset:
		note = "replaces " + p.DefaultOffsetWhy
	}
	return note
}

// decision is what the home's files say about one profile row.
type decision struct {
	base     int     // the number before any offset; 0 keeps the profile's
	baseAt   Setting // where base was read
	noOffset string  // set when the file's number takes no offset, saying why
	context  string  // more words for Why: "clustering enabled, scheme wka"
	need     Need    // "" keeps the profile's
	cond     string  // why, when need is off
	from     []string
	unknown  string // why the number cannot be known here
}

func (r *resolver) decide(pp profPort) decision {
	d := r.decideFiles(pp)
	if d.need != Off && d.unknown == "" {
		r.decideSysEnable(pp, &d)
	}
	return d
}

func (r *resolver) decideFiles(pp profPort) decision {
	var d decision
	h := r.home
	if h == nil {
		return d
	}
	setBase := func(s Setting) {
		s, unknown, err := r.vars.expand(s, h.home)
		if err != nil {
			r.fail(err)
			return
		}
		if unknown != "" {
			d.unknown = unknown
			d.from = append(d.from, s.Where())
			return
		}
		n, err := s.port(h.home)
		if err != nil {
			r.fail(err)
			return
		}
		d.base, d.baseAt = n, s
		d.from = append(d.from, s.Where())
	}
	on := func(from string) {
		d.need = Required
		d.from = append(d.from, from)
	}
	off := func(cond, from string) {
		d.need, d.cond = Off, "not expected: "+cond
		if from != "" {
			d.from = append(d.from, from)
		}
	}
	if pp.Inbound != "" {
		r.decideInbound(pp, &d, setBase, off)
		if d.need == Off || h.tomlEra {
			return d
		}
	}

	if h.tomlEra {
		t := h.dtoml
		if t == nil {
			return d // unreadable: already reported
		}
		if s, ok := t.Values[pp.TOML]; ok && pp.TOML != "" {
			setBase(s)
		}
		enable := pp.TOMLEnable
		if pp.Feature.jmx() && enable == "" {
			enable = "monitoring.jmx.rmi_server_start"
		}
		if v, unknown, ok := r.tomlSetting(enable); ok && enable != "" {
			switch {
			case unknown != "":
				d.unknown = unknown
			case javaBool(v.Value):
				on(fmt.Sprintf("%s = %s", v.Where(), v.Value))
			default:
				off(fmt.Sprintf("switched off (%s = %s)", v.Where(), v.Value), v.Where())
			}
		}
		if pp.Feature.clustering() {
			scheme, _, ok := r.tomlSetting("clustering.membership_scheme")
			switch {
			case !ok:
				off(fmt.Sprintf("clustering off: %s has no [clustering] membership_scheme", t.File), "")
			case pp.Feature == FeatureClusterMember:
				on(scheme.Where())
				d.context = "clustering on, scheme " + scheme.Value
				if s, ok := t.Values["clustering.local_member_port"]; ok {
					setBase(s)
				}
			case !strings.EqualFold(scheme.Value, "multicast"):
				off(fmt.Sprintf("membership_scheme %q (%s): multicast discovery only with \"multicast\"", scheme.Value, scheme.Where()), scheme.Where())
			default:
				on(scheme.Where())
				d.context = "clustering on, scheme multicast"
			}
		}
		return d
	}

	if pp.CarbonXML != "" && h.carbon != nil {
		if s, ok := h.carbon.Ports[pp.CarbonXML]; ok {
			setBase(s)
		}
	}
	if pp.Axis2Receiver != "" && h.axis2 != nil {
		if s, ok := h.axis2.Receivers[pp.Axis2Receiver]; ok {
			setBase(s)
		} else if pp.Need != Off {
			off(fmt.Sprintf("%s has no <transportReceiver name=%q> with a port: nothing listens for it", h.axis2.File, pp.Axis2Receiver), "")
		}
	}
	if pp.Catalina != "" && h.catalina != nil {
		c := h.catalina.pick(pp.Catalina)
		if c == nil {
			off(fmt.Sprintf("%s has no %s <Connector>", h.catalina.File, strings.ToUpper(pp.Catalina)), "")
		} else {
			setBase(c.Port)
		}
	}
	switch {
	case pp.Feature.jmx():
		r.decideJMX(pp, &d, setBase, on, off)
	case pp.Feature.clustering() && h.axis2 != nil:
		c := h.axis2.Clustering
		switch {
		case c.Line == 0:
			off(fmt.Sprintf("clustering off: %s has no <clustering> element", h.axis2.File), "")
		case !javaBool(c.Enable.Value):
			off(fmt.Sprintf("clustering disabled (%s:%d <clustering enable=%q>)", h.axis2.File, c.Line, c.Enable.Value), c.Enable.Where())
		default:
			scheme, schemeAt := "multicast", "membershipScheme absent: Carbon's default multicast"
			if c.Scheme.Found() {
				scheme, schemeAt = c.Scheme.Value, c.Scheme.Where()
			}
			if pp.Feature == FeatureClusterMember {
				on(c.Enable.Where())
				d.context = "clustering enabled, scheme " + scheme
				if c.LocalMemberPort.Found() {
					setBase(c.LocalMemberPort)
				}
			} else if !strings.EqualFold(scheme, "multicast") {
				off(fmt.Sprintf("membershipScheme %s (%s): multicast discovery only with multicast", scheme, schemeAt), c.Enable.Where())
			} else {
				on(c.Enable.Where())
				d.context = "clustering enabled, scheme multicast"
				if c.McastPort.Found() {
					setBase(c.McastPort)
				}
			}
		}
	}
	return d
}

// decideSysEnable follows a switch the server reads from its system
// properties (MI's internal APIs: ConfigurationLoader loads an API only when
// -Denable<Name> is true): the port opens when one of the properties named
// is true.
func (r *resolver) decideSysEnable(pp profPort, d *decision) {
	if len(pp.SysEnable) == 0 {
		return
	}
	on, from, off := r.sysSwitch(pp.SysEnable)
	switch {
	case on:
		d.need = Required
		d.from = append(d.from, from)
	case off != "":
		d.need, d.cond = Off, fmt.Sprintf("not expected: %s: %s", off, pp.SysEnableWhy)
	}
}

// enableProp looks a system property up as the JVM ends with it: the
// start script passes its own -D options after $JAVA_OPTS, so they win
// over Java options given by hand; a running server's whole command line
// (it names the main class) already holds them in order.
func (r *resolver) enableProp(name string) (value, where string, ok bool) {
	if !r.wholeCommandLine() && r.home != nil && r.home.script != nil {
		if v, ok := r.home.script.props[name]; ok {
			return v.Value, v.Where(), true
		}
	}
	if v, ok := r.props[name]; ok && r.in.JavaOpts.set() {
		return v, r.in.JavaOpts.Origin, true
	}
	return "", "", false
}

// wholeCommandLine reports whether the Java options are a running server's
// whole command line (they name the main class), not options given by hand.
func (r *resolver) wholeCommandLine() bool {
	if r.prof == nil {
		return false
	}
	for _, mc := range r.prof.MainClasses {
		if strings.Contains(r.in.JavaOpts.Value, mc) {
			return true
		}
	}
	return false
}

// decideInbound reads a Synapse inbound endpoint the profile names by its
// file: absent (profileSetup.sh removes the WebSocket endpoints for most
// API-M node types), suspended, or listening on its port parameter. Synapse
// adds the port offset to an inbound endpoint's port only when told:
// ws.use.port.offset on a WebSocket endpoint, inbound.port.offset.enable in
// synapse.properties for the others.
func (r *resolver) decideInbound(pp profPort, d *decision, setBase func(Setting), off func(string, string)) {
	h := r.home
	if !h.inboundDirFound {
		return // no deployment directory: a bare configuration; the profile stands
	}
	ep, ok := h.inbound[pp.Inbound]
	if !ok {
		if !r.prof.InboundFilesDecide {
			d.from = append(d.from, fmt.Sprintf("no %s (it may be deployed from elsewhere: the profile stands)", rel(h.inboundDir, pp.Inbound)))
			return
		}
		if pp.Need != Off {
			off(fmt.Sprintf("%s is not there: the inbound endpoint is not deployed (API-M's profileSetup.sh removes the WebSocket endpoints for -Dprofile node types other than the gateway)", rel(h.inboundDir, pp.Inbound)), "")
		}
		return
	}
	if ep == nil {
		return // unreadable: reported
	}
	if javaBool(ep.Suspend.Value) {
		off(fmt.Sprintf("suspended (%s)", ep.Suspend.Where()), ep.Suspend.Where())
		return
	}
	if !ep.Port.Found() {
		off(fmt.Sprintf("%s has no inbound.*.port parameter", ep.File), "")
		return
	}
	setBase(ep.Port)
	if d.need == "" {
		d.need = Required
	}
	r.inboundOffset(ep, d)
}

// decideJMX follows Carbon 4's JMXServerManager: no jmx.xml, or
// <StartRMIServer> other than true, and it starts nothing at fixed ports; a
// port written as ${Ports.JMX.X} is carbon.xml's value plus the offset
// (CarbonUtils.getPortFromServerConfig), a literal is taken as it is,
// without the offset.
func (r *resolver) decideJMX(pp profPort, d *decision, setBase func(Setting), on func(string), off func(string, string)) {
	h := r.home
	if h.jmx == nil {
		if !h.exists(h.jmxRel) {
			off(fmt.Sprintf("no %s: Carbon's JMXServerManager then creates the RMI registry on port 0, a random one, not a fixed port (from its source, not tested at runtime)", h.jmxRel), "")
		}
		return // unreadable or malformed: reported already
	}
	j := h.jmx
	if !javaBool(j.Start.Value) {
		switch {
		case j.Start.Found() && j.StartFirst != "":
			off(fmt.Sprintf("JMX disabled (%s: JMXServerManager reads the element's first child node, %s, not its text %q)", j.Start.Where(), j.StartFirst, j.StartText), j.Start.Where())
		case j.Start.Found():
			off(fmt.Sprintf("JMX disabled (%s=%s)", j.Start.Where(), j.Start.Value), j.Start.Where())
		default:
			off(fmt.Sprintf("JMX disabled (%s has no <StartRMIServer>; JMXServerManager starts JMX only when it is true)", j.File), "")
		}
		return
	}
	on(fmt.Sprintf("%s=%s", j.Start.Where(), j.Start.Value))
	s, what := j.RegistryPort, "RMIRegistryPort"
	if pp.Feature == FeatureJMXServer {
		s, what = j.ServerPort, "RMIServerPort"
	}
	switch {
	case !s.Found() && pp.Feature == FeatureJMXRegistry:
		r.fail(fmt.Errorf("%s: no <RMIRegistryPort>: JMXServerManager refuses to start JMX (\"RMIRegistry port has not been properly defined\")", filepath.Join(h.home, j.File)))
	case !s.Found():
		off(fmt.Sprintf("%s has no <RMIServerPort>: the JMX connector is exported on a random port", j.File), "")
	case strings.HasPrefix(s.Value, "${"):
		end := strings.Index(s.Value, "}")
		if end < 0 {
			r.fail(s.errAt(h.home, "%s %q: unclosed placeholder", what, s.Value))
			return
		}
		key := s.Value[2:end]
		if h.carbon == nil {
			// carbon.xml is unreadable or malformed, and said so: the
			// placeholder cannot be followed, and that is not jmx.xml's fault.
			d.unknown = fmt.Sprintf("%s %s refers to %s, which could not be read", s.Where(), s.Value, rel(h.conf, "carbon.xml"))
			return
		}
		cs, ok := h.carbon.Ports[key]
		if !ok {
			r.fail(s.errAt(h.home, "%s %q: placeholder ${%s} resolves to nothing: %s has no such element under <Server>", what, s.Value, key, rel(h.conf, "carbon.xml")))
			return
		}
		// The number is carbon.xml's: setBase cites it, and the offset applies.
		d.base, d.baseAt = 0, Setting{}
		setBase(cs)
	default:
		setBase(s)
		d.noOffset = "a literal in jmx.xml: JMXServerManager adds no offset to it"
	}
}

// random applies the home's files to the profile's random-port kinds.
func (r *resolver) random() []RandomKind {
	var out []RandomKind
	for _, pr := range r.prof.Random {
		if !applies(pr.Versions, r.ver) {
			continue
		}
		k := pr.RandomKind
		if h := r.home; h != nil {
			switch {
			case k.Kind == "syslog" && h.syslog != nil:
				s := h.syslog
				k.Expected, k.Proto, k.From = s.Opens, s.Proto, s.From
				k.Why = s.Why
				switch {
				case s.Opens && s.log4j2:
					k.Pin = "not a listener: log4j2 builds every appender listed in appenders=; take it out of that list to drop the socket"
				case s.Opens:
					k.Pin = "not a listener: a send-only socket; detach the appender from its logger to drop it"
				}
			case k.Kind == "jmxremote" && h.script != nil:
				sc := h.script
				if sc.jmxremote > 0 {
					k.Expected = true
					k.From = fmt.Sprintf("%s:%d", sc.file, sc.jmxremote)
					k.Why = fmt.Sprintf("the JDK's local JMX connector, started by -Dcom.sun.management.jmxremote (%s:%d): binds all addresses on an ephemeral port, answers JRMP to local peers only", sc.file, sc.jmxremote)
					if sc.localPort != "" {
						k.Pin = fmt.Sprintf("pinned to %s by -Dcom.sun.management.jmxremote.local.port (%s:%d)", sc.localPort, sc.file, sc.portLine)
					}
				} else {
					k.Expected = false
					k.Why = fmt.Sprintf("%s does not pass -Dcom.sun.management.jmxremote: no local JMX connector unless $JAVA_OPTS adds it", sc.file)
				}
			}
		}
		out = append(out, k)
	}
	return out
}

func (r *resolver) docs() []DocsClaim {
	var out []DocsClaim
	for _, d := range r.prof.Docs {
		if applies(d.Versions, r.ver) {
			out = append(out, d.DocsClaim)
		}
	}
	return out
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// pickNode finds the API-M node type -Dprofile names. MI and the other
// products pass -Dprofile too (MI: micro-integrator-default), but have no
// node types: only a profile that lists some looks.
func (r *resolver) pickNode(spec *Spec) {
	p := r.prof
	v, ok := r.props["profile"]
	if !ok || len(p.Nodes) == 0 || !r.in.JavaOpts.set() {
		return
	}
	for i := range p.Nodes {
		if p.Nodes[i].Name == v {
			r.node = &p.Nodes[i]
			spec.Chosen = strings.TrimPrefix(spec.Chosen+"; ", "; ") + fmt.Sprintf("node type -Dprofile=%s (%s)", v, r.in.JavaOpts.Origin)
			return
		}
	}
	names := make([]string, len(p.Nodes))
	for i, n := range p.Nodes {
		names[i] = n.Name
	}
	r.notes = append(r.notes, fmt.Sprintf("-Dprofile=%s (%s) is not a node type of %s carbonprobe knows (%s): the all-in-one node's ports apply",
		text.OneLine(v), r.in.JavaOpts.Origin, p.Name, strings.Join(names, ", ")))
}

// fileDecision reads a number from a file for a port no profile row names.
func (r *resolver) fileDecision(s Setting) (decision, bool) {
	var d decision
	s, unknown, err := r.vars.expand(s, r.home.home)
	switch {
	case err != nil:
		r.fail(err)
		return d, false
	case unknown != "":
		d.unknown = unknown
	default:
		n, err := s.port(r.home.home)
		if err != nil {
			r.fail(err)
			return d, false
		}
		d.base, d.baseAt = n, s
	}
	d.need = Required
	d.from = []string{s.Where()}
	return d, true
}

// extraPorts are the listeners the home's files declare beyond the
// profile's rows: more Tomcat connectors, inbound endpoints an operator
// deployed.
func (r *resolver) extraPorts(off Offset) []Port {
	h := r.home
	if h == nil {
		return nil
	}
	var out []Port
	if h.catalina != nil {
		for _, c := range h.catalina.extras() {
			d, ok := r.fileDecision(c.Port)
			if !ok {
				continue
			}
			role, kind := RoleHTTP, "HTTP"
			if c.Secure {
				role, kind = RoleHTTPS, "HTTPS"
			}
			name := fmt.Sprintf("tomcat-%s", strings.ToLower(kind))
			if d.base > 0 {
				name = fmt.Sprintf("tomcat-%d", d.base)
			}
			out = append(out, r.makePort(profPort{Name: name, Proto: TCP, Role: role, Need: Required,
				Source: fmt.Sprintf("%s:%d: an %s <Connector> beyond Carbon's two; Carbon's Tomcat opens every connector, plus the offset", h.catalina.File, c.Port.Line, kind)}, d, off))
		}
	}
	claimed := map[string]bool{}
	for _, pp := range r.prof.Ports {
		if pp.Inbound != "" {
			claimed[pp.Inbound] = true
		}
	}
	var files []string
	for f := range h.inbound {
		files = append(files, f)
	}
	sort.Strings(files)
	for _, f := range files {
		ep := h.inbound[f]
		if claimed[f] || ep == nil || !ep.Port.Found() || javaBool(ep.Suspend.Value) {
			continue
		}
		d, ok := r.fileDecision(ep.Port)
		if !ok {
			continue
		}
		role := RoleTCP
		switch strings.ToLower(ep.Protocol) {
		case "http", "ws":
			role = RoleHTTP
		case "https", "wss":
			role = RoleHTTPS
		}
		r.inboundOffset(ep, &d)
		name := "inbound-" + ep.Name
		if ep.Name == "" {
			name = "inbound-" + strings.TrimSuffix(f, ".xml")
		}
		out = append(out, r.makePort(profPort{Name: name, Proto: TCP, Role: role, Need: Required,
			Source: fmt.Sprintf("%s:%d: inbound endpoint %s (protocol %s) deployed in the home", ep.File, ep.Line, ep.Name, ep.Protocol)}, d, off))
	}
	return out
}

// inboundOffset sets whether Synapse adds the offset to an inbound endpoint's port.
func (r *resolver) inboundOffset(ep *InboundEndpoint, d *decision) {
	h := r.home
	switch {
	case ep.wsProtocol() && javaBool(ep.UseOffset.Value):
		d.context = fmt.Sprintf("offset: %s", ep.UseOffset.Where())
	case ep.wsProtocol():
		d.noOffset = fmt.Sprintf("no ws.use.port.offset in %s: Synapse takes the port as it is", ep.File)
	case h.inboundOffset.Found() && javaBool(h.inboundOffset.Value):
		d.context = fmt.Sprintf("offset: %s", h.inboundOffset.Where())
	case h.inboundOffset.Found():
		d.noOffset = fmt.Sprintf("%s: Synapse takes the port as it is", h.inboundOffset.Where())
	default:
		d.noOffset = "inbound.port.offset.enable is not set in synapse.properties: Synapse takes the port as it is"
	}
}
