// Command carbonprobe checks that a WSO2 Carbon server has bound every port it
// should for its port offset, and says why each port has its number.
//
// main.go is wiring only: flags in, an expect.Spec built, a probe run, a report
// rendered, a verdict mapped to an exit code. main is the only place that exits.
package main

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

	"github.com/hashicorp/go-multierror"
	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/carbonprobe/carbonprobe/expect"
	"github.com/carbonprobe/carbonprobe/internal/buildinfo"
	"github.com/carbonprobe/carbonprobe/probe"
	"github.com/carbonprobe/carbonprobe/probe/jmxdiag"
	"github.com/carbonprobe/carbonprobe/probe/procs"
	"github.com/carbonprobe/carbonprobe/probe/render"
)

// Exit codes. 2 is never used: Docker's HEALTHCHECK reserves it.
const (
	exitHealthy   = 0
	exitUnhealthy = 1
	exitUsage     = 3
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args, os.Stdout, os.Stderr, os.LookupEnv)
	stop()
	os.Exit(code)
}

// usageError is bad input: a flag, an argument, a configuration file. Exit 3.
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

// verdictError carries an unhealthy verdict out of an action. Exit 1.
type verdictError struct{}

func (verdictError) Error() string { return "unhealthy" }

// env looks up an environment variable; tests pass their own.
type env func(string) (string, bool)

// run executes one command line and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv env) int {
	app := newApp(stdout, stderr, getenv)
	err := app.RunContext(ctx, args)
	var ue usageError
	if code, ok := commandExitCode(err); ok {
		return code // wait -- CMD exits with CMD's code
	}
	switch {
	case err == nil:
		return exitHealthy
	case errors.As(err, new(verdictError)):
		return exitUnhealthy
	case errors.As(err, &ue):
		for _, line := range errorLines(ue.error) {
			fmt.Fprintf(stderr, "carbonprobe: %s\n", line)
		}
		return exitUsage
	}
	for _, line := range errorLines(err) {
		fmt.Fprintf(stderr, "carbonprobe: %s\n", line)
	}
	return exitUnhealthy
}

// errorLines splits a multierror into one line per problem.
func errorLines(err error) []string {
	var m *multierror.Error
	if errors.As(err, &m) {
		var out []string
		for _, e := range m.Errors {
			out = append(out, errorLines(e)...)
		}
		return out
	}
	return []string{err.Error()}
}

func newApp(stdout, stderr io.Writer, getenv env) *cli.App {
	f := flags{getenv: getenv, derived: map[string]expect.Text{}, all: new(bool)}
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
				return usageError{fmt.Errorf("unknown command %q (see carbonprobe --help)", c.Args().First())}
			}
			_ = cli.ShowAppHelp(c)
			return usageError{errors.New("no command given")}
		},
		Commands: []*cli.Command{
			{
				Name:      "ports",
				Usage:     "print the fixed ports a server should open, why each has its number, and the random ports it may open",
				UsageText: "carbonprobe ports [--carbon-home DIR [--runtime R]] [--profile P] [--offset N | --java-opts TEXT] [--expect FILE] [--ports LIST] [--format text|json]",
				Flags:     append(f.specFlags(), f.formatFlag()),
				Before:    noArgs,
				Action:    f.portsAction,
			},
			{
				Name:      "check",
				Usage:     "dial every fixed port now and give a verdict",
				UsageText: "carbonprobe check [--host H] [--carbon-home DIR [--runtime R]] [--profile P] [--offset N | --java-opts TEXT] [--expect FILE] [--ports LIST] [--pid N] [--timeout 2s] [--format text|json|junit | --quiet] [--strict-extras] [--all]",
				Flags:     append(append(append(append(f.specFlags(), f.probeFlags()...), f.verifyFlags()...), f.reportFlags()...), allFlag.flag(), strictExtrasFlag.flag()),
				Before:    noArgs,
				Action:    f.checkAction,
			},
			f.waitCommand(),
			f.preflightCommand(),
			{
				Name:      "jmx",
				Usage:     "why JConsole cannot connect: registry, jmxrmi stub, the endpoint it advertises, the URL to paste, the fix",
				UsageText: "carbonprobe jmx [--host H] [--carbon-home DIR] [--profile P] [--offset N | --java-opts TEXT] [--ports N=rmi-registry] [--timeout 2s] [--format text|json]",
				Flags:     append(append(f.specFlags(), hostFlag.flag(), timeoutFlag.flag()), f.formatFlag()),
				Before:    noArgs,
				Action:    f.jmxAction,
			},
		},
	}
	for _, c := range app.Commands {
		c.OnUsageError = onUsageError
	}
	return app
}

