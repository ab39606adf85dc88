package expect

import (
	"fmt"
	"slices"
	"strings"
)

// The kinds of Signal.
const (
	SignalReadiness = "readiness" // the server is ready to serve
	SignalLiveness  = "liveness"  // the server is alive
)

// profSignal is a [[signal]] row: an HTTP endpoint the product answers to
// say it is ready or alive, on one of the profile's ports, and what in the
// server's configuration makes it exist.
type profSignal struct {
	Kind   string   `toml:"kind"`
	Port   string   `toml:"port"` // a [[port]] row whose role is http or https
	Path   string   `toml:"path"`
	Status []string `toml:"status"`
	Body   string   `toml:"body"`
	Header string   `toml:"header"`
	// Need is required (the default) or optional.
	Need      Need     `toml:"need"`
	Means     string   `toml:"means"`
	Source    string   `toml:"source"`
	Condition string   `toml:"condition"`
	Versions  []string `toml:"versions"`

	// Nodes names the API-M node types (-Dprofile) that serve the endpoint
	// besides the all-in-one node; empty: every node type. NodesWhy says
	// what takes it out of the others.
	Nodes    []string `toml:"nodes"`
	NodesWhy string   `toml:"nodes_why"`
	// SysEnable lists system properties one of which must be true for the
	// endpoint to exist (MI's -DenableReadinessProbe), read as for ports.
	SysEnable    []string `toml:"sys_enable"`
	SysEnableWhy string   `toml:"sys_enable_why"`
	// Protocols is a deployment.toml key listing the schemes the endpoint is
	// served on, "http https" (MI's [readiness_probe] protocols); the
	// endpoint exists when the list holds its port's role.
	// ProtocolsDefault is the list when the key is absent.
	Protocols        string `toml:"protocols"`
	ProtocolsDefault string `toml:"protocols_default"`
	// TOMLEnable is a deployment.toml boolean that switches the endpoint
	// (IS's [carbon_health_check] enable); TOMLEnableDefault its value
	// when absent.
	TOMLEnable        string `toml:"toml_enable"`
	TOMLEnableDefault bool   `toml:"toml_enable_default"`
}

// label names a signal row in notes and errors: "readiness /healthz on internal-http".
func (s profSignal) label() string { return fmt.Sprintf("%s %s on %s", s.Kind, s.Path, s.Port) }

func (s profSignal) expect() HTTPExpect {
	return newHTTPExpect(s.Path, s.Status, s.Body, s.Header)
}

// portRole returns the role of the profile's first port row of that name.
func (p *Profile) portRole(name string) (Role, bool) {
	for _, pp := range p.Ports {
		if pp.Name == name {
			return pp.Role, true
		}
	}
	return "", false
}

