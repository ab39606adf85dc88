// Package command is carbonprobe's command line: the commands, their flags,
// and how a verdict becomes an exit code. Every command that looks at a
// server asks the target package which server, which product and which
// offset, through one request built from the flags in one place.
package command

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/hashicorp/go-multierror"
	"github.com/urfave/cli/v2"
	"github.com/xrash/smetrics"

	"github.com/carbonprobe/carbonprobe/internal/buildinfo"
	"github.com/carbonprobe/carbonprobe/internal/text"
	"github.com/carbonprobe/carbonprobe/target"
)

// Exit codes. 2 is never used: Docker's HEALTHCHECK reserves it.
const (
	ExitHealthy   = 0
	ExitUnhealthy = 1
	ExitUsage     = 3
)

// usageError is bad input: a flag, an argument, a configuration file. Exit 3.
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

// verdictError carries an unhealthy verdict out of an action. Exit 1.
type verdictError struct{}

func (verdictError) Error() string { return "unhealthy" }

// argsKey holds the command line in the application's Metadata, for a
// command that hands it on whole (serve, to carbonprobe-serve).
const argsKey = "args"

// Env looks up an environment variable; tests pass their own.
type Env func(string) (string, bool)

// Run executes one command line and returns the exit code. Only main exits.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv Env) int {
	app := New(stdout, stderr, getenv)
	app.Metadata = map[string]any{argsKey: args}
	err := app.RunContext(ctx, args)
	if code, ok := commandExitCode(err); ok {
		return code // wait -- CMD exits with CMD's code
	}
	var ue usageError
	switch {
	case err == nil:
		return ExitHealthy
	case errors.As(err, new(verdictError)):
		return ExitUnhealthy
	case errors.As(err, &ue):
		for _, line := range text.Lines(ue.error) {
			fmt.Fprintf(stderr, "carbonprobe: %s\n", line)
		}
		return ExitUsage
	}
	for _, line := range text.Lines(err) {
		fmt.Fprintf(stderr, "carbonprobe: %s\n", line)
	}
	return ExitUnhealthy
}

// New builds the application: wiring only, the commands are in their own files.
func New(stdout, stderr io.Writer, getenv Env) *cli.App {
	// urfave/cli prints "NAME version VERSION"; the build's own line says it
	// once, with its commit and date.
	cli.VersionPrinter = func(c *cli.Context) { fmt.Fprintln(c.App.Writer, buildinfo.Get().String()) }
	app := &cli.App{
		Name:    "carbonprobe",
		Usage:   "check the ports of a WSO2 Carbon server: bound, by that server, for its port offset",
		Version: version(),
		Description: "Exit codes: 0 healthy, 1 unhealthy, 3 bad usage or configuration " +
			"(never 2: Docker's HEALTHCHECK reserves it).",
		Writer:          stdout,
		ErrWriter:       stderr,
		HideHelpCommand: true,
		// urfave/cli exits the process itself for cli.Exit errors unless this is replaced:
		// only main exits.
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError:   onUsageError,
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				hint := ""
				if best := closest(c.Args().First(), commandNames(c.App)); best != "" {
					hint = "; did you mean " + best + "?"
				}
				return usageError{fmt.Errorf("unknown command %s%s (see carbonprobe --help)", short(c.Args().First()), hint)}
			}
			_ = cli.ShowAppHelp(c)
			return usageError{errors.New("no command given")}
		},
		Commands: []*cli.Command{
			portsCommand(getenv),
			checkCommand(getenv),
			waitCommand(getenv),
			preflightCommand(getenv),
			jmxCommand(getenv),
			serveCommand(getenv),
		},
	}
	for _, c := range app.Commands {
		c.OnUsageError = onUsageError
	}
	return app
}

func onUsageError(c *cli.Context, err error, _ bool) error {
	help := "carbonprobe --help"
	flags := c.App.Flags
	if c.Command != nil && c.Command.Name != "" && c.Command.Name != c.App.Name {
		help = "carbonprobe " + c.Command.Name + " --help"
		flags = c.Command.Flags
	}
	hint := ""
	if name, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: "); ok {
		// Bare names: a shared "--" would count as a shared prefix.
		var names []string
		for _, f := range flags {
			names = append(names, f.Names()...)
		}
		if best := closest(strings.TrimLeft(name, "-"), names); best != "" {
			hint = "; did you mean --" + best + "?"
		}
	}
	return usageError{fmt.Errorf("%w%s (see %s)", err, hint, help)}
}

// closest is the one of names closest to what was typed, when one is close
// enough to be what was meant, else "".
func closest(typed string, names []string) string {
	best, score := "", 0.0
	for _, n := range names {
		if s := smetrics.JaroWinkler(typed, n, 0.7, 4); s > score {
			best, score = n, s
		}
	}
	if score < 0.8 {
		return ""
	}
	return best
}

func commandNames(app *cli.App) []string {
	var out []string
	for _, c := range app.Commands {
		out = append(out, c.Names()...)
	}
	return out
}

// noArgs rejects positional arguments. urfave/cli stops reading flags at the
// first argument, so a flag after one would be silently ignored: say so instead.
func noArgs(c *cli.Context) error {
	if c.NArg() == 0 {
		return nil
	}
	first := c.Args().First()
	for _, a := range c.Args().Slice()[1:] {
		if strings.HasPrefix(a, "-") {
			return usageError{fmt.Errorf("%s: flag %s comes after the argument %s and would be ignored: put flags first", c.Command.Name, a, short(first))}
		}
	}
	return usageError{fmt.Errorf("%s: unexpected argument %s (this command takes flags only)", c.Command.Name, short(first))}
}

func version() string { return buildinfo.Get().Detail() }

// resolve asks for the target; a request that is bad (a flag, a file, a
// server that cannot be told from another) is a usage problem, reported
// with the flags' own.
func (in *input) resolve(ctx context.Context, req target.Request) target.Target {
	t, err := target.Resolve(ctx, req)
	if err != nil {
		in.target = multierror.Append(in.target, err)
	}
	return t
}
