package fleet

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/carbonprobe/carbonprobe/internal/text"
)

func examples(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("../../docs/examples")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func keys(f *File) []string {
	var out []string
	for _, t := range f.Targets {
		out = append(out, t.Key())
	}
	return out
}

// The example files of the docs are the same fleet in YAML and in TOML.
func TestExamplesYAMLAndTOMLAgree(t *testing.T) {
	dir := examples(t)
	y, err := Load(filepath.Join(dir, "targets.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	tm, err := Load(filepath.Join(dir, "targets.toml"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"10.0.0.5 profile=mi offset=10", "10.0.0.5 profile=mi offset=11", "10.0.0.5 profile=mi offset=12",
		"10.0.0.6 profile=mi offset=10", "10.0.0.6 profile=mi offset=11", "10.0.0.6 profile=mi offset=12",
		"apim.example.com profile=apim-4",
		"127.0.0.1 home=/opt/wso2mi-4.2.0",
	}
	if got := keys(y); !slices.Equal(got, want) {
		t.Errorf("YAML targets:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got := keys(tm); !slices.Equal(got, want) {
		t.Errorf("TOML targets:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, f := range []*File{y, tm} {
		if f.Local == nil || f.Local.Interval != 10*time.Second {
			t.Errorf("%s: local: all with interval 10s expected, got %+v", f.Path, f.Local)
		}
		first, apim := f.Targets[0], f.Targets[6]
		if first.Interval != 15*time.Second || first.Timeout != 2*time.Second || first.Options().Deadline != 3*time.Second {
			t.Errorf("%s: first target's settings: %+v", f.Path, first.Settings)
		}
		if apim.Interval != 30*time.Second || apim.CertWarn != 1440*time.Hour {
			t.Errorf("%s: apim's settings: %+v", f.Path, apim.Settings)
		}
		if !strings.HasSuffix(first.At, ":8") && !strings.HasSuffix(first.At, ":9") {
			t.Errorf("%s: first target written at %s", f.Path, first.At)
		}
	}
	req := y.Targets[0].Request(y.Targets[0].At, nil)
	if req.Host != "10.0.0.5" || req.Offset.Value != "10" || req.Offset.Origin != "targets.yaml:8 offset" || req.Profile.Value != "mi" {
		t.Errorf("request: %+v", req)
	}
}

// Every problem is reported at once, one line each, with the file and line.
func TestEveryProblemOneLineEach(t *testing.T) {
	yaml := `defaults:
  interval: 10          # no unit
  colour: blue
targets:
  - hosts: [10.0.0.5, "http://x", 10.0.0.5]
    profile: esb
    offsets: [1, 70000, "9-3", "2-4", 3]
  - host: 10.0.0.7
    carbon_home: opt/mi
    ports: "9443-9440"
    timeout: 5m
  - local: all
    profile: mi
  - local: everything
  - 42
  - hostz: a
`
	_, err := Parse([]byte(yaml), "/etc/carbonprobe/targets.yaml")
	if err == nil {
		t.Fatal("no error")
	}
	got := text.Lines(err)
	want := []string{
		`targets.yaml:2: defaults: interval: "10" has no unit (write 10s or 10ms)`,
		`targets.yaml:3: defaults: unknown key colour`,
		`targets.yaml:5: host: "http://x" is not a host name or an IP literal, not a URL`,
		`targets.yaml:5: host 10.0.0.5 is listed twice`,
		`targets.yaml:6: profile: "esb" is not a profile`,
		`targets.yaml:7: offset 70000 is not a whole number from 0 to 65535`,
		`targets.yaml:7: offset "9-3": 9 is above 3`,
		`targets.yaml:7: offset 3 is listed twice`,
		`targets.yaml:9: carbon_home opt/mi is not an absolute path`,
		`targets.yaml:10: ports "9443-9440"`,
		`targets.yaml:11: timeout: 5m0s is outside 1ms to 1m0s`,
		`targets.yaml:13: profile with local: all`,
		`targets.yaml:14: local takes one value, all`,
		`targets.yaml:15: a target must be a table, not a whole number`,
		`targets.yaml:16: unknown key hostz`,
	}
	for _, w := range want {
		if !slices.ContainsFunc(got, func(g string) bool { return strings.HasPrefix(g, w) }) {
			t.Errorf("missing a line starting %q", w)
		}
	}
	for _, g := range got {
		if strings.Contains(g, "\n") || !strings.HasPrefix(g, "targets.yaml:") {
			t.Errorf("not one line with file:line: %q", g)
		}
	}
	if t.Failed() {
		t.Logf("got:\n%s", strings.Join(got, "\n"))
	}
}

func TestTOMLProblemsHaveLines(t *testing.T) {
	toml := `[defaults]
interval = "30s"

[[targets]]
host = "10.0.0.5"
offsets = [1, "x"]
no_verify = "yes"

[[targets]]
local = "all"
forget_after = "1h"

[[targets]]
host = "10.0.0.6"
forget_after = "1h"
`
	_, err := Parse([]byte(toml), "fleet.toml")
	got := text.Lines(err)
	want := []string{
		`fleet.toml:6: offset "x": expected a whole number or a range`,
		`fleet.toml:7: no_verify must be true or false, not a string`,
		`fleet.toml:15: forget_after is for a local: all entry only`,
	}
	for _, w := range want {
		if !slices.ContainsFunc(got, func(g string) bool { return strings.HasPrefix(g, w) }) {
			t.Errorf("missing a line starting %q in:\n%s", w, strings.Join(got, "\n"))
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d problems, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for _, bad := range []struct{ doc, want string }{
		{"[[targets]]\nhost = \n", "fleet.toml:2: TOML:"},
		{"[[targets]]\nhost = \"a\"\nhost = \"b\"\n", "fleet.toml:3: host is given twice (first on line 2)"},
		{"targets = 3\n", "fleet.toml:1: targets must be a list of tables, not a whole number"},
		{"", "fleet.toml:1: no targets list"},
	} {
		_, err := Parse([]byte(bad.doc), "fleet.toml")
		if err == nil || !strings.HasPrefix(text.Lines(err)[0], bad.want) {
			t.Errorf("%q: got %v, want %q", bad.doc, err, bad.want)
		}
	}
}

func TestYAMLRefusals(t *testing.T) {
	for _, bad := range []struct{ doc, want string }{
		{"targets:\n  - &a {host: x}\n  - *a\n", "t.yaml:2: YAML anchors and aliases are not supported"},
		{"targets:\n  - host: a\n    host: b\n", "t.yaml:3: host is given twice (first on line 2)"},
		{"targets: [\n", "t.yaml:"},
		{"- host: a\n", "t.yaml:1: the file must be a table with a targets list, not a list"},
		{"targets: []\n", "t.yaml:1: the targets list is empty"},
	} {
		_, err := Parse([]byte(bad.doc), "t.yaml")
		if err == nil || !strings.HasPrefix(text.Lines(err)[0], bad.want) {
			t.Errorf("%q: got %v, want %q", bad.doc, err, bad.want)
		}
	}
	if _, err := Parse([]byte("targets: [{host: a}]"), "t.json"); err == nil || !strings.Contains(err.Error(), "neither .yaml/.yml nor .toml") {
		t.Errorf("a .json file: %v", err)
	}
}

func TestExpansionBounds(t *testing.T) {
	f, err := Parse([]byte("targets:\n  - offsets: [\"0-99\"]\n    ports: \"8080\"\n    profile: none\n"), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Targets) != 100 || f.Targets[99].Key() != "127.0.0.1 profile=none offset=99 ports=8080" {
		t.Errorf("%d targets, last %q", len(f.Targets), f.Targets[len(f.Targets)-1].Key())
	}
	hosts := make([]string, 200)
	for i := range hosts {
		hosts[i] = "10.0." + strconv.Itoa(i/250) + "." + strconv.Itoa(i%250+1)
	}
	doc := "targets:\n  - hosts: [" + strings.Join(hosts, ", ") + "]\n    offsets: [\"0-99\"]\n"
	_, err = Parse([]byte(doc), "t.yaml")
	if err == nil || !strings.Contains(err.Error(), "makes 20000 targets") {
		t.Errorf("20,000 targets: %v", err)
	}
}

func TestNormalHostAndKeys(t *testing.T) {
	for in, want := range map[string]string{
		"[::1]": "::1", "::ffff:127.0.0.1": "::ffff:127.0.0.1", "Node-1.Example.COM.": "node-1.example.com", "127.0.0.1": "127.0.0.1",
	} {
		if got, err := NormalHost(in); err != nil || got != want {
			t.Errorf("NormalHost(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "a b", "host:9443", "http://a", strings.Repeat("a", 300)} {
		if _, err := NormalHost(bad); err == nil {
			t.Errorf("NormalHost(%q) accepted", bad)
		}
	}
	s := Selector{Profile: "mi", Offset: "3", CarbonHome: "/opt/mi"}
	if s.Key() != "127.0.0.1 profile=mi offset=3 home=/opt/mi" {
		t.Errorf("key %q", s.Key())
	}
}

// The JSON Schema in docs/ accepts what the parser accepts, and refuses the
// structural mistakes the parser refuses.
func TestSchemaAgreesWithParser(t *testing.T) {
	schemaPath, err := filepath.Abs("../../docs/targets.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	sch, err := c.Compile(schemaPath)
	if err != nil {
		t.Fatalf("the schema does not compile: %v", err)
	}
	dir := examples(t)
	good := map[string][]byte{}
	for _, name := range []string{"targets.yaml", "targets.toml"} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		good[name] = data
	}
	for i, doc := range []string{
		"targets:\n  - {}\n",
		"targets:\n  - offsets: [\"0-9\", 12]\n    profiles: [mi, carbon]\n",
		"defaults: {no_verify: true, forget_after: 1h}\ntargets:\n  - {local: all, interval: 5s}\n",
		"targets:\n  - {host: \"::1\", ports: \"8080,9443=https\", profile: none}\n",
		"targets:\n  - {carbon_homes: [/a, /b], runtime: broker, strict_extras: true, deadline: 4s}\n",
	} {
		good["good"+strconv.Itoa(i)+".yaml"] = []byte(doc)
	}
	for name, data := range good {
		f, err := Parse(data, name)
		if err != nil {
			t.Errorf("%s: the parser refuses it: %v", name, err)
			continue
		}
		if err := sch.Validate(instance(t, data, name)); err != nil {
			t.Errorf("%s: the parser accepts it (%d targets), the schema refuses it: %v", name, len(f.Targets), err)
		}
	}
	for i, doc := range []string{
		"targets: []\n",
		"hosts: [a]\n",
		"targets:\n  - {host: a, hosts: [b]}\n",
		"targets:\n  - {offset: 70000}\n",
		"targets:\n  - {local: some}\n",
		"targets:\n  - {local: all, profile: mi}\n",
		"targets:\n  - {interval: 10}\n",
		"targets:\n  - {carbon_home: opt/mi}\n",
		"targets:\n  - {runtime: esb}\n",
		"targets:\n  - {no_verify: \"yes\"}\n",
		"targets:\n  - {colour: blue}\n",
		"targets:\n  - {host: \"http://a\"}\n",
	} {
		name := "bad" + strconv.Itoa(i) + ".yaml"
		if _, err := Parse([]byte(doc), name); err == nil {
			t.Errorf("%q: the parser accepts it", doc)
		}
		if err := sch.Validate(instance(t, []byte(doc), name)); err == nil {
			t.Errorf("%q: the parser refuses it, the schema accepts it", doc)
		}
	}
}

// instance reads a file into the values a JSON document would hold.
func instance(t *testing.T, data []byte, name string) any {
	t.Helper()
	var root *node
	var err error
	if strings.HasSuffix(name, ".toml") {
		root, err = fromTOML(data)
	} else {
		root, err = fromYAML(data)
	}
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var conv func(n *node) any
	conv = func(n *node) any {
		switch n.kind {
		case kMap:
			m := map[string]any{}
			for i, k := range n.keys {
				m[k] = conv(n.vals[i])
			}
			return m
		case kList:
			l := []any{}
			for _, it := range n.items {
				l = append(l, conv(it))
			}
			return l
		}
		switch n.tag {
		case "int":
			v, err := integer(n.text)
			if err != nil {
				return n.text
			}
			return json.Number(strconv.FormatInt(v, 10))
		case "bool":
			return n.text == "true"
		case "null":
			return nil
		case "float":
			return json.Number(n.text)
		}
		return n.text
	}
	return conv(root)
}
