package target

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

	"github.com/carbonprobe/carbonprobe/internal/text"
	"github.com/carbonprobe/carbonprobe/probe/procs"
)

// LogFile is where a Carbon server logs, under its home (Carbon 4 and MI alike).
var LogFile = filepath.Join("repository", "logs", "wso2carbon.log")

// Server is the process a target is about, when it is known.
type Server struct {
	PID    int
	Carbon *procs.Carbon // nil when the process is not a Carbon server
	Args   []string      // its command line, when it could be read
	From   string        // how it was found: "flag --pid", "/opt/mi/wso2carbon.pid", ...
	// Home is its -Dcarbon.home, or the home the request named when the
	// process does not say; "" when unknown.
	Home string
	// Parent is the process that started it, as seen when it was found: a
	// launcher such as wso2server.sh, whose loop starts a new JVM when the
	// server exits with status 121 (a restart). 0 when unknown.
	Parent int
}

// Describe names the server for people.
func (s Server) Describe() string {
	if s.Carbon != nil {
		return s.Carbon.Describe()
	}
	if len(s.Args) > 0 {
		return fmt.Sprintf("pid %d (%s)", s.PID, shortCmd(s.Args))
	}
	return "pid " + strconv.Itoa(s.PID)
}

// LogPath is the server's wso2carbon.log, "" when its home is unknown.
func (s Server) LogPath() string {
	if s.Home != "" {
		return filepath.Join(s.Home, LogFile)
	}
	return ""
}

// Restartable tells whether a restart of s can be followed: a new JVM of a
// Carbon server's home, as a start script's loop starts it.
func (s Server) Restartable() bool { return s.Carbon != nil && s.Home != "" }

// Gone says that the named server ran and is no longer running.
type Gone struct {
	PID     int
	Why     string
	LogPath string
}

// AmbiguousError means the request names more than one running process:
// no check can tell which one it is about.
type AmbiguousError struct{ msg string }

func (e *AmbiguousError) Error() string { return e.msg }

// finding is what looking for the server came to.
type finding struct {
	server  *Server
	missing string // the named server is not running (yet): why
	gone    *Gone  // ... and it is known to have run
	notes   []string
}

func found(c *procs.Carbon, from string) finding {
	return finding{server: &Server{PID: c.PID, Carbon: c, Args: c.Args, From: from, Home: c.Home, Parent: procs.Parent(c.PID)}, notes: c.Notes}
}

// byPID looks at the process the user named.
func byPID(pid int, origin string) (finding, error) {
	c, isCarbon, err := procs.Inspect(pid)
	switch {
	case errors.Is(err, procs.ErrUnsupported):
		return finding{}, err
	case errors.Is(err, fs.ErrNotExist):
		why := fmt.Sprintf("%s %d: no such process runs here", origin, pid)
		return finding{missing: why, gone: &Gone{PID: pid, Why: why}}, nil
	case err != nil:
		// Another user's process: its command line is unreadable, yet it can be watched.
		return finding{server: &Server{PID: pid, From: origin, Parent: procs.Parent(pid)},
			notes: []string{fmt.Sprintf("the command line of pid %d could not be read (%v): its offset and home are not known from it", pid, unwrapPath(err))}}, nil
	case isCarbon:
		return found(c, origin), nil
	}
	args, _, _ := procs.Cmdline(pid)
	return finding{server: &Server{PID: pid, Args: args, From: origin, Parent: procs.Parent(pid)},
		notes: []string{fmt.Sprintf("pid %d is not a Carbon server (no Carbon main class on its command line)", pid)}}, nil
}

