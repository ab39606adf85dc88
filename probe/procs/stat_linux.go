//go:build linux

package procs

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// Running reads /proc/PID/stat: a process that is gone or a zombie (exited,
// not yet reaped by its parent) is not running. A process whose stat cannot
// be read for another reason is taken as running.
func Running(pid int) bool {
	state, _, err := stat(pid)
	if err != nil {
		return !errors.Is(err, os.ErrNotExist) && !errors.Is(err, unix.ESRCH)
	}
	switch state {
	case 'Z', 'X', 'x':
		return false
	}
	return true
}

// Parent returns the pid of pid's parent; 0 when it cannot be read.
func Parent(pid int) int {
	_, ppid, err := stat(pid)
	if err != nil {
		return 0
	}
	return ppid
}

// stat reads the state letter and the parent pid from /proc/PID/stat.
func stat(pid int) (state byte, ppid int, err error) {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, err
	}
	// "pid (comm) S ppid ...": comm may hold spaces and parentheses; the state follows the last ')'.
	i := bytes.LastIndexByte(raw, ')')
	if i < 0 {
		return 0, 0, errors.New("malformed /proc stat")
	}
	f := bytes.Fields(raw[i+1:])
	if len(f) < 2 || len(f[0]) != 1 {
		return 0, 0, errors.New("malformed /proc stat")
	}
	ppid, _ = strconv.Atoi(string(f[1]))
	return f[0][0], ppid, nil
}

// EnvironLimit bounds one /proc/PID/environ read.
const EnvironLimit = 256 << 10

// Environ reads a process's environment as it was at its start
// (/proc/PID/environ), at most EnvironLimit bytes. Another user's process
// gives a permission error.
func Environ(pid int) (map[string]string, error) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/environ")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, EnvironLimit))
	if err != nil {
		return nil, err
	}
	env := map[string]string{}
	for _, kv := range bytes.Split(raw, []byte{0}) {
		if k, v, ok := bytes.Cut(kv, []byte{'='}); ok && len(k) > 0 {
			env[string(k)] = string(v)
		}
	}
	return env, nil
}

// StartTime is when a process started, from /proc/PID/stat (its start in
// clock ticks after boot) and /proc/stat's btime. The kernel's tick is 100 Hz
// on every Linux a JVM runs on (USER_HZ, which /proc reports in).
func StartTime(pid int) (time.Time, error) {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return time.Time{}, err
	}
	i := bytes.LastIndexByte(raw, ')')
	if i < 0 {
		return time.Time{}, errors.New("malformed /proc stat")
	}
	f := bytes.Fields(raw[i+1:]) // state is field 3 of the line, starttime field 22
	if len(f) < 20 {
		return time.Time{}, errors.New("malformed /proc stat")
	}
	ticks, err := strconv.ParseUint(string(f[19]), 10, 64)
	if err != nil {
		return time.Time{}, err
	}
	stat, err := os.ReadFile("/proc/stat")
	if err != nil {
		return time.Time{}, err
	}
	for _, l := range bytes.Split(stat, []byte{'\n'}) {
		if v, ok := bytes.CutPrefix(l, []byte("btime ")); ok {
			boot, err := strconv.ParseInt(string(bytes.TrimSpace(v)), 10, 64)
			if err != nil {
				return time.Time{}, err
			}
			return time.Unix(boot, 0).Add(time.Duration(ticks) * time.Second / 100), nil
		}
	}
	return time.Time{}, errors.New("no btime in /proc/stat")
}
