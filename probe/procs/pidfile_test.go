package procs

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadPidFileSamples(t *testing.T) {
	for _, name := range []string{"carbon4.pid", "mi.pid"} {
		pid, err := ReadPidFile(filepath.Join("testdata", name))
		if err != nil || pid != 4242 {
			t.Errorf("%s: got %d, %v; want 4242", name, pid, err)
		}
	}
}

func TestReadPidFileRejects(t *testing.T) {
	dir := t.TempDir()
	tests := []struct{ name, content, wantInErr string }{
		{"empty", "", `found ""`},
		{"only padding", "\n\x00\x00", `found "\n\x00\x00"`},
		{"words", "java.io.IOException\n", "want a process id"},
		{"two pids", "12 34\n", `found "12 34\n"`},
		{"negative", "-5\n", "want a process id"},
		{"zero", "0", "want a process id"},
		{"over pid_max", "4194305", "want a process id"},
		{"huge number", "99999999999999999999999999", "want a process id"},
		{"garbage inside padding", "42\n\x00\x00x\x00", "want a process id"},
		{"too large", strings.Repeat("1", pidFileLimit+1), "more than 4096 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-")+".pid")
			if err := os.WriteFile(name, []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			pid, err := ReadPidFile(name)
			if err == nil {
				t.Fatalf("got pid %d, want an error", pid)
			}
			if !strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), tt.wantInErr) {
				t.Errorf("error %q should name the file and contain %q", err, tt.wantInErr)
			}
		})
	}
	if _, err := ReadPidFile(filepath.Join(dir, "absent.pid")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("absent file: %v; want fs.ErrNotExist", err)
	}
}

func TestPidFilesEIRuntimes(t *testing.T) {
	home := t.TempDir()
	for _, rel := range []string{PidFileName, "wso2/broker/" + PidFileName, "wso2/analytics/" + PidFileName} {
		p := filepath.Join(home, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("1"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got := PidFiles(home)
	want := []string{
		filepath.Join(home, PidFileName),
		filepath.Join(home, "wso2/analytics", PidFileName),
		filepath.Join(home, "wso2/broker", PidFileName),
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("PidFiles = %q; want %q", got, want)
	}
}

func FuzzParsePid(f *testing.F) {
	f.Add([]byte("4242\n" + strings.Repeat("\x00", 95)))
	f.Add([]byte("4242"))
	f.Add([]byte(" 7 "))
	f.Fuzz(func(t *testing.T, raw []byte) {
		pid, err := parsePid(raw)
		if err != nil {
			return
		}
		if pid <= 0 || pid > maxPid {
			t.Fatalf("accepted pid %d", pid)
		}
	})
}
