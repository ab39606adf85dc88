//go:build unix

package supervise

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"

	"golang.org/x/sys/unix"
)

var forwarded = []os.Signal{unix.SIGINT, unix.SIGTERM, unix.SIGHUP, unix.SIGQUIT, unix.SIGUSR1, unix.SIGUSR2}

// foregroundJob reports whether carbonprobe is the foreground job of the
// terminal on stdin: a person at a shell, whose Ctrl-C and Ctrl-Z the
// terminal sends to the whole job. The command then stays in that job (a
// group of its own would be a background job, stopped as soon as it read
// the terminal).
func foregroundJob(stdin io.Reader) bool {
	f, ok := stdin.(*os.File)
	if !ok {
		return false
	}
	pgrp, err := unix.IoctlGetInt(int(f.Fd()), unix.TIOCGPGRP)
	return err == nil && pgrp == unix.Getpgrp()
}

func setGroup(cmd *exec.Cmd, group bool) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: group}
}

// forward sends s to the command's process group, or to the command alone
// when it shares carbonprobe's (the terminal then signals the whole job
// itself; sending to the group would signal carbonprobe again).
func forward(pid int, group bool, s os.Signal) {
	target := pid
	if group {
		target = -pid
	}
	_ = unix.Kill(target, s.(syscall.Signal)) // ESRCH: it is gone already
}

func signalled(ps *os.ProcessState) (int, bool) {
	ws, ok := ps.Sys().(syscall.WaitStatus)
	if ok && ws.Signaled() {
		return int(ws.Signal()), true
	}
	return 0, false
}

// waitReaping waits for any child until the command itself exits, reaping
// the orphans that were reparented to carbonprobe on the way, then the
// zombies that are left; it returns the command's own status.
func waitReaping(pid int) (int, error) {
	for {
		var ws unix.WaitStatus
		got, err := unix.Wait4(-1, &ws, 0, nil)
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case err != nil:
			return 1, fmt.Errorf("waiting for pid %d: %w", pid, err)
		case got != pid:
			continue // an orphan, reaped
		}
		reapZombies()
		switch {
		case ws.Signaled():
			return 128 + int(ws.Signal()), nil
		case ws.Exited():
			return ws.ExitStatus(), nil
		}
		return 1, fmt.Errorf("pid %d: unexpected wait status %#x", pid, uint32(ws))
	}
}

// reapZombies reaps the children that have exited, without waiting for the
// ones still running (the command's background children, when carbonprobe
// is about to exit: as PID 1 its exit ends them).
func reapZombies() {
	for {
		got, err := unix.Wait4(-1, nil, unix.WNOHANG, nil)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil || got <= 0 {
			return
		}
	}
}
