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

	"github.com/carbonprobe/carbonprobe/internal/exporter"
	"github.com/carbonprobe/carbonprobe/internal/schedule"
	"github.com/carbonprobe/carbonprobe/internal/text"
)

const shutdownGrace = 10 * time.Second

func init() { exporter.Impl = impl{} }

// impl is the exporter for the serve command.
type impl struct{}

func (impl) Run(ctx context.Context, cfg exporter.Config) error { return Run(ctx, cfg) }
func (impl) ValidateWebConfig(path string) error                { return ValidateWebConfig(path) }

// Run runs the exporter until ctx ends, then shuts it down gracefully.
func Run(ctx context.Context, cfg exporter.Config) error {
	to := cfg.LogTo
	if to == nil {
		to = os.Stderr
	}
	log := slog.New(slog.NewTextHandler(to, nil))
	if cfg.Listen == "" {
		cfg.Listen = exporter.DefaultListen
	}
	file, err := cfg.Load()
	if err != nil {
		return exporter.ConfigError{Err: err}
	}
	if cfg.WebConfigFile != "" {
		if err := ValidateWebConfig(cfg.WebConfigFile); err != nil {
			return exporter.ConfigError{Err: err}
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
