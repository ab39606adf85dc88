//go:build linux

package wait

import (
	"errors"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/carbonprobe/carbonprobe/probe/procs"
)

// watcher tells when a process exits. On Linux 5.3+ a pidfd becomes readable
// the moment the process exits, child or not, so poll(2) on it costs nothing
// while it runs; where pidfd_open is missing or refused (old kernels, some
// seccomp profiles), /proc/PID/stat is read every interval instead.
type watcher struct {
	exited chan struct{}
	how    string // "pidfd" or "/proc every 10ms", for the report
	stop   func()
}

// errGone: the process was already gone when the watch began.
var errGone = errors.New("not running")

// forcePolling makes watch use /proc polling; tests set it to cover the fallback.
var forcePolling = false

func watch(pid int, interval time.Duration) (*watcher, error) {
	if !forcePolling {
		fd, err := unix.PidfdOpen(pid, 0)
		switch {
		case err == nil:
			return watchPidfd(fd)
		case errors.Is(err, unix.ESRCH):
			return nil, errGone
		}
	}
	if !procs.Running(pid) {
		return nil, errGone
	}
	return watchProc(pid, interval), nil
}

func watchPidfd(pidfd int) (*watcher, error) {
	// A pipe wakes the poll when the wait ends first.
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		unix.Close(pidfd)
		return nil, err
	}
	w := &watcher{exited: make(chan struct{}), how: "pidfd"}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fds := []unix.PollFd{{Fd: int32(pidfd), Events: unix.POLLIN}, {Fd: int32(p[0]), Events: unix.POLLIN}}
		for {
			_, err := unix.Poll(fds, -1)
			if errors.Is(err, unix.EINTR) {
				continue
			}
			if err == nil && fds[1].Revents != 0 {
				return
			}
			// Readable, or an error on the pidfd: either way the process is gone.
			close(w.exited)
			return
		}
	}()
	var once sync.Once
	w.stop = func() {
		once.Do(func() {
			unix.Write(p[1], []byte{0})
			<-done
			unix.Close(p[0])
			unix.Close(p[1])
			unix.Close(pidfd)
		})
	}
	return w, nil
}

func watchProc(pid int, interval time.Duration) *watcher {
	w := &watcher{exited: make(chan struct{}), how: "/proc every " + interval.String()}
	quit := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case <-t.C:
				if !procs.Running(pid) {
					close(w.exited)
					return
				}
			}
		}
	}()
	var once sync.Once
	w.stop = func() { once.Do(func() { close(quit); <-done }) }
	return w
}
