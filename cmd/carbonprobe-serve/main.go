// Command carbonprobe-serve is carbonprobe with its Prometheus exporter
// linked in: `carbonprobe serve` runs this binary in its place, so that
// client_golang and exporter-toolkit (about 5 MB, and 2 ms of start-up)
// weigh only on the exporter, never on a healthcheck's `check` or a
// container's `wait` (docs/performance.md). Every other command works here
// too, the same as in carbonprobe.
package main

import (
	"context"
	"os"

	"github.com/carbonprobe/carbonprobe/internal/command"
	// The exporter: sets internal/exporter.Impl.
	_ "github.com/carbonprobe/carbonprobe/internal/serve"
)

func main() {
	os.Exit(command.Run(context.Background(), os.Args, os.Stdout, os.Stderr, os.LookupEnv))
}