func onUsageError(c *cli.Context, err error, _ bool) error {
	return usageError{fmt.Errorf("%w (see carbonprobe %s --help)", err, c.Command.Name)}
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
			return usageError{fmt.Errorf("%s: flag %s comes after the argument %q and would be ignored: put flags first", c.Command.Name, a, first)}
		}
	}
	return usageError{fmt.Errorf("%s: unexpected argument %q (this command takes flags only)", c.Command.Name, first)}
}

func version() string { return buildinfo.Get().Detail() }

// flags builds the flag sets and reads them back. Every flag has an
// environment variable; values are read as text and checked together, so
// that every bad one is reported at once, naming the flag or variable.
type flags struct {
	getenv env
	// derived holds values learnt from the server process (its command
	// line), used for flags that neither the command line nor the
	// environment set; with check --all, before the environment.
	derived map[string]expect.Text
	all     *bool
}

type flagDef struct {
	name, env, usage, def string
}

var (
	profileFlag     = flagDef{"profile", "CARBONPROBE_PROFILE", "product profile: " + strings.Join(expect.ProfileNames(), ", ") + " (default: detected from --carbon-home, else mi; none with --ports alone)", ""}
	offsetFlag      = flagDef{"offset", "CARBONPROBE_OFFSET", "port offset the server runs with (beats -DportOffset and carbon.xml)", ""}
	javaOptsFlag    = flagDef{"java-opts", "CARBONPROBE_JAVA_OPTS", "Java options or a command line to find -DportOffset=N in (also read from $JAVA_OPTS)", ""}
	carbonHomeFlag  = flagDef{"carbon-home", "CARBON_HOME", "the server's home directory: its product, version and configuration files decide the ports", ""}
	runtimeFlag     = flagDef{"runtime", "CARBONPROBE_RUNTIME", "EI 6 runtime: " + strings.Join(expect.Runtimes, ", ") + " (default integrator)", ""}
	expectFlag      = flagDef{"expect", "CARBONPROBE_EXPECT", "a TOML or YAML file of extra ports to expect (docs/expect.md)", ""}
	portsFlag       = flagDef{"ports", "CARBONPROBE_PORTS", "ad-hoc ports to check as given: 8080,9443-9450,8000/udp,10389=ldap", ""}
	hostFlag        = flagDef{"host", "CARBONPROBE_HOST", "host to dial: a name or an IP literal (IPv6 without brackets)", "127.0.0.1"}
	timeoutFlag     = flagDef{"timeout", "CARBONPROBE_TIMEOUT", "deadline per port: the dial and the protocol exchange", probe.DefaultTimeout.String()}
	concurrencyFlag = flagDef{"concurrency", "CARBONPROBE_CONCURRENCY", "dials at once, at most", strconv.Itoa(probe.DefaultConcurrency)}
	formatFlag      = flagDef{"format", "CARBONPROBE_FORMAT", "output: text or json (schemas in docs/json.md)", "text"}
)

func (d flagDef) flag() cli.Flag {
	usage := d.usage + " [$" + d.env + "]"
	if d.def == "false" {
		return &cli.BoolFlag{Name: d.name, Usage: usage}
	}
	return &cli.StringFlag{Name: d.name, Usage: usage, DefaultText: d.def}
}

