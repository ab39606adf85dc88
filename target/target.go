// Package target answers, once for every command, which server a check is
// about: its process (when it runs on this host), its product, and the port
// offset and ports it should have, with where each answer came from.
//
// The precedence is written here: a flag, then that flag's environment
// variable (which of the two is the command's reader's to say, or the
// targets file's; both arrive in the Request with their origin), then
// the running server (its command line: -DportOffset on either side of the
// main class, -Dcarbon.home, -Dprofile; its home's files), then $JAVA_OPTS,
// then the home's files, then the profile's default. Where two sources
// disagree, the target carries one note saying so.
//
// The package takes a plain Request (no command-line types) and imports no
// command and no waiting logic; a wait calls Resolve again as the server
// appears, exits or restarts.
package target

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-multierror"

	"github.com/carbonprobe/carbonprobe/expect"
	"github.com/carbonprobe/carbonprobe/internal/text"
	"github.com/carbonprobe/carbonprobe/probe/procs"
)

// DefaultHost is where ports are dialled when the request names no host.
const DefaultHost = "127.0.0.1"

// Value is one input and where it came from ("flag --offset",
// "$CARBONPROBE_OFFSET"); an empty Value is unset.
type Value = expect.Text

// Request is what the user asked for, before any of it is checked.
type Request struct {
	// Given by a flag or its variable: these beat the running server.
	Profile, Offset, CarbonHome, Runtime, Expect, Ports Value
	JavaOpts                                            Value // Java options that may hold -DportOffset=N
	// EnvJavaOpts is $JAVA_OPTS: read only when no Carbon server's command
	// line is known (none found, or the process found is not a Carbon
	// server, or its command line cannot be read), since a running server's
	// own command line says what it was started with.
	EnvJavaOpts Value
	PID         Value // the server's process id
	CmdMatch    Value // a regular expression over command lines: the one process it matches
	Host        string
	// Self is carbonprobe's own pid, never taken for the server.
	Self int
	// Since is when a wait began: a pid file written after it that names a
	// dead process is a crashed start, not a server yet to come.
	Since time.Time
	// Previous is the server a wait watched until it exited. The request
	// then looks for the server that replaces it (a restart) by the
	// previous one's home, whatever named the previous one.
	Previous *Server
	// Getenv is this process's environment: $env{VAR} and ${VAR} in the
	// home's files resolve from it when the server's own environment
	// (/proc/PID/environ) cannot be read or no server runs here.
	Getenv func(string) (string, bool)
}

// Target is the answer: what to check, where, and the server process.
type Target struct {
	Spec  expect.Spec
	Host  string
	Local bool // Host is this machine
	// Looked says that this host's processes were read to find the server
	// (and so its socket table can tell who holds each port).
	Looked bool
	// Named is what names the server ("flag --pid 4242", "$CARBON_HOME
	// /opt/mi"); "" when nothing does and any Carbon server here will do.
	Named  string
	Server *Server // nil when no server process was found
	// Missing says why the named server was not found; a check fails on it.
	Missing string
	// Gone is set when the named server is known to have run and exited.
	Gone *Gone
	// Skipped says why processes were not read: a remote host, no /proc.
	Skipped string
	Notes   []string // disagreements between sources, several candidates, unreadable processes
}

// selector is what names the server in a request.
type selector struct {
	pid   int
	re    *regexp.Regexp
	home  Value
	named string
}

func (r Request) selector() (selector, error) {
	var s selector
	var errs *multierror.Error
	if t := r.PID; t.Value != "" {
		n, err := strconv.Atoi(strings.TrimSpace(t.Value))
		if err != nil || n < 1 {
			errs = multierror.Append(errs, fmt.Errorf("%s: %s is not a process id", t.Origin, text.Quote(t.Value)))
		}
		s.pid, s.named = n, fmt.Sprintf("%s %d", t.Origin, n)
	}
	if t := r.CmdMatch; t.Value != "" {
		re, err := regexp.Compile(t.Value)
		if err != nil {
			errs = multierror.Append(errs, fmt.Errorf("%s: %s is not a regular expression: %v", t.Origin, text.Quote(t.Value), err))
		}
		s.re, s.named = re, fmt.Sprintf("%s %s", t.Origin, text.Quote(t.Value))
	}
	if r.PID.Value != "" && r.CmdMatch.Value != "" {
		errs = multierror.Append(errs, fmt.Errorf("%s and %s both name the server: give one", r.PID.Origin, r.CmdMatch.Origin))
	}
	if t := r.CarbonHome; t.Value != "" {
		s.home = t
		if s.named == "" {
			s.named = fmt.Sprintf("the server of %s (%s)", t.Value, t.Origin)
		}
	}
	if p := r.Previous; p != nil && p.Restartable() {
		// A restarted server is a new process of the same home.
		s.pid, s.re = 0, nil
		s.home = Value{Value: p.Home, Origin: fmt.Sprintf("the home of pid %d, which exited", p.PID)}
		s.named = "the server of " + p.Home
	}
	return s, errs.ErrorOrNil()
}

