package expect

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
)

// home writes a Carbon home from relative paths and contents.
func home(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for rel, text := range files {
		writeFile(t, filepath.Join(dir, rel), text)
	}
	return dir
}

func portByName(t *testing.T, spec Spec, name string) Port {
	t.Helper()
	for _, p := range spec.Ports {
		if p.Name == name {
			return p
		}
	}
	t.Fatalf("no port %s in %s", name, spec.Profile)
	return Port{}
}

const tomlOffset4 = "[server]\nhostname = \"localhost\"\noffset = 4\n"

// TestOffsetPrecedence is Carbon's order, highest first: the flag, then
// -DportOffset, then deployment.toml, then carbon.xml, then the profile's
// default; where a deployment.toml exists, carbon.xml is rendered from it
// and not read.
func TestOffsetPrecedence(t *testing.T) {
	carbonEra := map[string]string{"bin/wso2server.sh": "#!/bin/sh\n", "repository/conf/carbon.xml": carbonXML("5")}
	tomlEra := map[string]string{"bin/wso2server.sh": "#!/bin/sh\n", "repository/conf/carbon.xml": carbonXML("5"),
		"repository/conf/deployment.toml": tomlOffset4}
	tomlNoOffset := map[string]string{"bin/wso2server.sh": "#!/bin/sh\n", "repository/conf/carbon.xml": carbonXML("5"),
		"repository/conf/deployment.toml": "[server]\nhostname = \"localhost\"\n#offset=0\n"}
	miHome := map[string]string{"bin/micro-integrator.sh": "#!/bin/sh\n", "conf/deployment.toml": "[server]\noffset = 3\n"}
	miNoOffset := map[string]string{"bin/micro-integrator.sh": "#!/bin/sh\n", "conf/deployment.toml": "[server]\nhostname = \"localhost\"\n"}

	tests := []struct {
		name     string
		files    map[string]string
		offset   string
		javaOpts string
		kind     OffsetKind
		value    int
		from     string
		https    int // the https port, or passthrough-http on MI
	}{
		{"the flag beats everything", tomlEra, "1", "-DportOffset=2", OffsetFlag, 1, "flag --offset", 9444},
		{"-DportOffset beats deployment.toml", tomlEra, "", "-Xmx1g -DportOffset=2", OffsetSysProp, 2, "-DportOffset=2 in flag --java-opts", 9445},
		{"deployment.toml beats carbon.xml", tomlEra, "", "", OffsetTOML, 4, "repository/conf/deployment.toml:3 [server] offset", 9447},
		{"carbon.xml where there is no deployment.toml", carbonEra, "", "", OffsetCarbonXML, 5, "repository/conf/carbon.xml:8 <Offset>", 9448},
		{"-DportOffset beats carbon.xml", carbonEra, "", "-DportOffset=2", OffsetSysProp, 2, "-DportOffset=2 in flag --java-opts", 9445},
		{"deployment.toml without offset: the template's default, not carbon.xml's", tomlNoOffset, "", "", OffsetDefault, 0, "profile carbon's default (Carbon's default 0)", 9443},
		{"the profile's default with no home files saying", nil, "", "", OffsetDefault, 0, "profile carbon's default (Carbon's default 0)", 9443},
		{"MI: deployment.toml's offset replaces the built-in 10", miHome, "", "", OffsetTOML, 3, "conf/deployment.toml:2 [server] offset", 8283},
		{"MI: no offset anywhere is the built-in 10", miNoOffset, "", "", OffsetDefault, 10, "profile mi's default (MI's built-in 10)", 8290},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := Input{}
			if tc.files != nil {
				in.CarbonHome = flag("carbon-home", home(t, tc.files))
			} else {
				in.Profile = flag("profile", "carbon")
			}
			if tc.offset != "" {
				in.Offset = flag("offset", tc.offset)
			}
			if tc.javaOpts != "" {
				in.JavaOpts = flag("java-opts", tc.javaOpts)
			}
			spec, err := Resolve(in)
			if err != nil {
				t.Fatal(err)
			}
			if spec.Offset.Kind != tc.kind || spec.Offset.Value != tc.value || spec.Offset.From != tc.from {
				t.Errorf("offset %d from %s (%q), want %d from %s (%q)", spec.Offset.Value, spec.Offset.Kind, spec.Offset.From, tc.value, tc.kind, tc.from)
			}
			name := "https"
			if spec.Profile == "mi" {
				name = "passthrough-http"
			}
			if got := portByName(t, spec, name).Number; got != tc.https {
				t.Errorf("%s = %d, want %d", name, got, tc.https)
			}
		})
	}
}

