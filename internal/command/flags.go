package command

import (
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-multierror"
	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/carbonprobe/carbonprobe/expect"
	"github.com/carbonprobe/carbonprobe/internal/text"
	"github.com/carbonprobe/carbonprobe/probe"
	"github.com/carbonprobe/carbonprobe/probe/render"
	"github.com/carbonprobe/carbonprobe/probe/wait"
	"github.com/carbonprobe/carbonprobe/target"
)

// flag is one command-line flag and the environment variable that stands in
// for it. Every flag is read as text and checked by the input that reads it,
// so that every bad value is reported, all at once, naming the flag or the
// variable.
type flag struct {
	name, env, usage, def string
	boolean               bool
	// list flags may be given more than once: the values are joined with
	// commas. Any other flag given twice is an error, never the last one.
	list bool
	// choices are the values the flag takes, when it takes a fixed set:
	// the input refuses any other, and the shell completions offer them.
	choices []string
	// takes says the value is a path, "file" or "dir", for the completions.
	takes string
}

// The flags that say which server, which product and which offset: every
// command that has a target takes them all, so that the same input gives the
// same target whatever the command.
var (
	profileFlag    = flag{name: "profile", env: "CARBONPROBE_PROFILE"}
	offsetFlag     = flag{name: "offset", env: "CARBONPROBE_OFFSET", usage: "port offset the server runs with (beats -DportOffset, deployment.toml and carbon.xml)"}
	javaOptsFlag   = flag{name: "java-opts", env: "CARBONPROBE_JAVA_OPTS", usage: "Java options or a command line to read -DportOffset=N and other -D options from (beats the running server's; $JAVA_OPTS is read only when no server's command line is known)"}
	carbonHomeFlag = flag{name: "carbon-home", env: "CARBON_HOME", usage: "the server's home directory: its product, version and configuration files decide the ports", takes: "dir"}
	runtimeFlag    = flag{name: "runtime", env: "CARBONPROBE_RUNTIME"}
	expectFlag     = flag{name: "expect", env: "CARBONPROBE_EXPECT", usage: "a TOML or YAML file of extra ports to expect (docs/expect.md)", takes: "file"}
	portsFlag      = flag{name: "ports", env: "CARBONPROBE_PORTS", usage: "ad-hoc ports to check as given: 8080,9443-9450,8000/udp,10389=ldap (may be given more than once)", list: true}
	pidFlag        = flag{name: "pid", env: "CARBONPROBE_PID", usage: "the server's process id: each port must be held by it (default: the pid file under --carbon-home, or the Carbon process running here)"}
	cmdMatchFlag   = flag{name: "cmd-match", env: "CARBONPROBE_CMD_MATCH", usage: "a regular expression that matches the server's command line in /proc: the one process it matches is the server"}
	hostFlag       = flag{name: "host", env: "CARBONPROBE_HOST", usage: "host to dial: a name or an IP literal", def: target.DefaultHost}
)

// How to probe.
var (
	timeoutFlag      = flag{name: "timeout", env: "CARBONPROBE_TIMEOUT", usage: "deadline per port: the dial and the protocol exchange", def: probe.DefaultTimeout.String()}
	concurrencyFlag  = flag{name: "concurrency", env: "CARBONPROBE_CONCURRENCY", usage: "dials at once, at most", def: strconv.Itoa(probe.DefaultConcurrency)}
	noVerifyFlag     = flag{name: "no-verify", env: "CARBONPROBE_NO_VERIFY", usage: "only dial: do not check which protocol answers", def: "false", boolean: true}
	certWarnFlag     = flag{name: "cert-warn", env: "CARBONPROBE_CERT_WARN", usage: "warn when a TLS certificate expires within this", def: "720h"}
	deadlineFlag     = flag{name: "deadline", env: "CARBONPROBE_DEADLINE", usage: "the whole check, however many ports: dials still running then are cut short, and say so", def: "--timeout + 1s"}
	realmFlag        = flag{name: "kdc-realm", env: "CARBONPROBE_KDC_REALM", usage: "Kerberos realm for the KDC probe's AS-REQ (any KRB-ERROR proves a KDC)", def: "CARBONPROBE.INVALID"}
	strictExtrasFlag = flag{name: "strict-extras", env: "CARBONPROBE_STRICT_EXTRAS", usage: "fail when the server holds any port besides its fixed ones (JMX agent, syslog sender, ...)", def: "false", boolean: true}
	allFlag          = flag{name: "all", env: "CARBONPROBE_ALL", usage: "check every Carbon server process on this host, each at its own offset, and the ports their sets share", def: "false", boolean: true}
	outputFlag       = flag{name: "output", env: "CARBONPROBE_OUTPUT", usage: "write the report to this file (replaced whole, never half-written) instead of stdout: with wait -- CMD, CMD keeps stdout and stderr to itself", takes: "file"}
	quietFlag        = flag{name: "quiet", env: "CARBONPROBE_QUIET", usage: "write the verdict on one line (Docker health logs, Kubernetes events)", def: "false", boolean: true}
)

