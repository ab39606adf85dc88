//go:build !unix

package supervise

import (
	"io"
	"os"
	"os/exec"
)

// Windows has neither process groups to signal nor orphans to reap: the
// console sends Ctrl-C to every process attached to it, the command too, so
// carbonprobe only holds on to it and waits for the command's exit code.
var forwarded = []os.Signal{os.Interrupt}

func foregroundJob(io.Reader) bool           { return false }
func setGroup(*exec.Cmd, bool)               {}
func forward(int, bool, os.Signal)           {}
func signalled(*os.ProcessState) (int, bool) { return 0, false }
func becomeSubreaper() bool                  { return false }
func waitReaping(int) (int, error)           { panic("unreachable: no subreaper here") }
