//go:build unix && !linux

package supervise

// becomeSubreaper: only Linux has child subreapers; the command's orphans
// go to the system's init, which reaps them.
func becomeSubreaper() bool { return false }
