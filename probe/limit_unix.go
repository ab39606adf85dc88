//go:build unix

package probe

import "syscall"

// fdReserve is how many descriptors a check keeps for everything but its
// dials: the binary's own files, the socket table's netlink socket, /proc
// directories read while looking for holders.
const fdReserve = 64

// maxConcurrency is how many dials can be open at once within this
// process's open-file limit (Go raises the soft limit to the hard one at
// start where it may); 0 when the limit cannot be read.
func maxConcurrency() int {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil || lim.Cur > 1<<30 {
		return 0
	}
	return max(int(lim.Cur)-fdReserve, 1)
}
