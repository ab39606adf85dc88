//go:build linux

package procs_test

import (
	"errors"
	"os"
	"os/exec"
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

func TestCmdlineVanished(t *testing.T) {
	_, _, err := procs.Cmdline(exitedPID(t))
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("got %v; want not-exist", err)
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