func (f flags) specFlags() []cli.Flag {
	return []cli.Flag{profileFlag.flag(), offsetFlag.flag(), javaOptsFlag.flag(), carbonHomeFlag.flag(), runtimeFlag.flag(), expectFlag.flag(), portsFlag.flag()}
}

func (f flags) probeFlags() []cli.Flag {
	return []cli.Flag{hostFlag.flag(), timeoutFlag.flag(), concurrencyFlag.flag(), pidFlag.flag()}
}

var strictExtrasFlag = flagDef{"strict-extras", "CARBONPROBE_STRICT_EXTRAS", "fail when the server holds any port besides its fixed ones (JMX agent, syslog sender, ...)", "false"}

var allFlag = flagDef{"all", "CARBONPROBE_ALL", "check every Carbon server process on this host, each at its own offset, and the ports their sets share", "false"}

var pidFlag = flagDef{"pid", "CARBONPROBE_PID", "the server's process id: each port must be held by it (default: the pid file under --carbon-home, or the Carbon process running here)", ""}

// discover finds the server process (local hosts only) and lets its command
// line stand in for --java-opts and --profile where no flag or variable gives
// them: the offset the server really runs with is on that line.
func (f flags) discover(c *cli.Context, host string) (*probe.Discovery, *expect.Spec, error) {
	sel := probe.Selector{}
	if t := f.text(c, pidFlag); t.Value != "" {
		n, err := strconv.Atoi(t.Value)
		if err != nil || n < 1 {
			return nil, nil, fmt.Errorf("%s: %q is not a process id", t.Origin, t.Value)
		}
		sel.PID, sel.PIDOrigin = n, t.Origin
	}
	if t := f.text(c, carbonHomeFlag); t.Value != "" {
		sel.Home, sel.HomeOrigin = t.Value, t.Origin
	}
	if t := f.text(c, offsetFlag); t.Value != "" {
		if n, err := strconv.Atoi(strings.TrimSpace(t.Value)); err == nil {
			sel.Offset = &n
		}
	}
	// --ports alone (or --profile none) checks any server, as the peers do:
	// by dialling only, unless a process is named. Reading who holds the
	// ports means scanning every process's descriptors: too dear for a
	// check that was not asked about holders.
	profile := f.text(c, profileFlag).Value
	adhoc := profile == expect.NoProfile || profile == "" && f.text(c, portsFlag).Value != ""
	if adhoc && sel.PID == 0 && sel.Home == "" {
		return nil, nil, nil
	}
	d := probe.Discover(c.Context, host, sel)
	var resolved *expect.Spec
	if s := d.Server; s != nil && s.Carbon != nil {
		if args, _, err := procs.Cmdline(s.PID); err == nil {
			f.derived[javaOptsFlag.name] = expect.Text{Value: strings.Join(args, " "), Origin: fmt.Sprintf("pid %d's command line", s.PID)}
		}
		if sel.Home == "" && !adhoc {
			resolved = f.deriveHome(c, &d, *s.Carbon)
		}
	}
	return &d, resolved, nil
}

// deriveHome lets the server's own -Dcarbon.home decide product, version and
// configured ports, as --carbon-home would. A home that does not read as a
// Carbon home leaves the main class to name the product, and says so. The
// spec resolved with the home is returned, so that it is not read twice.
func (f flags) deriveHome(c *cli.Context, d *probe.Discovery, s procs.Carbon) *expect.Spec {
	if s.Home != "" {
		f.derived[carbonHomeFlag.name] = expect.Text{Value: s.Home, Origin: fmt.Sprintf("pid %d's -Dcarbon.home", s.PID)}
		spec, err := f.spec(c)
		if err == nil {
			return &spec
		}
		delete(f.derived, carbonHomeFlag.name)
		d.Notes = append(d.Notes, fmt.Sprintf("pid %d's home %s does not read as a Carbon home (%s): its ports come from its command line and main class",
			s.PID, s.Home, strings.Join(errorLines(err), "; ")))
	}
	f.derived[profileFlag.name] = expect.Text{Value: s.Product, Origin: fmt.Sprintf("pid %d's main class", s.PID)}
	return nil
}

