package command

import (
	"io"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/carbonprobe/carbonprobe/probe"
	"github.com/carbonprobe/carbonprobe/probe/render"
	"github.com/carbonprobe/carbonprobe/target"
)

func checkCommand(getenv Env) *cli.Command {
	flags := append(append(targetFlags(), hostFlag), probeFlags()...)
	flags = append(flags, formatFlag("text", "json", "junit"), quietFlag, outputFlag, strictExtrasFlag, allFlag)
	flags = append(flags, targetsFlag)
	return &cli.Command{
		Name:  "check",
		Usage: "dial every fixed port now and give a verdict",
		UsageText: "carbonprobe check [--host H] [--carbon-home DIR [--runtime R]] [--profile P] [--offset N | --java-opts TEXT]\n" +
			"   [--pid N | --cmd-match REGEX] [--expect FILE] [--ports LIST] [--timeout 2s] [--format text|json|junit | --quiet]\n" +
			"   [--strict-extras]\n" +
			"   carbonprobe check --all [--format text|json]\n" +
			"   carbonprobe check --targets FILE [--format text|json|junit]",
		Flags:  cliFlags(flags...),
		Before: noArgs,
		Action: func(c *cli.Context) error { return check(c, newInput(c, getenv)) },
	}
}

func check(c *cli.Context, in *input) error {
	started := time.Now()
	kinds := []string{"text", "json", "junit"}
	if v := in.text(targetsFlag); v.Value != "" {
		// Before the target's and the probe's flags are read: with a
		// targets file, each given is one problem, said once.
		return checkTargets(c, in, v.Value, in.format(kinds...), started)
	}
	req := in.request()
	opt := in.probeOptions(timeoutFlag)
	out := in.format(kinds...)
	if in.boolean(allFlag) {
		if out.quiet || out.kind == "junit" {
			in.fail("--all writes text or json")
		}
		return checkAll(c, in, req, opt, out)
	}
	t := in.resolve(c.Context, req)
	if err := in.err(); err != nil {
		return err
	}
	rep := probe.Check(c.Context, t, opt)
	w := in.output(c.App.Writer)
	if err := out.writeCheck(w, rep, started); err != nil {
		return err
	}
	if err := closeOutput(w); err != nil {
		return err
	}
	if !rep.Healthy() {
		return verdictError{}
	}
	return nil
}

// checkAll checks every Carbon server on this host, each with the target its
// own command line and home give, and the ports their sets share.
func checkAll(c *cli.Context, in *input, req target.Request, opt probe.Options, out format) error {
	if err := in.err(); err != nil {
		return err
	}
	targets, notes, err := target.ResolveAll(c.Context, req)
	if err != nil {
		return usageError{err}
	}
	host := probe.HostReport{Notes: notes}
	for _, t := range targets {
		host.Reports = append(host.Reports, probe.Check(c.Context, t, opt))
	}
	host.Conflicts = probe.FindConflicts(host.Reports)
	w := in.output(c.App.Writer)
	if out.kind == "json" {
		err = render.CheckAllJSON(w, host)
	} else {
		err = render.CheckAllText(w, host, out.style(w))
	}
	if err != nil {
		return err
	}
	if err := closeOutput(w); err != nil {
		return err
	}
	if host.Err() != nil {
		return verdictError{}
	}
	return nil
}

// writeCheck writes a check's report.
func (f format) writeCheck(w io.Writer, rep probe.Report, started time.Time) error {
	switch {
	case f.quiet:
		return render.Quiet(w, rep)
	case f.kind == "json":
		return render.CheckJSON(w, rep)
	case f.kind == "junit":
		return render.CheckJUnit(w, rep, render.JUnitOptions{Timestamp: started})
	}
	return render.CheckText(w, rep, f.style(w))
}
