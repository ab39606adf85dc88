package main

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/carbonprobe/carbonprobe/expect"
	"github.com/carbonprobe/carbonprobe/probe/preflight"
)

var (
	bindFlag    = flagDef{"bind", "CARBONPROBE_BIND", "the address the server will bind, to test (default: all addresses, IPv4 and IPv6, as the JVM binds)", ""}
	suggestFlag = flagDef{"suggest", "CARBONPROBE_SUGGEST", "print the lowest offset, from --from up, whose whole set is free (the number alone on stdout)", "false"}
	fromFlag    = flagDef{"from", "CARBONPROBE_FROM", "with --suggest: the first offset to try", "0"}
)

func (f flags) preflightCommand() *cli.Command {
	return &cli.Command{
		Name:  "preflight",
		Usage: "before a start: are this offset's ports free, and who holds those that are not? --suggest finds a free offset",
		UsageText: "carbonprobe preflight [--profile P] [--offset N | --carbon-home DIR] [--ports LIST] [--bind ADDR] [--format text|json]\n" +
			"   carbonprobe preflight --suggest [--from N] [--profile P] [--bind ADDR]",
		Description: "Each port is bind-tested as the JVM binds it (TCP with SO_REUSEADDR, UDP without) and closed at once;\n" +
			"ports that are off in this configuration are not tested. Exit codes: 0 every port free (--suggest: an\n" +
			"offset was found), 1 a port is busy (--suggest: none is free), 3 bad usage.",
		Flags:        append(f.specFlags(), bindFlag.flag(), suggestFlag.flag(), fromFlag.flag(), f.formatFlag()),
		Before:       noArgs,
		OnUsageError: onUsageError,
		Action:       f.preflightAction,
	}
}

func (f flags) preflightAction(c *cli.Context) error {
	suggest, serr := f.boolean(c, suggestFlag)
	opt, berr := f.bindOption(c)
	out, oerr := f.output(c)
	if err := usage(serr, berr, oerr); err != nil {
		return err
	}
	if suggest {
		return f.suggestAction(c, opt, out)
	}
	if c.IsSet(fromFlag.name) {
		return usageError{errors.New("--from goes with --suggest")}
	}
	spec, err := f.spec(c)
	if err := usage(err); err != nil {
		return err
	}
	opt.Owners = true
	rep := preflight.Check(c.Context, spec, opt)
	if out.json {
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
}

func (f flags) suggestAction(c *cli.Context, opt preflight.Options, out output) error {
	var errs []error
	if c.IsSet(offsetFlag.name) {
		errs = append(errs, errors.New("--suggest finds the offset itself: give --from N to start the search at N, not --offset"))
	}
	t := f.text(c, fromFlag)
	from, err := strconv.Atoi(strings.TrimSpace(t.Value))
	if err != nil || from < 0 || from > expect.MaxPort {
		errs = append(errs, fmt.Errorf("%s: %q is not an offset (0 to %d)", t.Origin, t.Value, expect.MaxPort))
	}
	if err := usage(errs...); err != nil {
		return err
	}
	// The spec is resolved once, at the first offset, through the same path
	// as every other command (profile, --carbon-home configuration, --ports);
	// each later offset shifts the ports that take one.
	if first, err := f.spec(c); err == nil && first.Profile == expect.NoProfile {
		return usageError{errors.New("--suggest needs a profile: --ports numbers take no offset")}
	}
	if err := c.Set(offsetFlag.name, strconv.Itoa(from)); err != nil {
		return err
	}
	base, err := f.spec(c)
	if err := usage(err); err != nil {
		return err
	}
	specFor := func(off int) (expect.Spec, error) { return shiftSpec(base, off) }
	opt.Owners = true
	sug := preflight.Suggest(c.Context, from, specFor, opt)
	if out.json {
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

// shiftSpec moves the ports that take an offset to offset to.
func shiftSpec(base expect.Spec, to int) (expect.Spec, error) {
	s := base
	s.Offset.Value, s.Offset.Kind, s.Offset.From = to, expect.OffsetFlag, "--suggest"
	s.Ports = make([]expect.Port, len(base.Ports))
	for i, p := range base.Ports {
		if p.Offset {
			p.Number = p.Base + to
			p.Why = fmt.Sprintf("%d + offset %d", p.Base, to)
			if p.Number > expect.MaxPort {
				return s, fmt.Errorf("it pushes port %s (%d) to %d, past %d", p.Name, p.Base, p.Number, expect.MaxPort)
			}
		}
		s.Ports[i] = p
	}
	return s, nil
}

func (f flags) bindOption(c *cli.Context) (preflight.Options, error) {
	t := f.text(c, bindFlag)
	if t.Value == "" {
		return preflight.Options{}, nil
	}
	a, err := netip.ParseAddr(strings.Trim(t.Value, "[]"))
	if err != nil {
		return preflight.Options{}, fmt.Errorf("%s: %q is not an IP address", t.Origin, t.Value)
	}
	if a.IsUnspecified() && a.Is6() {
		return preflight.Options{}, nil // [::] is what the default tests
	}
	return preflight.Options{Bind: a}, nil
}
