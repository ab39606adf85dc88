package expect

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// The homes under testdata/upstream are built from the products' own
// release sources (testdata/upstream/README.md names every file's origin).
// Each test below takes one, makes the one edit an operator makes, and
// holds carbonprobe to what the product's source says the server does.

// upstreamHome copies testdata/upstream/<name> into a temporary directory
// of the same name, so that a test can edit it.
func upstreamHome(t *testing.T, name string) string {
	t.Helper()
	src := filepath.Join("testdata", "upstream", name)
	dst := filepath.Join(t.TempDir(), name)
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// edit rewrites one file of a home; old must be in it.
func edit(t *testing.T, home, rel, old, new string) {
	t.Helper()
	path := filepath.Join(home, rel)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), old) {
		t.Fatalf("%s does not hold %q", rel, old)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(data), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

func resolveHome(t *testing.T, home string, mod func(*Input)) Spec {
	t.Helper()
	in := Input{CarbonHome: flag("carbon-home", home)}
	if mod != nil {
		mod(&in)
	}
	spec, err := Resolve(in)
	if err != nil {
		t.Fatalf("Resolve: %v", errLines(err))
	}
	return spec
}

func hasNote(spec Spec, parts ...string) bool {
	for _, n := range spec.Notes {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(n, p)
		}
		if all {
			return true
		}
	}
	return false
}

func env(vars map[string]string) func(string) (string, bool) {
	return func(n string) (string, bool) {
		v, ok := vars[n]
		return v, ok
	}
}

// want checks a port's need and number ("off" ports keep their number).
func want(t *testing.T, spec Spec, name string, need Need, number int) Port {
	t.Helper()
	p := portByName(t, spec, name)
	if p.Need != need || (number >= 0 && p.Number != number) {
		t.Errorf("%s: %s %d, want %s %d (why %q, condition %q, from %q)", name, p.Need, p.Number, need, number, p.Why, p.Condition, p.From)
	}
	return p
}

// Finding 1: Micro Integrator has no Hazelcast; a [clustering] table in its
// deployment.toml opens nothing.
func TestUpstreamMIHasNoHazelcast(t *testing.T) {
	home := upstreamHome(t, "wso2mi-4.2.0")
	edit(t, home, "conf/deployment.toml", "[user_store]", "[clustering]\nmembership_scheme = \"wka\"\nlocal_member_port = 4000\nmembers = [\"10.0.0.1:4000\"]\n\n[user_store]")
	spec := resolveHome(t, home, nil)
	if spec.Profile != "mi" || spec.Version != "4.2.0" {
		t.Fatalf("profile %s %s", spec.Profile, spec.Version)
	}
	h := want(t, spec, "hazelcast", Off, 4000)
	want(t, spec, "multicast", Off, 45564)
	if !strings.Contains(h.Condition, "never opens on MI") || !strings.Contains(h.Source, "hazelcast bundleDef commented out") {
		t.Errorf("hazelcast: %q / %q", h.Condition, h.Source)
	}
	if !hasNote(spec, "conf/deployment.toml:6 [clustering] membership_scheme", "is not read by WSO2 Micro Integrator", "[cluster_config]") {
		t.Errorf("no note on [clustering]: %q", spec.Notes)
	}
	for _, p := range spec.Checked() {
		if p.Number == 4000 || p.Number == 45564 {
			t.Errorf("%s is checked", p.Label())
		}
	}
	// MI 1.0, the carbon.xml era, has no Hazelcast either.
	want(t, resolveHome(t, upstreamHome(t, "wso2mi-1.0.0"), nil), "hazelcast", Off, 4000)
}

