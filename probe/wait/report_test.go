package wait

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	goldenfile "github.com/carbonprobe/carbonprobe/internal/golden"
	"github.com/carbonprobe/carbonprobe/probe"
	"github.com/carbonprobe/carbonprobe/probe/render"
)

func golden(t *testing.T, name string, got []byte) { t.Helper(); goldenfile.Check(t, name, got) }

// results are fixed, so output does not depend on timing.
func results(t *testing.T) map[string]Result {
	spec := adhoc(t, 8290, 8253)
	up := probe.Report{Target: at(spec), Timeout: 2 * time.Second, Elapsed: 1200 * time.Microsecond,
		Results: []probe.Result{{Port: spec.Ports[0], State: probe.Bound, Latency: 150 * time.Microsecond}, {Port: spec.Ports[1], State: probe.Bound, Latency: 170 * time.Microsecond}}}
	down := up
	down.Results = []probe.Result{up.Results[0], {Port: spec.Ports[1], State: probe.Refused, Detail: "nothing listens", Latency: 90 * time.Microsecond}}
	server := &Process{PID: 4242, What: "mi pid 4242, home /opt/wso2mi, offset 10 (-DportOffset=10 after the main class)", LogPath: "/opt/wso2mi/repository/logs/wso2carbon.log"}
	return map[string]Result{
		"ready": {Reason: Ready, Detail: "ready after 1.234s: 2 of 2 required ports up", Report: up, Elapsed: 1234 * time.Millisecond,
			Timeout: 5 * time.Minute, Dials: 6, Gates: 240, Server: server, Watch: "pidfd"},
		"restarted": {Reason: Ready, Detail: "ready after 9.876s: 2 of 2 required ports up", Report: up, Elapsed: 9876 * time.Millisecond,
			Timeout: 5 * time.Minute, Dials: 9, Gates: 400, Server: server, Watch: "pidfd", Restarts: []string{"pid 4200 -> pid 4242 after 4.5s"}},
		"timeout": {Reason: TimedOut, Detail: "timed out after 5s: 1 of 2 required ports up", Report: down, Elapsed: 5 * time.Second,
			Timeout: 5 * time.Second, Dials: 3, Gates: 500},
		"exited": {Reason: ServerExited, Detail: "the server (" + server.What + ") exited 3.2s into the wait", Report: down,
			Elapsed: 3200 * time.Millisecond, Timeout: 5 * time.Minute, Dials: 3, Gates: 300, Server: server, Watch: "pidfd",
			Exit: &Exit{PID: 4242, After: 3200 * time.Millisecond, Why: "the server (" + server.What + ") exited 3.2s into the wait",
				LogPath: server.LogPath, LogTail: []string{"INFO {Bootstrap} - Starting", "ERROR {Bootstrap} - Address already in use <8253> & \"more\""}}},
	}
}

var started = time.Date(2026, 11, 25, 18, 30, 5, 0, time.UTC)

func TestReportGolden(t *testing.T) {
	for name, r := range results(t) {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteText(&b, r, render.Style{}); err != nil {
				t.Fatal(err)
			}
			golden(t, name+".txt", b.Bytes())

			b.Reset()
			if err := WriteJSON(&b, r); err != nil {
				t.Fatal(err)
			}
			golden(t, name+".json", b.Bytes())
			var doc struct {
				Schema string
				Ready  bool
				Reason string
				Check  struct{ Schema string }
			}
			if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
				t.Fatal(err)
			}
			if doc.Schema != Schema || doc.Ready != (r.Reason == Ready) || doc.Reason != string(r.Reason) || doc.Check.Schema != render.CheckSchema {
				t.Errorf("json: %+v", doc)
			}

			b.Reset()
			if err := WriteJUnit(&b, r, started); err != nil {
				t.Fatal(err)
			}
			golden(t, name+".xml", b.Bytes())
			if _, err := exec.LookPath("xmllint"); err != nil {
				t.Fatal("xmllint not found: apt-get install libxml2-utils")
			}
			f := filepath.Join(t.TempDir(), "r.xml")
			if err := os.WriteFile(f, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command("xmllint", "--noout", "--nonet", "--schema", "../render/testdata/junit/junit.xsd", f).CombinedOutput(); err != nil {
				t.Errorf("junit not valid: %v\n%s", err, out)
			}
		})
	}
}

func TestQuietLine(t *testing.T) {
	rs := results(t)
	for name, want := range map[string]string{
		"ready":   "healthy: ad-hoc ports, 2/2 required ports up; ready after 1.234s: 2 of 2 required ports up",
		"timeout": "unhealthy: ad-hoc ports, 1/2 required ports up; 8253/tcp: refused: nothing listens (expected from --ports); timed out after 5s: 1 of 2 required ports up",
		"exited":  `unhealthy: ad-hoc ports, 1/2 required ports up; 8253/tcp: refused: nothing listens (expected from --ports); the server (mi pid 4242, home /opt/wso2mi, offset 10 (-DportOffset=10 after the main class)) exited 3.2s into the wait; its log ends: ERROR {Bootstrap} - Address already in use <8253> & "more"`,
	} {
		if got := QuietLine(rs[name]); got != want {
			t.Errorf("%s:\ngot  %s\nwant %s", name, got, want)
		}
	}
	if strings.Contains(QuietLine(rs["exited"]), "\n") {
		t.Error("quiet line has a newline")
	}
}