// formatFlag is --format with the formats a command writes.
func formatFlag(kinds ...string) flag {
	return flag{name: "format", env: "CARBONPROBE_FORMAT", def: "text", choices: kinds,
		usage: "output: " + strings.Join(kinds, ", ") + " (schemas in docs/json.md)"}
}

// targetFlags are the flags of a command that resolves a target.
func targetFlags() []flag {
	profile, runtime := profileFlag, runtimeFlag
	profile.choices, runtime.choices = expect.ProfileNames(), expect.Runtimes
	profile.usage = "product profile: " + strings.Join(profile.choices, ", ") + " (default: detected from --carbon-home or the running server, else mi; none with --ports alone)"
	runtime.usage = "EI 6 runtime: " + strings.Join(runtime.choices, ", ") + " (default integrator)"
	return []flag{profile, offsetFlag, javaOptsFlag, carbonHomeFlag, runtime, expectFlag, portsFlag, pidFlag, cmdMatchFlag}
}

func probeFlags() []flag {
	return []flag{timeoutFlag, deadlineFlag, concurrencyFlag, noVerifyFlag, certWarnFlag, realmFlag}
}

// cliFlags makes urfave/cli's flags. Values are parsed by the input, not by
// the library, so that a bad one is reported with the others.
func cliFlags(fs ...flag) []cli.Flag {
	out := make([]cli.Flag, len(fs))
	for i, f := range fs {
		usage := f.usage + " [$" + f.env + "]"
		if f.boolean {
			// Destination and Count are read by the input directly: asking
			// urfave/cli (IsSet, Bool) walks every flag's names, through a
			// regular expression each, for every flag read.
			out[i] = &cli.BoolFlag{Name: f.name, Usage: usage, Destination: new(bool), Count: new(int)}
		} else {
			out[i] = &cli.GenericFlag{Name: f.name, Usage: usage, DefaultText: f.def, TakesFile: f.takes != "",
				Value: &textValue{choices: f.choices, takes: f.takes}}
		}
	}
	return out
}

// textValue keeps every value a flag was given, so that a flag given twice
// is noticed, and what the completions need to know of the flag.
type textValue struct {
	vals    []string
	choices []string
	takes   string
}

// Choices are the values the flag takes, nil when any text goes
// (scripts/gendocs writes them into the shell completions).
func (v *textValue) Choices() []string { return v.choices }

// Takes is "file" or "dir" when the value is a path, else "".
func (v *textValue) Takes() string { return v.takes }

func (v *textValue) Set(s string) error { v.vals = append(v.vals, s); return nil }

func (v *textValue) String() string {
	if v == nil || len(v.vals) == 0 {
		return ""
	}
	return v.vals[len(v.vals)-1]
}

// input reads one command's flags and variables, and gathers every problem
// with them.
type input struct {
	c      *cli.Context
	getenv func(string) (string, bool)
	errs   *multierror.Error
	// target holds the target's problems (its files, its server): said
	// first, before the flags that say how to probe.
	target *multierror.Error
	read   map[string]target.Value
	// flags are the command's flags by name, indexed once.
	flags map[string]cli.Flag
}