// Finding 2: API-M 4.5's packs each have their own profile, found by the
// start script and product.txt; API-M 4's -Dprofile node types change the set.
func TestUpstreamAPIM45Packs(t *testing.T) {
	for _, tc := range []struct {
		home, profile string
		on, absent    []string
	}{
		{"wso2am-universal-gw-4.5.0", "apim-gw", []string{"passthrough-http", "passthrough-https", "websocket", "websocket-secure", "websub", "websub-secure", "https", "http"}, []string{"amqp", "binary"}},
		{"wso2am-tm-4.5.0", "apim-tm", []string{"binary", "binary-ssl", "amqp", "amqp-ssl", "https"}, []string{"passthrough-http", "websocket", "websub"}},
		{"wso2am-acp-4.5.0", "apim-acp", []string{"https", "http", "amqp"}, []string{"passthrough-http", "websocket", "websub"}},
	} {
		t.Run(tc.home, func(t *testing.T) {
			spec := resolveHome(t, upstreamHome(t, tc.home), nil)
			if spec.Profile != tc.profile || spec.Version != "4.5.0" {
				t.Fatalf("profile %s %s (%s)", spec.Profile, spec.Version, spec.Chosen)
			}
			for _, n := range tc.on {
				want(t, spec, n, Required, -1)
			}
			names := map[string]bool{}
			for _, p := range spec.Ports {
				names[p.Name] = true
			}
			for _, n := range tc.absent {
				if names[n] {
					t.Errorf("%s has port %s", tc.profile, n)
				}
			}
		})
	}
	gw := resolveHome(t, upstreamHome(t, "wso2am-universal-gw-4.5.0"), nil)
	for name, n := range map[string]int{"passthrough-http": 8280, "passthrough-https": 8243, "websocket": 9099, "websocket-secure": 8099, "websub": 9021, "websub-secure": 8021} {
		want(t, gw, name, Required, n)
	}
}

func TestUpstreamAPIM4NodeTypes(t *testing.T) {
	for _, tc := range []struct {
		node     string
		off, req []string
		note     string
	}{
		{"control-plane", []string{"passthrough-http", "passthrough-https", "websocket", "websocket-secure"}, []string{"https", "websub", "amqp"}, ""},
		{"traffic-manager", []string{"passthrough-http", "websocket", "websub", "websub-secure"}, []string{"https", "binary", "amqp"}, ""},
		{"gateway-worker", nil, []string{"passthrough-http", "websocket", "websub"}, ""},
		{"api-devportal", nil, []string{"passthrough-http", "websocket"}, "-Dprofile=api-devportal (pid 42's command line) is not a node type of apim-4"},
	} {
		t.Run(tc.node, func(t *testing.T) {
			spec, err := Resolve(Input{Profile: flag("profile", "apim-4"),
				JavaOpts: Text{"-Xmx1g org.wso2.carbon.bootstrap.Bootstrap -Dprofile=" + tc.node, "pid 42's command line"}})
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range tc.off {
				p := want(t, spec, n, Off, -1)
				if !strings.Contains(p.Condition, "node") || !strings.Contains(p.From, "-Dprofile="+tc.node) {
					t.Errorf("%s: %q from %q", n, p.Condition, p.From)
				}
			}
			for _, n := range tc.req {
				want(t, spec, n, Required, -1)
			}
			if tc.note != "" && !hasNote(spec, tc.note) {
				t.Errorf("notes %q", spec.Notes)
			}
			if tc.note == "" && !strings.Contains(spec.Chosen, "node type -Dprofile="+tc.node) {
				t.Errorf("chosen %q", spec.Chosen)
			}
		})
	}
	// API-M 3's publisher node loses the WebSocket endpoints too.
	spec, err := Resolve(Input{Profile: flag("profile", "apim-3"), JavaOpts: flag("java-opts", "-Dprofile=api-publisher")})
	if err != nil {
		t.Fatal(err)
	}
	want(t, spec, "websocket", Off, -1)
	want(t, spec, "passthrough-http", Required, -1)
}

// Finding 3: API-M 2.5 and older are API-M 2; WebSub did not exist before 4.0.
func TestUpstreamAPIM2x(t *testing.T) {
	spec := resolveHome(t, upstreamHome(t, "wso2am-2.5.0"), nil)
	if spec.Profile != "apim-2" || spec.Version != "2.5.0" {
		t.Fatalf("profile %s %s", spec.Profile, spec.Version)
	}
	for _, p := range spec.Ports {
		if strings.HasPrefix(p.Name, "websub") {
			t.Errorf("API-M 2.5 has %s", p.Name)
		}
	}
	ws := want(t, spec, "websocket", Required, 9099)
	if !strings.Contains(ws.Why, "WebSocketInboundEndpoint.xml:9 inbound.ws.port") || !strings.Contains(ws.Why, ":16 ws.use.port.offset") {
		t.Errorf("websocket why %q", ws.Why)
	}
	p3, err := LookupProfile("apim-3")
	if err != nil {
		t.Fatal(err)
	}
	_, websub := p3.portRole("websub")
	_, websubSecure := p3.portRole("websub-secure")
	if websub || websubSecure {
		t.Error("apim-3 has WebSub ports")
	}
	if old, _ := LookupProfile("apim-2.6"); old == nil || old.Name != "apim-2" {
		t.Errorf("the alias apim-2.6 names %v", old)
	}
}

