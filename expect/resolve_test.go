package expect

import (
	"github.com/carbonprobe/carbonprobe/internal/text"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// numbers maps port names to effective numbers, for compact expectations.
func numbers(spec Spec) map[string]int {
	out := map[string]int{}
	for _, p := range spec.Ports {
		out[p.Name] = p.Number
	}
	return out
}

func flag(name, v string) Text { return Text{Value: v, Origin: "flag --" + name} }

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// carbonXML is a trimmed carbon.xml in Carbon 4.4's real shape: a default
// namespace, comments, and <Offset> inside <Ports> on line 8.
func carbonXML(offset string) string {
	return `<?xml version="1.0" encoding="ISO-8859-1"?>
<!-- Copyright 2005-2011 WSO2, Inc. -->
<Server xmlns="http://wso2.org/projects/carbon/carbon.xml">
    <Name>WSO2 Carbon</Name>
    <HostName>localhost</HostName>
    <Ports>
        <!-- Ports offset. -->
        <Offset>` + offset + `</Offset>
        <JMX>
            <RMIRegistryPort>9999</RMIRegistryPort>
            <RMIServerPort>11111</RMIServerPort>
        </JMX>
    </Ports>
</Server>
`
}

func TestResolveOffsets(t *testing.T) {
	home := t.TempDir()
	writeFile(t, filepath.Join(home, "repository", "conf", "carbon.xml"), carbonXML("5"))
	miHome := t.TempDir()
	writeFile(t, filepath.Join(miHome, "conf", "carbon.xml"), carbonXML("7"))

	tests := []struct {
		name    string
		in      Input
		kind    OffsetKind
		offset  int
		ports   map[string]int
		whyPort string // a port whose Why must read exactly why
		why     string
	}{
		{
			name: "mi default is the built-in 10",
			in:   Input{Profile: flag("profile", "mi")},
			kind: OffsetDefault, offset: 10,
			ports:   map[string]int{"passthrough-http": 8290, "passthrough-https": 8253, "internal-http": 9201, "management-https": 9164, "jmx-registry": 10009, "jmx-server": 11121, "hazelcast": 4000, "multicast": 45564, "kdc": 8010},
			whyPort: "passthrough-http", why: "8280 + offset 10 (MI's built-in 10)",
		},
		{
			name: "an explicit offset replaces MI's 10, it does not add to it",
			in:   Input{Profile: flag("profile", "mi"), Offset: flag("offset", "3")},
			kind: OffsetFlag, offset: 3,
			ports:   map[string]int{"passthrough-http": 8283, "passthrough-https": 8246, "management-https": 9157, "internal-http": 9194},
			whyPort: "passthrough-http", why: "8280 + offset 3 (replaces MI's built-in 10)",
		},
		{
			name: "offset 0 on MI is the sources' 8280, not the docs' 8290",
			in:   Input{Offset: flag("offset", "0")},
			kind: OffsetFlag, offset: 0,
			ports: map[string]int{"passthrough-http": 8280},
		},
		{
			name: "the Hazelcast ports take no offset",
			in:   Input{Profile: flag("profile", "carbon"), Offset: flag("offset", "2")},
			kind: OffsetFlag, offset: 2,
			ports:   map[string]int{"https": 9445, "http": 9765, "jmx-registry": 10001, "jmx-server": 11113, "ldap": 10391, "kdc": 8002, "hazelcast": 4000, "multicast": 45564},
			whyPort: "hazelcast", why: "4000 (no offset: Hazelcast's localMemberPort takes no offset)",
		},
		{
			name: "carbon default 0",
			in:   Input{Profile: flag("profile", "carbon")},
			kind: OffsetDefault, offset: 0,
			ports:   map[string]int{"https": 9443, "jmx-registry": 9999, "jmx-server": 11111},
			whyPort: "https", why: "9443 + offset 0 (Carbon's default 0)",
		},
		{
			name: "the flag beats -DportOffset and carbon.xml",
			in: Input{Profile: flag("profile", "carbon"), Offset: flag("offset", "1"),
				JavaOpts: flag("java-opts", "-DportOffset=4"), CarbonHome: flag("carbon-home", home)},
			kind: OffsetFlag, offset: 1,
			ports: map[string]int{"https": 9444},
		},
		{
			name: "-DportOffset beats carbon.xml; the last one wins, as after the main class",
			in: Input{Profile: flag("profile", "carbon"),
				JavaOpts:   Text{Value: `-Xms256m "-DportOffset=2" org.wso2.carbon.bootstrap.Bootstrap -DportOffset=4`, Origin: "$JAVA_OPTS"},
				CarbonHome: flag("carbon-home", home)},
			kind: OffsetSysProp, offset: 4,
			ports:   map[string]int{"https": 9447},
			whyPort: "https", why: "9443 + offset 4",
		},
		{
			name: "java options without -DportOffset fall through to carbon.xml",
			in: Input{Profile: flag("profile", "carbon"), JavaOpts: flag("java-opts", "-Xmx1g -Dfoo.portOffset=9"),
				CarbonHome: flag("carbon-home", home)},
			kind: OffsetCarbonXML, offset: 5,
			ports: map[string]int{"https": 9448},
		},
		{
			name: "EI 6 and MI keep carbon.xml in conf/",
			in:   Input{Profile: flag("profile", "mi"), CarbonHome: flag("carbon-home", miHome)},
			kind: OffsetCarbonXML, offset: 7,
			ports:   map[string]int{"passthrough-http": 8287},
			whyPort: "passthrough-http", why: "8280 + offset 7 (replaces MI's built-in 10)",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			spec, err := Resolve(tc.in)
			if err != nil {
				t.Fatalf("Resolve: %v", err)
			}
			if spec.Offset.Kind != tc.kind || spec.Offset.Value != tc.offset {
				t.Errorf("offset = %d from %s (%s), want %d from %s", spec.Offset.Value, spec.Offset.Kind, spec.Offset.From, tc.offset, tc.kind)
			}
			got := numbers(spec)
			for name, want := range tc.ports {
				if got[name] != want {
					t.Errorf("port %s = %d, want %d", name, got[name], want)
				}
			}
			if tc.whyPort != "" {
				for _, p := range spec.Ports {
					if p.Name == tc.whyPort && p.Why != tc.why {
						t.Errorf("%s why = %q, want %q", p.Name, p.Why, tc.why)
					}
				}
			}
		})
	}
}

