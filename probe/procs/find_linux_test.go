//go:build linux

package procs_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/carbonprobe/carbonprobe/probe/procs"
	"github.com/carbonprobe/carbonprobe/probe/procs/procstest"
)

func TestMain(m *testing.M) {
	procstest.Main()
	os.Exit(m.Run())
}

func findPID(t *testing.T, pid int) procs.Carbon {
	t.Helper()
	all, notes, err := procs.Find()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range all {
		if c.PID == pid {
			return c
		}
	}
	t.Fatalf("Find did not list pid %d (found %d servers; notes %q)", pid, len(all), notes)
	return procs.Carbon{}
}

func TestFindFakeServers(t *testing.T) {
	t.Parallel()
	carbon := procstest.Start(t, procstest.Options{
		JVMArgs:  []string{"-Xmx64m", "-DportOffset=1", "-Dcom.sun.management.jmxremote", "-Dcom.sun.management.jmxremote.local.port=23456"},
		ProgArgs: []string{"-DportOffset=3"},
	})
	mi := procstest.Start(t, procstest.Options{Product: procs.ProductMI})

	c := findPID(t, carbon.PID)
	if c.Product != procs.ProductCarbon || c.Home != carbon.Home || c.Offset == nil || *c.Offset != 3 ||
		c.OffsetFrom != "-DportOffset=3 after the main class (program argument)" || !c.JMXRemote || c.JMXLocalPort != 23456 {
		t.Errorf("carbon server: got %+v", c)
	}
	m := findPID(t, mi.PID)
	if m.Product != procs.ProductMI || m.Home != mi.Home || m.Offset != nil {
		t.Errorf("MI server: got %+v", m)
	}
}

func TestFromHomeByPidFile(t *testing.T) {
	t.Parallel()
	for _, product := range []string{procs.ProductCarbon, procs.ProductMI} {
		t.Run(product, func(t *testing.T) {
			s := procstest.Start(t, procstest.Options{Product: product})
			raw, err := os.ReadFile(filepath.Join(s.Home, procs.PidFileName))
			if err != nil {
				t.Fatal(err)
			}
			if product == procs.ProductCarbon && len(raw) != 100 {
				t.Fatalf("the fake should write Carbon's 100-byte pid file, wrote %d bytes", len(raw))
			}
			c, err := procs.FromHome(s.Home)
			if err != nil {
				t.Fatal(err)
			}
			if c.PID != s.PID || c.Product != product || len(c.Notes) != 0 {
				t.Errorf("got %+v; want pid %d", c, s.PID)
			}
		})
	}
}

func TestFromHomeThroughSymlink(t *testing.T) {
	t.Parallel()
	s := procstest.Start(t, procstest.Options{})
	link := filepath.Join(t.TempDir(), "current")
	if err := os.Symlink(s.Home, link); err != nil {
		t.Fatal(err)
	}
	c, err := procs.FromHome(link)
	if err != nil || c.PID != s.PID {
		t.Fatalf("got %+v, %v; want pid %d", c, err, s.PID)
	}
}

func TestFromHomeWithoutPidFile(t *testing.T) {
	t.Parallel()
	s := procstest.Start(t, procstest.Options{NoPidFile: true})
	c, err := procs.FromHome(s.Home)
	if err != nil {
		t.Fatal(err)
	}
	if c.PID != s.PID || len(c.Notes) == 0 || !strings.Contains(c.Notes[0], "no wso2carbon.pid in "+s.Home) {
		t.Errorf("got pid %d notes %q; want pid %d and a note on the missing pid file", c.PID, c.Notes, s.PID)
	}
}

func exitedPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

func writePidFile(t *testing.T, home string, pid int) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(home, procs.PidFileName), []byte(strconv.Itoa(pid)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestFromHomeStalePidFile(t *testing.T) {
	t.Parallel()
	t.Run("pid gone, nothing runs", func(t *testing.T) {
		home := t.TempDir()
		writePidFile(t, home, exitedPID(t))
		_, err := procs.FromHome(home)
		if !errors.Is(err, procs.ErrNotRunning) || !strings.Contains(err.Error(), "which is not running") {
			t.Fatalf("got %v; want ErrNotRunning saying the pid is not running", err)
		}
	})
	t.Run("pid gone, server restarted without rewriting", func(t *testing.T) {
		s := procstest.Start(t, procstest.Options{NoPidFile: true})
		writePidFile(t, s.Home, exitedPID(t))
		c, err := procs.FromHome(s.Home)
		if err != nil || c.PID != s.PID || !strings.Contains(c.Notes[0], "stale") {
			t.Fatalf("got %+v, %v; want pid %d with a note on the stale file", c, err, s.PID)
		}
	})
	t.Run("pid reused by another program", func(t *testing.T) {
		sleep := exec.Command("sleep", "60")
		if err := sleep.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { sleep.Process.Kill(); sleep.Wait() })
		home := t.TempDir()
		writePidFile(t, home, sleep.Process.Pid)
		_, err := procs.FromHome(home)
		if !errors.Is(err, procs.ErrNotRunning) || !strings.Contains(err.Error(), "another program") || !strings.Contains(err.Error(), "sleep 60") {
			t.Fatalf("got %v; want ErrNotRunning naming the other program", err)
		}
	})
	t.Run("pid of a Carbon server of another home", func(t *testing.T) {
		other := procstest.Start(t, procstest.Options{})
		home := t.TempDir()
		writePidFile(t, home, other.PID)
		_, err := procs.FromHome(home)
		if !errors.Is(err, procs.ErrNotRunning) || !strings.Contains(err.Error(), "another home ("+other.Home+")") {
			t.Fatalf("got %v; want ErrNotRunning naming the other home", err)
		}
	})
	t.Run("garbage pid file", func(t *testing.T) {
		home := t.TempDir()
		if err := os.WriteFile(filepath.Join(home, procs.PidFileName), []byte("Exception in thread main\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := procs.FromHome(home)
		if !errors.Is(err, procs.ErrNotRunning) || !strings.Contains(err.Error(), "want a process id") {
			t.Fatalf("got %v", err)
		}
	})
}

func TestFromHomeEIRuntimeHint(t *testing.T) {
	home := t.TempDir()
	rt := filepath.Join(home, "wso2", "broker")
	if err := os.MkdirAll(rt, 0o755); err != nil {
		t.Fatal(err)
	}
	writePidFile(t, rt, exitedPID(t))
	_, err := procs.FromHome(home)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(rt, procs.PidFileName)) {
		t.Fatalf("got %v; want the runtime's pid file named", err)
	}
}

func TestCmdlineVanished(t *testing.T) {
	_, _, err := procs.Cmdline(exitedPID(t))
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("got %v; want not-exist", err)
	}
}