// Finding 4: placeholders are resolved as the server resolves them; one
// that cannot be is a note and an unknown port, not an error.
func TestUpstreamPlaceholders(t *testing.T) {
	mi := upstreamHome(t, "wso2mi-4.2.0")
	edit(t, mi, "conf/deployment.toml", "[user_store]", "[transport.http]\nlistener.port = \"$env{HTTP_PORT}\"\nlistener.secured_port = \"$sys{https.port}\"\n\n[user_store]")

	spec := resolveHome(t, mi, func(in *Input) {
		in.Environ, in.EnvironOrigin = env(map[string]string{"HTTP_PORT": "8300"}), "pid 42's environment"
		in.JavaOpts = Text{"-Dhttps.port=8400 org.wso2.micro.integrator.bootstrap.Bootstrap", "pid 42's command line"}
	})
	want(t, spec, "passthrough-http", Required, 8310)
	want(t, spec, "passthrough-https", Required, 8410)

	spec = resolveHome(t, mi, func(in *Input) {
		in.Environ, in.EnvironOrigin = env(nil), "this environment"
	})
	p := portByName(t, spec, "passthrough-http")
	wantUnknown := "$env{HTTP_PORT} (conf/deployment.toml:6 [transport.http] listener.port): HTTP_PORT is not set in this environment"
	if p.Unknown != wantUnknown || p.Number != 0 {
		t.Errorf("unknown %q number %d, want %q", p.Unknown, p.Number, wantUnknown)
	}
	if !hasNote(spec, "port passthrough-http: its number cannot be known: "+wantUnknown) {
		t.Errorf("notes %q", spec.Notes)
	}
	if s := portByName(t, spec, "passthrough-https"); !strings.Contains(s.Unknown, "no -Dhttps.port: no Java options were given") {
		t.Errorf("https unknown %q", s.Unknown)
	}
	for _, c := range spec.Checked() {
		if c.Name == "passthrough-http" || c.Name == "passthrough-https" {
			t.Errorf("Checked holds %s, whose number is unknown", c.Name)
		}
	}

	// carbon.xml's ${}: a system property, else the environment.
	kernel := upstreamHome(t, "carbon-4.4.40")
	edit(t, kernel, "repository/conf/carbon.xml", "<Offset>0</Offset>", "<Offset>${PORT_OFFSET}</Offset>")
	edit(t, kernel, "repository/conf/carbon.xml", "<RMIRegistryPort>9999</RMIRegistryPort>", "<RMIRegistryPort>${jmx.registry.port}</RMIRegistryPort>")
	spec = resolveHome(t, kernel, func(in *Input) {
		in.Environ = env(map[string]string{"PORT_OFFSET": "3", "jmx.registry.port": "9000"})
		in.JavaOpts = flag("java-opts", "-Djmx.registry.port=9100")
	})
	if spec.Offset.Value != 3 || spec.Offset.From != "repository/conf/carbon.xml:130 <Offset>" {
		t.Errorf("offset %d from %s", spec.Offset.Value, spec.Offset.From)
	}
	want(t, spec, "jmx-registry", Required, 9103) // the property beats the environment
	want(t, spec, "https", Required, 9446)

	// An offset nobody can know is an error, unless a flag gives it.
	_, err := Resolve(Input{CarbonHome: flag("carbon-home", kernel), Environ: env(nil), EnvironOrigin: "this environment",
		JavaOpts: flag("java-opts", "-Djmx.registry.port=9100")})
	if err == nil || !strings.Contains(errLines(err), `repository/conf/carbon.xml:130: <Offset> "${PORT_OFFSET}": the port offset cannot be known: ${PORT_OFFSET} (repository/conf/carbon.xml:130 <Offset>): no -DPORT_OFFSET in flag --java-opts, and PORT_OFFSET is not set in this environment; give the offset with --offset`) {
		t.Errorf("err = %v", err)
	}
	spec = resolveHome(t, kernel, func(in *Input) {
		in.Offset = flag("offset", "5")
		in.JavaOpts = flag("java-opts", "-Djmx.registry.port=9100")
	})
	if spec.Offset.Value != 5 || !hasNote(spec, "does not decide the offset (flag --offset does)", "PORT_OFFSET") {
		t.Errorf("offset %d, notes %q", spec.Offset.Value, spec.Notes)
	}
}