func newInput(c *cli.Context, getenv func(string) (string, bool)) *input {
	return &input{c: c, getenv: getenv, read: map[string]target.Value{}}
}

func (in *input) fail(format string, args ...any) {
	in.errs = multierror.Append(in.errs, fmt.Errorf(format, args...))
}

// add keeps a problem found outside the flags (a file, the target), if any.
func (in *input) add(err error) {
	if err != nil {
		in.errs = multierror.Append(in.errs, err)
	}
}

// err is every problem found so far, as a usage error; nil when none.
func (in *input) err() error {
	all := multierror.Append(in.target, in.errs)
	if err := all.ErrorOrNil(); err != nil {
		return usageError{err}
	}
	return nil
}

// flag is the command's flag of that name, nil when it has none.
func (in *input) flag(name string) cli.Flag {
	if in.flags == nil {
		in.flags = map[string]cli.Flag{}
		for _, f := range in.c.Command.Flags {
			switch f := f.(type) {
			case *cli.BoolFlag:
				in.flags[f.Name] = f
			case *cli.GenericFlag:
				in.flags[f.Name] = f
			}
		}
	}
	return in.flags[name]
}

func (in *input) has(name string) bool { return in.flag(name) != nil }

// text is a flag's value and where it came from: the command line, its
// variable, or the default (origin ""). A flag the command does not take
// reads as unset, whatever the environment holds.
func (in *input) text(f flag) target.Value {
	// By variable: wait's --timeout and check's are one name, two variables.
	if v, ok := in.read[f.env]; ok {
		return v
	}
	v := in.lookup(f)
	in.read[f.env] = v
	return v
}

func (in *input) lookup(f flag) target.Value {
	cf := in.flag(f.name)
	if cf == nil {
		return target.Value{}
	}
	origin := "flag --" + f.name
	if bf, ok := cf.(*cli.BoolFlag); ok {
		if bf.Count != nil && *bf.Count > 0 && bf.Destination != nil {
			return target.Value{Value: strconv.FormatBool(*bf.Destination), Origin: origin}
		}
	} else if tv, ok := cf.(*cli.GenericFlag).Value.(*textValue); ok && len(tv.vals) > 0 {
		val := tv.vals[len(tv.vals)-1]
		switch {
		case len(tv.vals) > 1 && f.list:
			val = strings.Join(tv.vals, ",")
		case len(tv.vals) > 1:
			quoted := make([]string, len(tv.vals))
			for i, v := range tv.vals {
				quoted[i] = short(v)
			}
			in.fail("%s is given %d times (%s): give it once", origin, len(tv.vals), strings.Join(quoted, ", "))
		}
		if strings.TrimSpace(val) == "" {
			in.fail("%s: empty value: give a value, or leave the flag out for its default", origin)
			return target.Value{Value: f.def}
		}
		return target.Value{Value: val, Origin: origin}
	}
	if v, ok := in.getenv(f.env); ok && v != "" {
		return target.Value{Value: v, Origin: "$" + f.env}
	}
	return target.Value{Value: f.def}
}

// origin names where a value came from for a message: its flag when it was
// not set at all.
func origin(v target.Value, f flag) string {
	if v.Origin == "" {
		return "flag --" + f.name
	}
	return v.Origin
}

// short quotes a value for an error line: a long one is cut, and says so.
func short(v string) string { return text.Quote(v) }

// duration reads a flag that holds a duration, from just above 0 to max;
// zero too when zeroOK.
func (in *input) duration(f flag, max time.Duration, zeroOK bool) time.Duration {
	v := in.text(f)
	d, err := time.ParseDuration(strings.TrimSpace(v.Value))
	switch {
	case err != nil && strings.Contains(err.Error(), "missing unit"):
		in.fail("%s: %s has no unit (write %ss or %sms)", origin(v, f), short(v.Value), v.Value, v.Value)
	case err != nil:
		in.fail("%s: %s is not a duration (examples: 500ms, 2s)", origin(v, f), short(v.Value))
	case d < 0 || d == 0 && !zeroOK || d > max:
		lo := "(0"
		if zeroOK {
			lo = "[0"
		}
		in.fail("%s: %s is outside %s, %s]", origin(v, f), d, lo, max)
	default:
		return d
	}
	return 0
}

