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

// watch needs Linux (pidfd or /proc); the locators fail before it is called elsewhere.
func watch(pid int, interval time.Duration) (*watcher, error) {
	return nil, errors.New("watching a process is supported on Linux only")
}

func running(pid int) bool { return true }

func parentPID(pid int) int { return 0 }