func TestDetectHome(t *testing.T) {
	tests := []struct {
		name         string
		dir          string // the home's own name, under a temp dir
		files        map[string]string
		product, ver string
		evidence     string
		note         string
		profile      string
	}{
		{"API-M 4 by its script and product.txt", "pack", map[string]string{"bin/api-manager.sh": "", "updates/product.txt": "wso2am-4.2.0", "repository/conf/deployment.toml": ""},
			"apim", "4.2.0", "bin/api-manager.sh; updates/product.txt:1 wso2am-4.2.0", "", "apim-4"},
		{"wso2server.sh names no product: version.txt does", "pack", map[string]string{"bin/wso2server.sh": "", "bin/version.txt": "WSO2 Identity Server v5.7.0\n", "repository/conf/carbon.xml": carbonXML("0")},
			"is", "5.7.0", "bin/wso2server.sh; bin/version.txt:1 WSO2 Identity Server v5.7.0", "", "is-5"},
		{"the directory name, as the zip unpacks", "wso2is-5.11.0", map[string]string{"bin/wso2server.sh": "", "repository/conf/deployment.toml": ""},
			"is", "5.11.0", "bin/wso2server.sh; the directory name wso2is-5.11.0", "", "is-5.10"},
		{"EI 6 by its runtime scripts", "pack", map[string]string{"bin/integrator.sh": "", "bin/broker.sh": "", "bin/version.txt": "WSO2 Enterprise Integrator v6.6.0", "conf/carbon.xml": carbonXML("0")},
			"ei6", "6.6.0", "bin/integrator.sh; bin/version.txt:1 WSO2 Enterprise Integrator v6.6.0", "", "ei6-integrator"},
		{"MI without a version file: assume the newest", "pack", map[string]string{"bin/micro-integrator.sh": "", "conf/deployment.toml": ""},
			"mi", "", "bin/micro-integrator.sh", "", "mi"},
		{"a version file that disagrees with the script", "pack", map[string]string{"bin/micro-integrator.sh": "", "updates/product.txt": "wso2am-4.2.0", "conf/deployment.toml": ""},
			"mi", "", "bin/micro-integrator.sh", "updates/product.txt:1 wso2am-4.2.0 names apim, but mi was found first", "mi"},
		{"a bare kernel", "pack", map[string]string{"bin/wso2server.sh": "", "bin/version.txt": "WSO2 Carbon Framework v4.4.40\n", "repository/conf/carbon.xml": carbonXML("0")},
			"carbon", "4.4.40", "bin/wso2server.sh; bin/version.txt:1 WSO2 Carbon Framework v4.4.40", "", "carbon"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), tc.dir)
			for rel, text := range tc.files {
				writeFile(t, filepath.Join(dir, rel), text)
			}
			d, err := DetectHome(dir)
			if err != nil {
				t.Fatal(err)
			}
			if d.Product != tc.product || d.Version != tc.ver || strings.Join(d.Evidence, "; ") != tc.evidence {
				t.Errorf("got %s %s [%s], want %s %s [%s]", d.Product, d.Version, strings.Join(d.Evidence, "; "), tc.product, tc.ver, tc.evidence)
			}
			if got := strings.Join(d.Notes, "; "); got != tc.note {
				t.Errorf("notes %q, want %q", got, tc.note)
			}
			spec, _ := Resolve(Input{CarbonHome: flag("carbon-home", dir)})
			if spec.Profile != tc.profile || spec.Version != tc.ver {
				t.Errorf("profile %s %s, want %s %s", spec.Profile, spec.Version, tc.profile, tc.ver)
			}
		})
	}
}