// Finding 5: the XML era's servlet ports are catalina-server.xml's
// connectors; inbound endpoints and extra connectors are read too.
func TestUpstreamCatalinaAndInbound(t *testing.T) {
	kernel := upstreamHome(t, "carbon-4.4.40")
	edit(t, kernel, "repository/conf/tomcat/catalina-server.xml", `port="9443"`, `port="8443"`)
	edit(t, kernel, "repository/conf/tomcat/catalina-server.xml", `port="9763"`, `port="8080"`)
	edit(t, kernel, "repository/conf/tomcat/catalina-server.xml", "        <Engine", "        <Connector port=\"9090\" protocol=\"HTTP/1.1\"/>\n        <Engine")
	edit(t, kernel, "repository/conf/carbon.xml", "<Offset>0</Offset>", "<Offset>1</Offset>")
	spec := resolveHome(t, kernel, nil)
	if p := want(t, spec, "https", Required, 8444); p.From != "repository/conf/tomcat/catalina-server.xml:53 HTTPS <Connector port>" {
		t.Errorf("https from %q", p.From)
	}
	want(t, spec, "http", Required, 8081)
	if p := want(t, spec, "tomcat-9090", Required, 9091); p.Role != RoleHTTP || !strings.Contains(p.Source, "catalina-server.xml:81") {
		t.Errorf("extra connector %+v", p)
	}

	apim := upstreamHome(t, "wso2am-2.5.0")
	ieDir := "repository/deployment/server/synapse-configs/default/inbound-endpoints"
	edit(t, apim, ieDir+"/SecureWebSocketInboundEndpoint.xml", `suspend="false"`, `suspend="true"`)
	writeFile(t, filepath.Join(apim, ieDir, "OrderInbound.xml"), `<inboundEndpoint xmlns="http://ws.apache.org/ns/synapse" name="OrderInbound" protocol="http" suspend="false">
    <parameters>
        <parameter name="inbound.http.port">8295</parameter>
    </parameters>
</inboundEndpoint>
`)
	spec = resolveHome(t, apim, nil)
	want(t, spec, "websocket-secure", Off, -1)
	p := want(t, spec, "inbound-OrderInbound", Required, 8295)
	if !strings.Contains(p.Why, "inbound.port.offset.enable is not set") {
		t.Errorf("inbound why %q", p.Why)
	}
	// A removed WebSocket endpoint (profileSetup.sh does so) is not expected.
	if err := os.Remove(filepath.Join(apim, ieDir, "WebSocketInboundEndpoint.xml")); err != nil {
		t.Fatal(err)
	}
	want(t, resolveHome(t, apim, nil), "websocket", Off, -1)
}

// Finding 6: [mediation] internal_http_api_enable = false turns off both
// internal listeners; the -Denable... flags decide each.
func TestUpstreamMIInternalAPIs(t *testing.T) {
	mi := upstreamHome(t, "wso2mi-4.2.0")
	spec := resolveHome(t, mi, nil)
	want(t, spec, "internal-http", Required, 9201)
	want(t, spec, "management-https", Required, 9164)

	off := upstreamHome(t, "wso2mi-4.2.0")
	edit(t, off, "conf/deployment.toml", "[user_store]", "[mediation]\ninternal_http_api_enable = false\n\n[user_store]")
	spec = resolveHome(t, off, nil)
	for _, n := range []string{"internal-http", "management-https"} {
		if p := want(t, spec, n, Off, -1); p.From != "conf/deployment.toml:6 [mediation] internal_http_api_enable" {
			t.Errorf("%s from %q", n, p.From)
		}
	}

	// The running server's command line decides: the Management API off by a program argument.
	spec = resolveHome(t, mi, func(in *Input) {
		in.JavaOpts = Text{"-DenableReadinessProbe=true org.wso2.micro.integrator.bootstrap.Bootstrap -DenableManagementApi=false", "pid 7's command line"}
	})
	want(t, spec, "internal-http", Required, 9201)
	if p := want(t, spec, "management-https", Off, -1); !strings.Contains(p.Condition, "-DenableManagementApi=false (pid 7's command line)") {
		t.Errorf("condition %q", p.Condition)
	}
	// The Management API alone opens the HTTP listener too: its protocols
	// are "https http" (default.json management_api.protocols).
	mgmt := upstreamHome(t, "wso2mi-4.2.0")
	edit(t, mgmt, "bin/micro-integrator.sh", "    -DenableReadinessProbe=true \\\n    -DenableLivenessProbe=true \\\n", "")
	if p := want(t, resolveHome(t, mgmt, nil), "internal-http", Required, 9201); !strings.Contains(p.From, "-DenableManagementApi=true (bin/micro-integrator.sh:55") {
		t.Errorf("internal-http from %q", p.From)
	}
	// A script without the flags starts neither internal API.
	edit(t, mi, "bin/micro-integrator.sh", "    -DenableReadinessProbe=true \\\n    -DenableLivenessProbe=true \\\n    -DenableManagementApi=true \\\n", "")
	spec = resolveHome(t, mi, nil)
	want(t, spec, "internal-http", Off, -1)
	want(t, spec, "management-https", Off, -1)
}

