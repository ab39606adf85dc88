package command

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	// The exporter, linked in as in carbonprobe-serve; carbonprobe proper
	// runs that binary instead (TestServeRunsTheExporterBinary).
	_ "github.com/carbonprobe/carbonprobe/internal/serve"
	"github.com/carbonprobe/carbonprobe/internal/testnet"
)

func targetsFile(t *testing.T, name, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// check --targets: the whole fleet once, one report, exit 1 when any target
// is unhealthy; JSON and JUnit alike.
func TestCheckTargets(t *testing.T) {
	up := testnet.Listen(t, "127.0.0.1:0")
	down := testnet.Refused(t)
	file := targetsFile(t, "targets.yaml", fmt.Sprintf(`targets:
  - ports: "%d"
    profile: none
  - ports: "%d,%d"
    profile: none
    timeout: 1s
`, up.Port, up.Port, down))

	code, stdout, stderr := runCLI(t, nil, "check", "--targets", file, "--format", "json")
	if code != 1 {
		t.Fatalf("exit %d, want 1 (one target has a refused port); stderr:\n%s", code, stderr)
	}
	var doc struct {
		Schema    string         `json:"schema"`
		Generator map[string]any `json:"generator"`
		Healthy   bool           `json:"healthy"`
		Targets   []struct {
			Target  string          `json:"target"`
			At      string          `json:"at"`
			Healthy bool            `json:"healthy"`
			Check   json.RawMessage `json:"check"`
		} `json:"targets"`
		Problems []string `json:"problems"`
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if doc.Generator == nil || strings.Contains(string(doc.Targets[0].Check), `"generator"`) {
		t.Errorf("the generator belongs to the fleet document, not to each check:\n%s", stdout)
	}
	if doc.Schema != "carbonprobe/fleet/v1" || doc.Healthy || len(doc.Targets) != 2 || !doc.Targets[0].Healthy || doc.Targets[1].Healthy ||
		doc.Targets[1].At != "targets.yaml:4" || len(doc.Problems) != 1 || !strings.Contains(doc.Problems[0], fmt.Sprintf("%d/tcp: refused", down)) {
		t.Errorf("fleet document:\n%s", stdout)
	}

	code, stdout, _ = runCLI(t, nil, "check", "--targets", file, "--format", "junit")
	var suites struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Suites   []struct {
			Name       string `xml:"name,attr"`
			Properties []struct {
				Name  string `xml:"name,attr"`
				Value string `xml:"value,attr"`
			} `xml:"properties>property"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal([]byte(stdout), &suites); err != nil || code != 1 {
		t.Fatalf("junit: exit %d, %v\n%s", code, err, stdout)
	}
	if len(suites.Suites) != 2 || suites.Tests != 3 || suites.Failures != 1 || !strings.HasPrefix(suites.Suites[0].Name, "127.0.0.1 profile=none") ||
		len(suites.Suites[0].Properties) == 0 || suites.Suites[0].Properties[0].Value != "127.0.0.1" {
		t.Errorf("junit document:\n%s", stdout)
	}

	healthy := targetsFile(t, "ok.toml", fmt.Sprintf("[[targets]]\nports = \"%d\"\nprofile = \"none\"\n", up.Port))
	code, stdout, stderr = runCLI(t, nil, "check", "--targets", healthy)
	if code != 0 || !strings.Contains(stdout, "FLEET HEALTHY: 1 of 1 targets healthy") {
		t.Errorf("exit %d\n%s\n%s", code, stdout, stderr)
	}
}

// A bad targets file: exit 3, every problem on its own line, with the file
// and line, for check --targets and serve alike.
func TestTargetsFileProblemsAreUsageErrors(t *testing.T) {
	file := targetsFile(t, "targets.yaml", "targets:\n  - offsets: [70000]\n    profile: esb\n  - colour: blue\n")
	for _, args := range [][]string{
		{"check", "--targets", file},
		{"serve", "--targets", file, "--check-config"},
		{"serve", "--targets", file, "--listen", "127.0.0.1:0"},
	} {
		code, stdout, stderr := runCLI(t, nil, args...)
		if code != 3 {
			t.Errorf("%v: exit %d, want 3\n%s", args, code, stderr)
		}
		for _, want := range []string{
			"carbonprobe: targets.yaml:2: offset 70000 is not a whole number from 0 to 65535\n",
			"carbonprobe: targets.yaml:3: profile: \"esb\" is not a profile",
			"carbonprobe: targets.yaml:4: unknown key colour",
		} {
			if !strings.Contains(stderr, want) {
				t.Errorf("%v: stderr lacks %q:\n%s", args, want, stderr)
			}
		}
		if stdout != "" {
			t.Errorf("%v: wrote to stdout: %q", args, stdout)
		}
	}
}

func TestServeAndTargetsFlags(t *testing.T) {
	file := targetsFile(t, "targets.yaml", "targets:\n  - {host: 10.0.0.5, profile: mi, offsets: [\"1-3\"]}\n")
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"check-config", []string{"serve", "--targets", file, "--check-config"}, 0, "targets.yaml: 3 targets, no local: all"},
		{"check-config lists", []string{"serve", "--targets", file, "--check-config"}, 0, "10.0.0.5 profile=mi offset=3  every 30s  (targets.yaml:2)"},
		{"no file: local all", []string{"serve", "--check-config"}, 0, "no --targets: 0 targets, local: all every 30s"},
		{"bad listen", []string{"serve", "--listen", "9421"}, 3, "is not host:port"},
		{"bad budget", []string{"serve", "--dial-budget", "0", "--check-config"}, 3, "--dial-budget"},
		{"both modes", []string{"serve", "--check-config", "--healthcheck"}, 3, "give one"},
		{"missing file", []string{"serve", "--targets", "/nonexistent/t.yaml", "--check-config"}, 3, "/nonexistent/t.yaml"},
		{"targets with offset", []string{"check", "--targets", file, "--offset", "3"}, 3, "flag --offset with --targets"},
		{"targets quiet", []string{"check", "--targets", file, "--quiet"}, 3, "--targets writes text, json or junit"},
		{"argument", []string{"serve", "extra"}, 3, "unexpected argument"},
		{"healthcheck, nothing listens", []string{"serve", "--healthcheck", "--listen", fmt.Sprintf("127.0.0.1:%d", testnet.Refused(t))}, 1, "not ready"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, nil, tc.args...)
			if code != tc.code || !strings.Contains(stdout+stderr, tc.want) {
				t.Errorf("exit %d (want %d), want %q in:\n%s%s", code, tc.code, tc.want, stdout, stderr)
			}
		})
	}
}
