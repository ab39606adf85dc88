package sockets

import (
	"strings"

	"github.com/carbonprobe/carbonprobe/internal/text"
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

// Command is the command line on one line for reports: another user's
// process may hold anything in its arguments, so it is escaped and cut.
func (p Process) Command() string { return text.Cut(strings.Join(p.Cmdline, " "), 200) }
