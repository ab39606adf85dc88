package target

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/hashicorp/go-multierror"

	"github.com/carbonprobe/carbonprobe/internal/text"
	"github.com/carbonprobe/carbonprobe/probe/procs"
)

// ResolveAll answers a request for every Carbon server process on this host,
// each with its own settings. A request that gives what each server decides
// for itself (a server, an offset, a profile, Java options, a home, ports) is
// refused, naming the flag or the variable that gave it. notes say what
// could not be read, and which servers' ports cannot be told. The error is
// about the request only.
func ResolveAll(ctx context.Context, req Request) (targets []Target, notes []string, err error) {
	var errs *multierror.Error
	for _, v := range []Value{req.PID, req.CmdMatch, req.Offset, req.JavaOpts, req.CarbonHome, req.Ports, req.Profile, req.Runtime, req.Expect} {
		if v.Value != "" {
			errs = multierror.Append(errs, fmt.Errorf("%s: --all checks each server with its own settings", v.Origin))
		}
	}
	host := req.Host
	if host == "" {
		host = DefaultHost
	}
	if !IsLocal(ctx, host) {
		errs = multierror.Append(errs, fmt.Errorf("--all reads this host's processes: --host %s is not this host", host))
	}
	if err := errs.ErrorOrNil(); err != nil {
		return nil, nil, err
	}
	servers, unread, err := procs.Find()
	if err != nil {
		return nil, []string{"could not list this host's processes: " + text.OneLine(err.Error())}, nil
	}
	if n := unreadNote(unread); n != "" {
		notes = append(notes, n)
	}
	for _, s := range servers {
		if s.PID == req.Self {
			continue
		}
		one := Request{Host: host, EnvJavaOpts: req.EnvJavaOpts, Self: req.Self, Getenv: req.Getenv,
			PID: Value{Value: strconv.Itoa(s.PID), Origin: "--all"}}
		t, err := Resolve(ctx, one)
		var amb *AmbiguousError
		switch {
		case errors.As(err, &amb):
			notes = append(notes, fmt.Sprintf("pid %d: %s", s.PID, text.OneLine(err.Error())))
			continue
		case err != nil:
			notes = append(notes, fmt.Sprintf("pid %d: its ports cannot be told: %s", s.PID, strings.Join(text.Lines(err), "; ")))
			continue
		case t.Missing != "":
			continue // it exited since the scan
		}
		targets = append(targets, t)
	}
	return targets, notes, nil
}
