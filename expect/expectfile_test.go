package expect

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The --expect examples of docs/expect.md, checked here.
const expectTOMLExample = `# Ports this deployment adds to the product's own.
[[port]]
name = "inbound-http"
base = 8295
role = "http"
source = "HTTP inbound endpoint OrderInbound, inbound.http.port 8295"

[[port]]
name = "hl7-inbound"
base = 9292
offset = false
need = "optional"
condition = "only while the HL7 inbound endpoint is deployed"
`

const expectYAMLExample = `# Ports this deployment adds to the product's own.
port:
  - name: inbound-http
    base: 8295
    role: http
    source: HTTP inbound endpoint OrderInbound, inbound.http.port 8295

  - name: hl7-inbound
    base: 9292
    offset: false
    need: optional
    condition: only while the HL7 inbound endpoint is deployed
`

func TestExpectFileExamples(t *testing.T) {
	for _, tc := range []struct{ file, text string }{
		{"ports.toml", expectTOMLExample},
		{"ports.yaml", expectYAMLExample},
		{"ports.yml", expectYAMLExample},
	} {
		t.Run(tc.file, func(t *testing.T) {
			rows, err := ParseExpectFile([]byte(tc.text), tc.file)
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 2 {
				t.Fatalf("%d rows, want 2", len(rows))
			}
			in, hl7 := rows[0], rows[1]
			// A TOML row starts at its [[port]] header, a YAML row at its "- name" line.
			firstLine, wantLine := 2, 8
			if tc.file != "ports.toml" {
				firstLine = 3
			}
			if in.Name != "inbound-http" || in.Base != 8295 || in.Role != RoleHTTP || in.Proto != TCP || in.Need != Required || in.Offset != nil || in.Line != firstLine {
				t.Errorf("first row = %+v", in)
			}
			if hl7.Name != "hl7-inbound" || hl7.Role != RoleTCP || hl7.Offset == nil || *hl7.Offset || hl7.Need != Optional || hl7.Line != wantLine {
				t.Errorf("second row = %+v (line want %d)", hl7, wantLine)
			}
		})
	}
}

// TestExpectFileHTTPRows: a readiness endpoint as an --expect row, and
// every bad HTTP field named with its line.
func TestExpectFileHTTPRows(t *testing.T) {
	rows, err := ParseExpectFile([]byte(`[[port]]
name = "ready"
base = 9191
role = "http"
path = "/healthz"
status = ["200", " 204 "]
body = '"status" *: *"ready"'
header = "Content-Type: json"
`), "x.toml")
	if err != nil || len(rows) != 1 {
		t.Fatalf("%v %+v", err, rows)
	}
	// " 204 " is 204: the status the check compares is the trimmed one.
	if h := rows[0].http(); h == nil || h.Path != "/healthz" || !slices.Equal(h.Status, []string{"200", "204"}) || h.Header != "Content-Type: json" {
		t.Errorf("http %+v", h)
	}
	_, err = ParseExpectFile([]byte(`[[port]]
name = "x"
base = 9191
role = "tcp"
path = "/healthz"

[[port]]
name = "y"
base = 9192
role = "http"
status = ["600", "2xx"]
body = "("
header = "no colon"
`), "x.toml")
	for _, want := range []string{
		`1: port "x": a path, a status, a body or a header goes with role http or https, not tcp`,
		`7: port "y": status "600": want a class (2xx) or a code (204)`,
		`7: port "y": body "(": error parsing regexp`,
		`7: port "y": header "no colon": want "Name: regexp"`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("errors lack %q:\n%v", want, err)
		}
	}
}

