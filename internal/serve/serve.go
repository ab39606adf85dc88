// Package serve is `carbonprobe serve`: an exporter that checks the targets
// of a targets file on a schedule and answers Prometheus (/metrics, and
// /probe in the blackbox_exporter style) and Kubernetes (/healthz, /readyz)
// from each target's latest check, so that a scrape or a probe never dials.
//
// One process-wide dial budget bounds the dials of every check at once; the
// targets file is read again on SIGHUP (a bad file keeps the old targets),
// and SIGTERM or SIGINT ends the exporter gracefully: requests under way
// are answered, checks under way are cut. TLS and basic auth come from an
// exporter-toolkit web config file, as for other Prometheus exporters.
package serve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/exporter-toolkit/web"

	"github.com/carbonprobe/carbonprobe/internal/fleet"
	"github.com/carbonprobe/carbonprobe/internal/schedule"
	"github.com/carbonprobe/carbonprobe/internal/text"
)

// Defaults of the command's flags.
const (
	DefaultListen      = ":9421"
	DefaultDialBudget  = schedule.DefaultDialBudget
	DefaultMinInterval = 5 * time.Second
	shutdownGrace      = 10 * time.Second
)

// Config is how the exporter runs.
type Config struct {
	TargetsFile    string // "": local: all, every Carbon server on this host
	Listen         string // host:port
	WebConfigFile  string // exporter-toolkit web config: TLS, basic auth; "" for plain HTTP
	AllowAnyTarget bool   // /probe checks targets the file does not name
	DialBudget     int    // dials at once across all targets
	MinInterval    time.Duration
	Getenv         func(string) (string, bool)
	Log            *slog.Logger
	// Listening is told the bound address once the listener is open.
	Listening func(net.Addr)
	// Reload asks for the targets file to be read again; nil: SIGHUP.
	Reload <-chan os.Signal
}

// ConfigError is a bad targets file or web config at start: exit 3.
type ConfigError struct{ Err error }

func (e ConfigError) Error() string { return e.Err.Error() }
func (e ConfigError) Unwrap() error { return e.Err }

// LocalAll is the targets file of an exporter started without one: every
// Carbon server on this host.
func LocalAll() *fleet.File {
	set := fleet.Settings{Interval: fleet.DefaultInterval, Timeout: 2 * time.Second, CertWarn: fleet.DefaultCertWarn, ForgetAfter: fleet.DefaultForgetAfter}
	return &fleet.File{Local: &fleet.Local{At: "no --targets", Settings: set}}
}

// Load reads the targets file of the config, or gives LocalAll without one.
func (c Config) Load() (*fleet.File, error) {
	if c.TargetsFile == "" {
		return LocalAll(), nil
	}
	return fleet.Load(c.TargetsFile)
}

// Run runs the exporter until ctx ends, then shuts it down gracefully.
func Run(ctx context.Context, cfg Config) error {
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	if cfg.Listen == "" {
		cfg.Listen = DefaultListen
	}
	file, err := cfg.Load()
	if err != nil {
		return ConfigError{err}
	}
	if cfg.WebConfigFile != "" {
		if err := ValidateWebConfig(cfg.WebConfigFile); err != nil {
			return ConfigError{err}
		}
	}

	base, stop := context.WithCancel(context.WithoutCancel(ctx))
	defer stop()
	sched := schedule.New(base, cfg.DialBudget, cfg.Getenv, cfg.MinInterval)

	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewGoCollector(),
		targetsCollector{views: func() []schedule.View { v, _ := sched.Views(); return v }},
	)
	m := newExporterMetrics(reg, sched)
	sched.Apply(file)
	m.reloads.WithLabelValues("success").Inc()
	m.reloadOK.Set(1)
	m.reloadOKAt.SetToCurrentTime()
	log.Info("targets loaded", "file", describe(cfg.TargetsFile), "targets", len(file.Targets), "local_all", file.Local != nil)

	h := &handlers{sched: sched, reg: reg, metrics: m, allowAny: cfg.AllowAnyTarget, log: log,
		metricsOpt: promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelError), Registry: reg,
			MaxRequestsInFlight: 16, Timeout: 30 * time.Second}}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		stop()
		sched.Wait()
		return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	if cfg.Listening != nil {
		cfg.Listening(ln.Addr())
	}
	srv := newServer(h.mux(), time.Minute)
	systemd := false
	flags := &web.FlagConfig{WebListenAddresses: &[]string{cfg.Listen}, WebSystemdSocket: &systemd, WebConfigFile: &cfg.WebConfigFile}
	served := make(chan error, 1)
	go func() { served <- web.Serve(ln, srv, flags, log) }()

	reload := cfg.Reload
	if reload == nil {
		hup := make(chan os.Signal, 1)
		signal.Notify(hup, syscall.SIGHUP)
		defer signal.Stop(hup)
		reload = hup
	}
	for {
		select {
		case <-ctx.Done():
			log.Info("shutting down: answering the requests under way, cutting the checks under way")
			sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
			err := srv.Shutdown(sctx)
			cancel()
			stop()
			sched.Wait()
			if err != nil {
				return fmt.Errorf("shutdown: %w", err)
			}
			return nil
		case err := <-served:
			stop()
			sched.Wait()
			if errors.Is(err, http.ErrServerClosed) {
				return nil
			}
			return err
		case <-reload:
			f, err := cfg.Load()
			if err != nil {
				m.reloads.WithLabelValues("failure").Inc()
				m.reloadOK.Set(0)
				for _, line := range text.Lines(err) {
					log.Error("reload refused, the old targets stay", "problem", line)
				}
				continue
			}
			sched.Apply(f)
			m.reloads.WithLabelValues("success").Inc()
			m.reloadOK.Set(1)
			m.reloadOKAt.SetToCurrentTime()
			log.Info("targets reloaded", "file", describe(cfg.TargetsFile), "targets", len(f.Targets), "local_all", f.Local != nil)
		}
	}
}

// ValidateWebConfig checks an exporter-toolkit web config file: its TLS
// files and settings, its users' bcrypt hashes.
func ValidateWebConfig(path string) error {
	if err := web.Validate(path); err != nil {
		return fmt.Errorf("web config %s: %w", path, err)
	}
	return nil
}

func describe(path string) string {
	if path == "" {
		return "(none: local: all)"
	}
	return path
}
