package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-multierror"
	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/carbonprobe/carbonprobe/expect"
	"github.com/carbonprobe/carbonprobe/internal/supervise"
	"github.com/carbonprobe/carbonprobe/probe"
	"github.com/carbonprobe/carbonprobe/probe/render"
	"github.com/carbonprobe/carbonprobe/probe/wait"
)

// The wait command's flags (and check's --pid: wait also fails at once when
// that process exits). --timeout is the whole wait's deadline here (the
// issue's `wait --timeout 5m`); the per-port deadline of check's --timeout is
// --dial-timeout. Each has its own variable, so a CARBONPROBE_TIMEOUT set for
// check cannot cut a wait to two seconds.
var (
	waitTimeoutFlag = flagDef{"timeout", "CARBONPROBE_WAIT_TIMEOUT", "give up after this long: exit 1 with the last report", wait.DefaultTimeout.String()}
	dialTimeoutFlag = flagDef{"dial-timeout", "CARBONPROBE_DIAL_TIMEOUT", "deadline per port and poll: the dial and the protocol exchange", probe.DefaultTimeout.String()}
	intervalFlag    = flagDef{"interval", "CARBONPROBE_INTERVAL", "how often a port that refuses on this host is checked again (a refusal costs the server nothing)", wait.DefaultInterval.String()}
	backoffFlag     = flagDef{"backoff", "CARBONPROBE_BACKOFF", "first pause after a port times out, answers wrongly, or refuses on a remote host; it doubles", wait.DefaultBackoff.String()}
	maxBackoffFlag  = flagDef{"max-backoff", "CARBONPROBE_MAX_BACKOFF", "the longest pause between two polls of a port", wait.DefaultMaxBackoff.String()}
	cmdMatchFlag    = flagDef{"cmd-match", "CARBONPROBE_CMD_MATCH", "a regular expression that matches the server's command line in /proc: fail at once if it exits", ""}
	logLinesFlag    = flagDef{"log-lines", "CARBONPROBE_LOG_LINES", "lines of the server's repository/logs/wso2carbon.log to show when it exits (0: none)", strconv.Itoa(wait.DefaultLogLines)}
	progressFlag    = flagDef{"progress", "CARBONPROBE_PROGRESS", "progress on stderr: auto (a bar on a terminal, one line per change otherwise), bar, lines or none", "auto"}
	reportFmtFlag   = flagDef{"format", "CARBONPROBE_FORMAT", "output: text, json or junit (docs/json.md, docs/wait.md)", "text"}
	quietFlag       = flagDef{"quiet", "CARBONPROBE_QUIET", "write the verdict on one line (Docker health logs, Kubernetes events); no progress", "false"}
)

// reportFlags are --format text|json|junit and --quiet, for check and wait.
func (f flags) reportFlags() []cli.Flag { return []cli.Flag{reportFmtFlag.flag(), quietFlag.flag()} }

func (f flags) waitCommand() *cli.Command {
	flags := append(f.specFlags(), hostFlag.flag(), concurrencyFlag.flag(), waitTimeoutFlag.flag(), dialTimeoutFlag.flag(),
		intervalFlag.flag(), backoffFlag.flag(), maxBackoffFlag.flag(), pidFlag.flag(), cmdMatchFlag.flag(), logLinesFlag.flag())
	flags = append(flags, f.verifyFlags()...)
	flags = append(flags, f.reportFlags()...)
	flags = append(flags, progressFlag.flag())
	return &cli.Command{
		Name:  "wait",
		Usage: "poll until check is healthy, the timeout passes or the server exits; then run a command",
		UsageText: "carbonprobe wait [--profile P] [--offset N | --carbon-home DIR] [--ports LIST] [--host H] [--timeout 5m]\n" +
			"   [--pid N | --cmd-match REGEX] [--format text|json|junit | --quiet] [-- CMD ARGS...]",
		Description: "Refusing ports on this host are checked again every --interval; others back off from --backoff to\n" +
			"--max-backoff. The server process (--pid, --cmd-match, or the pid file under --carbon-home) is watched:\n" +
			"if it exits, wait fails at once with the last lines of its log. Progress goes to stderr, the report to\n" +
			"stdout (to stderr when a command follows --, which keeps stdout for the command).\n" +
			"Exit codes: 0 healthy (or, after --, the command's own exit code), 1 unhealthy, timed out or the server\n" +
			"exited, 3 bad usage. See docs/wait.md.",
		Flags:        flags,
		OnUsageError: onUsageError,
		Action:       f.waitAction,
	}
}

