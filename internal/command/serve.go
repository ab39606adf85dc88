package command

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/carbonprobe/carbonprobe/internal/exporter"
	"github.com/carbonprobe/carbonprobe/internal/text"
	"github.com/carbonprobe/carbonprobe/probe/httpcheck"
)

// The serve command's flags.
var (
	listenFlag      = flag{name: "listen", env: "CARBONPROBE_LISTEN", usage: "address to answer HTTP on", def: exporter.DefaultListen}
	webConfigFlag   = flag{name: "web.config.file", env: "CARBONPROBE_WEB_CONFIG_FILE", usage: "exporter-toolkit web config: TLS and basic auth for every endpoint (docs/deploy.md)", takes: "file"}
	allowAnyFlag    = flag{name: "allow-any-target", env: "CARBONPROBE_ALLOW_ANY_TARGET", usage: "let /probe check targets the targets file does not name (an open prober can be pointed anywhere)", def: "false", boolean: true}
	dialBudgetFlag  = flag{name: "dial-budget", env: "CARBONPROBE_DIAL_BUDGET", usage: "dials at once across all targets, at most", def: strconv.Itoa(exporter.DefaultDialBudget)}
	minIntervalFlag = flag{name: "min-interval", env: "CARBONPROBE_MIN_INTERVAL", usage: "a /probe of a target the file does not name reuses a result younger than this (0s: check at every request)", def: exporter.DefaultMinInterval.String()}
	checkConfigFlag = flag{name: "check-config", env: "CARBONPROBE_CHECK_CONFIG", usage: "read the targets file and the web config, say what they hold, and exit: 0 good, 3 bad", def: "false", boolean: true}
	healthcheckFlag = flag{name: "healthcheck", env: "CARBONPROBE_HEALTHCHECK", usage: "ask the exporter running on --listen for /readyz and exit 0 when ready, 1 when not (a HEALTHCHECK for images without curl)", def: "false", boolean: true}
)

func serveCommand(getenv Env) *cli.Command {
	return &cli.Command{
		Name:  "serve",
		Usage: "check a fleet on a schedule and answer Prometheus (/metrics, /probe) and Kubernetes (/healthz, /readyz)",
		UsageText: "carbonprobe serve [--targets FILE] [--listen " + exporter.DefaultListen + "] [--web.config.file FILE] [--allow-any-target]\n" +
			"   [--dial-budget N] [--min-interval 5s] [--check-config | --healthcheck]",
		Description: "Without --targets, every Carbon server on this host is checked (local: all), every 30s.\n" +
			"/metrics: every target's latest check (a scrape never dials) and the exporter's own metrics (docs/metrics.md).\n" +
			"/probe?target=HOST&profile=P&offset=N (or &carbon_home=DIR): one target, blackbox_exporter style; only\n" +
			"targets of the file unless --allow-any-target. /healthz: 200 while running. /readyz: 200 when every target is\n" +
			"healthy, else 503, with the JSON report. SIGHUP reads the targets file again; SIGTERM stops gracefully.\n" +
			"Exit codes: 0 stopped by a signal (or --check-config good, --healthcheck ready), 1 failed (or not ready),\n" +
			"3 bad usage or configuration (a targets file's problems, each with its file and line).",
		Flags:  cliFlags(targetsFlag, listenFlag, webConfigFlag, allowAnyFlag, dialBudgetFlag, minIntervalFlag, checkConfigFlag, healthcheckFlag),
		Before: noArgs,
		Action: func(c *cli.Context) error { return serveAction(c, newInput(c, getenv)) },
	}
}

func serveAction(c *cli.Context, in *input) error {
	cfg := exporter.Config{
		TargetsFile:    in.text(targetsFlag).Value,
		Listen:         in.listen(),
		WebConfigFile:  in.text(webConfigFlag).Value,
		AllowAnyTarget: in.boolean(allowAnyFlag),
		DialBudget:     in.number(dialBudgetFlag, 1, 65536),
		MinInterval:    in.duration(minIntervalFlag, time.Hour, true),
		Getenv:         in.getenv,
		LogTo:          c.App.ErrWriter,
	}
	checkConfig, healthcheck := in.boolean(checkConfigFlag), in.boolean(healthcheckFlag)
	if checkConfig && healthcheck {
		in.fail("--check-config and --healthcheck both given: give one")
	}
	if err := in.err(); err != nil {
		return err
	}
	switch {
	case healthcheck:
		// A plain HTTP request: no need of the exporter's libraries.
		return healthcheckAction(c.Context, c.App.Writer, cfg)
	case exporter.Impl == nil:
		// carbonprobe proper: the exporter is carbonprobe-serve, which
		// reads the same command line again.
		return execExporter(c, in.getenv)
	case checkConfig:
		return checkConfigAction(c.App.Writer, cfg)
	}
	// SIGTERM (Kubernetes, docker stop) and SIGINT end the exporter
	// gracefully; SIGHUP, which the exporter watches, reads the targets again.
	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := exporter.Impl.Run(ctx, cfg)
	var ce exporter.ConfigError
	if errors.As(err, &ce) {
		return usageError{ce.Err}
	}
	return err
}

