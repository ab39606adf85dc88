package command

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/carbonprobe/carbonprobe/internal/supervise"
	"github.com/carbonprobe/carbonprobe/probe"
	"github.com/carbonprobe/carbonprobe/probe/wait"
	"github.com/carbonprobe/carbonprobe/target"
)

// The wait command's own flags. --timeout is the whole wait's deadline here;
// the per-port deadline of check's --timeout is --dial-timeout. Each has its
// own variable, so a CARBONPROBE_TIMEOUT set for check cannot cut a wait to
// two seconds.
var (
	waitTimeoutFlag  = flag{name: "timeout", env: "CARBONPROBE_WAIT_TIMEOUT", usage: "give up after this long: exit 1 with the last report", def: wait.DefaultTimeout.String()}
	dialTimeoutFlag  = flag{name: "dial-timeout", env: "CARBONPROBE_DIAL_TIMEOUT", usage: "deadline per port and poll: the dial and the protocol exchange", def: probe.DefaultTimeout.String()}
	intervalFlag     = flag{name: "interval", env: "CARBONPROBE_INTERVAL", usage: "how often a port that refuses on this host is checked again (a refusal costs the server nothing)", def: wait.DefaultInterval.String()}
	backoffFlag      = flag{name: "backoff", env: "CARBONPROBE_BACKOFF", usage: "first pause after a port times out, answers wrongly, or refuses on a remote host; it doubles", def: wait.DefaultBackoff.String()}
	maxBackoffFlag   = flag{name: "max-backoff", env: "CARBONPROBE_MAX_BACKOFF", usage: "the longest pause between two polls of a port", def: wait.DefaultMaxBackoff.String()}
	restartGraceFlag = flag{name: "restart-grace", env: "CARBONPROBE_RESTART_GRACE", usage: "when the server's JVM exits, how long to look for the JVM its start script starts next (a restart) before failing; 0s: fail at once", def: wait.DefaultRestartGrace.String()}
	logLinesFlag     = flag{name: "log-lines", env: "CARBONPROBE_LOG_LINES", usage: "lines of the server's repository/logs/wso2carbon.log to show when it exits (0: none)", def: strconv.Itoa(wait.DefaultLogLines)}
	progressFlag     = flag{name: "progress", env: "CARBONPROBE_PROGRESS", usage: "progress on stderr: auto (a bar on a terminal, one line per change otherwise), bar, lines or none", def: "auto", choices: []string{"auto", "bar", "lines", "none"}}
)

func waitCommand(getenv Env) *cli.Command {
	flags := append(targetFlags(), hostFlag, concurrencyFlag, waitTimeoutFlag, dialTimeoutFlag, intervalFlag, backoffFlag,
		maxBackoffFlag, restartGraceFlag, logLinesFlag, noVerifyFlag, certWarnFlag, realmFlag,
		formatFlag("text", "json", "junit"), quietFlag, outputFlag, progressFlag)
	return &cli.Command{
		Name:  "wait",
		Usage: "poll until check is healthy, the timeout passes or the server exits; then run a command",
		UsageText: "carbonprobe wait [--profile P] [--offset N | --carbon-home DIR] [--ports LIST] [--host H] [--timeout 5m]\n" +
			"   [--pid N | --cmd-match REGEX] [--format text|json|junit | --quiet] [-- CMD ARGS...]",
		Description: "Refusing ports on this host are checked again every --interval; others back off from --backoff to\n" +
			"--max-backoff. Until the server process is found (--pid, --cmd-match, the pid file or -Dcarbon.home of\n" +
			"--carbon-home, or the one Carbon process here) wait keeps looking, and then waits for the ports at the\n" +
			"server's own offset. The server is watched: if its JVM exits and its start script starts no new one within\n" +
			"--restart-grace, wait fails with the last lines of its log. Progress goes to stderr, the report to stdout\n" +
			"(to stderr when a command follows --, which keeps stdout for the command).\n" +
			"Exit codes: 0 healthy (or, after --, the command's own exit code), 1 unhealthy, timed out or the server\n" +
			"exited, 3 bad usage. See docs/wait.md.",
		Flags:  cliFlags(flags...),
		Action: func(c *cli.Context) error { return waitAction(c, newInput(c, getenv)) },
	}
}

