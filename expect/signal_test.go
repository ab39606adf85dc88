package expect

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A [[signal]] row's every problem is said at once, one line each.
func TestSignalValidationAllAtOnce(t *testing.T) {
	bad := `name = "x"
title = "X"
default_offset_source = "here"
[[port]]
name = "web"
base = 8080
role = "http"
need = "required"
source = "s"
[[port]]
name = "ldap"
base = 10389
role = "ldap"
need = "required"
source = "s"
[[node]]
name = "gw"
why = "w"
source = "s"
[[signal]]
kind = "startup"
port = "nope"
path = "healthz"
status = ["2xx", "20x", "600", "204"]
body = "("
header = "X Ready"
need = "off"
versions = ["4", "3"]
[[signal]]
kind = "liveness"
port = "ldap"
path = "/live"
header = "X-Ready: ["
need = "optional"
means = "m"
source = "s"
nodes = ["cp"]
sys_enable = ["enableX"]
protocols_default = "http ftp"
toml_enable_default = true
[[signal]]
kind = "readiness"
path = "/r"
means = "m"
source = "s"
[[signal]]
kind = "readiness"
port = "web"
path = "/ok"
means = "m"
source = "s"
[[signal]]
kind = "readiness"
port = "web"
path = "/ok"
means = "m"
source = "s"
`
	_, err := parseProfile("x.toml", []byte(bad))
	want := []string{
		`x.toml: signal 1 (startup healthz): kind "startup" is neither readiness nor liveness`,
		`x.toml: signal 1 (startup healthz): port "nope" names no [[port]] row of this profile`,
		`x.toml: signal 1 (startup healthz): path "healthz": want an absolute path, starting with /`,
		`x.toml: signal 1 (startup healthz): status "20x": want a class (2xx) or a code (204)`,
		`x.toml: signal 1 (startup healthz): status "600": want a class (2xx) or a code (204)`,
		"x.toml: signal 1 (startup healthz): body \"(\": error parsing regexp: missing closing ): `(`",
		`x.toml: signal 1 (startup healthz): header "X Ready": want "Name: regexp"`,
		`x.toml: signal 1 (startup healthz): need "off" is neither required nor optional`,
		`x.toml: signal 1 (startup healthz): means and source are required: what a yes means, and the source that shows it`,
		`x.toml: signal 1 (startup healthz): versions: 4 is above 3`,
		`x.toml: signal 2 (liveness /live): port "ldap" answers ldap, not http or https`,
		"x.toml: signal 2 (liveness /live): header \"X-Ready: [\": error parsing regexp: missing closing ]: `[`",
		`x.toml: signal 2 (liveness /live): an optional signal needs a condition saying why`,
		`x.toml: signal 2 (liveness /live): nodes: "cp" is not a [[node]] of this profile`,
		`x.toml: signal 2 (liveness /live): nodes needs nodes_why`,
		`x.toml: signal 2 (liveness /live): sys_enable needs sys_enable_why`,
		`x.toml: signal 2 (liveness /live): protocols_default needs protocols, the deployment.toml key it stands for`,
		`x.toml: signal 2 (liveness /live): protocols_default: "ftp" is neither http nor https`,
		`x.toml: signal 2 (liveness /live): toml_enable_default needs toml_enable, the deployment.toml key it stands for`,
		`x.toml: signal 2 (liveness /live): a switched signal needs a condition saying when it exists`,
		`x.toml: signal 3 (readiness /r): port is required: the name of the [[port]] row it is served on`,
		`x.toml: signal 5 (readiness /ok): repeated: the same kind, port, path and versions as an earlier row`,
	}
	if got := strings.TrimSpace(errLines(err)); got != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}

	for _, tc := range []struct{ name, extra, want string }{
		{"no rows, no reason", "", "x.toml: no [[signal]] rows: say why in no_signals"},
		{"both", "no_signals = \"none\"\n[[signal]]\nkind = \"readiness\"\nport = \"web\"\npath = \"/\"\nmeans = \"m\"\nsource = \"s\"\n",
			"x.toml: no_signals is set, but the profile has [[signal]] rows"},
		{"an unknown key", "[[signal]]\nkind = \"readiness\"\nport = \"web\"\npath = \"/\"\nmeans = \"m\"\nsource = \"s\"\nstatuses = [\"200\"]\n", "strict mode: fields in the document are missing in the target struct"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := "name = \"x\"\ntitle = \"X\"\ndefault_offset_source = \"here\"\n"
			if strings.HasPrefix(tc.extra, "no_signals") {
				doc += "no_signals = \"none\"\n"
				tc.extra = strings.TrimPrefix(tc.extra, "no_signals = \"none\"\n")
			}
			doc += "[[port]]\nname = \"web\"\nbase = 8080\nrole = \"http\"\nneed = \"required\"\nsource = \"s\"\n" + tc.extra
			_, err := parseProfile("x.toml", []byte(doc))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// signalOn finds a signal by kind and port.
func signalOn(spec Spec, kind, port string) (Signal, bool) {
	for _, s := range spec.Signals {
		if s.Kind == kind && s.Port == port {
			return s, true
		}
	}
	return Signal{}, false
}

// signalNotes are the notes that say a signal is not asked.
func signalNotes(spec Spec) []string {
	var out []string
	for _, n := range spec.Notes {
		if strings.Contains(n, " is not asked: ") {
			out = append(out, n)
		}
	}
	return out
}

// renamedUpstream copies an upstream home under another directory name:
// a home's version comes from its name ("wso2mi-1.1.0").
func renamedUpstream(t *testing.T, name, as string) string {
	t.Helper()
	src := upstreamHome(t, name)
	dst := filepath.Join(filepath.Dir(src), as)
	if err := os.Rename(src, dst); err != nil {
		t.Fatal(err)
	}
	return dst
}

// Finding 10: the product's own readiness and liveness endpoints are asked
// where the product serves them, and the configuration that takes one away
// is named.
func TestUpstreamSignals(t *testing.T) {
	type want = struct {
		kind, port, path string
		need             Need
		from             string // a part of From
	}
	script := "bin/micro-integrator.sh"
	for _, tc := range []struct {
		name  string
		home  func(t *testing.T) string
		in    func(*Input)
		want  []want
		notes []string // parts of the notes that say a signal is not asked, in order
		other string   // a part of another note
	}{
		{
			name: "MI 4.2 as shipped: readiness and liveness on the internal HTTP API",
			home: func(t *testing.T) string { return upstreamHome(t, "wso2mi-4.2.0") },
			want: []want{
				{"readiness", "internal-http", "/healthz", Required, "-DenableReadinessProbe=true (bin/micro-integrator.sh:55 -DenableReadinessProbe)"},
				{"liveness", "internal-http", "/liveness", Required, "-DenableLivenessProbe=true (bin/micro-integrator.sh:56 -DenableLivenessProbe)"},
			},
		},
		{
			name: "MI without -DenableReadinessProbe in its start script",
			home: func(t *testing.T) string {
				h := upstreamHome(t, "wso2mi-4.2.0")
				edit(t, h, script, "    -DenableReadinessProbe=true \\\n", "")
				return h
			},
			want:  []want{{"liveness", "internal-http", "/liveness", Required, "bin/micro-integrator.sh:55 -DenableLivenessProbe"}},
			notes: []string{"readiness /healthz on internal-http is not asked: bin/micro-integrator.sh does not pass -DenableReadinessProbe: ConfigurationLoader loads the ReadinessProbe internal API only when -DenableReadinessProbe is true"},
		},
		{
			name: "MI whose running command line turns the readiness probe off",
			home: func(t *testing.T) string { return upstreamHome(t, "wso2mi-4.2.0") },
			in: func(in *Input) {
				in.JavaOpts = Text{"-Xmx1g org.wso2.micro.integrator.bootstrap.Bootstrap -DenableReadinessProbe=false -DenableLivenessProbe=true", "pid 7's command line"}
			},
			want:  []want{{"liveness", "internal-http", "/liveness", Required, "-DenableLivenessProbe=true (pid 7's command line)"}},
			notes: []string{"readiness /healthz on internal-http is not asked: -DenableReadinessProbe=false (pid 7's command line): ConfigurationLoader loads"},
		},
		{
			name: "MI whose running command line lacks -DenableReadinessProbe",
			home: func(t *testing.T) string { return upstreamHome(t, "wso2mi-4.2.0") },
			in: func(in *Input) {
				in.JavaOpts = Text{"-Xmx1g -DenableLivenessProbe=true org.wso2.micro.integrator.bootstrap.Bootstrap", "pid 7's command line"}
			},
			want:  []want{{"liveness", "internal-http", "/liveness", Required, "-DenableLivenessProbe=true (pid 7's command line)"}},
			notes: []string{"readiness /healthz on internal-http is not asked: -DenableReadinessProbe is not in pid 7's command line: "},
		},
		{
			name: "MI whose probe protocols cannot be known: the default stands",
			home: func(t *testing.T) string {
				h := upstreamHome(t, "wso2mi-4.2.0")
				edit(t, h, "conf/deployment.toml", "[user_store]", "[readiness_probe]\nprotocols = \"$env{PROBE_PROTOCOLS}\"\n\n[user_store]")
				return h
			},
			in:    func(in *Input) { in.Environ, in.EnvironOrigin = env(nil), "this environment" },
			other: `the protocols of the readiness signal /healthz cannot be known: $env{PROBE_PROTOCOLS} (conf/deployment.toml:6 [readiness_probe] protocols): PROBE_PROTOCOLS is not set in this environment; the default "http" stands`,
			want: []want{
				{"readiness", "internal-http", "/healthz", Required, "-DenableReadinessProbe=true"},
				{"liveness", "internal-http", "/liveness", Required, "-DenableLivenessProbe=true"},
			},
		},
		{
			name: "MI with [mediation] internal_http_api_enable = false: no signal",
			home: func(t *testing.T) string {
				h := upstreamHome(t, "wso2mi-4.2.0")
				edit(t, h, "conf/deployment.toml", "[user_store]", "[mediation]\ninternal_http_api_enable = false\n\n[user_store]")
				return h
			},
			notes: []string{
				"readiness /healthz on internal-http is not asked: its port internal-http is not checked: not expected: switched off (conf/deployment.toml:6 [mediation] internal_http_api_enable = false)",
				"liveness /liveness on internal-http is not asked: its port internal-http is not checked: not expected: switched off (conf/deployment.toml:6 [mediation] internal_http_api_enable = false)",
			},
		},
		{
			name: "MI serving readiness over HTTPS only",
			home: func(t *testing.T) string {
				h := upstreamHome(t, "wso2mi-4.2.0")
				edit(t, h, "conf/deployment.toml", "[user_store]", "[readiness_probe]\nprotocols = \"https\"\n\n[user_store]")
				return h
			},
			want: []want{
				{"readiness", "management-https", "/healthz", Required, `conf/deployment.toml:6 [readiness_probe] protocols = "https"`},
				{"liveness", "internal-http", "/liveness", Required, "-DenableLivenessProbe=true"},
			},
			notes: []string{`readiness /healthz on internal-http is not asked: conf/deployment.toml:6 [readiness_probe] protocols = "https" does not list http`},
		},
		{
			name: "MI serving liveness over both",
			home: func(t *testing.T) string {
				h := upstreamHome(t, "wso2mi-4.2.0")
				edit(t, h, "conf/deployment.toml", "[user_store]", "[liveness_probe]\nprotocols = \"http https\"\n\n[user_store]")
				return h
			},
			want: []want{
				{"readiness", "internal-http", "/healthz", Required, "-DenableReadinessProbe=true"},
				{"liveness", "internal-http", "/liveness", Required, `conf/deployment.toml:6 [liveness_probe] protocols = "http https"`},
				{"liveness", "management-https", "/liveness", Required, `conf/deployment.toml:6 [liveness_probe] protocols = "http https"`},
			},
		},
		{
			name: "MI 1.2: readiness only, the liveness probe came with 4.2",
			home: func(t *testing.T) string { return renamedUpstream(t, "wso2mi-4.2.0", "wso2mi-1.2.0") },
			want: []want{{"readiness", "internal-http", "/healthz", Required, "-DenableReadinessProbe=true"}},
		},
		{
			name: "MI 1.1.0 had no probe",
			home: func(t *testing.T) string { return renamedUpstream(t, "wso2mi-4.2.0", "wso2mi-1.1.0") },
		},
		{
			name: "MI 1.0 has none",
			home: func(t *testing.T) string { return upstreamHome(t, "wso2mi-1.0.0") },
		},
		{
			name: "the bare kernel has none",
			home: func(t *testing.T) string { return upstreamHome(t, "carbon-4.4.40") },
		},
		{
			name: "API-M 2.5: the Version service, unconfirmed",
			home: func(t *testing.T) string { return upstreamHome(t, "wso2am-2.5.0") },
			want: []want{{"readiness", "http", "/services/Version", Optional, ""}},
		},
		{
			name: "the 4.5 Universal Gateway pack: its start-up health check, optional",
			home: func(t *testing.T) string { return upstreamHome(t, "wso2am-universal-gw-4.5.0") },
			want: []want{{"readiness", "https", "/api/am/gateway/v2/server-startup-healthcheck", Optional, ""}},
		},
		{
			name: "the 4.5 Traffic Manager pack: none confirmed",
			home: func(t *testing.T) string { return upstreamHome(t, "wso2am-tm-4.5.0") },
		},
		{
			name: "the 4.5 Control Plane pack: none confirmed",
			home: func(t *testing.T) string { return upstreamHome(t, "wso2am-acp-4.5.0") },
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := resolveHome(t, tc.home(t), tc.in)
			checkSignals(t, spec, tc.want, tc.notes)
			if tc.other != "" && !hasNote(spec, tc.other) {
				t.Errorf("no note %q in %q", tc.other, spec.Notes)
			}
		})
	}
}

// fromIs: a want of "" means the profile's default stands (no From);
// any other want is a part of From.
func fromIs(got, want string) bool {
	if want == "" {
		return got == ""
	}
	return strings.Contains(got, want)
}

// checkSignals holds a spec's signals to want, in order, and the notes
// that say a signal is not asked to notes, each a part of its note.
func checkSignals(t *testing.T, spec Spec, want []struct {
	kind, port, path string
	need             Need
	from             string
}, notes []string) {
	t.Helper()
	if len(spec.Signals) != len(want) {
		t.Errorf("%d signals, want %d: %+v", len(spec.Signals), len(want), spec.Signals)
	}
	for i, w := range want {
		if i >= len(spec.Signals) {
			break
		}
		s := spec.Signals[i]
		if s.Kind != w.kind || s.Port != w.port || s.Expect.Path != w.path || s.Need != w.need || !fromIs(s.From, w.from) {
			t.Errorf("signal %d: %s %s %s %s from %q, want %s %s %s %s from %q", i, s.Kind, s.Port, s.Expect.Path, s.Need, s.From, w.kind, w.port, w.path, w.need, w.from)
		}
		if s.Means == "" || s.Source == "" {
			t.Errorf("signal %d: no means or source", i)
		}
	}
	got := signalNotes(spec)
	if len(got) != len(notes) {
		t.Errorf("notes %q, want %d like %q", got, len(notes), notes)
		return
	}
	for i, n := range notes {
		if !strings.Contains(got[i], n) {
			t.Errorf("note %d: %q, want it to hold %q", i, got[i], n)
		}
	}
}

// API-M 4's node types: the gateway's start-up health check lives in the
// gateway REST API webapp, which profileSetup.sh keeps for the
// gateway-worker only; the Version service stays on every node.
func TestAPIM4SignalsByNodeType(t *testing.T) {
	type want = struct {
		kind, port, path string
		need             Need
		from             string
	}
	gateway := "/api/am/gateway/v2/server-startup-healthcheck"
	version := want{"readiness", "http", "/services/Version", Optional, ""}
	for _, tc := range []struct {
		node  string
		want  []want
		notes []string
	}{
		{"", []want{{"readiness", "https", gateway, Optional, ""}, version}, nil},
		{"gateway-worker", []want{{"readiness", "https", gateway, Optional, "-Dprofile=gateway-worker in pid 42's command line"}, version}, nil},
		{"control-plane", []want{version}, []string{"readiness " + gateway + " on https is not asked: an API-M control-plane node does not serve it (-Dprofile=control-plane in pid 42's command line): only the all-in-one node and -Dprofile=gateway-worker do: profileSetup.sh removes api#am#gateway#v2.war"}},
		{"traffic-manager", []want{version}, []string{"an API-M traffic-manager node does not serve it (-Dprofile=traffic-manager in pid 42's command line)"}},
	} {
		t.Run("node "+tc.node, func(t *testing.T) {
			opts := "-Xmx1g org.wso2.carbon.bootstrap.Bootstrap"
			if tc.node != "" {
				opts += " -Dprofile=" + tc.node
			}
			spec, err := Resolve(Input{Profile: flag("profile", "apim-4"), JavaOpts: Text{opts, "pid 42's command line"}})
			if err != nil {
				t.Fatal(err)
			}
			checkSignals(t, spec, tc.want, tc.notes)
			if s, ok := signalOn(spec, "readiness", "https"); ok {
				if !strings.Contains(s.Condition, "Served by the all-in-one node and -Dprofile=gateway-worker only") || !strings.Contains(s.Condition, "UNCONFIRMED") {
					t.Errorf("condition %q", s.Condition)
				}
			}
		})
	}
}

// IS's health check API is asked only where deployment.toml enables it:
// disabled, it answers 200 with nothing checked.
func TestISHealthCheckSignal(t *testing.T) {
	type want = struct {
		kind, port, path string
		need             Need
		from             string
	}
	path := "/api/health-check/v1.0/health"
	for _, tc := range []struct {
		name, profile, toml string
		want                []want
		notes               []string
	}{
		{"IS 7 as shipped", "is-7", "", nil, nil},
		{"IS 7 enabled", "is-7", "[carbon_health_check]\nenable = true\n", []want{{"readiness", "https", path, Required, "repository/conf/deployment.toml:4 [carbon_health_check] enable = true"}}, nil},
		{"IS 7 switched off by hand", "is-7", "[carbon_health_check]\nenable = false\n", nil, []string{"readiness " + path + " on https is not asked: switched off (repository/conf/deployment.toml:4 [carbon_health_check] enable = false)"}},
		{"IS 5.11 enabled", "is-5.10", "[carbon_health_check]\nenable = \"true\"\n", []want{{"readiness", "https", path, Required, "[carbon_health_check] enable = true"}}, nil},
		{"IS 5.9 enabled", "is-5", "[carbon_health_check]\nenable = true\n", []want{{"readiness", "https", path, Required, "[carbon_health_check] enable"}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string]string{"repository/conf/deployment.toml": "[server]\nhostname = \"localhost\"\n" + tc.toml}
			if tc.profile == "is-5" {
				files["bin/version.txt"] = "WSO2 Identity Server v5.9.0\n"
			}
			spec, err := Resolve(Input{Profile: flag("profile", tc.profile), CarbonHome: flag("carbon-home", home(t, files))})
			if err != nil {
				t.Fatal(err)
			}
			checkSignals(t, spec, tc.want, tc.notes)
		})
	}
	// Without a home, the shipped default stands: not asked, and nothing to say.
	spec, err := Resolve(Input{Profile: flag("profile", "is-7")})
	if err != nil || len(spec.Signals) != 0 || len(signalNotes(spec)) != 0 {
		t.Errorf("is-7 without a home: %v %+v %q", err, spec.Signals, spec.Notes)
	}
}