func (f flags) waitAction(c *cli.Context) error {
	started := time.Now()
	command, aerr := commandArgs(c)
	spec, serr := f.spec(c)
	opt, oerr := f.waitOptions(c)
	verr := f.verifyOptions(c, &opt.Probe)
	locErr := f.locator(c, started, &opt)
	out, ferr := f.reportFormat(c)
	var perr error
	opt.Progress, perr = f.progress(c, out.quiet)
	if err := usage(aerr, serr, oerr, verr, locErr, ferr, perr); err != nil {
		return err
	}
	// The final check finds the server as check does; for --ports alone only
	// when told which process (any Carbon server on the host is no evidence
	// about arbitrary ports).
	if sel := f.selector(c); spec.Profile != expect.NoProfile || sel.PID > 0 || sel.Home != "" {
		opt.Discover = func(ctx context.Context) *probe.Discovery {
			d := probe.Discover(ctx, opt.Probe.Host, sel)
			return &d
		}
	}

	res := wait.Until(c.Context, spec, opt)
	if res.Reason == wait.ServerUnknown {
		return usageError{errors.New(res.Detail)}
	}
	w := c.App.Writer
	if len(command) > 0 {
		w = c.App.ErrWriter // stdout belongs to the command
	}
	if err := out.writeWait(w, res, started); err != nil {
		return err
	}
	if res.Reason != wait.Ready {
		return verdictError{}
	}
	if len(command) == 0 {
		return nil
	}
	return runCommand(command, c.App.Writer, c.App.ErrWriter)
}

// commandArgs returns what follows `--`. urfave/cli consumes the `--` itself,
// so whether one was written is read from the command's raw arguments, which
// the parent context holds ("wait" first, then everything after it).
func commandArgs(c *cli.Context) ([]string, error) {
	args := c.Args().Slice()
	if len(args) == 0 {
		return nil, nil
	}
	var raw []string
	if l := c.Lineage(); len(l) > 1 && l[1] != nil {
		raw = l[1].Args().Slice()
	}
	if i := len(raw) - len(args) - 1; i >= 0 && raw[i] == "--" {
		return args, nil
	}
	for _, a := range args[1:] {
		if strings.HasPrefix(a, "-") && a != "--" {
			return nil, fmt.Errorf("wait: flag %s comes after the argument %q and would be ignored: put flags first, and the command to run after --", a, args[0])
		}
	}
	return nil, fmt.Errorf("wait: unexpected argument %q: put the command to run after --, as in: carbonprobe wait --offset 3 -- ./smoke-tests.sh", args[0])
}

func (f flags) waitOptions(c *cli.Context) (wait.Options, error) {
	var errs *multierror.Error
	fail := func(err error) {
		if err != nil {
			errs = multierror.Append(errs, err)
		}
	}
	var opt wait.Options
	var err error
	opt.Probe.Host = strings.Trim(f.text(c, hostFlag).Value, "[]")
	if opt.Probe.Host == "" {
		fail(errors.New("flag --host: empty"))
	}
	t := f.text(c, concurrencyFlag)
	if opt.Probe.Concurrency, err = strconv.Atoi(t.Value); err != nil || opt.Probe.Concurrency < 1 || opt.Probe.Concurrency > 4096 {
		fail(fmt.Errorf("%s: %q is not a whole number from 1 to 4096", t.Origin, t.Value))
	}
	opt.Probe.Timeout, err = f.duration(c, dialTimeoutFlag, time.Hour)
	fail(err)
	opt.Timeout, err = f.duration(c, waitTimeoutFlag, 30*24*time.Hour)
	fail(err)
	opt.Interval, err = f.duration(c, intervalFlag, time.Minute)
	fail(err)
	opt.Backoff, err = f.duration(c, backoffFlag, time.Hour)
	fail(err)
	opt.MaxBackoff, err = f.duration(c, maxBackoffFlag, time.Hour)
	fail(err)
	if err == nil && opt.Backoff > opt.MaxBackoff && opt.Backoff > 0 {
		fail(fmt.Errorf("--backoff %s is longer than --max-backoff %s", opt.Backoff, opt.MaxBackoff))
	}
	t = f.text(c, logLinesFlag)
	n, err := strconv.Atoi(t.Value)
	if err != nil || n < 0 || n > 1000 {
		fail(fmt.Errorf("%s: %q is not a whole number from 0 to 1000", t.Origin, t.Value))
	}
	opt.LogLines = n
	if n == 0 {
		opt.LogLines = -1
	}
	return opt, errs.ErrorOrNil()
}

// selector says how the final check finds the server when the wait has not
// located it: as check does, from --pid, --carbon-home, or the offset.
func (f flags) selector(c *cli.Context) probe.Selector {
	var sel probe.Selector
	if t := f.text(c, pidFlag); t.Value != "" {
		if n, err := strconv.Atoi(t.Value); err == nil {
			sel.PID, sel.PIDOrigin = n, t.Origin
		}
	}
	if t := f.text(c, carbonHomeFlag); t.Value != "" {
		sel.Home, sel.HomeOrigin = t.Value, t.Origin
	}
	if t := f.text(c, offsetFlag); t.Value != "" {
		if n, err := strconv.Atoi(strings.TrimSpace(t.Value)); err == nil {
			sel.Offset = &n
		}
	}
	return sel
}

