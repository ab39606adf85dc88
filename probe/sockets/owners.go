package sockets

import (
	"strings"

	"github.com/carbonprobe/carbonprobe/probe/procs"
)

// Process is the owner of a socket.
type Process struct {
	PID     int
	UID     uint32 // effective uid
	User    string // "" when the uid has no name
	Cmdline []string
	Carbon  *procs.Carbon // nil unless the process is a Carbon server
}

// Command is the command line on one line, cut at 200 bytes for reports.
func (p Process) Command() string {
	s := strings.Join(p.Cmdline, " ")
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}
