package supervise

import (
	"os"

	"golang.org/x/sys/unix"
)

// becomeSubreaper makes the orphans of the command carbonprobe's children,
// as they are PID 1's in a container: carbonprobe then reaps them. PID 1 is a
// subreaper by nature.
func becomeSubreaper() bool {
	if os.Getpid() == 1 {
		return true
	}
	return unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == nil
}