func waitAction(c *cli.Context, in *input) error {
	started := time.Now()
	// A wait is the one command that outlives a moment: a stop (^C, docker
	// stop) ends it with its report, Cancelled. The others die on a signal,
	// as any short tool does; they hold nothing the kernel does not close.
	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
	defer stop()
	command, err := commandArgs(c)
	in.add(err)
	req := in.request()
	req.Since = started
	opt := in.waitOptions()
	out := in.format("text", "json", "junit")
	opt.Progress = in.progress(out.quiet, out.kind != "text" && len(command) > 0 && in.text(outputFlag).Value == "")
	first := in.resolve(ctx, req)
	if err := in.err(); err != nil {
		return err
	}
	opt.Resolve = func(ctx context.Context, prev *target.Server) (target.Target, error) {
		r := req
		r.Previous = prev
		return target.Resolve(ctx, r)
	}
	res := wait.Until(ctx, first, opt)
	stop() // CMD's signals are supervise's from here
	if res.Reason == wait.ServerUnknown {
		return usageError{errors.New(res.Detail)}
	}
	w := c.App.Writer
	if len(command) > 0 {
		w = c.App.ErrWriter // stdout belongs to the command
	}
	w = in.output(w)
	if err := out.writeWait(w, res, started); err != nil {
		return err
	}
	if err := closeOutput(w); err != nil {
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
			return nil, fmt.Errorf("wait: flag %s comes after the argument %s and would be ignored: put flags first, and the command to run after --", a, short(args[0]))
		}
	}
	return nil, fmt.Errorf("wait: unexpected argument %s: put the command to run after --, as in: carbonprobe wait --offset 3 -- ./smoke-tests.sh", short(args[0]))
}

func (in *input) waitOptions() wait.Options {
	opt := wait.Options{
		Probe:        in.probeOptions(dialTimeoutFlag),
		Timeout:      in.duration(waitTimeoutFlag, 30*24*time.Hour, false),
		Interval:     in.duration(intervalFlag, time.Minute, false),
		Backoff:      in.duration(backoffFlag, time.Hour, false),
		MaxBackoff:   in.duration(maxBackoffFlag, time.Hour, false),
		RestartGrace: in.duration(restartGraceFlag, time.Hour, true),
		LogLines:     in.number(logLinesFlag, 0, 1000),
	}
	if opt.Backoff > opt.MaxBackoff && opt.MaxBackoff > 0 {
		in.fail("--backoff %s is longer than --max-backoff %s", opt.Backoff, opt.MaxBackoff)
	}
	if opt.RestartGrace == 0 {
		opt.RestartGrace = -1 // 0s on the command line: no restart is looked for
	}
	if opt.LogLines == 0 {
		opt.LogLines = -1
	}
	return opt
}

func (f format) writeWait(w io.Writer, res wait.Result, started time.Time) error {
	switch {
	case f.quiet:
		_, err := io.WriteString(w, wait.QuietLine(res)+"\n")
		return err
	case f.kind == "json":
		return wait.WriteJSON(w, res)
	case f.kind == "junit":
		return wait.WriteJUnit(w, res, started)
	}
	return wait.WriteText(w, res, f.style(w))
}

// commandExit carries the exit code of the command that wait ran after --.
type commandExit struct{ code int }

func (e commandExit) Error() string { return fmt.Sprintf("the command exited with status %d", e.code) }

// commandExitCode tells Run the exit code to pass through, when wait ran a command.
func commandExitCode(err error) (int, bool) {
	var ce commandExit
	if errors.As(err, &ce) {
		return ce.code, true
	}
	return 0, false
}

// runCommand runs the command after -- under internal/supervise: in its own
// process group, every stop signal forwarded to the group, orphans reaped
// when carbonprobe is PID 1 (a container's entrypoint), and its exit code
// passed through: 128+N when signal N ended it, 127 when it cannot be found,
// 126 when it cannot run.
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