// specOr resolves the spec from the flags unless discovery already did.
func (f flags) specOr(c *cli.Context, resolved *expect.Spec) (expect.Spec, error) {
	if resolved != nil {
		return *resolved, nil
	}
	return f.spec(c)
}

func (f flags) formatFlag() cli.Flag { return formatFlag.flag() }

var (
	noVerifyFlag = flagDef{"no-verify", "CARBONPROBE_NO_VERIFY", "only dial: do not check which protocol answers", "false"}
	certWarnFlag = flagDef{"cert-warn", "CARBONPROBE_CERT_WARN", "warn when a TLS certificate expires within this", "720h"}
	realmFlag    = flagDef{"kdc-realm", "CARBONPROBE_KDC_REALM", "Kerberos realm for the KDC probe's AS-REQ (any KRB-ERROR proves a KDC)", "CARBONPROBE.INVALID"}
)

func (f flags) verifyFlags() []cli.Flag {
	return []cli.Flag{noVerifyFlag.flag(), certWarnFlag.flag(), realmFlag.flag()}
}

// verifyOptions reads the protocol-check flags into opt.
func (f flags) verifyOptions(c *cli.Context, opt *probe.Options) error {
	var errs *multierror.Error
	var err error
	if opt.NoVerify, err = f.boolean(c, noVerifyFlag); err != nil {
		errs = multierror.Append(errs, err)
	}
	if opt.CertWarn, err = f.duration(c, certWarnFlag, 10*365*24*time.Hour); err != nil {
		errs = multierror.Append(errs, err)
	}
	opt.Realm = f.text(c, realmFlag).Value
	return errs.ErrorOrNil()
}

// text returns a flag's value and where it came from: the command line, then
// the environment variables in order, then the default (origin "").
func (f flags) text(c *cli.Context, d flagDef, moreEnv ...string) expect.Text {
	if t, ok := f.derived[d.name]; ok && *f.all {
		return t
	}
	if c.IsSet(d.name) {
		v := c.String(d.name)
		if d.def == "false" {
			v = strconv.FormatBool(c.Bool(d.name))
		}
		return expect.Text{Value: v, Origin: "flag --" + d.name}
	}
	for _, e := range append([]string{d.env}, moreEnv...) {
		if v, ok := f.getenv(e); ok && v != "" {
			return expect.Text{Value: v, Origin: "$" + e}
		}
	}
	if t, ok := f.derived[d.name]; ok {
		return t
	}
	return expect.Text{Value: d.def}
}

func (f flags) spec(c *cli.Context) (expect.Spec, error) {
	return expect.Resolve(expect.Input{
		Profile:    f.text(c, profileFlag),
		Offset:     f.text(c, offsetFlag),
		JavaOpts:   f.text(c, javaOptsFlag, "JAVA_OPTS"),
		CarbonHome: f.text(c, carbonHomeFlag),
		Ports:      f.text(c, portsFlag),
		Runtime:    f.text(c, runtimeFlag),
		Expect:     f.text(c, expectFlag),
	})
}

type output struct {
	json  bool
	style render.Style
}

func (f flags) output(c *cli.Context) (output, error) {
	t := f.text(c, formatFlag)
	switch t.Value {
	case "text":
		return output{style: render.Style{Color: f.color(c.App.Writer)}}, nil
	case "json":
		return output{json: true}, nil
	}
	return output{}, fmt.Errorf("%s: %q is not a format (text, json)", t.Origin, t.Value)
}