// With no version known, MI's 4.x rows hold, and a note says so.
func TestMISignalsWithoutVersion(t *testing.T) {
	spec, err := Resolve(Input{Profile: flag("profile", "mi")})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := signalOn(spec, "readiness", "internal-http"); !ok {
		t.Errorf("no readiness: %+v", spec.Signals)
	}
	if _, ok := signalOn(spec, "liveness", "internal-http"); !ok {
		t.Errorf("no liveness: %+v", spec.Signals)
	}
	if !hasNote(spec, "no version known: mi's rows for version 4.3 apply; the version changes the readiness signal /healthz, the liveness signal /liveness") {
		t.Errorf("notes %q", spec.Notes)
	}
	// Without a start script or a command line, the profile's default (the
	// script's own -Denable... options) stands: nothing says where they are.
	for _, s := range spec.Signals {
		if s.From != "" {
			t.Errorf("%s from %q", s.Kind, s.From)
		}
	}
}

// Every signal of every upstream home is served on a checked port that
// speaks HTTP, with a valid expectation and its source.
func TestUpstreamSignalsAreOnCheckedHTTPPorts(t *testing.T) {
	entries, err := os.ReadDir(filepath.Join("testdata", "upstream"))
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		spec, err := Resolve(Input{CarbonHome: flag("carbon-home", filepath.Join("testdata", "upstream", e.Name()))})
		if err != nil {
			t.Errorf("%s: %v", e.Name(), errLines(err))
			continue
		}
		total += len(spec.Signals)
		for _, s := range spec.Signals {
			p := portByName(t, spec, s.Port)
			if !p.Checked() || (p.Role != RoleHTTP && p.Role != RoleHTTPS) {
				t.Errorf("%s: %s %s on %s (%s, %s)", e.Name(), s.Kind, s.Expect.Path, s.Port, p.Role, p.Need)
			}
			if probs := s.Expect.check(p.Role); len(probs) > 0 || s.Source == "" || s.Means == "" || (s.Need != Required && s.Need != Optional) {
				t.Errorf("%s: %s %s: %q, need %q", e.Name(), s.Kind, s.Expect.Path, probs, s.Need)
			}
		}
	}
	if total == 0 {
		t.Error("no upstream home resolves a signal: nothing was held to the rule")
	}
}