// Finding 7: -DavoidConfigUpdate=true runs the server on the XML on disk.
func TestUpstreamAvoidConfigUpdate(t *testing.T) {
	mi := upstreamHome(t, "wso2mi-4.2.0")
	edit(t, mi, "conf/deployment.toml", "# offset  = 10", "offset = 5")
	writeFile(t, filepath.Join(mi, "conf", "carbon.xml"), carbonXML("7"))
	spec := resolveHome(t, mi, nil)
	if spec.Offset.Value != 5 {
		t.Errorf("offset %d, want deployment.toml's 5", spec.Offset.Value)
	}
	spec = resolveHome(t, mi, func(in *Input) {
		in.JavaOpts = Text{"org.wso2.micro.integrator.bootstrap.Bootstrap -DavoidConfigUpdate=true", "pid 9's command line"}
	})
	if spec.Offset.Value != 7 || spec.Offset.From != "conf/carbon.xml:8 <Offset>" {
		t.Errorf("offset %d from %s, want carbon.xml's 7", spec.Offset.Value, spec.Offset.From)
	}
	if !hasNote(spec, "-DavoidConfigUpdate=true (pid 9's command line): the server does not render conf/deployment.toml") {
		t.Errorf("notes %q", spec.Notes)
	}
	// Without the rendered XML the server has nothing to run on.
	if err := os.Remove(filepath.Join(mi, "conf", "carbon.xml")); err != nil {
		t.Fatal(err)
	}
	_, err := Resolve(Input{CarbonHome: flag("carbon-home", mi), JavaOpts: flag("java-opts", "-DavoidConfigUpdate=true")})
	if lines := strings.Split(strings.TrimSpace(errLines(err)), "\n"); err == nil || len(lines) != 1 || !strings.Contains(lines[0], "-DavoidConfigUpdate=true, but there is no conf/carbon.xml") {
		t.Errorf("err = %v", err)
	}
}

// Finding 8: ports the source shows never open are off, with the
// documentation's claim beside the source.
func TestUpstreamNeverOpens(t *testing.T) {
	for _, tc := range []struct {
		home  string
		ports []string
	}{
		{"wso2mi-4.2.0", []string{"ldap", "kdc", "jmx-registry", "jmx-server", "hazelcast", "multicast"}},
		{"wso2mi-1.0.0", []string{"ldap", "kdc", "jmx-registry", "jmx-server", "hazelcast", "multicast"}},
		{"carbon-4.4.40", []string{"ldap", "kdc"}},
	} {
		spec := resolveHome(t, upstreamHome(t, tc.home), nil)
		for _, n := range tc.ports {
			p := want(t, spec, n, Off, -1)
			if !strings.Contains(p.Condition, "never opens") || !strings.Contains(p.Condition, "documentation") || strings.Contains(p.Condition, "UNCONFIRMED") {
				t.Errorf("%s %s: %q", tc.home, n, p.Condition)
			}
		}
	}
	// MI 1.0 attaches log4j 1.x's SyslogAppender: a random UDP port.
	spec := resolveHome(t, upstreamHome(t, "wso2mi-1.0.0"), nil)
	i := slices.IndexFunc(spec.Random, func(k RandomKind) bool { return k.Kind == "syslog" })
	if i < 0 {
		t.Errorf("MI 1.0: no syslog kind among %+v", spec.Random)
	} else if k := spec.Random[i]; !k.Expected || k.Proto != UDP || !strings.Contains(k.Why, "conf/log4j.properties:175") {
		t.Errorf("MI 1.0 syslog %+v", k)
	}
	// IS 7 ships JMX off.
	is7, err := Resolve(Input{Profile: flag("profile", "is-7")})
	if err != nil {
		t.Fatal(err)
	}
	want(t, is7, "jmx-registry", Off, -1)
	// An offset that pushes only ports MI never opens past 65535 is fine.
	if _, err := Resolve(Input{Profile: flag("profile", "mi"), Offset: flag("offset", "55000")}); err != nil {
		t.Errorf("offset 55000 on MI: %v", err)
	}
}