// color is on only for a terminal, and never with NO_COLOR set (no-color.org) or TERM=dumb.
func (f flags) color(w io.Writer) bool {
	if v, ok := f.getenv("NO_COLOR"); ok && v != "" {
		return false
	}
	if v, _ := f.getenv("TERM"); v == "dumb" {
		return false
	}
	file, ok := w.(*os.File)
	return ok && term.IsTerminal(int(file.Fd()))
}

func (f flags) probeOptions(c *cli.Context) (probe.Options, error) {
	var errs *multierror.Error
	opt := probe.Options{Host: strings.Trim(f.text(c, hostFlag).Value, "[]")}
	if opt.Host == "" {
		errs = multierror.Append(errs, errors.New("flag --host: empty"))
	}
	var err error
	if opt.Timeout, err = f.duration(c, timeoutFlag, time.Hour); err != nil {
		errs = multierror.Append(errs, err)
	}
	t := f.text(c, concurrencyFlag)
	n, err := strconv.Atoi(t.Value)
	if err != nil || n < 1 || n > 4096 {
		errs = multierror.Append(errs, fmt.Errorf("%s: %q is not a whole number from 1 to 4096", t.Origin, t.Value))
	}
	opt.Concurrency = n
	return opt, errs.ErrorOrNil()
}

// duration reads a flag that holds a duration, from just above 0 to max.
func (f flags) duration(c *cli.Context, d flagDef, max time.Duration) (time.Duration, error) {
	t := f.text(c, d)
	v, err := time.ParseDuration(t.Value)
	switch {
	case err != nil && strings.Contains(err.Error(), "missing unit"):
		return 0, fmt.Errorf("%s: %q has no unit (write %ss or %sms)", t.Origin, t.Value, t.Value, t.Value)
	case err != nil:
		return 0, fmt.Errorf("%s: %q is not a duration (examples: 500ms, 2s)", t.Origin, t.Value)
	case v <= 0 || v > max:
		return 0, fmt.Errorf("%s: %s is outside (0, %s]", t.Origin, v, max)
	}
	return v, nil
}

// boolean reads a flag that is on or off; its variable holds true or false.
func (f flags) boolean(c *cli.Context, d flagDef) (bool, error) {
	t := f.text(c, d)
	b, err := strconv.ParseBool(t.Value)
	if err != nil {
		return false, fmt.Errorf("%s: %q is not true or false", t.Origin, t.Value)
	}
	return b, nil
}

func (f flags) portsAction(c *cli.Context) error {
	spec, err := f.spec(c)
	out, oerr := f.output(c)
	if err := usage(err, oerr); err != nil {
		return err
	}
	if out.json {
		return render.PortsJSON(c.App.Writer, spec)
	}
	return render.PortsText(c.App.Writer, spec, out.style)
}

func (f flags) checkAction(c *cli.Context) error {
	started := time.Now()
	opt, perr := f.probeOptions(c)
	verr := f.verifyOptions(c, &opt)
	out, oerr := f.reportFormat(c)
	strict, serr := f.boolean(c, strictExtrasFlag)
	opt.StrictExtras = strict
	if all, err := f.boolean(c, allFlag); err != nil || all {
		var aerr error
		if out.quiet || out.kind == "junit" {
			aerr = errors.New("--all writes text or json")
		}
		if err := usage(err, perr, verr, oerr, serr, aerr); err != nil {
			return err
		}
		return f.checkAll(c, opt, output{json: out.kind == "json", style: render.Style{Color: f.color(c.App.Writer)}})
	}
	disc, resolved, derr := f.discover(c, opt.Host)
	spec, err := f.specOr(c, resolved)
	if err := usage(err, perr, verr, oerr, serr, derr); err != nil {
		return err
	}
	opt.Discovery = disc
	rep := probe.Check(c.Context, spec, opt)
	if err := out.check(c.App.Writer, rep, started); err != nil {
		return err
	}
	if !rep.Healthy() {
		return verdictError{}
	}
	return nil
}