// listen reads --listen: host:port, the host may be empty (every address).
func (in *input) listen() string {
	v := in.text(listenFlag)
	host, port, err := net.SplitHostPort(v.Value)
	n, perr := strconv.Atoi(port)
	switch {
	case err != nil:
		in.fail("%s: %s is not host:port (examples: %s, 127.0.0.1:9421, [::1]:9421)", origin(v, listenFlag), short(v.Value), exporter.DefaultListen)
	case perr != nil || n < 0 || n > 65535:
		in.fail("%s: %s: the port is not a number from 0 to 65535", origin(v, listenFlag), short(v.Value))
	case host != "" && strings.ContainsAny(host, "/ "):
		in.fail("%s: %s: the host is not a host name or an IP literal", origin(v, listenFlag), short(v.Value))
	}
	return v.Value
}

// checkConfigAction reads the targets file and the web config and says
// what they hold.
func checkConfigAction(w io.Writer, cfg exporter.Config) error {
	f, err := cfg.Load()
	if err != nil {
		return usageError{err}
	}
	if cfg.WebConfigFile != "" {
		if err := exporter.Impl.ValidateWebConfig(cfg.WebConfigFile); err != nil {
			return usageError{err}
		}
	}
	name := cfg.TargetsFile
	if name == "" {
		name = "no --targets"
	}
	local := "no local: all"
	if f.Local != nil {
		local = fmt.Sprintf("local: all every %s", f.Local.Interval)
	}
	_, err = fmt.Fprintf(w, "%s: %d targets, %s\n", name, len(f.Targets), local)
	for _, t := range f.Targets {
		if err == nil {
			_, err = fmt.Fprintf(w, "  %s  every %s  (%s)\n", t.Key(), t.Interval, t.At)
		}
	}
	return err
}

// healthcheckAction asks a running exporter whether its targets are ready:
// /readyz through carbonprobe's own HTTP verifier (net/http's client would
// add a megabyte to every command's binary).
func healthcheckAction(ctx context.Context, w io.Writer, cfg exporter.Config) error {
	if cfg.WebConfigFile != "" {
		return usageError{errors.New("--healthcheck asks over plain HTTP, without credentials: with --web.config.file, let the orchestrator's httpGet probe use TLS and basic auth")}
	}
	host, port, _ := net.SplitHostPort(cfg.Listen)
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	addr := net.JoinHostPort(host, port)
	url := "http://" + addr + "/readyz"
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		fmt.Fprintf(w, "not ready: %s: %v\n", url, err)
		return verdictError{}
	}
	defer conn.Close()
	r, err := httpcheck.CheckHTTP(ctx, conn, addr, &httpcheck.Want{Path: "/readyz", Status: []string{"200"}})
	switch {
	case err != nil:
		fmt.Fprintf(w, "not ready: %s: %v\n", url, err)
		return verdictError{}
	case !r.OK:
		fmt.Fprintf(w, "not ready: %s: %s\n", url, text.Peer(r.Detail))
		return verdictError{}
	}
	fmt.Fprintf(w, "ready: %s: %s\n", url, text.Peer(r.Detail))
	return nil
}

// execMark is set in the environment of the carbonprobe-serve that
// carbonprobe serve runs: the path run.
const execMark = "CARBONPROBE_SERVE_EXEC"

// execExporter runs carbonprobe-serve in this process's place with the same
// command line: beside this binary (the release archive and the image ship
// both), else on $PATH.
func execExporter(c *cli.Context, getenv func(string) (string, bool)) error {
	args, _ := c.App.Metadata[argsKey].([]string)
	// A binary named carbonprobe-serve that holds no exporter (a copy of
	// carbonprobe) would run itself again and again.
	if prev, ok := getenv(execMark); ok {
		return usageError{fmt.Errorf("%s holds no exporter: it is a copy of carbonprobe, not %s (README Install)", prev, exporter.Binary)}
	}
	var tried []string
	if self, err := os.Executable(); err == nil {
		if real, err := filepath.EvalSymlinks(self); err == nil {
			self = real
		}
		cand := filepath.Join(filepath.Dir(self), exporter.Binary+exeSuffix)
		if st, err := os.Stat(cand); err == nil && runnable(st) {
			return replaceWith(cand, args)
		}
		tried = append(tried, "beside "+self)
	}
	if path, err := exec.LookPath(exporter.Binary); err == nil {
		return replaceWith(path, args)
	}
	tried = append(tried, "on $PATH")
	return usageError{fmt.Errorf("serve runs in %s, a binary of its own (the Prometheus libraries would slow every other command), which is neither %s: install it from the release archive or the image (README Install)",
		exporter.Binary, strings.Join(tried, " nor "))}
}