// Finding 9, one case each.
func TestUpstreamSmallOnes(t *testing.T) {
	t.Run("a comment before StartRMIServer's text is what Carbon reads", func(t *testing.T) {
		home := upstreamHome(t, "carbon-4.4.40")
		edit(t, home, "repository/conf/etc/jmx.xml", "<StartRMIServer>true", "<StartRMIServer><!-- c -->true")
		p := want(t, resolveHome(t, home, nil), "jmx-registry", Off, -1)
		if !strings.Contains(p.Condition, "first child node, a comment <!-- c -->, not its text \"true\"") {
			t.Errorf("condition %q", p.Condition)
		}
	})
	t.Run("a pretty-printed Offset stops Carbon: warned", func(t *testing.T) {
		home := upstreamHome(t, "wso2mi-1.0.0")
		edit(t, home, "conf/carbon.xml", "<Offset>10</Offset>", "<Offset>\n            10\n        </Offset>")
		spec := resolveHome(t, home, nil)
		if !hasNote(spec, "conf/carbon.xml:129 <Offset>", "white space around the number", "fails to start") {
			t.Errorf("notes %q", spec.Notes)
		}
	})
	t.Run("an internal DTD entity in carbon.xml blames carbon.xml only", func(t *testing.T) {
		home := upstreamHome(t, "carbon-4.4.40")
		edit(t, home, "repository/conf/carbon.xml", "<Server xmlns", "<!DOCTYPE Server [<!ENTITY off \"0\">]>\n<Server xmlns")
		edit(t, home, "repository/conf/carbon.xml", "<Offset>0</Offset>", "<Offset>&off;</Offset>")
		_, err := Resolve(Input{CarbonHome: flag("carbon-home", home)})
		lines := strings.Split(strings.TrimSpace(errLines(err)), "\n")
		if err == nil || len(lines) != 1 || !strings.Contains(lines[0], "carbon.xml:131: XML syntax error: invalid character entity &off;") {
			t.Errorf("errors:\n%s", strings.Join(lines, "\n"))
		}
	})
	t.Run("a byte-order mark in deployment.toml is named as one", func(t *testing.T) {
		home := upstreamHome(t, "wso2mi-4.2.0")
		data, _ := os.ReadFile(filepath.Join(home, "conf", "deployment.toml"))
		writeFile(t, filepath.Join(home, "conf", "deployment.toml"), "\xEF\xBB\xBF"+string(data))
		spec, err := Resolve(Input{CarbonHome: flag("carbon-home", home)})
		if err != nil || strings.Contains(strings.Join(spec.Notes, "\n"), "U+00EF") || !hasNote(spec, "conf/deployment.toml:1 starts with a UTF-8 byte-order mark") {
			t.Errorf("err %v, notes %q", err, spec.Notes)
		}
	})
	t.Run("the bare kernel's version is in wso2carbon-version.txt", func(t *testing.T) {
		spec := resolveHome(t, upstreamHome(t, "carbon-4.4.40"), nil)
		if spec.Version != "4.4.40" || !strings.Contains(spec.Chosen, "bin/wso2carbon-version.txt:1") || len(spec.Notes) != 0 {
			t.Errorf("version %q chosen %q notes %q", spec.Version, spec.Chosen, spec.Notes)
		}
	})
	t.Run("a log4j2 syslog appender over TCP opens no random port", func(t *testing.T) {
		s := ParseLog4j2([]byte("appenders = S\nappender.S.type = Syslog\nappender.S.name = S\nappender.S.host = localhost\n"), "log4j2.properties")
		if s.Opens || !strings.Contains(s.Why, "keeping no socket while nothing listens there") {
			t.Errorf("%+v", s)
		}
	})
}

