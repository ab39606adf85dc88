package render

import (
	"bytes"
	"encoding/json"
	"io"
	"testing"

	"github.com/carbonprobe/carbonprobe/expect"
	"github.com/carbonprobe/carbonprobe/internal/buildinfo"
	"github.com/carbonprobe/carbonprobe/probe"
	"github.com/carbonprobe/carbonprobe/probe/jmxdiag"
	"github.com/carbonprobe/carbonprobe/target"
)

// TestJSONNamesItsBuild: every document says which build wrote it, as the
// release sets it with -ldflags -X; the servers of check --all do not repeat it.
func TestJSONNamesItsBuild(t *testing.T) {
	old := [3]string{buildinfo.Version, buildinfo.Commit, buildinfo.Date}
	buildinfo.Version, buildinfo.Commit, buildinfo.Date = "0.2.0", "abc1234def5678", "2026-12-03T10:00:00Z"
	defer func() { buildinfo.Version, buildinfo.Commit, buildinfo.Date = old[0], old[1], old[2] }()

	spec, err := expect.Resolve(expect.Input{Profile: expect.Text{Value: "mi"}})
	if err != nil {
		t.Fatal(err)
	}
	tg := target.Target{Spec: spec, Host: "127.0.0.1"}
	rep := probe.Report{Target: tg}
	docs := map[string]func(io.Writer) error{
		"ports":     func(w io.Writer) error { return PortsJSON(w, tg) },
		"check":     func(w io.Writer) error { return CheckJSON(w, rep) },
		"check-all": func(w io.Writer) error { return CheckAllJSON(w, probe.HostReport{Reports: []probe.Report{rep}}) },
		"jmx":       func(w io.Writer) error { return JMXJSON(w, jmxdiag.Report{}, "flag --ports") },
	}
	for name, write := range docs {
		var b bytes.Buffer
		if err := write(&b); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var doc struct {
			Generator *buildinfo.Info `json:"generator"`
			Servers   []map[string]any
		}
		if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want := buildinfo.Info{Version: "0.2.0", Commit: "abc1234def5678", Date: "2026-12-03T10:00:00Z"}
		if doc.Generator == nil || *doc.Generator != want {
			t.Errorf("%s: generator %+v, want %+v", name, doc.Generator, want)
		}
		for _, s := range doc.Servers {
			if _, ok := s["generator"]; ok {
				t.Errorf("%s: a server repeats the generator", name)
			}
		}
	}
}
