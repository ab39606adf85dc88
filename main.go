// Command carbonprobe checks that a WSO2 Carbon server has bound every port it
// should for its port offset, by that server, answering the right protocol,
// and says why each port has its number.
//
// main.go is wiring only: the commands live in internal/command, which
// returns the exit code; main is the only place that exits.
package main

import (
	"context"
	"os"

	"github.com/carbonprobe/carbonprobe/internal/command"
)

func main() {
	os.Exit(command.Run(context.Background(), os.Args, os.Stdout, os.Stderr, os.LookupEnv))
}
