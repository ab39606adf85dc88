package command

import (
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/carbonprobe/carbonprobe/expect"
	"github.com/carbonprobe/carbonprobe/probe/jmxdiag"
	"github.com/carbonprobe/carbonprobe/probe/render"
)

func jmxCommand(getenv Env) *cli.Command {
	return &cli.Command{
		Name:  "jmx",
		Usage: "why JConsole cannot connect: registry, jmxrmi stub, the endpoint it advertises, the URL to paste, the fix",
		UsageText: "carbonprobe jmx [--host H] [--carbon-home DIR] [--profile P] [--offset N | --java-opts TEXT] [--pid N]\n" +
			"   [--ports N=rmi-registry] [--timeout 2s] [--format text|json]",
		Description: "The RMI registry's port comes from the target, found as check finds it.",
		Flags:       cliFlags(append(targetFlags(), hostFlag, timeoutFlag, formatFlag("text", "json"))...),
		Before:      noArgs,
		Action: func(c *cli.Context) error {
			in := newInput(c, getenv)
			req := in.request()
			timeout := in.duration(timeoutFlag, time.Hour, false)
			out := in.format("text", "json")
			t := in.resolve(c.Context, req)
			var registry *expect.Port
			for i, p := range t.Spec.Ports {
				if p.Role == expect.RoleRMIRegistry && registry == nil {
					registry = &t.Spec.Ports[i]
				}
			}
			if in.err() == nil && registry == nil {
				in.fail("profile %s has no RMI registry port: name one with --ports N=rmi-registry", t.Spec.Profile)
			}
			if err := in.err(); err != nil {
				return err
			}
			why := registry.Why
			if registry.Offset {
				why += ", offset from " + t.Spec.Offset.From
			}
			if registry.Need == expect.Off {
				why += "; " + registry.Condition
			}
			if s := t.Server; s != nil {
				why += fmt.Sprintf("; the server is %s", s.Describe())
			}
			rep := jmxdiag.Diagnose(c.Context, t.Host, registry.Number, timeout, nil)
			var err error
			if out.kind == "json" {
				err = render.JMXJSON(c.App.Writer, rep, why)
			} else {
				err = render.JMXText(c.App.Writer, rep, why, out.style(c.App.Writer))
			}
			if err != nil {
				return err
			}
			if !rep.OK {
				return verdictError{}
			}
			return nil
		},
	}
}