func TestExpectFileErrorsNameTheirLines(t *testing.T) {
	for _, tc := range []struct {
		name, file, text string
		want             []string
	}{
		{
			name: "every bad row, each with its line",
			file: "x.toml",
			text: `[[port]]
name = "a"
base = 70000

[[port]]
name = "b"
base = 88
role = "ldap"
proto = "udp"

[[port]]
name = "c"
base = 9000
need = "optional"

[[port]]
name = "a"
base = 9001
`,
			want: []string{
				`1: port "a": base 70000 is not a port number (1-65535)`,
				`5: port "b": ldap answers over tcp, not udp`,
				`11: port "c": an optional port needs a condition saying when it is there`,
				`16: port "a": named already on line 1`,
			},
		},
		{
			name: "an unknown key",
			file: "x.toml",
			text: "[[port]]\nname = \"a\"\nbase = 1\nofset = false\n",
			want: []string{"4: unknown key port.ofset (known: name, base, proto, offset, role, need, condition, source, path, status, body, header)"},
		},
		{
			name: "bad TOML",
			file: "x.toml",
			text: "[[port]]\nname = \"a\nbase = 1\n",
			want: []string{"2: TOML: "},
		},
		{
			name: "an unknown YAML key",
			file: "x.yaml",
			text: "port:\n  - name: a\n    base: 1\n    ofset: false\n",
			want: []string{"4: YAML: field ofset not found in type expect.ExpectRow"},
		},
		{
			name: "bad YAML",
			file: "x.yml",
			text: "port:\n  - name: a\n   base: [1\n",
			// yaml.v3 names the line its flow collection began on.
			want: []string{"1: YAML: did not find expected '-' indicator"},
		},
		{
			name: "a YAML alias bomb is refused",
			file: "x.yaml",
			text: yamlBomb,
			want: []string{"YAML: "},
		},
		{
			name: "no rows",
			file: "x.toml",
			text: "# nothing\n",
			want: []string{"1: no [[port]] entries"},
		},
		{
			name: "an extension that names no format",
			file: "x.json",
			text: "{}",
			want: []string{`".json" is neither .toml nor .yaml/.yml`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseExpectFile([]byte(tc.text), tc.file)
			if err == nil {
				t.Fatal("no error")
			}
			got := errLines(err)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("missing %q in:\n%s", w, got)
				}
			}
			if n := strings.Count(strings.TrimSpace(got), "\n") + 1; n < len(tc.want) {
				t.Errorf("%d lines for %d problems", n, len(tc.want))
			}
		})
	}
}

// yamlBomb is the billion laughs in YAML: nine levels of nine aliases.
var yamlBomb = func() string {
	var b strings.Builder
	b.WriteString("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n")
	prev := "a"
	for _, c := range "bcdefghi" {
		name := string(c)
		b.WriteString(name + ": &" + name + " [")
		for i := 0; i < 9; i++ {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString("*" + prev)
		}
		b.WriteString("]\n")
		prev = name
	}
	b.WriteString("port: *i\n")
	return b.String()
}()

func TestExpectPortsJoinTheSpec(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ports.toml")
	writeFile(t, path, expectTOMLExample)
	spec, err := Resolve(Input{Profile: flag("profile", "mi"), Offset: flag("offset", "3"), Expect: flag("expect", path)})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Port{}
	for _, p := range spec.Ports {
		got[p.Name] = p
	}
	in, hl7 := got["inbound-http"], got["hl7-inbound"]
	if in.Number != 8298 || in.Why != "8295 + offset 3 (ports.toml:2; offset from flag --offset, replacing MI's built-in 10)" || in.Expect != "ports.toml:2" || in.Source != "HTTP inbound endpoint OrderInbound, inbound.http.port 8295" {
		t.Errorf("inbound-http = %+v", in)
	}
	if hl7.Number != 9292 || hl7.Why != "9292 (ports.toml:8; no offset)" || hl7.Need != Optional || hl7.Source != "--expect ports.toml:8" {
		t.Errorf("hl7-inbound = %+v", hl7)
	}
}

func TestExpectFileProblemsJoinTheOthers(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ports.yaml")
	writeFile(t, path, "port:\n  - name: passthrough-copy\n    base: 8280\n  - name: far\n    base: 65530\n  - name: bad\n    base: 0\n  - name: kdc\n    base: 88\n")
	_, err := Resolve(Input{Profile: flag("profile", "mi"), Offset: flag("offset", "10"), Expect: flag("expect", path), Ports: flag("ports", "8290")})
	if err == nil {
		t.Fatal("no error")
	}
	got := errLines(err)
	for _, want := range []string{
		"port 8290/tcp is named twice: passthrough-http and passthrough-copy",
		"offset 10 from flag --offset pushes port far (65530, ports.yaml:4) to 65540, past 65535",
		"port 8290/tcp is named twice: passthrough-http and 8290/tcp",
		path + `:6: port "bad": base 0 is not a port number (1-65535)`,
		path + `:8: port "kdc": profile mi has a port of that name: name yours apart`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}

	missing := filepath.Join(dir, "nope.toml")
	_, err = Resolve(Input{Expect: Text{missing, "$CARBONPROBE_EXPECT"}})
	if err == nil || !strings.Contains(err.Error(), "$CARBONPROBE_EXPECT "+missing+": no such file or directory") {
		t.Errorf("err = %v", err)
	}
	if _, err := os.Stat(missing); err == nil {
		t.Fatal("the test's missing file exists")
	}
}
