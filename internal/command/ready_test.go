package command

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/carbonprobe/carbonprobe/internal/carbonlike"
)

// TestMIWithAFailedCAppIsNotReady: an MI-like JVM whose readiness probe
// answers 500 (a CApp failed to deploy), found by its pid alone: the mi
// profile's own readiness signal (/healthz on the internal API port, which
// the start script switches on) is asked, check fails naming it and the
// CApps, and wait says why it is not ready until its timeout. The same
// server without the failure is ready, and wait says which signal said so.
func TestMIWithAFailedCAppIsNotReady(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a JVM")
	}
	faulty := carbonlike.Start(t, carbonlike.Options{Profile: "mi", Props: map[string]string{"carbonlike.faultyCapps": "orders,billing"}})
	healthy := carbonlike.Start(t, carbonlike.Options{Profile: "mi"})
	port := func(s *carbonlike.Server) string { return fmt.Sprint(s.Ports["internal-http"]) }

	code, stdout, stderr := runCLI(t, nil, "check", "--pid", fmt.Sprint(faulty.PID), "--timeout", "5s")
	out := stdout + stderr
	if code != 1 || !strings.Contains(out, "readiness /healthz on internal-http "+port(faulty)+"/tcp") ||
		!strings.Contains(out, "500") || !strings.Contains(out, "orders") {
		t.Errorf("check of an MI with failed CApps: exit %d, want 1 naming the readiness signal, its 500 and the CApps:\n%s", code, out)
	}

	code, stdout, stderr = runCLI(t, nil, "check", "--pid", fmt.Sprint(faulty.PID), "--timeout", "5s", "--format", "json")
	var doc struct {
		Level   string
		Signals []struct {
			Kind, Path, Need string
			Asked, OK        bool
			StatusCode       int `json:"status_code"`
		}
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("check --format json: %v\n%s%s", err, stdout, stderr)
	}
	asked := false
	for _, s := range doc.Signals {
		if s.Kind == "readiness" && s.Path == "/healthz" {
			asked = s.Asked && !s.OK && s.StatusCode == 500 && s.Need == "required"
		}
	}
	if code != 1 || doc.Level != "answering" || !asked {
		t.Errorf("JSON: exit %d, level %q, signals %+v: want 1, answering, /healthz asked and 500", code, doc.Level, doc.Signals)
	}

	code, stdout, stderr = runCLI(t, nil, "check", "--pid", fmt.Sprint(faulty.PID), "--timeout", "5s", "--quiet")
	if code != 1 || !strings.HasPrefix(stdout+stderr, "unhealthy: ") || !strings.Contains(stdout+stderr, "readiness /healthz") {
		t.Errorf("--quiet: exit %d, want 1 with the readiness signal in its one line:\n%s%s", code, stdout, stderr)
	}

	// --no-verify only dials: a liveness probe's question, which a server
	// busy with its CApps passes.
	if code, stdout, stderr := runCLI(t, nil, "check", "--pid", fmt.Sprint(faulty.PID), "--no-verify", "--quiet"); code != 0 {
		t.Errorf("check --no-verify: exit %d, want 0:\n%s%s", code, stdout, stderr)
	}

	code, stdout, stderr = runCLI(t, nil, "wait", "--pid", fmt.Sprint(faulty.PID), "--timeout", "3s", "--dial-timeout", "2s", "--progress", "lines")
	out = stdout + stderr
	if code != 1 || !strings.Contains(out, "not ready: readiness /healthz on internal-http") || !strings.Contains(out, "UNHEALTHY") ||
		!strings.Contains(out, "TIMED OUT: timed out after 3s: 4 of 4 required ports up; not ready: readiness /healthz") {
		t.Errorf("wait for an MI with failed CApps: exit %d, want 1 saying it is not ready and why:\n%s", code, out)
	}

	code, stdout, stderr = runCLI(t, nil, "wait", "--pid", fmt.Sprint(healthy.PID), "--timeout", "30s", "--dial-timeout", "5s", "--progress", "none")
	out = stdout + stderr
	if code != 0 || !strings.Contains(out, "ready: readiness /healthz on internal-http "+port(healthy)+"/tcp said yes (200)") {
		t.Errorf("wait for a healthy MI: exit %d, want 0 naming the signal that said ready:\n%s", code, out)
	}
}
