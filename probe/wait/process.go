package wait

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/carbonprobe/carbonprobe/probe/procs"
)

// LogFile is where a Carbon server logs, under its home (Carbon 4 and MI alike).
var LogFile = filepath.Join("repository", "logs", "wso2carbon.log")

// Process is the server process a wait watches.
type Process struct {
	PID     int
	What    string // for people: "mi pid 4242, home /opt/mi, offset 3 (...)"
	LogPath string // the server's log; "" when its home is unknown
}

// ErrNotYet means the server process is not running yet: keep looking.
var ErrNotYet = errors.New("the server process is not running yet")

// GoneError means the server process ran and is no longer running.
type GoneError struct {
	PID     int
	Why     string
	LogPath string
}

func (e *GoneError) Error() string { return e.Why }

// Locator finds the server process. Locate returns an error matching
// ErrNotYet while it has not started, a *GoneError once it is known to have
// run and exited, and any other error when it cannot tell which process to
// watch (then the wait stops: watching the wrong one would be worse).
type Locator interface {
	Locate() (Process, error)
	String() string // what it looks for: "pid 4242", "the server of /opt/mi"
}

// ByPID watches a pid the user named. The process must be running when the
// wait begins: a pid that is gone is a server that exited. home, when not
// empty, says where its log is if the command line does not.
func ByPID(pid int, home string) Locator { return byPID{pid, home} }

type byPID struct {
	pid  int
	home string
}

func (b byPID) String() string { return "pid " + strconv.Itoa(b.pid) }

func (b byPID) Locate() (Process, error) {
	p := Process{PID: b.pid, What: "pid " + strconv.Itoa(b.pid)}
	if b.home != "" {
		p.LogPath = filepath.Join(b.home, LogFile)
	}
	c, ok, err := procs.Inspect(b.pid)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return p, &GoneError{PID: b.pid, Why: fmt.Sprintf("pid %d is not running", b.pid), LogPath: p.LogPath}
	case errors.Is(err, procs.ErrUnsupported):
		return p, err
	case err != nil:
		// Another user's process: its command line may be unreadable, yet it can be watched.
		return p, nil
	case ok:
		p.What = c.Describe()
		if p.LogPath == "" && c.Home != "" {
			p.LogPath = filepath.Join(c.Home, LogFile)
		}
	default:
		args, _, _ := procs.Cmdline(b.pid)
		p.What = fmt.Sprintf("pid %d (%s)", b.pid, shortCmd(args))
	}
	return p, nil
}

// ByHome finds the server of a Carbon home: through its wso2carbon.pid, else
// by -Dcarbon.home on a running command line. A pid file written after since
// that names a process that is gone means the server started and died before
// it could be watched: a crashed start must not cost the whole timeout.
func ByHome(home string, since time.Time) Locator { return byHome{home, since} }

type byHome struct {
	home  string
	since time.Time
}

func (b byHome) String() string { return "the server of " + b.home }

func (b byHome) Locate() (Process, error) {
	c, err := procs.FromHome(b.home)
	if err == nil {
		return Process{PID: c.PID, What: c.Describe(), LogPath: filepath.Join(c.Home, LogFile)}, nil
	}
	if !errors.Is(err, procs.ErrNotRunning) {
		return Process{}, err
	}
	abs, aerr := filepath.Abs(b.home)
	if aerr != nil {
		abs = b.home
	}
	pidFile := filepath.Join(abs, procs.PidFileName)
	if fi, serr := os.Stat(pidFile); serr == nil && !fi.ModTime().Before(b.since.Truncate(time.Second)) {
		// Truncated: some filesystems keep whole seconds, and a pid file from the
		// second the wait began is still this start's.
		if pid, perr := procs.ReadPidFile(pidFile); perr == nil && !running(pid) {
			return Process{}, &GoneError{PID: pid, LogPath: filepath.Join(abs, LogFile),
				Why: fmt.Sprintf("%s was written at %s, after the wait began, and names pid %d, which is no longer running",
					pidFile, fi.ModTime().Format("15:04:05.000"), pid)}
		}
	}
	return Process{}, fmt.Errorf("%w: %v", ErrNotYet, err)
}

// ByCmdline finds the one process whose command line (arguments joined by
// spaces) matches re. Carbon processes win over others, so a pattern that
// also matches the start script's shell still names the JVM; self is left
// out (carbonprobe's own command line holds the pattern).
func ByCmdline(re *regexp.Regexp, self int) Locator { return byCmdline{re, self} }

type byCmdline struct {
	re   *regexp.Regexp
	self int
}

func (b byCmdline) String() string { return fmt.Sprintf("the process matching %q", b.re.String()) }

func (b byCmdline) Locate() (Process, error) {
	pids, err := procs.Pids()
	if err != nil {
		return Process{}, err
	}
	type match struct {
		pid    int
		args   []string
		carbon *procs.Carbon
	}
	var all, carbons []match
	for _, pid := range pids {
		if pid == b.self {
			continue
		}
		args, _, err := procs.Cmdline(pid)
		if err != nil || len(args) == 0 || !b.re.MatchString(strings.Join(args, " ")) {
			continue
		}
		m := match{pid: pid, args: args}
		if c, ok := procs.ParseCmdline(args); ok {
			c.PID = pid
			if ic, ok, err := procs.Inspect(pid); err == nil && ok {
				c = ic // its home made absolute
			}
			m.carbon = c
			carbons = append(carbons, m)
		}
		all = append(all, m)
	}
	pick := all
	if len(carbons) > 0 {
		pick = carbons
	}
	pick = dropForks(pick, func(m match) (int, string) { return m.pid, strings.Join(m.args, "\x00") })
	switch len(pick) {
	case 0:
		return Process{}, fmt.Errorf("%w: no command line matches %q", ErrNotYet, b.re.String())
	case 1:
		m := pick[0]
		if m.carbon != nil {
			return Process{PID: m.pid, What: m.carbon.Describe(), LogPath: filepath.Join(m.carbon.Home, LogFile)}, nil
		}
		return Process{PID: m.pid, What: fmt.Sprintf("pid %d (%s)", m.pid, shortCmd(m.args))}, nil
	}
	lines := make([]string, len(pick))
	for i, m := range pick {
		lines[i] = fmt.Sprintf("pid %d: %s", m.pid, shortCmd(m.args))
	}
	return Process{}, fmt.Errorf("--cmd-match %q matches %d processes, expected one: %s", b.re.String(), len(pick), strings.Join(lines, "; "))
}

// dropForks leaves out a process whose parent matched with the same command
// line: a shell between fork and exec looks exactly like its parent for a
// moment, and is not a second server.
func dropForks[T any](ms []T, key func(T) (int, string)) []T {
	if len(ms) < 2 {
		return ms
	}
	byPID := map[int]string{}
	for _, m := range ms {
		pid, cmd := key(m)
		byPID[pid] = cmd
	}
	var out []T
	for _, m := range ms {
		pid, cmd := key(m)
		if ppid := parentPID(pid); ppid > 0 && byPID[ppid] == cmd {
			continue
		}
		out = append(out, m)
	}
	return out
}

func shortCmd(args []string) string {
	s := strings.Join(args, " ")
	if s == "" {
		return "no command line"
	}
	if len(s) > 120 {
		s = s[:120] + "..."
	}
	return s
}
