package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestServeRunsTheExporterBinary: carbonprobe proper carries no exporter;
// its serve runs carbonprobe-serve in its place (the same pid), found beside
// it, else on $PATH, and says so in one line, exit 3, where there is none.
func TestServeRunsTheExporterBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds both binaries")
	}
	dir := t.TempDir()
	cp := build(t, dir, "carbonprobe", ".")
	alone := t.TempDir()
	if err := os.Link(cp, filepath.Join(alone, "carbonprobe")); err != nil {
		t.Fatal(err)
	}
	build(t, dir, "carbonprobe-serve", "./cmd/carbonprobe-serve")
	targets := filepath.Join(t.TempDir(), "targets.yaml")
	if err := os.WriteFile(targets, []byte("targets:\n  - hosts: [127.0.0.1]\n    ports: \"9443\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(bin string, path string, args ...string) (int, string) {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "PATH="+path)
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return code, string(out)
	}

	// Beside it: --check-config needs the exporter (the web config's reader).
	code, out := run(cp, "/nonexistent", "serve", "--targets", targets, "--check-config")
	if code != 0 || !strings.Contains(out, targets+": 1 targets") {
		t.Errorf("serve beside carbonprobe-serve: exit %d:\n%s", code, out)
	}
	// A bad flag is refused the same way by both (carbonprobe parses first).
	code, out = run(cp, "/nonexistent", "serve", "--listen", "nope")
	if code != 3 || !strings.Contains(out, "flag --listen") {
		t.Errorf("serve --listen nope: exit %d, want 3:\n%s", code, out)
	}
	// Not beside it, not on $PATH: one line, exit 3.
	code, out = run(filepath.Join(alone, "carbonprobe"), "/nonexistent", "serve", "--targets", targets, "--check-config")
	if lines := strings.Split(strings.TrimSpace(out), "\n"); code != 3 || len(lines) != 1 || !strings.Contains(out, "carbonprobe-serve") {
		t.Errorf("serve without carbonprobe-serve: exit %d, want 3 and one line:\n%s", code, out)
	}
	// On $PATH.
	code, out = run(filepath.Join(alone, "carbonprobe"), dir, "serve", "--targets", targets, "--check-config")
	if code != 0 || !strings.Contains(out, "1 targets") {
		t.Errorf("serve with carbonprobe-serve on $PATH: exit %d:\n%s", code, out)
	}
	// A copy of carbonprobe named carbonprobe-serve: said, not run for ever.
	copied := t.TempDir()
	for _, name := range []string{"carbonprobe", "carbonprobe-serve"} {
		if err := os.Link(cp, filepath.Join(copied, name)); err != nil {
			t.Fatal(err)
		}
	}
	code, out = run(filepath.Join(copied, "carbonprobe"), "/nonexistent", "serve", "--check-config")
	if code != 3 || !strings.Contains(out, "holds no exporter") {
		t.Errorf("serve beside a copy of itself: exit %d, want 3:\n%s", code, out)
	}
	// carbonprobe's own other commands need none of it.
	if code, out := run(filepath.Join(alone, "carbonprobe"), "/nonexistent", "ports", "--profile", "mi"); code != 0 {
		t.Errorf("ports without carbonprobe-serve: exit %d:\n%s", code, out)
	}
}