func TestProfileByVersion(t *testing.T) {
	for _, tc := range []struct{ product, version, runtime, want string }{
		{"mi", "1.0.0", "", "mi-1.0"}, {"mi", "1.2.0", "", "mi"}, {"mi", "4.4.0", "", "mi"},
		{"apim", "2.6.0", "", "apim-2"}, {"apim", "2.5.0", "", "apim-2"}, {"apim", "2.1.0", "", "apim-2"}, {"apim", "3.2.0", "", "apim-3"}, {"apim", "4.5.0", "", "apim-4"},
		{"is", "5.8.0", "", "is-5"}, {"is", "5.9.0", "", "is-5"}, {"is", "5.10.0", "", "is-5.10"}, {"is", "6.1.0", "", "is-7"}, {"is", "7.1.0", "", "is-7"},
		{"ei6", "6.5.0", "broker", "ei6-broker"}, {"ei6", "6.2.0", "analytics", "ei6-analytics"}, {"ei6", "6.6.0", "business-process", "ei6-business-process"},
	} {
		v, _ := parseVersion(tc.version)
		p, notes, err := pickProfile(tc.product, v, tc.runtime)
		if err != nil || p.Name != tc.want || len(notes) > 0 {
			t.Errorf("%s %s %s: %v %v %v, want %s", tc.product, tc.version, tc.runtime, p, notes, err, tc.want)
		}
	}
	// A version no profile covers: the product's default, said.
	v, _ := parseVersion("1.10.0")
	p, notes, _ := pickProfile("apim", v, "")
	if p.Name != "apim-4" || len(notes) != 1 || notes[0] != "no profile covers apim 1.10.0: using apim-4 (WSO2 API Manager 4.x)" {
		t.Errorf("%s %v", p.Name, notes)
	}
}

func TestEveryProductHasOneDefaultProfile(t *testing.T) {
	products, err := loadProducts()
	if err != nil {
		t.Fatal(err)
	}
	for _, pr := range products {
		defaults := 0
		for _, p := range Profiles() {
			if p.Product == pr.ID && p.Runtime == "" && p.Default {
				defaults++
			}
		}
		if pr.ID == "ei6" {
			continue // EI 6 picks by runtime; its integrator is the default
		}
		if defaults != 1 {
			t.Errorf("product %s: %d default profiles", pr.ID, defaults)
		}
	}
}

func TestRuntimes(t *testing.T) {
	ei := home(t, map[string]string{
		"bin/integrator.sh": "", "bin/broker.sh": "", "updates/product.txt": "wso2ei-6.5.0",
		"conf/carbon.xml": carbonXML("0"), "wso2/broker/conf/carbon.xml": carbonXML("3"),
	})
	spec, err := Resolve(Input{CarbonHome: flag("carbon-home", ei), Runtime: flag("runtime", "broker")})
	if err != nil {
		t.Fatal(err)
	}
	if spec.Profile != "ei6-broker" || spec.Offset.Value != 3 || spec.Offset.From != "wso2/broker/conf/carbon.xml:8 <Offset>" || portByName(t, spec, "https").Number != 9446 {
		t.Errorf("broker: %s, offset %d from %s", spec.Profile, spec.Offset.Value, spec.Offset.From)
	}
	if !strings.HasSuffix(spec.Chosen, "; flag --runtime broker") {
		t.Errorf("chosen = %q", spec.Chosen)
	}
	// Without --runtime: the integrator.
	spec, err = Resolve(Input{CarbonHome: flag("carbon-home", ei)})
	if err != nil || spec.Profile != "ei6-integrator" {
		t.Errorf("default runtime: %s, %v", spec.Profile, err)
	}
	// --profile ei6 is the integrator; with --runtime, that runtime.
	spec, err = Resolve(Input{Profile: flag("profile", "ei6"), Runtime: Text{"business-process", "$CARBONPROBE_RUNTIME"}})
	if err != nil || spec.Profile != "ei6-business-process" || spec.Offset.Value != 2 {
		t.Errorf("--profile ei6 --runtime business-process: %s offset %d, %v", spec.Profile, spec.Offset.Value, err)
	}
	// EI 6.5's analytics is not Carbon 4: say so.
	_, err = Resolve(Input{CarbonHome: flag("carbon-home", ei), Runtime: flag("runtime", "analytics")})
	if err == nil || !strings.Contains(err.Error(), "EI 6.4+ analytics is a WSO2 Stream Processor runtime") {
		t.Errorf("analytics on 6.5: %v", err)
	}

	for _, tc := range []struct {
		in   Input
		want string
	}{
		{Input{Runtime: flag("runtime", "gateway")}, `flag --runtime: "gateway" is not an EI 6 runtime (integrator, business-process, broker, analytics)`},
		{Input{Profile: flag("profile", "mi"), Runtime: flag("runtime", "broker")}, "flag --runtime: profile mi has one runtime; runtimes are EI 6's"},
		{Input{CarbonHome: flag("carbon-home", home(t, map[string]string{"bin/micro-integrator.sh": "", "conf/deployment.toml": ""})), Runtime: flag("runtime", "broker")},
			"flag --runtime: mi is not EI 6; runtimes are EI 6's"},
	} {
		if _, err := Resolve(tc.in); err == nil || !strings.Contains(errLines(err), tc.want) {
			t.Errorf("err = %v, want %q", err, tc.want)
		}
	}
}