// byHome finds the server of a Carbon home: through its pid file, checked
// against /proc, else by the -Dcarbon.home on a running command line. A pid
// file written after since that names a process that is gone means the
// server started and died: a crashed start.
func byHome(home, origin string, since time.Time) (finding, error) {
	abs, err := filepath.Abs(home)
	if err != nil {
		return finding{}, err
	}
	pidFile := filepath.Join(abs, procs.PidFileName)
	c, why := fromPidFile(pidFile, abs)
	if c != nil {
		return found(c, pidFile), nil
	}
	servers, unread, err := procs.Find()
	if err != nil {
		return finding{}, err
	}
	var match []procs.Carbon
	for _, c := range servers {
		if samePath(c.Home, abs) {
			match = append(match, c)
		}
	}
	switch len(match) {
	case 1:
		f := found(&match[0], fmt.Sprintf("-Dcarbon.home=%s on its command line (%s)", abs, origin))
		f.notes = append([]string{why + "; found pid " + strconv.Itoa(match[0].PID) + " by its -Dcarbon.home instead"}, f.notes...)
		return f, nil
	case 0:
	default:
		pids := make([]string, len(match))
		for i, c := range match {
			pids[i] = strconv.Itoa(c.PID)
		}
		return finding{}, &AmbiguousError{fmt.Sprintf("%s %s: %s; and several processes run with -Dcarbon.home=%s: pids %s; name one with --pid", origin, home, why, abs, strings.Join(pids, ", "))}
	}
	f := finding{missing: fmt.Sprintf("%s %s: the server is not running: %s; and no process runs with -Dcarbon.home=%s", origin, home, why, abs)}
	if len(unread) > 0 {
		f.missing += fmt.Sprintf(" (%d processes could not be read)", len(unread))
	}
	if fi, serr := os.Stat(pidFile); serr == nil && !since.IsZero() && !fi.ModTime().Before(since.Truncate(time.Second)) {
		// Truncated: some filesystems keep whole seconds, and a pid file from
		// the second the wait began is still this start's.
		if pid, perr := procs.ReadPidFile(pidFile); perr == nil && !procs.Running(pid) {
			f.gone = &Gone{PID: pid, LogPath: filepath.Join(abs, LogFile),
				Why: fmt.Sprintf("%s was written at %s, after the wait began, and names pid %d, which is no longer running",
					pidFile, fi.ModTime().Format("15:04:05.000"), pid)}
		}
	}
	return f, nil
}

// fromPidFile returns the running Carbon server of home that its pid file
// names, or says what is wrong with that file.
func fromPidFile(pidFile, home string) (*procs.Carbon, string) {
	pid, err := procs.ReadPidFile(pidFile)
	if errors.Is(err, fs.ErrNotExist) {
		msg := "no " + procs.PidFileName + " in " + home
		if others := procs.PidFiles(home); len(others) > 0 {
			msg += " (EI 6 runtimes write their own: " + strings.Join(others, ", ") + "; pass the runtime's directory as the home)"
		}
		return nil, msg
	}
	if err != nil {
		return nil, err.Error()
	}
	c, ok, err := procs.Inspect(pid)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Sprintf("%s names pid %d, which is not running (a stale file, left by a crash or a kill -9)", pidFile, pid)
	case err != nil:
		return nil, fmt.Sprintf("%s names pid %d, whose command line could not be read: %v", pidFile, pid, unwrapPath(err))
	case !ok:
		args, _, _ := procs.Cmdline(pid)
		return nil, fmt.Sprintf("%s names pid %d, which is another program (stale file, pid reused): %s", pidFile, pid, shortCmd(args))
	case !samePath(c.Home, home):
		return nil, fmt.Sprintf("%s names pid %d, a Carbon server of another home (%s)", pidFile, pid, c.Home)
	}
	return c, ""
}

