package expect

import (
	"fmt"

	"github.com/hashicorp/go-multierror"
)

// DefaultProfile is the profile used when neither --profile nor --ports says
// otherwise: the product of the page our users start from.
const DefaultProfile = "mi"

// Text is a value given by the user and where it came from ("flag --offset",
// "$CARBONPROBE_OFFSET"), so an error can name it. An empty Value is unset.
type Text struct {
	Value  string
	Origin string
}

func (t Text) set() bool { return t.Value != "" }

// fromFlag reports whether the value was typed as a flag rather than inherited from the environment.
func (t Text) fromFlag() bool { return len(t.Origin) > 0 && t.Origin[0] != '$' }

// Input is what the user asked for, before any of it is checked.
type Input struct {
	Profile    Text
	Offset     Text
	JavaOpts   Text // Java options that may hold -DportOffset=N
	CarbonHome Text
	Ports      Text // an ad-hoc --ports list
}

// Resolve turns the user's input into a Spec. It reports every problem it
// finds, one line each, not only the first.
func Resolve(in Input) (Spec, error) {
	var errs *multierror.Error
	fail := func(err error) { errs = multierror.Append(errs, err) }

	var adhoc []Port
	if in.Ports.set() {
		var err error
		if adhoc, err = ParsePorts(in.Ports.Value, in.Ports.Origin); err != nil {
			fail(err)
		}
	}

	name := in.Profile.Value
	switch {
	case name != "":
	case in.Ports.set():
		name = NoProfile
	default:
		name = DefaultProfile
	}

	var spec Spec
	if name == NoProfile {
		spec = Spec{Profile: NoProfile, Title: "ad-hoc ports",
			Offset: Offset{Kind: OffsetDefault, From: "not used: --ports numbers take no offset"}}
		if in.Offset.set() && in.Offset.fromFlag() {
			fail(fmt.Errorf("%s: profile none has no offset ports; --ports numbers are dialled as given", in.Offset.Origin))
		}
		if !in.Ports.set() {
			fail(fmt.Errorf("%s none: give the ports to check with --ports", in.Profile.Origin))
		}
	} else {
		prof, err := LookupProfile(name)
		if err != nil {
			fail(fmt.Errorf("%s: %w", orDefault(in.Profile.Origin, "profile"), err))
		}
		off, err := resolveOffset(in, prof)
		if err != nil {
			fail(err)
		}
		if prof != nil {
			spec = Spec{Profile: prof.Name, Title: prof.Title, Offset: off,
				Ports: prof.ports(off), Random: prof.Random, Docs: prof.Docs}
			for _, p := range spec.Ports {
				if p.Number > MaxPort {
					fail(fmt.Errorf("offset %d from %s pushes port %s (%d) to %d, past %d",
						off.Value, off.From, p.Name, p.Base, p.Number, MaxPort))
				}
			}
		}
	}

	spec.Ports = append(spec.Ports, adhoc...)
	seen := make(map[string]string, len(spec.Ports))
	for _, p := range spec.Ports {
		if other, dup := seen[p.Key()]; dup {
			fail(fmt.Errorf("port %d/%s is named twice: %s and %s", p.Number, p.Proto, other, p.Name))
			continue
		}
		seen[p.Key()] = p.Name
	}
	return spec, errs.ErrorOrNil()
}

// resolveOffset applies Carbon's precedence: the flag, then -DportOffset (the
// system property Carbon reads first), then carbon.xml <Offset>, then the
// profile's default. Every source given is read and checked, so a broken
// carbon.xml is reported even when a flag overrides its offset.
func resolveOffset(in Input, prof *Profile) (Offset, error) {
	var errs *multierror.Error
	var found []Offset // in precedence order

	if in.Offset.set() {
		n, err := ParseOffset(in.Offset.Value, in.Offset.Origin)
		if err != nil {
			errs = multierror.Append(errs, err)
		} else {
			found = append(found, Offset{Value: n, Kind: OffsetFlag, From: in.Offset.Origin})
		}
	}
	if in.JavaOpts.set() {
		n, ok, err := OffsetFromJavaOpts(in.JavaOpts.Value, in.JavaOpts.Origin)
		switch {
		case err != nil:
			errs = multierror.Append(errs, err)
		case ok:
			found = append(found, Offset{Value: n, Kind: OffsetSysProp, From: fmt.Sprintf("-DportOffset=%d in %s", n, in.JavaOpts.Origin)})
		}
	}
	if in.CarbonHome.set() {
		path, err := FindCarbonXML(in.CarbonHome.Value)
		if err != nil {
			errs = multierror.Append(errs, fmt.Errorf("%s %w", in.CarbonHome.Origin, err))
		} else if cx, err := ReadCarbonXML(path); err != nil {
			errs = multierror.Append(errs, err)
		} else if cx.OffsetLine > 0 {
			found = append(found, Offset{Value: cx.Offset, Kind: OffsetCarbonXML, From: fmt.Sprintf("%s:%d <Offset>", path, cx.OffsetLine)})
		}
	}
	if prof != nil {
		found = append(found, Offset{Value: prof.DefaultOffset, Kind: OffsetDefault,
			From: fmt.Sprintf("profile %s's default (%s)", prof.Name, prof.DefaultOffsetWhy), Source: prof.DefaultOffsetSource})
	}
	if err := errs.ErrorOrNil(); err != nil || len(found) == 0 {
		return Offset{}, err
	}
	return found[0], nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