// TestHomeDecidesEachPort covers the switches and numbers each file sets,
// and what every row then says.
func TestHomeDecidesEachPort(t *testing.T) {
	jmx := func(start, reg, srv string) string {
		return "<JMX xmlns=\"http://wso2.org/projects/carbon/jmx.xml\">\n<StartRMIServer>" + start + "</StartRMIServer>\n<HostName>localhost</HostName>\n" +
			"<RMIRegistryPort>" + reg + "</RMIRegistryPort>\n<RMIServerPort>" + srv + "</RMIServerPort>\n</JMX>\n"
	}
	axis2 := func(enable, scheme, member string) string {
		return "<axisconfig name=\"AxisJava2.0\">\n<clustering class=\"org.wso2.carbon.core.clustering.hazelcast.HazelcastClusteringAgent\" enable=\"" + enable + "\">\n" +
			"<parameter name=\"membershipScheme\">" + scheme + "</parameter>\n<parameter name=\"mcastPort\">45564</parameter>\n" +
			"<parameter name=\"localMemberPort\">" + member + "</parameter>\n</clustering>\n</axisconfig>\n"
	}
	base := func(extra map[string]string) map[string]string {
		m := map[string]string{"bin/wso2server.sh": "", "repository/conf/carbon.xml": carbonXML("2")}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	const stdJMX = "${Ports.JMX.RMIRegistryPort}"
	const stdSrv = "${Ports.JMX.RMIServerPort}"
	type row struct {
		name, need string
		number     int
		why, cond  string
	}
	tests := []struct {
		name  string
		files map[string]string
		rows  []row
	}{
		{"JMX on: carbon.xml's ports plus the offset", base(map[string]string{"repository/conf/etc/jmx.xml": jmx("true", stdJMX, stdSrv)}), []row{
			{"jmx-registry", "required", 10001, "9999 + offset 2 (repository/conf/carbon.xml:10 RMIRegistryPort; offset from carbon.xml <Offset>)", ""},
			{"jmx-server", "required", 11113, "11111 + offset 2 (repository/conf/carbon.xml:11 RMIServerPort; offset from carbon.xml <Offset>)", ""},
		}},
		{"JMX off", base(map[string]string{"repository/conf/etc/jmx.xml": jmx("false", stdJMX, stdSrv)}), []row{
			{"jmx-registry", "off", 10001, "", "not expected: JMX disabled (repository/conf/etc/jmx.xml:2 StartRMIServer=false)"},
		}},
		{"a literal in jmx.xml takes no offset", base(map[string]string{"repository/conf/etc/jmx.xml": jmx("TRUE", stdJMX, "11200")}), []row{
			{"jmx-server", "required", 11200, "11200 (repository/conf/etc/jmx.xml:5 RMIServerPort; a literal in jmx.xml: JMXServerManager adds no offset to it)", ""},
		}},
		{"no jmx.xml: no fixed JMX ports", base(nil), []row{
			{"jmx-registry", "off", 10001, "", "not expected: no repository/conf/etc/jmx.xml: Carbon's JMXServerManager then creates the RMI registry on port 0, a random one, not a fixed port (from its source, not tested at runtime)"},
		}},
		{"no <RMIServerPort>: the connector goes to a random port", base(map[string]string{"repository/conf/etc/jmx.xml": "<JMX><StartRMIServer>true</StartRMIServer><RMIRegistryPort>" + stdJMX + "</RMIRegistryPort></JMX>"}), []row{
			{"jmx-registry", "required", 10001, "", ""},
			{"jmx-server", "off", 11113, "", "not expected: repository/conf/etc/jmx.xml has no <RMIServerPort>: the JMX connector is exported on a random port"},
		}},
		{"clustering on with wka: the member port, no multicast", base(map[string]string{"repository/conf/axis2/axis2.xml": axis2("true", "wka", "4100")}), []row{
			{"hazelcast", "required", 4100, "4100 (repository/conf/axis2/axis2.xml:5 localMemberPort; clustering enabled, scheme wka; no offset)", ""},
			{"multicast", "off", 45564, "", "not expected: membershipScheme wka (repository/conf/axis2/axis2.xml:3 membershipScheme): multicast discovery only with multicast"},
		}},
		{"clustering on with multicast: both", base(map[string]string{"repository/conf/axis2/axis2.xml": axis2("true", "multicast", "4000")}), []row{
			{"hazelcast", "required", 4000, "", ""},
			{"multicast", "required", 45564, "45564 (repository/conf/axis2/axis2.xml:4 mcastPort; clustering enabled, scheme multicast; no offset)", ""},
		}},
		{"clustering off", base(map[string]string{"repository/conf/axis2/axis2.xml": axis2("false", "wka", "4000")}), []row{
			{"hazelcast", "off", 4000, "", "not expected: clustering disabled (repository/conf/axis2/axis2.xml:2 <clustering enable=\"false\">)"},
		}},
		{"deployment.toml switches JMX off and clustering on", map[string]string{"bin/wso2server.sh": "",
			"repository/conf/deployment.toml": "[server]\noffset = 1\n[monitoring.jmx]\nrmi_server_start = false\nrmi_registry_port = 9990\n[clustering]\nmembership_scheme = \"kubernetes\"\nlocal_member_port = \"4001\"\n"}, []row{
			{"jmx-registry", "off", 9991, "", "not expected: switched off (repository/conf/deployment.toml:4 [monitoring.jmx] rmi_server_start = false)"},
			{"hazelcast", "required", 4001, "4001 (repository/conf/deployment.toml:8 [clustering] local_member_port; clustering on, scheme kubernetes; no offset)", ""},
			{"multicast", "off", 45564, "", `not expected: membership_scheme "kubernetes" (repository/conf/deployment.toml:7 [clustering] membership_scheme): multicast discovery only with "multicast"`},
		}},
		{"a -D property fills a carbon.xml placeholder", map[string]string{"bin/wso2server.sh": "",
			"repository/conf/carbon.xml":  strings.Replace(carbonXML("2"), "9999", "${jmx.port}", 1),
			"repository/conf/etc/jmx.xml": jmx("true", stdJMX, stdSrv)}, []row{
			{"jmx-registry", "required", 10001, "9999 + offset 2 (repository/conf/carbon.xml:10 RMIRegistryPort; offset from carbon.xml <Offset>)", ""},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := Input{Profile: flag("profile", "carbon"), CarbonHome: flag("carbon-home", home(t, tc.files))}
			if strings.Contains(tc.name, "-D property") {
				in.JavaOpts = flag("java-opts", "-Djmx.port=9999 org.wso2.carbon.bootstrap.Bootstrap")
			}
			spec, err := Resolve(in)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range tc.rows {
				p := portByName(t, spec, r.name)
				if string(p.Need) != r.need || p.Number != r.number || (r.why != "" && p.Why != r.why) || (r.cond != "" && p.Condition != r.cond) {
					t.Errorf("%s: %s %d\n  why  %q\n  cond %q\nwant %s %d\n  why  %q\n  cond %q", r.name, p.Need, p.Number, p.Why, p.Condition, r.need, r.number, r.why, r.cond)
				}
			}
		})
	}
}

// The tests above name lines of carbonXML: check the helper keeps them.
func TestCarbonXMLHelperLines(t *testing.T) {
	cx, err := ParseCarbonXML([]byte(carbonXML("2")), "c")
	if err != nil {
		t.Fatal(err)
	}
	if cx.Ports["Ports.JMX.RMIRegistryPort"].Line != 10 || cx.Ports["Ports.JMX.RMIServerPort"].Line != 11 || cx.Offset.Line != 8 {
		t.Errorf("lines moved: %+v", cx.Ports)
	}
}

// TestBrokenFilesEachOneLine: every broken file of a home is reported, one
// line each with its file and line, however many there are.
func TestBrokenFilesEachOneLine(t *testing.T) {
	dir := home(t, map[string]string{
		"bin/wso2server.sh":                "",
		"repository/conf/carbon.xml":       strings.Replace(carbonXML("x2"), "11111", "${rmi.port}", 1),
		"repository/conf/etc/jmx.xml":      "<JMX>\n<StartRMIServer>true</StartRMIServer>\n<RMIRegistryPort>${Ports.JMX.Nope}</RMIRegistryPort>\n<RMIServerPort>${Ports.JMX.RMIServerPort}</RMIServerPort>\n</JMX>\n",
		"repository/conf/axis2/axis2.xml":  "<axisconfig>\n<clustering enable=\"true\">\n<parameter name=\"localMemberPort\">4000</parameter>\n</axisconfig>\n",
		"repository/conf/log4j.properties": "log4j.rootLogger=INFO\n",
	})
	_, err := Resolve(Input{Profile: flag("profile", "carbon"), CarbonHome: flag("carbon-home", dir), Offset: flag("offset", "-1")})
	if err == nil {
		t.Fatal("no error")
	}
	conf := filepath.Join(dir, "repository", "conf")
	want := []string{
		"flag --offset: -1 is negative; a port offset is 0 or more",
		filepath.Join(conf, "axis2", "axis2.xml") + ":4: XML syntax error: element <clustering> closed by </axisconfig>",
		filepath.Join(conf, "carbon.xml") + `:8: <Offset> "x2" is not a whole number`,
		filepath.Join(conf, "etc", "jmx.xml") + `:3: RMIRegistryPort "${Ports.JMX.Nope}": placeholder ${Ports.JMX.Nope} resolves to nothing: repository/conf/carbon.xml has no such element under <Server>`,
	}
	got := strings.Split(strings.TrimSpace(errLines(err)), "\n")
	for _, w := range want {
		found := false
		for _, l := range got {
			found = found || l == w
		}
		if !found {
			t.Errorf("missing %q in:\n%s", w, strings.Join(got, "\n"))
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d lines, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
}

func TestHostileFiles(t *testing.T) {
	deep := "<Server>" + strings.Repeat("<a>", 10000) + "</Server>"
	bomb := `<?xml version="1.0"?>
<!DOCTYPE Server [
 <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
]>
<Server><Ports><Offset>&b;</Offset></Ports></Server>
`
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, path string)
		want  string
	}{
		{"a 1 GB sparse file is refused by its size", func(t *testing.T, path string) {
			f, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			f.Close()
			if err := os.Truncate(path, 1<<30); err != nil {
				t.Fatal(err)
			}
		}, ": larger than 4 MiB (1073741824 bytes): not a configuration file"},
		{"a named pipe is refused, not opened", func(t *testing.T, path string) {
			if err := syscall.Mkfifo(path, 0o644); err != nil {
				t.Skip("mkfifo:", err)
			}
		}, ": not a regular file (a named pipe)"},
		{"a symlink to /dev/zero is refused", func(t *testing.T, path string) {
			if err := os.Symlink("/dev/zero", path); err != nil {
				t.Skip(err)
			}
		}, ": not a regular file (a character device)"},
		{"an entity bomb is a syntax error", func(t *testing.T, path string) { writeFile(t, path, bomb) },
			":6: XML syntax error: invalid character entity &b;"},
		{"10000 nested elements", func(t *testing.T, path string) { writeFile(t, path, deep) },
			":1: XML nests deeper than 100 elements: not a configuration file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "repository", "conf", "carbon.xml")
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			tc.setup(t, path)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := Resolve(Input{Profile: flag("profile", "carbon"), CarbonHome: flag("carbon-home", dir)})
			runtime.ReadMemStats(&after)
			if err == nil || errLines(err) != path+tc.want+"\n" && errLines(err) != path+tc.want {
				t.Errorf("err = %q, want %q", errLines(err), path+tc.want)
			}
			// Refused without reading: far less allocated than the file's size.
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 8<<20 {
				t.Errorf("allocated %d bytes reading a hostile file", grew)
			}
		})
	}
}

