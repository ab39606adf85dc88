//go:build linux

package procs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

// CmdlineLimit bounds one /proc/PID/cmdline read. Carbon's own command lines
// are a few KiB; the bound is generous because the main class and the
// -DportOffset program argument sit at the very end.
const CmdlineLimit = 256 << 10

// Cmdline reads /proc/PID/cmdline (NUL-separated), at most CmdlineLimit bytes;
// truncated tells that the rest was not read. A process that has gone gives an
// error that matches fs.ErrNotExist.
func Cmdline(pid int) (args []string, truncated bool, err error) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		return nil, false, err
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, CmdlineLimit+1))
	if err != nil {
		// A process that exits between open and read gives ESRCH.
		if errors.Is(err, syscall.ESRCH) {
			err = fmt.Errorf("%w: %w", fs.ErrNotExist, err)
		}
		return nil, false, err
	}
	if len(raw) > CmdlineLimit {
		raw, truncated = raw[:CmdlineLimit], true
	}
	return splitCmdline(raw), truncated, nil
}

func splitCmdline(raw []byte) []string {
	raw = bytes.TrimRight(raw, "\x00")
	if len(raw) == 0 {
		return nil // kernel threads and zombies
	}
	return strings.Split(string(raw), "\x00")
}

// Inspect tells whether pid is a Carbon server and returns it, its home made
// absolute against the process's working directory.
func Inspect(pid int) (*Carbon, bool, error) {
	args, truncated, err := Cmdline(pid)
	if err != nil {
		return nil, false, err
	}
	c, ok := ParseCmdline(args)
	if !ok {
		return nil, false, nil
	}
	c.PID = pid
	if truncated {
		c.Notes = append(c.Notes, fmt.Sprintf("the command line of pid %d is longer than %d bytes; options past that were not read", pid, CmdlineLimit))
	}
	if c.Home == "" {
		// Carbon's Main sets carbon.home to "." when the scripts did not.
		c.Home = "."
	}
	if !filepath.IsAbs(c.Home) {
		if cwd, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/cwd"); err == nil {
			c.Home = filepath.Join(cwd, c.Home)
		} else {
			c.Notes = append(c.Notes, fmt.Sprintf("carbon.home %q is relative and the working directory of pid %d could not be read: %v", c.Home, pid, err))
		}
	}
	return c, true, nil
}

// Find lists every Carbon server process on this host, by pid. Processes that
// vanish during the scan are skipped; ones that cannot be read become notes.
func Find() ([]Carbon, []string, error) {
	pids, err := Pids()
	if err != nil {
		return nil, nil, err
	}
	var out []Carbon
	var notes []string
	for _, pid := range pids {
		c, ok, err := Inspect(pid)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			notes = append(notes, fmt.Sprintf("could not read /proc/%d/cmdline: %v", pid, unwrapPath(err)))
		case ok:
			out = append(out, *c)
		}
	}
	return out, notes, nil
}

// Pids lists the numeric entries of /proc, ascending.
func Pids() ([]int, error) {
	d, err := os.Open("/proc")
	if err != nil {
		return nil, err
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return nil, fmt.Errorf("list /proc: %w", err)
	}
	pids := make([]int, 0, len(names))
	for _, n := range names {
		if pid, err := strconv.Atoi(n); err == nil && pid > 0 {
			pids = append(pids, pid)
		}
	}
	sort.Ints(pids)
	return pids, nil
}

// FromHome finds the server of one Carbon home: through its pid file, checked
// against /proc, else by the -Dcarbon.home on a running command line. When
// nothing runs for that home the error matches ErrNotRunning.
func FromHome(home string) (Carbon, error) {
	abs, err := filepath.Abs(home)
	if err != nil {
		return Carbon{}, err
	}
	home = abs
	pidFile := filepath.Join(home, PidFileName)
	c, why := fromPidFile(pidFile, home)
	if c != nil {
		return *c, nil
	}

	servers, notes, err := Find()
	if err != nil {
		return Carbon{}, err
	}
	var match []Carbon
	for _, c := range servers {
		if samePath(c.Home, home) {
			match = append(match, c)
		}
	}
	switch len(match) {
	case 1:
		c := match[0]
		c.Notes = append([]string{why + "; found pid " + strconv.Itoa(c.PID) + " by its -Dcarbon.home instead"}, c.Notes...)
		return c, nil
	case 0:
		msg := fmt.Sprintf("%s; and no process runs with -Dcarbon.home=%s", why, home)
		if len(notes) > 0 {
			msg += fmt.Sprintf(" (%d processes could not be read)", len(notes))
		}
		return Carbon{}, fmt.Errorf("%w: %s", ErrNotRunning, msg)
	default:
		pids := make([]string, len(match))
		for i, c := range match {
			pids[i] = strconv.Itoa(c.PID)
		}
		return Carbon{}, fmt.Errorf("%s; and several processes run with -Dcarbon.home=%s: pids %s", why, home, strings.Join(pids, ", "))
	}
}

// fromPidFile returns the running Carbon server of home that its pid file
// names, or says what is wrong with that file.
func fromPidFile(pidFile, home string) (*Carbon, string) {
	pid, err := ReadPidFile(pidFile)
	if errors.Is(err, fs.ErrNotExist) {
		msg := "no " + PidFileName + " in " + home
		if others := PidFiles(home); len(others) > 0 {
			msg += " (EI 6 runtimes write their own: " + strings.Join(others, ", ") + "; pass the runtime's directory as the home)"
		}
		return nil, msg
	}
	if err != nil {
		return nil, err.Error()
	}
	c, ok, err := Inspect(pid)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Sprintf("%s names pid %d, which is not running (a stale file, left by a crash or a kill -9)", pidFile, pid)
	case err != nil:
		return nil, fmt.Sprintf("%s names pid %d, whose command line could not be read: %v", pidFile, pid, unwrapPath(err))
	case !ok:
		args, _, _ := Cmdline(pid)
		return nil, fmt.Sprintf("%s names pid %d, which is another program (stale file, pid reused): %s", pidFile, pid, shortCmd(args))
	case !samePath(c.Home, home):
		return nil, fmt.Sprintf("%s names pid %d, a Carbon server of another home (%s)", pidFile, pid, c.Home)
	}
	return c, ""
}

func samePath(a, b string) bool {
	a, b = filepath.Clean(a), filepath.Clean(b)
	if a == b {
		return true
	}
	ra, errA := filepath.EvalSymlinks(a)
	rb, errB := filepath.EvalSymlinks(b)
	return errA == nil && errB == nil && ra == rb
}

func shortCmd(args []string) string {
	s := strings.Join(args, " ")
	if s == "" {
		return "(no command line: a kernel thread or a zombie)"
	}
	if len(s) > 120 {
		s = s[:120] + "..."
	}
	return s
}

// unwrapPath drops the path from an *fs.PathError: the caller names it already.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
