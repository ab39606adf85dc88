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

// unwrapPath drops the path from an *fs.PathError: the caller names it already.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