func (s selector) any() bool { return s.pid > 0 || s.re != nil || s.home.Value != "" }

// Resolve answers a request: the server process, when it runs on this host,
// and the spec with the offset and ports it should have. The error holds
// every problem of the input (flags, files), one per line; a request whose
// server cannot be told apart from others gives an *AmbiguousError.
func Resolve(ctx context.Context, req Request) (Target, error) {
	t := Target{Host: req.Host}
	if t.Host == "" {
		t.Host = DefaultHost
	}
	var errs *multierror.Error
	sel, err := req.selector()
	if err != nil {
		errs = multierror.Append(errs, err)
	}
	t.Named = sel.named
	in := expect.Input{Profile: req.Profile, Offset: req.Offset, JavaOpts: req.JavaOpts, CarbonHome: req.CarbonHome,
		Ports: req.Ports, Runtime: req.Runtime, Expect: req.Expect}
	if sel.home.Value != "" {
		in.CarbonHome = sel.home
	}

	// --ports alone (or --profile none) checks any server, as other
	// checkers do: by dialling only, unless a process is named. Reading who
	// holds the ports means scanning every process's descriptors: too dear
	// for a check that was not asked about holders.
	if !sel.any() && (req.Ports.Value != "" || req.Profile.Value == expect.NoProfile) {
		spec, err := resolveSpec(in, req)
		if spec.Profile == expect.NoProfile || err != nil {
			if err != nil {
				errs = multierror.Append(errs, err)
			}
			t.Spec = spec
			return t, errs.ErrorOrNil()
		}
	}

	var f finding
	var addrs []netip.Addr
	local := false
	if runtime.GOOS == "linux" {
		// Off Linux nothing is looked up: no name lookup for nothing.
		addrs, local = Locality(ctx, t.Host, 2*time.Second)
	}
	switch {
	case runtime.GOOS != "linux":
		t.Skipped = "process and socket discovery needs Linux's /proc; checked by dialling only"
	case !local:
		t.Skipped = "remote host " + t.Host + ": which process holds each port is not looked up; checked by dialling only"
		if len(addrs) == 0 {
			t.Skipped = "host " + t.Host + " does not resolve here: no process is looked up"
		}
	case errs.ErrorOrNil() != nil:
		t.Local = true // the request is bad: no process is looked for
	default:
		t.Local, t.Looked = true, true
		var err error
		f, err = find(sel, req)
		var amb *AmbiguousError
		switch {
		case errors.As(err, &amb):
			errs = multierror.Append(errs, err)
		case errors.Is(err, procs.ErrUnsupported):
			t.Looked = false
			t.Skipped = "process and socket discovery needs Linux's /proc; checked by dialling only"
		case err != nil:
			t.Looked = false
			t.Skipped = "could not list processes: " + text.OneLine(err.Error())
		}
	}
	t.Server, t.Missing, t.Gone = f.server, f.missing, f.gone
	t.Notes = append(t.Notes, f.notes...)
	if s := t.Server; s != nil && s.Home == "" && in.CarbonHome.Value != "" {
		s.Home = in.CarbonHome.Value // where its log is, when its command line does not say
	}

	spec, err := t.specWith(in, req)
	if err != nil {
		errs = multierror.Append(errs, err)
	}
	t.Spec = spec
	t.disagreements(req)
	for i := range t.Notes {
		t.Notes[i] = text.OneLine(t.Notes[i])
	}
	return t, errs.ErrorOrNil()
}

// find looks for the server the selector names, or any Carbon server here.
func find(sel selector, req Request) (finding, error) {
	switch {
	case sel.pid > 0:
		return byPID(sel.pid, req.PID.Origin)
	case sel.re != nil:
		return byCmdline(sel.re, req.CmdMatch.Origin, req.Self)
	case sel.home.Value != "":
		return byHome(sel.home.Value, sel.home.Origin, req.Since)
	}
	var offset *int
	if n, err := expect.ParseOffset(req.Offset.Value, req.Offset.Origin); err == nil && req.Offset.Value != "" {
		offset = &n
	}
	return scan(offset, req.Self)
}

