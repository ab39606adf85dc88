package carbonlike

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func script(t *testing.T, name string, args ...string) (string, error) {
	t.Helper()
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, "bash", append([]string{filepath.Join(root, "scripts", "carbonlike", name)}, args...)...).CombinedOutput()
	return string(out), err
}

func alive(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	// Field 3 is the state; a zombie has exited already.
	return err == nil && !bytes.Contains(stat, []byte(") Z "))
}

func TestStartStopScripts(t *testing.T) {
	t.Parallel()
	Classes(t) // skips without java
	home := t.TempDir()
	off := FreeOffset(t, "mi")
	out, err := script(t, "start.sh", "--home", home, "--profile", "mi", "--offset", strconv.Itoa(off), "--no-jmxremote")
	t.Cleanup(func() { script(t, "stop.sh", "--home", home) })
	if err != nil {
		t.Fatalf("start.sh: %v\n%s", err, out)
	}
	gotOff, ports, err := parseReady(strings.TrimSpace(out))
	if err != nil || gotOff != off || ports["internal-http"] != 9191+off {
		t.Fatalf("expected start.sh to print the ready line at offset %d, got %q (%v)", off, out, err)
	}
	data, err := os.ReadFile(filepath.Join(home, "carbonlike.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || !alive(pid) {
		t.Fatalf("expected a live pid in carbonlike.pid, got %q (%v)", data, err)
	}
	if owned := listening(t, pid); len(owned) != len(ports) {
		t.Errorf("expected pid %d to hold the %d ready-line ports, /proc shows %d listeners", pid, len(ports), len(owned))
	}
	if out, err := script(t, "start.sh", "--home", home, "--profile", "mi"); err == nil || !strings.Contains(out, "already running") {
		t.Errorf("expected a second start.sh on the same home to refuse, got %v: %s", err, out)
	}
	if out, err := script(t, "stop.sh", "--home", home); err != nil {
		t.Fatalf("stop.sh: %v\n%s", err, out)
	}
	if alive(pid) {
		t.Errorf("expected pid %d gone after stop.sh", pid)
	}
	if _, err := os.Stat(filepath.Join(home, "carbonlike.pid")); !os.IsNotExist(err) {
		t.Errorf("expected carbonlike.pid removed, stat says %v", err)
	}
}

// A pid file naming a process that is not this home's server (a reused pid) must not be signalled.
func TestStopScriptSparesOtherProcess(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	other := exec.Command("sleep", "300")
	if err := other.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Process.Kill(); other.Wait() })
	writeFile(t, filepath.Join(home, "carbonlike.pid"), strconv.Itoa(other.Process.Pid))
	out, err := script(t, "stop.sh", "--home", home)
	if err != nil || !strings.Contains(out, "is not running a server for") {
		t.Errorf("expected stop.sh to report the stale pid file, got %v: %s", err, out)
	}
	// A signal stop.sh sent is either still pending or has made sleep exit (a zombie until reaped).
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", other.Process.Pid))
	if err != nil || !alive(other.Process.Pid) {
		t.Fatalf("expected pid %d (sleep) untouched by stop.sh, it is gone (%v)", other.Process.Pid, err)
	}
	for _, l := range strings.Split(string(status), "\n") {
		if k, v, _ := strings.Cut(l, ":"); (k == "SigPnd" || k == "ShdPnd") && strings.Trim(strings.TrimSpace(v), "0") != "" {
			t.Errorf("expected no signal pending for pid %d (sleep), %s", other.Process.Pid, l)
		}
	}
}
