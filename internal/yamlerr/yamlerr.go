// Package yamlerr reads the problems out of go.yaml.in/yaml/v3's errors,
// each at its line, for the readers of YAML files (--expect files, targets
// files) to report as file:line.
package yamlerr

import (
	"errors"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/carbonprobe/carbonprobe/internal/text"
)

// Problem is one problem the decoder reported, at its line (1 when the
// decoder names none).
type Problem struct {
	Line int
	Msg  string // "YAML: ..." on one line
}

// Problems splits a decoder's error into its problems: a *yaml.TypeError
// holds one "line N: ..." per problem, any other error is one.
func Problems(err error) []Problem {
	msgs := []string{strings.TrimPrefix(err.Error(), "yaml: ")}
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msgs = te.Errors
	}
	out := make([]Problem, len(msgs))
	for i, m := range msgs {
		out[i] = problem(m)
	}
	return out
}

func problem(msg string) Problem {
	var n int
	if _, err := fmt.Sscanf(msg, "line %d:", &n); err == nil && n > 0 {
		_, rest, _ := strings.Cut(msg, ":")
		return Problem{n, "YAML: " + strings.TrimSpace(text.OneLine(rest))}
	}
	return Problem{1, "YAML: " + strings.TrimSpace(text.OneLine(msg))}
}