// number reads a flag that holds a whole number from lo to hi.
func (in *input) number(f flag, lo, hi int) int {
	v := in.text(f)
	n, err := strconv.Atoi(strings.TrimSpace(v.Value))
	if err != nil || n < lo || n > hi {
		in.fail("%s: %s is not a whole number from %d to %d", origin(v, f), short(v.Value), lo, hi)
		return lo
	}
	return n
}

// boolean reads a flag that is on or off; its variable holds true or false.
func (in *input) boolean(f flag) bool {
	v := in.text(f)
	if v.Value == "" {
		return false
	}
	b, err := strconv.ParseBool(v.Value)
	if err != nil {
		in.fail("%s: %s is not true or false", origin(v, f), short(v.Value))
	}
	return b
}

// choice reads a flag that takes one of a few words, which noun names.
func (in *input) choice(f flag, noun string) string {
	v := in.text(f)
	if !slices.Contains(f.choices, v.Value) {
		in.fail("%s: %s is not %s (%s)", origin(v, f), short(v.Value), noun, strings.Join(f.choices, ", "))
	}
	return v.Value
}

// hostNameRE is a DNS name as RFC 1123 allows it (an underscore too, which
// resolvers accept in practice).
var hostNameRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(?i)[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*\.?$`)
})

// host reads --host: a host name or an IP literal (an IPv6 one with or
// without brackets), never a URL or host:port.
func (in *input) host() string {
	v := in.text(hostFlag)
	h := v.Value
	if h == "" {
		return target.DefaultHost
	}
	if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		h = h[1 : len(h)-1]
	}
	if a, err := netip.ParseAddr(h); err == nil {
		return a.String()
	}
	if len(h) <= 253 && hostNameRE().MatchString(h) {
		return h
	}
	why := "a host name or an IP literal"
	switch {
	case strings.Contains(h, "://"):
		why += ", not a URL"
	case strings.Contains(h, ":"):
		why += ", without a port (the ports come from the profile or --ports)"
	}
	in.fail("%s: %s is not %s", origin(v, hostFlag), short(v.Value), why)
	return target.DefaultHost
}

// request is the target request the flags make. Only the flags the command
// takes are read.
func (in *input) request() target.Request {
	req := target.Request{
		Profile: in.text(profileFlag), Offset: in.text(offsetFlag), JavaOpts: in.text(javaOptsFlag),
		CarbonHome: in.text(carbonHomeFlag), Runtime: in.text(runtimeFlag), Expect: in.text(expectFlag),
		Ports: in.text(portsFlag), PID: in.text(pidFlag), CmdMatch: in.text(cmdMatchFlag),
		Host: target.DefaultHost, Self: os.Getpid(), Getenv: in.getenv,
	}
	if in.has(hostFlag.name) {
		req.Host = in.host()
	}
	if v, ok := in.getenv("JAVA_OPTS"); ok && v != "" {
		req.EnvJavaOpts = target.Value{Value: v, Origin: "$JAVA_OPTS"}
	}
	return req
}

// probeOptions reads how to probe.
// probeOptions reads how to probe, timeout being the command's per-port
// deadline (check's --timeout, wait's --dial-timeout); --deadline and
// --strict-extras where the command takes them.
func (in *input) probeOptions(timeoutFlag flag) probe.Options {
	opt := probe.Options{
		Timeout:      in.duration(timeoutFlag, time.Hour, false),
		Concurrency:  in.number(concurrencyFlag, 1, 4096),
		NoVerify:     in.boolean(noVerifyFlag),
		CertWarn:     in.duration(certWarnFlag, 10*365*24*time.Hour, false),
		Realm:        in.text(realmFlag).Value,
		StrictExtras: in.boolean(strictExtrasFlag),
	}
	if in.has(deadlineFlag.name) {
		opt.Deadline = opt.Timeout + time.Second
		if v := in.text(deadlineFlag); v.Origin != "" {
			opt.Deadline = in.duration(deadlineFlag, 24*time.Hour, false)
		}
	}
	return opt
}

// output is where the report goes: --output's file, else w.
func (in *input) output(w io.Writer) io.Writer {
	v := in.text(outputFlag)
	if v.Value == "" {
		return w
	}
	return &reportFile{path: v.Value}
}

// reportFile gathers the report and puts it in place when closed: written
// to a temporary file beside it and renamed, so a reader never sees half.
type reportFile struct {
	path string
	buf  []byte
}

func (f *reportFile) Write(p []byte) (int, error) { f.buf = append(f.buf, p...); return len(p), nil }

func (f *reportFile) Close() error {
	tmp, err := os.CreateTemp(filepath.Dir(f.path), ".carbonprobe-report-*")
	if err != nil {
		return fmt.Errorf("--output %s: %w", f.path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(f.buf); err != nil {
		tmp.Close()
		return fmt.Errorf("--output %s: %w", f.path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("--output %s: %w", f.path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("--output %s: %w", f.path, err)
	}
	if err := os.Rename(tmp.Name(), f.path); err != nil {
		return fmt.Errorf("--output %s: %w", f.path, err)
	}
	return nil
}

// closeOutput puts a --output report in place; nothing for stdout.
func closeOutput(w io.Writer) error {
	if f, ok := w.(*reportFile); ok {
		return f.Close()
	}
	return nil
}

// format is how a command writes its report: one type for every command.
type format struct {
	kind  string // text, json, junit
	quiet bool
	plain bool // NO_COLOR (no-color.org) or TERM=dumb: never colour
}

// format reads --format (one of kinds) and, where the command has it, --quiet.
func (in *input) format(kinds ...string) format {
	out := format{kind: in.choice(formatFlag(kinds...), "a format")}
	nocolor, _ := in.getenv("NO_COLOR")
	termName, _ := in.getenv("TERM")
	out.plain = nocolor != "" || termName == "dumb"
	if in.has(quietFlag.name) {
		out.quiet = in.boolean(quietFlag)
		if v := in.text(formatFlag()); out.quiet && v.Origin != "" && v.Value != "text" {
			in.fail("--quiet writes one line of text; %s asks for %s: give one", v.Origin, v.Value)
		}
	}
	return out
}

// style is how text goes to w, the writer the report is written to (a
// --output file or stderr is not stdout): colour only on a terminal, and
// the terminal's width for narrow tables.
func (f format) style(w io.Writer) render.Style {
	cols, tty := terminalOf(w)
	return render.Style{Color: tty && !f.plain, Width: cols}
}

// terminalOf says whether w is a terminal, and its width in columns (0
// when it reports none).
func terminalOf(w io.Writer) (cols int, tty bool) {
	file, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(file.Fd())) {
		return 0, false
	}
	cols, _, err := term.GetSize(int(file.Fd()))
	if err != nil {
		return 0, true
	}
	return cols, true
}

// terminal: a progress bar redraws in place, which only a terminal shows as
// intended; one that reports no width (a pty nobody sized) gets lines.
func (in *input) terminal(w io.Writer) bool {
	if v, _ := in.getenv("TERM"); v == "dumb" {
		return false
	}
	cols, _ := terminalOf(w)
	return cols > 0
}

// progress reads --progress for wait.
// A document (json, junit) that shares stderr with CMD gets no progress
// lines unless asked for: the document stays the first thing there.
func (in *input) progress(quiet, document bool) wait.Progress {
	v := in.text(progressFlag)
	mode := in.choice(progressFlag, "a progress mode")
	if (quiet || document) && v.Origin == "" {
		mode = "none"
	}
	w := in.c.App.ErrWriter
	switch mode {
	case "auto":
		if in.terminal(w) {
			return wait.Bar(w)
		}
		return wait.Lines(w)
	case "bar":
		return wait.Bar(w)
	case "lines":
		return wait.Lines(w)
	}
	return nil
}