func TestValidationAllAtOnce(t *testing.T) {
	dir := home(t, map[string]string{
		"bin/wso2server.sh": "",
		// The member port is the HTTPS port, and the offset pushes the JMX server past 65535.
		"repository/conf/deployment.toml": "[server]\noffset = 55000\n[clustering]\nmembership_scheme = \"wka\"\nlocal_member_port = 64443\n",
	})
	_, err := Resolve(Input{Profile: flag("profile", "carbon"), CarbonHome: flag("carbon-home", dir)})
	if err == nil {
		t.Fatal("no error")
	}
	got := errLines(err)
	for _, want := range []string{
		"offset 55000 from repository/conf/deployment.toml:2 [server] offset pushes port jmx-server (11111) to 66111, past 65535",
		"port 64443/tcp is named twice: https and hazelcast",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
	if strings.Contains(got, "pushes port ldap") { // 10389 + 55000 fits
		t.Errorf("reported a port that fits:\n%s", got)
	}

	for _, tc := range []struct{ toml, want string }{
		{"[server]\noffset = \"ten\"\n", `deployment.toml:2: [server] offset "ten" is not a whole number`},
		{"[server]\noffset = -3\n", "deployment.toml:2: [server] offset -3 is negative; a port offset is 0 or more"},
		{"[server]\noffset = 70000\n", "deployment.toml:2: [server] offset 70000 is past 65535; no port can take it"},
	} {
		dir := home(t, map[string]string{"bin/wso2server.sh": "", "repository/conf/deployment.toml": tc.toml})
		_, err := Resolve(Input{Profile: flag("profile", "carbon"), CarbonHome: flag("carbon-home", dir)})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err = %v, want %q", tc.toml, err, tc.want)
		}
	}
}

func TestProfileFlagOverridesDetection(t *testing.T) {
	dir := home(t, map[string]string{"bin/api-manager.sh": "", "updates/product.txt": "wso2am-4.2.0", "repository/conf/deployment.toml": "[server]\noffset = 1\n"})
	spec, err := Resolve(Input{Profile: flag("profile", "is-7"), CarbonHome: flag("carbon-home", dir)})
	if err != nil {
		t.Fatal(err)
	}
	if spec.Profile != "is-7" || spec.Version != "" || spec.Offset.Value != 1 {
		t.Errorf("profile %s version %q offset %d", spec.Profile, spec.Version, spec.Offset.Value)
	}
	if len(spec.Notes) == 0 || spec.Notes[0] != "the home looks like apim (bin/api-manager.sh; updates/product.txt:1 wso2am-4.2.0); flag --profile is-7 overrides" {
		t.Errorf("notes = %q", spec.Notes)
	}
}
