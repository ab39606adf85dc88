package target

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/carbonprobe/carbonprobe/probe/procs"
	"github.com/carbonprobe/carbonprobe/probe/procs/procstest"
)

// errNotRunning stands for a home whose server does not run: byHome says why
// in finding.missing.
var errNotRunning = errors.New("not running")

// fromHome is byHome as the tests below read it: the server, or why not.
func fromHome(t *testing.T, home string) (procs.Carbon, error) {
	t.Helper()
	f, err := byHome(home, "test home", time.Time{})
	switch {
	case err != nil:
		return procs.Carbon{}, err
	case f.server == nil:
		return procs.Carbon{}, fmt.Errorf("%w: %s", errNotRunning, f.missing)
	case f.server.Carbon == nil:
		t.Fatalf("byHome found a server that is not a Carbon server: %+v", f.server)
	}
	c := *f.server.Carbon
	c.Notes = f.notes
	return c, nil
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

func TestByHomeByPidFile(t *testing.T) {
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
			c, err := fromHome(t, s.Home)
			if err != nil {
				t.Fatal(err)
			}
			if c.PID != s.PID || c.Product != product || len(c.Notes) != 0 {
				t.Errorf("got %+v; want pid %d", c, s.PID)
			}
		})
	}
}

func TestByHomeThroughSymlink(t *testing.T) {
	t.Parallel()
	s := procstest.Start(t, procstest.Options{})
	link := filepath.Join(t.TempDir(), "current")
	if err := os.Symlink(s.Home, link); err != nil {
		t.Fatal(err)
	}
	c, err := fromHome(t, link)
	if err != nil || c.PID != s.PID {
		t.Fatalf("got %+v, %v; want pid %d", c, err, s.PID)
	}
}

func TestByHomeWithoutPidFile(t *testing.T) {
	t.Parallel()
	s := procstest.Start(t, procstest.Options{NoPidFile: true})
	c, err := fromHome(t, s.Home)
	if err != nil {
		t.Fatal(err)
	}
	if c.PID != s.PID || len(c.Notes) == 0 || !strings.Contains(c.Notes[0], "no wso2carbon.pid in "+s.Home) {
		t.Errorf("got pid %d notes %q; want pid %d and a note on the missing pid file", c.PID, c.Notes, s.PID)
	}
}

func TestByHomeStalePidFile(t *testing.T) {
	t.Parallel()
	t.Run("pid gone, nothing runs", func(t *testing.T) {
		home := t.TempDir()
		writePidFile(t, home, exitedPID(t))
		_, err := fromHome(t, home)
		if !errors.Is(err, errNotRunning) || !strings.Contains(err.Error(), "which is not running") {
			t.Fatalf("got %v; want not running saying the pid is not running", err)
		}
	})
	t.Run("pid gone, server restarted without rewriting", func(t *testing.T) {
		s := procstest.Start(t, procstest.Options{NoPidFile: true})
		writePidFile(t, s.Home, exitedPID(t))
		c, err := fromHome(t, s.Home)
		if err != nil || c.PID != s.PID || !strings.Contains(c.Notes[0], "stale") {
			t.Fatalf("got %+v, %v; want pid %d with a note on the stale file", c, err, s.PID)
		}
	})
	t.Run("pid reused by another program", func(t *testing.T) {
		sleep := procstest.Program(t, "sleep", "60")
		home := t.TempDir()
		writePidFile(t, home, sleep.Process.Pid)
		_, err := fromHome(t, home)
		if !errors.Is(err, errNotRunning) || !strings.Contains(err.Error(), "another program") || !strings.Contains(err.Error(), "sleep 60") {
			t.Fatalf("got %v; want not running naming the other program", err)
		}
	})
	t.Run("pid of a Carbon server of another home", func(t *testing.T) {
		other := procstest.Start(t, procstest.Options{})
		home := t.TempDir()
		writePidFile(t, home, other.PID)
		_, err := fromHome(t, home)
		if !errors.Is(err, errNotRunning) || !strings.Contains(err.Error(), "another home ("+other.Home+")") {
			t.Fatalf("got %v; want not running naming the other home", err)
		}
	})
	t.Run("garbage pid file", func(t *testing.T) {
		home := t.TempDir()
		if err := os.WriteFile(filepath.Join(home, procs.PidFileName), []byte("Exception in thread main\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := fromHome(t, home)
		if !errors.Is(err, errNotRunning) || !strings.Contains(err.Error(), "want a process id") {
			t.Fatalf("got %v", err)
		}
	})
}

func TestByHomeEIRuntimeHint(t *testing.T) {
	home := t.TempDir()
	rt := filepath.Join(home, "wso2", "broker")
	if err := os.MkdirAll(rt, 0o755); err != nil {
		t.Fatal(err)
	}
	writePidFile(t, rt, exitedPID(t))
	_, err := fromHome(t, home)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(rt, procs.PidFileName)) {
		t.Fatalf("got %v; want the runtime's pid file named", err)
	}
}

// TestAFIFOAsThePidFileCannotHang: a FIFO where wso2carbon.pid should be
// would block a plain open for ever; the resolver says what it is, at once.
func TestAFIFOAsThePidFileCannotHang(t *testing.T) {
	home := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(home, procs.PidFileName), 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := fromHome(t, home); done <- err }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "not a regular file (a named pipe)") {
			t.Errorf("err = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a FIFO pid file hung the lookup")
	}
}

// Another process's command line is text carbonprobe did not write: escaped
// and cut in a report, a long --pid or --cmd-match value quoted short.
func TestOtherTextQuotedShort(t *testing.T) {
	if got := shortCmd([]string{"java", "\x1b[31mred", strings.Repeat("x", 300)}); strings.Contains(got, "\x1b") || len(got) > 160 {
		t.Errorf("shortCmd = %q", got)
	}
	_, err := Resolve(context.Background(), Request{PID: Value{Value: strings.Repeat("9", 3000), Origin: "flag --pid"}})
	if err == nil || len(err.Error()) > 300 {
		t.Errorf("a 3,000-byte --pid: %d bytes of error", len(err.Error()))
	}
}