// locator picks the server process to watch: --pid, --cmd-match, or the
// server of --carbon-home (only when the host is this one).
func (f flags) locator(c *cli.Context, started time.Time, opt *wait.Options) error {
	pid, match, home := f.text(c, pidFlag), f.text(c, cmdMatchFlag), f.text(c, carbonHomeFlag)
	switch {
	case pid.Value != "" && match.Value != "":
		return fmt.Errorf("%s and %s both name the server: give one", pid.Origin, match.Origin)
	case pid.Value != "":
		n, err := strconv.Atoi(pid.Value)
		if err != nil || n < 1 {
			return fmt.Errorf("%s: %q is not a process id", pid.Origin, pid.Value)
		}
		opt.Server = wait.ByPID(n, home.Value)
	case match.Value != "":
		re, err := regexp.Compile(match.Value)
		if err != nil {
			return fmt.Errorf("%s: %q is not a regular expression: %v", match.Origin, match.Value, err)
		}
		opt.Server = wait.ByCmdline(re, os.Getpid())
	case home.Value != "":
		opt.Server, opt.ServerLocalOnly = wait.ByHome(home.Value, started), true
	}
	return nil
}

func (f flags) progress(c *cli.Context, quiet bool) (wait.Progress, error) {
	t := f.text(c, progressFlag)
	mode := t.Value
	if quiet && t.Origin == "" {
		mode = "none"
	}
	w := c.App.ErrWriter
	switch mode {
	case "auto":
		if f.terminal(w) {
			return wait.Bar(w), nil
		}
		return wait.Lines(w), nil
	case "bar":
		return wait.Bar(w), nil
	case "lines":
		return wait.Lines(w), nil
	case "none":
		return nil, nil
	}
	return nil, fmt.Errorf("%s: %q is not a progress mode (auto, bar, lines, none)", t.Origin, t.Value)
}

// terminal: a bar redraws in place, which only a terminal shows as intended;
// one that reports no width (a pty nobody sized) gets lines, as the bar
// library would draw nothing there.
func (f flags) terminal(w io.Writer) bool {
	if v, _ := f.getenv("TERM"); v == "dumb" {
		return false
	}
	file, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(file.Fd())) {
		return false
	}
	cols, _, err := term.GetSize(int(file.Fd()))
	return err == nil && cols > 0
}

// reportFormat is how check and wait write their report.
type reportFormat struct {
	kind  string // text, json, junit
	quiet bool
	color func(io.Writer) bool
}

func (f flags) reportFormat(c *cli.Context) (reportFormat, error) {
	out := reportFormat{color: f.color}
	var errs *multierror.Error
	q, err := f.boolean(c, quietFlag)
	if err != nil {
		errs = multierror.Append(errs, err)
	}
	out.quiet = q
	t := f.text(c, reportFmtFlag)
	switch t.Value {
	case "text", "json", "junit":
		out.kind = t.Value
	default:
		errs = multierror.Append(errs, fmt.Errorf("%s: %q is not a format (text, json, junit)", t.Origin, t.Value))
	}
	if q && t.Origin != "" && t.Value != "text" {
		errs = multierror.Append(errs, fmt.Errorf("--quiet writes one line of text; %s asks for %s: give one", t.Origin, t.Value))
	}
	return out, errs.ErrorOrNil()
}

// check writes a check's report: the lead's checkAction calls it.
func (o reportFormat) check(w io.Writer, rep probe.Report, started time.Time) error {
	switch {
	case o.quiet:
		return render.Quiet(w, rep)
	case o.kind == "json":
		return render.CheckJSON(w, rep)
	case o.kind == "junit":
		return render.CheckJUnit(w, rep, render.JUnitOptions{Timestamp: started})
	}
	return render.CheckText(w, rep, render.Style{Color: o.color(w)})
}

func (o reportFormat) writeWait(w io.Writer, res wait.Result, started time.Time) error {
	switch {
	case o.quiet:
		_, err := io.WriteString(w, wait.QuietLine(res)+"\n")
		return err
	case o.kind == "json":
		return wait.WriteJSON(w, res)
	case o.kind == "junit":
		return wait.WriteJUnit(w, res, started)
	}
	return wait.WriteText(w, res, render.Style{Color: o.color(w)})
}

// commandExit carries the exit code of the command that wait ran after --.
type commandExit struct{ code int }

func (e commandExit) Error() string { return fmt.Sprintf("the command exited with status %d", e.code) }

// commandExitCode tells run() the exit code to pass through, when wait ran a command.
func commandExitCode(err error) (int, bool) {
	var ce commandExit
	if errors.As(err, &ce) {
		return ce.code, true
	}
	return 0, false
}

// runCommand runs the command after -- as an init process would
// (internal/supervise: its own process group, signals forwarded to the
// group, orphans reaped) and returns its exit status: 128+N when signal N
// ended it, as a shell reports it; 127 when it cannot be found, 126 when it
// cannot run.
func runCommand(args []string, stdout, stderr io.Writer) error {
	code, err := supervise.Run(args, supervise.Options{Stdin: os.Stdin, Stdout: stdout, Stderr: stderr})
	if err != nil {
		fmt.Fprintf(stderr, "carbonprobe: wait: %v\n", err)
	}
	if code == 0 {
		return nil
	}
	return commandExit{code}
}
