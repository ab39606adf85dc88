//go:build noserve

package command

import (
	"errors"

	"github.com/urfave/cli/v2"
)

// serveCommand, in a build without serve (-tags noserve): the slim binary
// for exec probes and HEALTHCHECKs, without client_golang and
// exporter-toolkit (docs/performance.md).
func serveCommand(Env) *cli.Command {
	return &cli.Command{
		Name:            "serve",
		Usage:           "not in this build (built with -tags noserve)",
		SkipFlagParsing: true,
		Action: func(*cli.Context) error {
			return usageError{errors.New("serve is not in this build: it was built with -tags noserve (docs/performance.md)")}
		},
	}
}