// byCmdline finds the one process whose command line (arguments joined by
// spaces) matches re. Carbon processes win over others, so a pattern that
// also matches the start script's shell still names the JVM; self is left
// out (carbonprobe's own command line holds the pattern).
func byCmdline(re *regexp.Regexp, origin string, self int) (finding, error) {
	pids, err := procs.Pids()
	if err != nil {
		return finding{}, err
	}
	type match struct {
		pid    int
		args   []string
		carbon *procs.Carbon
	}
	var all, carbons []match
	for _, pid := range pids {
		if pid == self {
			continue
		}
		args, _, err := procs.Cmdline(pid)
		if err != nil || len(args) == 0 || !re.MatchString(strings.Join(args, " ")) {
			continue
		}
		m := match{pid: pid, args: args}
		if _, ok := procs.ParseCmdline(args); ok {
			if c, ok, err := procs.Inspect(pid); err == nil && ok {
				m.carbon = c // its home made absolute
				carbons = append(carbons, m)
			}
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
		return finding{missing: fmt.Sprintf("%s %s: no command line matches", origin, text.Quote(re.String()))}, nil
	case 1:
		m := pick[0]
		if m.carbon != nil {
			return found(m.carbon, origin), nil
		}
		return finding{server: &Server{PID: m.pid, Args: m.args, From: origin, Parent: procs.Parent(m.pid)}}, nil
	}
	lines := make([]string, len(pick))
	for i, m := range pick {
		lines[i] = fmt.Sprintf("pid %d: %s", m.pid, shortCmd(m.args))
	}
	return finding{}, &AmbiguousError{fmt.Sprintf("%s %s matches %d processes, expected one: %s", origin, text.Quote(re.String()), len(pick), strings.Join(lines, "; "))}
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
		if ppid := procs.Parent(pid); ppid > 0 && byPID[ppid] == cmd {
			continue
		}
		out = append(out, m)
	}
	return out
}

// scan finds the Carbon server on this host when nothing names one: the only
// one, or the only one with the offset a flag gave.
func scan(offset *int, self int) (finding, error) {
	all, unread, err := procs.Find()
	if err != nil {
		return finding{}, err
	}
	var f finding
	if n := unreadNote(unread); n != "" {
		f.notes = append(f.notes, n)
	}
	servers := all[:0:0]
	for _, c := range all {
		if c.PID != self {
			servers = append(servers, c)
		}
	}
	switch len(servers) {
	case 0:
		f.notes = append(f.notes, "no Carbon server process runs on this host")
		return f, nil
	case 1:
		g := found(&servers[0], "the only Carbon server on this host")
		g.notes = append(f.notes, g.notes...)
		return g, nil
	}
	if offset != nil {
		var match []procs.Carbon
		for _, c := range servers {
			if c.Offset != nil && *c.Offset == *offset {
				match = append(match, c)
			}
		}
		if len(match) == 1 {
			g := found(&match[0], fmt.Sprintf("the only Carbon server here with -DportOffset=%d", *offset))
			g.notes = append(f.notes, g.notes...)
			return g, nil
		}
	}
	list := make([]string, len(servers))
	for i, c := range servers {
		list[i] = c.Describe()
	}
	f.notes = append(f.notes, fmt.Sprintf("%d Carbon servers run here; choose one with --pid or --carbon-home to check who holds each port: %s",
		len(servers), strings.Join(list, "; ")))
	return f, nil
}

func samePath(a, b string) bool {
	a, b = filepath.Clean(a), filepath.Clean(b)
	if a == b {
		return true
	}
	ra, errA := filepath.EvalSymlinks(a)
	rb, errB := filepath.EvalSymlinks(b)
	return errA == nil && errB == nil && ra == rb
}

// unreadNote says how many processes a scan could not read, and the
// first's reason; "" when it read them all.
func unreadNote(unread []string) string {
	if len(unread) == 0 {
		return ""
	}
	return fmt.Sprintf("%d processes could not be read (%s)", len(unread), unread[0])
}

// shortCmd is another process's command line for a report: text carbonprobe
// did not write, escaped and cut as a peer's is.
func shortCmd(args []string) string {
	s := strings.Join(args, " ")
	if s == "" {
		return "no command line: a kernel thread or a zombie"
	}
	return text.Cut(s, 120)
}

// unwrapPath drops the path from an *fs.PathError: the caller names it already.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
