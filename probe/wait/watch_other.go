//go:build !linux

package wait

import (
	"errors"
	"time"
)

type watcher struct {
	exited chan struct{}
	how    string
	stop   func()
}

var errGone = errors.New("not running")

var forcePolling = false

// watch needs Linux (pidfd or /proc); elsewhere no server process is found to watch.
func watch(pid int, interval time.Duration) (*watcher, error) {
	return nil, errors.New("watching a process is supported on Linux only")
}
