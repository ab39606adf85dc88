package command

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/carbonprobe/carbonprobe/expect"
	"github.com/carbonprobe/carbonprobe/probe/preflight"
	"github.com/carbonprobe/carbonprobe/target"
)

var (
	bindFlag    = flag{name: "bind", env: "CARBONPROBE_BIND", usage: "the address the server will bind, to test (default: all addresses, IPv4 and IPv6, as the JVM binds)"}
	suggestFlag = flag{name: "suggest", env: "CARBONPROBE_SUGGEST", usage: "print the lowest offset, from --from up, whose whole set is free (the number alone on stdout)", def: "false", boolean: true}
	fromFlag    = flag{name: "from", env: "CARBONPROBE_FROM", usage: "with --suggest: the first offset to try", def: "0"}
)

func preflightCommand(getenv Env) *cli.Command {
	return &cli.Command{
		Name:  "preflight",
		Usage: "before a start: are this offset's ports free, and who holds those that are not? --suggest finds a free offset",
		UsageText: "carbonprobe preflight [--profile P] [--offset N | --carbon-home DIR] [--ports LIST] [--bind ADDR] [--format text|json]\n" +
			"   carbonprobe preflight --suggest [--from N] [--profile P] [--bind ADDR]",
		Description: "Each port is bind-tested as the JVM binds it (TCP with SO_REUSEADDR, UDP without) and closed at once;\n" +
			"ports that are off in this configuration are not tested. Exit codes: 0 every port free (--suggest: an\n" +
			"offset was found), 1 a port is busy (--suggest: none is free), 3 bad usage.",
		Flags:  cliFlags(append(targetFlags(), bindFlag, suggestFlag, fromFlag, formatFlag("text", "json"))...),
		Before: noArgs,
		Action: func(c *cli.Context) error {
			in := newInput(c, getenv)
			req := in.request()
			opt := in.bind()
			out := in.format("text", "json")
			if in.boolean(suggestFlag) {
				return suggest(c, in, req, opt, out)
			}
			if v := in.text(fromFlag); v.Origin != "" {
				in.fail("%s goes with --suggest", v.Origin)
			}
			t := in.resolve(c.Context, req)
			if err := in.err(); err != nil {
				return err
			}
			opt.Owners = true
			rep := preflight.Check(c.Context, t.Spec, opt)
			var err error
			if out.kind == "json" {
				err = preflight.WriteJSON(c.App.Writer, rep)
			} else {
				err = preflight.WriteText(c.App.Writer, rep)
			}
			if err != nil {
				return err
			}
			if !rep.Free() {
				return verdictError{}
			}
			return nil
		},
	}
}

func suggest(c *cli.Context, in *input, req target.Request, opt preflight.Options, out format) error {
	if req.Offset.Value != "" {
		in.fail("%s: --suggest finds the offset itself: give --from N to start the search at N, not --offset", req.Offset.Origin)
	}
	v := in.text(fromFlag)
	from, err := strconv.Atoi(strings.TrimSpace(v.Value))
	if err != nil || from < 0 || from > expect.MaxPort {
		in.fail("%s: %s is not an offset (0 to %d)", origin(v, fromFlag), short(v.Value), expect.MaxPort)
		from = 0
	}
	// The set is resolved once, at the first offset, through the same
	// resolver as every other command; each later offset shifts the ports
	// that take one. --ports alone has no offset to shift.
	if t := in.resolve(c.Context, req); in.err() == nil && t.Spec.Profile == expect.NoProfile {
		in.fail("--suggest needs a profile: --ports numbers take no offset")
	}
	if err := in.err(); err != nil {
		return err
	}
	req.Offset = target.Value{Value: strconv.Itoa(from), Origin: "--suggest"}
	t := in.resolve(c.Context, req)
	if err := in.err(); err != nil {
		return err
	}
	specFor := func(off int) (expect.Spec, error) { return t.Spec.AtOffset(off, "--suggest") }
	opt.Owners = true
	sug := preflight.Suggest(c.Context, from, specFor, opt)
	if out.kind == "json" {
		err = preflight.WriteSuggestionJSON(c.App.Writer, sug)
	} else if sug.Found {
		// The number alone on stdout, for OFFSET=$(carbonprobe preflight --suggest); why on stderr.
		if _, err = fmt.Fprintf(c.App.Writer, "%d\n", sug.Offset); err == nil {
			_, err = fmt.Fprint(c.App.ErrWriter, preflight.SuggestionWhy(sug))
		}
	} else {
		_, err = fmt.Fprint(c.App.ErrWriter, preflight.SuggestionWhy(sug))
	}
	if err != nil {
		return err
	}
	if !sug.Found {
		return verdictError{}
	}
	return nil
}

// bind reads --bind: the address the server will bind.
func (in *input) bind() preflight.Options {
	v := in.text(bindFlag)
	if v.Value == "" {
		return preflight.Options{}
	}
	a, err := netip.ParseAddr(strings.Trim(v.Value, "[]"))
	if err != nil {
		in.fail("%s: %s is not an IP address", v.Origin, short(v.Value))
		return preflight.Options{}
	}
	if a.IsUnspecified() && a.Is6() {
		return preflight.Options{} // [::] is what the default tests
	}
	return preflight.Options{Bind: a}
}
