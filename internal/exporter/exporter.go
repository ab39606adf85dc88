// Package exporter is what `carbonprobe serve` is told, and what it is
// without the exporter linked in: its configuration, its defaults, and the
// one hook through which the exporter runs.
//
// The exporter itself (internal/serve: client_golang, exporter-toolkit) is
// linked only into the carbonprobe-serve binary, which sets Impl. Those two
// libraries would cost every other command about 5 MB of binary and 2 ms of
// start-up (docs/performance.md), so carbonprobe proper leaves them out, and
// its `serve` runs carbonprobe-serve in its place.
package exporter

import (
	"context"
	"io"
	"net"
	"os"
	"time"

	"github.com/carbonprobe/carbonprobe/internal/fleet"
	"github.com/carbonprobe/carbonprobe/internal/schedule"
)

// Defaults of the serve command's flags.
const (
	DefaultListen      = ":9421"
	DefaultDialBudget  = schedule.DefaultDialBudget
	DefaultMinInterval = 5 * time.Second
)

// Binary is the name of the program that holds the exporter.
const Binary = "carbonprobe-serve"

// Config is how the exporter runs.
type Config struct {
	TargetsFile    string // "": local: all, every Carbon server on this host
	Listen         string // host:port
	WebConfigFile  string // exporter-toolkit web config: TLS, basic auth; "" for plain HTTP
	AllowAnyTarget bool   // /probe checks targets the file does not name
	DialBudget     int    // dials at once across all targets
	MinInterval    time.Duration
	Getenv         func(string) (string, bool)
	// LogTo is where the exporter writes its log (text, log/slog's);
	// nil: stderr.
	LogTo io.Writer
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

// Exporter is the exporter as the serve command uses it.
type Exporter interface {
	// Run answers HTTP until ctx ends, then shuts down gracefully.
	Run(ctx context.Context, cfg Config) error
	// ValidateWebConfig reads an exporter-toolkit web config file.
	ValidateWebConfig(path string) error
}

// Impl is the exporter, set by internal/serve when it is linked in (the
// carbonprobe-serve binary, and tests); nil in carbonprobe proper.
var Impl Exporter
