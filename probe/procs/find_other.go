//go:build !linux

package procs

import "time"

// Cmdline needs Linux's /proc.
func Cmdline(pid int) ([]string, bool, error) { return nil, false, ErrUnsupported }

// Inspect needs Linux's /proc.
func Inspect(pid int) (*Carbon, bool, error) { return nil, false, ErrUnsupported }

// Find needs Linux's /proc.
func Find() ([]Carbon, []string, error) { return nil, nil, ErrUnsupported }

// Pids needs Linux's /proc.
func Pids() ([]int, error) { return nil, ErrUnsupported }

// Running needs Linux's /proc; elsewhere every process is taken as running.
func Running(pid int) bool { return true }

// Parent needs Linux's /proc.
func Parent(pid int) int { return 0 }

// Environ needs Linux's /proc.
func Environ(pid int) (map[string]string, error) { return nil, ErrUnsupported }

// StartTime needs Linux's /proc.
func StartTime(pid int) (time.Time, error) { return time.Time{}, ErrUnsupported }
