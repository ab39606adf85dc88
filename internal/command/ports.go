package command

import (
	"github.com/urfave/cli/v2"

	"github.com/carbonprobe/carbonprobe/probe/render"
)

func portsCommand(getenv Env) *cli.Command {
	return &cli.Command{
		Name:  "ports",
		Usage: "print the fixed ports a server should open, why each has its number, and the random ports it may open",
		UsageText: "carbonprobe ports [--carbon-home DIR [--runtime R]] [--profile P] [--offset N | --java-opts TEXT]\n" +
			"   [--pid N | --cmd-match REGEX] [--expect FILE] [--ports LIST] [--format text|json]",
		Description: "The server running here (found by --pid, --cmd-match, the pid file under --carbon-home, or as the\n" +
			"only Carbon process) decides what no flag gives: its command line's -DportOffset, its home's files.",
		Flags:  cliFlags(append(targetFlags(), hostFlag, formatFlag("text", "json"))...),
		Before: noArgs,
		Action: func(c *cli.Context) error {
			in := newInput(c, getenv)
			req := in.request()
			out := in.format("text", "json")
			t := in.resolve(c.Context, req)
			if err := in.err(); err != nil {
				return err
			}
			if out.kind == "json" {
				return render.PortsJSON(c.App.Writer, t)
			}
			return render.PortsText(c.App.Writer, t, out.style(c.App.Writer))
		},
	}
}