func TestOffsetFromCarbonXMLNamesFileAndLine(t *testing.T) {
	home := t.TempDir()
	path := filepath.Join(home, "repository", "conf", "carbon.xml")
	writeFile(t, path, carbonXML("3"))
	spec, err := Resolve(Input{Profile: flag("profile", "carbon"), CarbonHome: Text{home, "$CARBON_HOME"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := "repository/conf/carbon.xml:8 <Offset>"; spec.Offset.From != want {
		t.Errorf("offset from %q, want %q", spec.Offset.From, want)
	}
}

func TestResolveErrorsAllAtOnce(t *testing.T) {
	broken := t.TempDir()
	writeFile(t, filepath.Join(broken, "repository", "conf", "carbon.xml"), "<Server>\n<Ports>\n<Offset>1</Offset>\n</Portz>\n</Server>\n")
	badOffset := t.TempDir()
	writeFile(t, filepath.Join(badOffset, "conf", "carbon.xml"), carbonXML("three"))
	notHome := t.TempDir()

	tests := []struct {
		name   string
		in     Input
		want   []string // each must appear, each on its own line
		absent []string // none may appear
	}{
		{
			name: "non-numeric and negative offsets, unknown profile",
			in:   Input{Profile: flag("profile", "esb"), Offset: flag("offset", "abc"), JavaOpts: flag("java-opts", "-DportOffset=-2")},
			want: []string{
				`flag --profile: unknown profile "esb" (known: ` + strings.Join(ProfileNames(), ", ") + `)`,
				`flag --offset: "abc" is not a whole number`,
				`flag --java-opts: -DportOffset: -2 is negative; a port offset is 0 or more`,
			},
		},
		{
			name:   "an offset that pushes ports past 65535 names each port",
			in:     Input{Profile: flag("profile", "carbon"), Offset: flag("offset", "55000")},
			want:   []string{"offset 55000 from flag --offset pushes port jmx-server (11111) to 66111, past 65535"},
			absent: []string{"pushes port https"}, // 9443 + 55000 fits
		},
		{
			name: "malformed carbon.xml: file and line",
			in:   Input{Profile: flag("profile", "carbon"), CarbonHome: flag("carbon-home", broken)},
			want: []string{filepath.Join(broken, "repository", "conf", "carbon.xml") + ":4: XML syntax error: element <Ports> closed by </Portz>"},
		},
		{
			name: "a bad <Offset> value: file and line",
			in:   Input{Profile: flag("profile", "mi"), CarbonHome: flag("carbon-home", badOffset)},
			want: []string{filepath.Join(badOffset, "conf", "carbon.xml") + `:8: <Offset> "three" is not a whole number`},
		},
		{
			name: "a home without carbon.xml, and a flag-given offset does not hide it",
			in:   Input{Offset: flag("offset", "1"), CarbonHome: flag("carbon-home", notHome)},
			want: []string{"flag --carbon-home " + notHome + ": no carbon.xml or deployment.toml in repository/conf or conf: is this a Carbon home?"},
		},
		{
			name: "a home that does not exist",
			in:   Input{CarbonHome: Text{"/nonexistent/wso2mi", "$CARBON_HOME"}},
			want: []string{"$CARBON_HOME /nonexistent/wso2mi: no such directory"},
		},
		{
			name: "profile none without ports, and with an offset flag",
			in:   Input{Profile: flag("profile", "none"), Offset: flag("offset", "3")},
			want: []string{
				"flag --offset: profile none has no offset ports; --ports numbers are dialled as given",
				"flag --profile none: give the ports to check with --ports",
			},
		},
		{
			name: "an ad-hoc port that is also a profile port",
			in:   Input{Profile: flag("profile", "carbon"), Ports: flag("ports", "9443,8080")},
			want: []string{"port 9443/tcp is named twice: https and 9443/tcp"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Resolve(tc.in)
			if err == nil {
				t.Fatal("Resolve succeeded, want errors")
			}
			lines := strings.Split(strings.TrimSpace(errLines(err)), "\n")
			for _, want := range tc.want {
				if !slices.Contains(lines, want) {
					t.Errorf("missing line %q in:\n%s", want, strings.Join(lines, "\n"))
				}
			}
			for _, bad := range tc.absent {
				if got := errLines(err); strings.Contains(got, bad) {
					t.Errorf("reported %q, which should not be a problem:\n%s", bad, got)
				}
			}
		})
	}
}

// errLines renders a multierror one problem per line, as main does.
func errLines(err error) string {
	type wrapped interface{ WrappedErrors() []error }
	if m, ok := err.(wrapped); ok {
		var b strings.Builder
		for _, e := range m.WrappedErrors() {
			b.WriteString(errLines(e) + "\n")
		}
		return b.String()
	}
	return err.Error()
}

func TestUnreadableCarbonXML(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads files whatever their mode")
	}
	home := t.TempDir()
	path := filepath.Join(home, "repository", "conf", "carbon.xml")
	writeFile(t, path, carbonXML("1"))
	if err := os.Chmod(path, 0); err != nil {
		t.Fatal(err)
	}
	_, err := Resolve(Input{Profile: flag("profile", "carbon"), CarbonHome: flag("carbon-home", home)})
	if err == nil || err.Error() == "" || !strings.Contains(errLines(err), path+": permission denied") {
		t.Fatalf("err = %v, want %s: permission denied", err, path)
	}
}

func TestCarbonXMLIsADirectory(t *testing.T) {
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, "repository", "conf", "carbon.xml"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := Resolve(Input{Profile: flag("profile", "carbon"), CarbonHome: flag("carbon-home", home)})
	if err == nil || !strings.Contains(err.Error(), "carbon.xml: read") && !strings.Contains(err.Error(), "is a directory") {
		t.Fatalf("err = %v, want a read error naming carbon.xml", err)
	}
}

func TestCarbonXMLTooLarge(t *testing.T) {
	home := t.TempDir()
	path := filepath.Join(home, "repository", "conf", "carbon.xml")
	writeFile(t, path, "<Server>"+strings.Repeat(" ", maxConfigBytes)+"</Server>")
	_, err := Resolve(Input{Profile: flag("profile", "carbon"), CarbonHome: flag("carbon-home", home)})
	if err == nil || !strings.Contains(err.Error(), path+": larger than 4 MiB") {
		t.Fatalf("err = %v, want a size error naming the file", err)
	}
}

func TestCarbonXMLEntityBombIsRefused(t *testing.T) {
	home := t.TempDir()
	path := filepath.Join(home, "repository", "conf", "carbon.xml")
	bomb := `<?xml version="1.0"?>
<!DOCTYPE Server [
 <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
]>
<Server><Ports><Offset>&c;</Offset></Ports></Server>
`
	writeFile(t, path, bomb)
	_, err := Resolve(Input{Profile: flag("profile", "carbon"), CarbonHome: flag("carbon-home", home)})
	if err == nil || !strings.Contains(err.Error(), path+":7: XML syntax error: invalid character entity &c;") {
		t.Fatalf("err = %v, want the undefined entity reported at line 7", err)
	}
}

func TestParsePorts(t *testing.T) {
	ports, err := ParsePorts("8080, 9443-9445,8000/udp,10389=ldap,88=kdc,89/tcp=kdc,9999=RMI-Registry", "flag --ports")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range ports {
		got = append(got, p.Key()+"="+string(p.Role))
	}
	want := "tcp/8080=tcp tcp/9443=tcp tcp/9444=tcp tcp/9445=tcp udp/8000=udp tcp/10389=ldap udp/88=kdc tcp/89=kdc tcp/9999=rmi-registry"
	if strings.Join(got, " ") != want {
		t.Errorf("got  %s\nwant %s", strings.Join(got, " "), want)
	}
	for _, p := range ports {
		if !p.AdHoc || p.Need != Required || p.Number != p.Base {
			t.Errorf("%s: ad-hoc ports are required and taken as given: %+v", p.Name, p)
		}
	}
}

// TestParsePortsLimit: at most maxAdHoc ports, said once, whatever the
// entries; the ports before the limit are not reported twice.
func TestParsePortsLimit(t *testing.T) {
	ports, err := ParsePorts("1-65535,1-65535,7,8-9", "flag --ports")
	if lines := text.Lines(err); len(lines) != 1 || lines[0] != "flag --ports: more than 131070 ports" {
		t.Errorf("err = %v", err)
	}
	if len(ports) != 131070 {
		t.Errorf("%d ports kept, want 131070", len(ports))
	}
	if _, err := ParsePorts("1-65535,1-65535", "flag --ports"); err != nil {
		t.Errorf("exactly the limit: %v", err)
	}
}

func TestParsePortsErrors(t *testing.T) {
	_, err := ParsePorts("0,x,9450-9443,80/sctp,80=foo,389/udp=ldap,70000", "flag --ports")
	if err == nil {
		t.Fatal("no error")
	}
	want := []string{
		`flag --ports "0": 0 is not a port number (1-65535)`,
		`flag --ports "x": "x" is not a port number`,
		`flag --ports "9450-9443": range 9450-9443 runs backwards`,
		`flag --ports "80/sctp": protocol "sctp" is neither tcp nor udp`,
		`flag --ports "80=foo": unknown role "foo" (known: tcp, udp, http, https, ldap, kdc, rmi-registry, rmi-server)`,
		`flag --ports "389/udp=ldap": ldap answers over tcp, not udp`,
		`flag --ports "70000": 70000 is not a port number (1-65535)`,
	}
	if got := strings.TrimSpace(errLines(err)); got != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
}

func TestProfilesAreValid(t *testing.T) {
	for _, name := range ProfileNames() {
		if name == NoProfile {
			continue
		}
		p, err := LookupProfile(name)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Ports) == 0 || len(p.MainClasses) == 0 {
			t.Errorf("%s: no ports or no main class", name)
		}
	}
}

func TestProfileValidationCatchesBadRows(t *testing.T) {
	bad := `name = "x"
title = "X"
default_offset_source = "here"
[[port]]
name = "a"
base = 70000
role = "http"
need = "required"
source = "s"
[[port]]
name = "b"
base = 1
proto = "udp"
role = "http"
need = "required"
source = "s"
[[port]]
name = "c"
base = 2
role = "tcp"
need = "optional"
source = "s"
`
	_, err := parseProfile("x.toml", []byte(bad))
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"port a: base 70000", "port b: role \"http\" does not fit proto udp", "port c: an optional port needs a condition"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in %v", want, err)
		}
	}
}

// TestParsePortsHTTPPath: an http or https port may name the path to
// request; then a 2xx or 3xx status is what counts.
func TestParsePortsHTTPPath(t *testing.T) {
	ports, err := ParsePorts("9201=http:/healthz,9164=https:/management/health", "flag --ports")
	if err != nil {
		t.Fatal(err)
	}
	if ports[0].HTTP == nil || ports[0].HTTP.Path != "/healthz" || ports[1].HTTP.Path != "/management/health" || ports[1].Role != RoleHTTPS {
		t.Errorf("got %+v %+v", ports[0].HTTP, ports[1].HTTP)
	}
	_, err = ParsePorts("9201=ldap:/x,9202=http:healthz,9203=http:/a b", "flag --ports")
	for _, want := range []string{
		`"9201=ldap:/x": a path, a status, a body or a header goes with role http or https, not ldap`,
		`"9202=http:healthz": path "healthz": want an absolute path, starting with /`,
		`"9203=http:/a b": path "/a b": no spaces or control characters`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("errors lack %q:\n%v", want, err)
		}
	}
}
