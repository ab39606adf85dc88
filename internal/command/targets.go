package command

import (
	"time"

	"github.com/urfave/cli/v2"

	"github.com/carbonprobe/carbonprobe/internal/fleet"
	"github.com/carbonprobe/carbonprobe/internal/schedule"
	"github.com/carbonprobe/carbonprobe/probe/render"
)

// targetsFlag is check's --targets, and serve's.
var targetsFlag = flag{name: "targets", env: "CARBONPROBE_TARGETS", usage: "a targets file (YAML or TOML, docs/targets.md): hosts x profiles x offsets x homes, or local: all", takes: "file"}

// checkTargets is check --targets: every target of the file once, one
// report, exit 1 when any is unhealthy.
func checkTargets(c *cli.Context, in *input, path string, out format, started time.Time) error {
	for _, f := range append(append(targetFlags(), hostFlag, allFlag, strictExtrasFlag), probeFlags()...) {
		if v := in.text(f); v.Origin != "" {
			in.fail("%s with --targets: each target's settings come from the targets file", v.Origin)
		}
	}
	if out.quiet {
		in.fail("--targets writes text, json or junit")
	}
	if err := in.err(); err != nil {
		return err
	}
	f, err := fleet.Load(path)
	if err != nil {
		return usageError{err}
	}
	rep := schedule.CheckOnce(c.Context, f, in.getenv, schedule.DefaultDialBudget)
	w := in.output(c.App.Writer)
	switch out.kind {
	case "json":
		err = render.FleetJSON(w, rep)
	case "junit":
		err = render.FleetJUnit(w, rep, render.JUnitOptions{Timestamp: started})
	default:
		err = render.FleetText(w, rep, out.style(w))
	}
	if err != nil {
		return err
	}
	if err := closeOutput(w); err != nil {
		return err
	}
	if rep.Err() != nil {
		return verdictError{}
	}
	return nil
}