// usage folds the errors of reading the input into one usage error.
func usage(errs ...error) error {
	var all *multierror.Error
	for _, err := range errs {
		if err != nil {
			all = multierror.Append(all, err)
		}
	}
	if err := all.ErrorOrNil(); err != nil {
		return usageError{err}
	}
	return nil
}

// jmxAction diagnoses the JMX connection a remote JConsole would make: the
// registry port comes from the profile and offset, like every other port.
func (f flags) jmxAction(c *cli.Context) error {
	spec, err := f.spec(c)
	host := strings.Trim(f.text(c, hostFlag).Value, "[]")
	timeout, terr := f.duration(c, timeoutFlag, time.Hour)
	out, oerr := f.output(c)
	var registry *expect.Port
	for i, p := range spec.Ports {
		if p.Role == expect.RoleRMIRegistry && registry == nil {
			registry = &spec.Ports[i]
		}
	}
	var rerr error
	if err == nil && registry == nil {
		rerr = fmt.Errorf("profile %s has no RMI registry port: name one with --ports N=rmi-registry", spec.Profile)
	}
	if err := usage(err, terr, oerr, rerr); err != nil {
		return err
	}
	why := registry.Why
	if registry.Offset {
		why += ", offset from " + spec.Offset.From
	}
	if registry.Need == expect.Off {
		why += "; " + registry.Condition
	}
	rep := jmxdiag.Diagnose(c.Context, host, registry.Number, timeout, nil)
	if out.json {
		err = render.JMXJSON(c.App.Writer, rep, why)
	} else {
		err = render.JMXText(c.App.Writer, rep, why, out.style)
	}
	if err != nil {
		return err
	}
	if !rep.OK {
		return verdictError{}
	}
	return nil
}

// checkAll checks every Carbon server on this host, each with the offset and
// product its command line gives, and the ports their sets share.
func (f flags) checkAll(c *cli.Context, opt probe.Options, out output) error {
	var errs *multierror.Error
	for _, d := range []flagDef{pidFlag, offsetFlag, javaOptsFlag, carbonHomeFlag, portsFlag, profileFlag} {
		if c.IsSet(d.name) {
			errs = multierror.Append(errs, fmt.Errorf("flag --%s: --all checks each server with its own settings", d.name))
		}
	}
	if !probe.IsLocal(c.Context, opt.Host) {
		errs = multierror.Append(errs, fmt.Errorf("--all reads this host's processes: --host %s is not this host", opt.Host))
	}
	if err := usage(errs.ErrorOrNil()); err != nil {
		return err
	}
	servers, notes, err := procs.Find()
	if err != nil {
		return err
	}
	var host probe.HostReport
	if len(notes) > 0 {
		host.Notes = append(host.Notes, fmt.Sprintf("%d processes could not be read (%s)", len(notes), notes[0]))
	}
	*f.all = true
	for _, s := range servers {
		s := s
		clear(f.derived)
		if args, _, err := procs.Cmdline(s.PID); err == nil {
			f.derived[javaOptsFlag.name] = expect.Text{Value: strings.Join(args, " "), Origin: fmt.Sprintf("pid %d's command line", s.PID)}
		}
		d := &probe.Discovery{Server: &probe.Server{PID: s.PID, Carbon: &s, From: "--all"}}
		spec, err := f.specOr(c, f.deriveHome(c, d, s))
		if err != nil {
			host.Notes = append(host.Notes, fmt.Sprintf("pid %d: its ports cannot be told: %s", s.PID, strings.Join(errorLines(err), "; ")))
			continue
		}
		o := opt
		o.Discovery = d
		host.Reports = append(host.Reports, probe.Check(c.Context, spec, o))
	}
	host.Conflicts = probe.FindConflicts(host.Reports)
	if out.json {
		err = render.CheckAllJSON(c.App.Writer, host)
	} else {
		err = render.CheckAllText(c.App.Writer, host, out.style)
	}
	if err != nil {
		return err
	}
	if host.Err() != nil {
		return verdictError{}
	}
	return nil
}