// Every upstream home resolves without a problem, and every port row
// names where its number came from.
func TestUpstreamHomesResolve(t *testing.T) {
	entries, err := os.ReadDir(filepath.Join("testdata", "upstream"))
	if err != nil {
		t.Fatal(err)
	}
	var homes []string
	for _, e := range entries {
		if e.IsDir() {
			homes = append(homes, e.Name())
		}
	}
	if !slices.Contains(homes, "carbon-4.4.40") || len(homes) < 7 {
		t.Fatalf("homes %v", homes)
	}
	for _, h := range homes {
		spec, err := Resolve(Input{CarbonHome: flag("carbon-home", filepath.Join("testdata", "upstream", h))})
		if err != nil {
			t.Errorf("%s: %v", h, errLines(err))
			continue
		}
		for _, p := range spec.Ports {
			if p.Source == "" || p.Why == "" {
				t.Errorf("%s %s: no source or why", h, p.Name)
			}
		}
	}
}

// A placeholder's value is not searched for placeholders again, so a
// variable that names itself cannot grow a value without end.
func TestPlaceholderValuesAreNotExpandedAgain(t *testing.T) {
	v := vars{environ: env(map[string]string{"X": "$env{X}$env{X}"}), envFrom: "test", props: sysProps{"p": "${p}${p}"}}
	for _, val := range []string{"$env{X}", "${p}", "${X}"} {
		for _, file := range []string{"conf/deployment.toml", "conf/carbon.xml"} {
			v.toml = &DeploymentTOML{File: "conf/deployment.toml", Values: map[string]Setting{}}
			out, unknown, err := v.expand(Setting{Value: val, File: file, Line: 1, Key: "k"}, "/h")
			if err != nil || unknown != "" || len(out.Value) > 16 {
				t.Errorf("%s in %s: %q %q %v", val, file, out.Value, unknown, err)
			}
		}
	}
	v.toml.Values["a"] = Setting{Value: "$ref{a}", File: "conf/deployment.toml", Line: 2, Key: "a"}
	if _, _, err := v.expand(Setting{Value: "$ref{a}", File: "conf/deployment.toml", Line: 3, Key: "b"}, "/h"); err == nil || !strings.Contains(err.Error(), "conf/deployment.toml:2: a \"$ref{a}\": $ref{} references nest deeper than 8") {
		t.Errorf("a loop of references: %v", err)
	}
}

// The new readers are bounded like the old: a FIFO among the inbound
// endpoints or as catalina-server.xml is refused unread, one line each.
func TestHostileNewFiles(t *testing.T) {
	apim := upstreamHome(t, "wso2am-2.5.0")
	ie := filepath.Join(apim, "repository/deployment/server/synapse-configs/default/inbound-endpoints")
	cat := filepath.Join(apim, "repository/conf/tomcat/catalina-server.xml")
	if err := os.Remove(cat); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{filepath.Join(ie, "fifo.xml"), cat} {
		if err := syscall.Mkfifo(p, 0o644); err != nil {
			t.Skip("mkfifo:", err)
		}
	}
	big := filepath.Join(ie, "big.xml")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := os.Truncate(big, 1<<30); err != nil {
		t.Fatal(err)
	}
	_, err = Resolve(Input{CarbonHome: flag("carbon-home", apim)})
	got := errLines(err)
	for _, want := range []string{
		filepath.Join(ie, "fifo.xml") + ": not a regular file (a named pipe)",
		filepath.Join(ie, "big.xml") + ": larger than 4 MiB (1073741824 bytes): not a configuration file",
		cat + ": not a regular file (a named pipe)",
	} {
		if !strings.Contains(got, want+"\n") {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
}

// The packs are told by bin/version.txt too, as each pack's filter.properties names it.
func TestDetectPacksByVersionFile(t *testing.T) {
	for name, want := range map[string]string{
		"WSO2 Universal Gateway v4.5.0": "apim-gw", "WSO2 Traffic Manager v4.5.0": "apim-tm", "WSO2 API Control Plane v4.5.0": "apim-acp",
	} {
		dir := home(t, map[string]string{"bin/version.txt": name + "\n", "repository/conf/deployment.toml": "[server]\n"})
		spec, err := Resolve(Input{CarbonHome: flag("carbon-home", dir)})
		if err != nil || spec.Profile != want || spec.Version != "4.5.0" {
			t.Errorf("%s: %s %s %v", name, spec.Profile, spec.Version, err)
		}
	}
}