// signalProblems checks the [[signal]] rows, every problem of every row.
func (p *Profile) signalProblems() []string {
	var out []string
	nodes := map[string]bool{}
	for _, n := range p.Nodes {
		nodes[n.Name] = true
	}
	seen := map[string]bool{}
	for i, s := range p.Signals {
		id := fmt.Sprintf("signal %d", i+1)
		if s.Kind != "" && s.Path != "" {
			id += " (" + s.Kind + " " + s.Path + ")"
		}
		add := func(format string, args ...any) { out = append(out, id+": "+fmt.Sprintf(format, args...)) }
		if s.Kind != SignalReadiness && s.Kind != SignalLiveness {
			add("kind %q is neither readiness nor liveness", s.Kind)
		}
		role, found := p.portRole(s.Port)
		switch {
		case s.Port == "":
			add("port is required: the name of the [[port]] row it is served on")
		case !found:
			add("port %q names no [[port]] row of this profile", s.Port)
		case role != RoleHTTP && role != RoleHTTPS:
			add("port %q answers %s, not http or https", s.Port, role)
		}
		if s.Path == "" {
			add("path is required")
		}
		// The port's role is judged above; the fields by the one rule.
		e := s.expect()
		for _, problem := range e.check(RoleHTTP) {
			add("%s", problem)
		}
		switch s.Need {
		case "", Required:
		case Optional:
			if s.Condition == "" {
				add("an optional signal needs a condition saying why")
			}
		default:
			add("need %q is neither required nor optional", s.Need)
		}
		if s.Means == "" || s.Source == "" {
			add("means and source are required: what a yes means, and the source that shows it")
		}
		if err := checkRange(s.Versions); err != nil {
			add("versions: %v", err)
		}
		for _, n := range s.Nodes {
			if !nodes[n] {
				add("nodes: %q is not a [[node]] of this profile", n)
			}
		}
		if len(s.Nodes) > 0 && s.NodesWhy == "" {
			add("nodes needs nodes_why")
		}
		if len(s.SysEnable) > 0 && s.SysEnableWhy == "" {
			add("sys_enable needs sys_enable_why")
		}
		if s.Protocols == "" && s.ProtocolsDefault != "" {
			add("protocols_default needs protocols, the deployment.toml key it stands for")
		}
		for _, proto := range strings.Fields(s.ProtocolsDefault) {
			if proto != "http" && proto != "https" {
				add("protocols_default: %q is neither http nor https", proto)
			}
		}
		if s.TOMLEnable == "" && s.TOMLEnableDefault {
			add("toml_enable_default needs toml_enable, the deployment.toml key it stands for")
		}
		if (s.TOMLEnable != "" || s.Protocols != "" || len(s.SysEnable) > 0) && s.Condition == "" {
			add("a switched signal needs a condition saying when it exists")
		}
		key := s.Kind + " " + s.Port + " " + s.Path + "@" + strings.Join(s.Versions, "-")
		if seen[key] {
			add("repeated: the same kind, port, path and versions as an earlier row")
		}
		seen[key] = true
	}
	switch {
	case len(p.Signals) == 0 && p.NoSignals == "":
		out = append(out, "no [[signal]] rows: say why in no_signals")
	case len(p.Signals) > 0 && p.NoSignals != "":
		out = append(out, "no_signals is set, but the profile has [[signal]] rows")
	}
	return out
}

// signals applies the configuration to the profile's signal rows: a signal
// is asked only when its port is checked and the server's own switches
// make it exist. A signal the configuration takes away is said in a note;
// one absent by the product's default is not.
func (r *resolver) signals(ports []Port) []Signal {
	var out []Signal
	for _, ps := range r.prof.Signals {
		if !applies(ps.Versions, r.ver) {
			continue
		}
		sig, why, ok := r.signal(ps, ports)
		switch {
		case ok:
			out = append(out, sig)
		case why != "":
			r.notes = append(r.notes, fmt.Sprintf("%s is not asked: %s", ps.label(), why))
		}
	}
	return out
}