// specWith resolves the spec with what the server's process says standing
// in for what no flag gave: its command line for the Java options, its
// -Dcarbon.home for the home. A home that does not read as a Carbon home
// leaves the main class to name the product, and says so.
func (t *Target) specWith(in expect.Input, req Request) (expect.Spec, error) {
	s := t.Server
	if s == nil || s.Carbon == nil {
		return resolveSpec(in, req)
	}
	c := s.Carbon
	if in.JavaOpts.Value == "" {
		in.JavaOpts = Value{Value: strings.Join(c.Args, " "), Origin: fmt.Sprintf("pid %d's command line", c.PID)}
	}
	t.environ(&in)
	derived := in.CarbonHome.Value == "" && c.Home != ""
	if !derived {
		return resolveSpec(in, req)
	}
	in.CarbonHome = Value{Value: c.Home, Origin: fmt.Sprintf("pid %d's -Dcarbon.home", c.PID)}
	spec, err := resolveSpec(in, req)
	if err == nil {
		return spec, nil
	}
	t.Notes = append(t.Notes, fmt.Sprintf("pid %d's home %s does not read as a Carbon home (%s): its ports come from its command line and main class",
		c.PID, c.Home, strings.Join(text.Lines(err), "; ")))
	in.CarbonHome = Value{}
	if in.Profile.Value == "" {
		in.Profile = Value{Value: c.Product, Origin: fmt.Sprintf("pid %d's main class", c.PID)}
	}
	return resolveSpec(in, req)
}

// resolveSpec is expect.Resolve with $JAVA_OPTS standing in for Java options
// that neither a flag nor a server gave, and this environment for a
// server's whose own cannot be read.
func resolveSpec(in expect.Input, req Request) (expect.Spec, error) {
	if in.JavaOpts.Value == "" {
		in.JavaOpts = req.EnvJavaOpts
	}
	if in.Environ == nil && req.Getenv != nil {
		in.Environ, in.EnvironOrigin = req.Getenv, "this environment"
	}
	return expect.Resolve(in)
}

// environ gives the server's own environment to the spec: placeholders
// resolve as the server resolved them at its start. Another user's process
// keeps it unreadable: then this environment stands in, and a note says so.
func (t *Target) environ(in *expect.Input) {
	s := t.Server
	env, err := procs.Environ(s.PID)
	if err != nil {
		t.Notes = append(t.Notes, fmt.Sprintf("the environment of pid %d could not be read (%v): placeholders such as $env{VAR} are resolved from this one", s.PID, unwrapPath(err)))
		return
	}
	in.Environ = func(name string) (string, bool) { v, ok := env[name]; return v, ok }
	in.EnvironOrigin = fmt.Sprintf("pid %d's environment", s.PID)
}

// disagreements notes where two sources say different things: the offset
// the server runs with against the one given, $JAVA_OPTS against the
// server's own command line, the product asked for against the one running,
// the home given against the server's own.
func (t *Target) disagreements(req Request) {
	s := t.Server
	if s == nil || s.Carbon == nil || t.Spec.Profile == expect.NoProfile {
		return
	}
	c := s.Carbon
	if c.Offset != nil && *c.Offset != t.Spec.Offset.Value && t.Spec.Profile != "" {
		t.Notes = append(t.Notes, fmt.Sprintf("the server (pid %d) runs with offset %d (%s), but this check expects %d (from %s)",
			c.PID, *c.Offset, c.OffsetFrom, t.Spec.Offset.Value, t.Spec.Offset.From))
	}
	if e := req.EnvJavaOpts; e.Value != "" && req.JavaOpts.Value == "" {
		if n, ok, err := expect.OffsetFromJavaOpts(e.Value, e.Origin); err == nil && ok && (c.Offset == nil || *c.Offset != n) {
			runs := "none on its command line"
			if c.Offset != nil {
				runs = strconv.Itoa(*c.Offset)
			}
			t.Notes = append(t.Notes, fmt.Sprintf("%s has -DportOffset=%d, but pid %d was started with %s: the running server's command line is what counts", e.Origin, n, c.PID, runs))
		}
	}
	if req.Profile.Value != "" {
		if p, err := expect.LookupProfile(t.Spec.Profile); err == nil && len(p.MainClasses) > 0 && !slices.Contains(p.MainClasses, c.MainClass) {
			t.Notes = append(t.Notes, fmt.Sprintf("%s %s expects the main class %s, but pid %d runs %s: is this the product you meant?",
				req.Profile.Origin, req.Profile.Value, strings.Join(p.MainClasses, " or "), c.PID, c.MainClass))
		}
	}
	if h := req.CarbonHome; h.Value != "" && c.Home != "" && !samePath(h.Value, c.Home) && req.Previous == nil {
		t.Notes = append(t.Notes, fmt.Sprintf("%s is %s, but pid %d's -Dcarbon.home is %s: the ports come from %s", h.Origin, h.Value, c.PID, c.Home, h.Value))
	}
}