// signal decides one row. ok false with a reason is a signal the
// configuration takes away; without one, the product's default.
func (r *resolver) signal(ps profSignal, ports []Port) (sig Signal, why string, ok bool) {
	i := slices.IndexFunc(ports, func(p Port) bool { return p.Name == ps.Port })
	if i < 0 {
		return sig, "", false // its port does not exist in this version
	}
	port := ports[i]
	var from []string
	cond := ps.Condition

	if len(ps.Nodes) > 0 {
		served := "the all-in-one node and -Dprofile=" + strings.Join(ps.Nodes, ", -Dprofile=")
		if r.node != nil && !slices.Contains(ps.Nodes, r.node.Name) {
			return sig, fmt.Sprintf("an API-M %s node does not serve it (-Dprofile=%s in %s): only %s do: %s",
				r.node.Name, r.node.Name, r.in.JavaOpts.Origin, served, ps.NodesWhy), false
		}
		cond = joinSentences(cond, "Served by "+served+" only: "+ps.NodesWhy)
		if r.node != nil {
			from = append(from, fmt.Sprintf("-Dprofile=%s in %s", r.node.Name, r.in.JavaOpts.Origin))
		}
	}

	if ps.Protocols != "" {
		scheme := string(port.Role)
		list, s, set := strings.Fields(ps.ProtocolsDefault), Setting{}, false
		if v, unknown, found := r.tomlSetting(ps.Protocols); found && unknown != "" {
			r.noteUnknown(fmt.Sprintf("the protocols of the %s signal %s cannot be known: %s; the default %q stands", ps.Kind, ps.Path, unknown, ps.ProtocolsDefault))
		} else if found {
			list, s, set = strings.Fields(v.Value), v, true
		}
		switch {
		case !slices.Contains(list, scheme) && set:
			return sig, fmt.Sprintf("%s = %q does not list %s", s.Where(), s.Value, scheme), false
		case !slices.Contains(list, scheme):
			return sig, "", false
		case set:
			from = append(from, fmt.Sprintf("%s = %q", s.Where(), s.Value))
		}
	}

	if ps.TOMLEnable != "" {
		on := ps.TOMLEnableDefault
		v, unknown, found := r.tomlSetting(ps.TOMLEnable)
		switch {
		case found && unknown != "":
			r.noteUnknown(fmt.Sprintf("the switch of the %s signal %s cannot be known: %s; the default (%v) stands", ps.Kind, ps.Path, unknown, on))
		case found && javaBool(v.Value):
			on = true
			from = append(from, fmt.Sprintf("%s = %s", v.Where(), v.Value))
		case found:
			return sig, fmt.Sprintf("switched off (%s = %s)", v.Where(), v.Value), false
		}
		if !on {
			return sig, "", false
		}
	}

	// The start script's switches come after the configuration's: an
	// endpoint absent by default needs no word on how it is switched.
	if len(ps.SysEnable) > 0 {
		on, where, off := r.sysSwitch(ps.SysEnable)
		switch {
		case on:
			from = append(from, where)
		case off != "":
			return sig, off + ": " + ps.SysEnableWhy, false
		}
	}

	if !port.Checked() {
		if r.offByDefault[port.Name] {
			return sig, "", false
		}
		return sig, fmt.Sprintf("its port %s is not checked: %s", port.Name, port.Skipped()), false
	}

	need := ps.Need
	if need == "" {
		need = Required
	}
	return Signal{
		Kind: ps.Kind, Port: ps.Port, Expect: ps.expect(),
		Means: ps.Means, Source: ps.Source, Condition: cond,
		Need: need, From: strings.Join(from, "; "),
	}, "", true
}

// tomlSetting reads a deployment.toml key where the server reads the file,
// after its placeholders; found is false when the home sets none.
func (r *resolver) tomlSetting(key string) (s Setting, unknown string, found bool) {
	h := r.home
	if h == nil || !h.tomlEra || h.dtoml == nil {
		return s, "", false
	}
	raw, ok := h.dtoml.Values[key]
	if !ok {
		return s, "", false
	}
	v, unknown, err := r.vars.expand(raw, h.home)
	if err != nil {
		r.fail(err)
		return s, "", false
	}
	return v, unknown, true
}

// sysSwitch reads system properties one of which switches a feature on,
// as the JVM ends with them. on: one is true, and from says which and
// where. off: the running server's command line or the start script is
// known and none is true, and says so. Neither: nothing tells, and the
// profile's default (the start script's own options) stands.
func (r *resolver) sysSwitch(names []string) (on bool, from, off string) {
	var set []string
	for _, name := range names {
		v, where, ok := r.enableProp(name)
		if ok && javaBool(v) {
			return true, fmt.Sprintf("-D%s=%s (%s)", name, v, where), ""
		}
		if ok {
			set = append(set, fmt.Sprintf("-D%s=%s (%s)", name, v, where))
		}
	}
	if !r.wholeCommandLine() && (r.home == nil || r.home.script == nil) {
		return false, "", ""
	}
	switch {
	case len(names) == 1 && len(set) == 1:
		off = set[0]
	case len(names) == 1 && r.wholeCommandLine():
		off = fmt.Sprintf("-D%s is not in %s", names[0], r.in.JavaOpts.Origin)
	case len(names) == 1:
		off = fmt.Sprintf("%s does not pass -D%s", r.home.script.file, names[0])
	default:
		off = "none of -D" + strings.Join(names, ", -D") + " is true"
		if len(set) > 0 {
			off += " (" + strings.Join(set, ", ") + ")"
		}
	}
	return false, "", off
}

// joinSentences joins two texts as sentences.
func joinSentences(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	case strings.HasSuffix(a, "."):
		return a + " " + b
	}
	return a + ". " + b
}
