package expect

import (
	"bytes"
	"embed"
	"fmt"
	"path"
	"sort"
	"strings"
	"sync"

	"github.com/hashicorp/go-multierror"
	"github.com/pelletier/go-toml/v2"
)

// Profile is the port knowledge of one product, loaded from an embedded data file.
type Profile struct {
	Name                string       `toml:"name"`
	Title               string       `toml:"title"`
	DefaultOffset       int          `toml:"default_offset"`
	DefaultOffsetWhy    string       `toml:"default_offset_why"`
	DefaultOffsetSource string       `toml:"default_offset_source"`
	MainClasses         []string     `toml:"main_classes"`
	Ports               []profPort   `toml:"port"`
	Random              []RandomKind `toml:"random"`
	Docs                []DocsClaim  `toml:"docs"`
}

type profPort struct {
	Name        string `toml:"name"`
	Base        int    `toml:"base"`
	Proto       Proto  `toml:"proto"`
	Offset      *bool  `toml:"offset"`
	NoOffsetWhy string `toml:"no_offset_why"`
	Role        Role   `toml:"role"`
	Need        Need   `toml:"need"`
	Condition   string `toml:"condition"`
	Source      string `toml:"source"`
}

// NoProfile is the profile name for ad-hoc checks of --ports alone.
const NoProfile = "none"

//go:embed profiles/*.toml
var profileFS embed.FS

var loadProfiles = sync.OnceValues(func() (map[string]*Profile, error) {
	entries, err := profileFS.ReadDir("profiles")
	if err != nil {
		return nil, err
	}
	out := make(map[string]*Profile, len(entries))
	var errs *multierror.Error
	for _, e := range entries {
		file := path.Join("profiles", e.Name())
		data, err := profileFS.ReadFile(file)
		if err != nil {
			return nil, err
		}
		p, err := parseProfile(file, data)
		if err != nil {
			errs = multierror.Append(errs, err)
			continue
		}
		out[p.Name] = p
	}
	return out, errs.ErrorOrNil()
})

func parseProfile(file string, data []byte) (*Profile, error) {
	dec := toml.NewDecoder(bytes.NewReader(data)).DisallowUnknownFields()
	var p Profile
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	var errs *multierror.Error
	bad := func(format string, args ...any) {
		errs = multierror.Append(errs, fmt.Errorf("%s: "+format, append([]any{file}, args...)...))
	}
	if p.Name == "" || p.Title == "" || p.DefaultOffsetSource == "" {
		bad("name, title and default_offset_source are required")
	}
	seen := map[string]bool{}
	for i := range p.Ports {
		pp := &p.Ports[i]
		if pp.Proto == "" {
			pp.Proto = TCP
		}
		switch {
		case pp.Name == "" || seen[pp.Name]:
			bad("port %d: missing or repeated name %q", i+1, pp.Name)
		case pp.Base < 1 || pp.Base > MaxPort:
			bad("port %s: base %d is not a port number", pp.Name, pp.Base)
		case pp.Proto != TCP && pp.Proto != UDP:
			bad("port %s: proto %q is neither tcp nor udp", pp.Name, pp.Proto)
		case !pp.Role.valid() || pp.Role.Proto() != pp.Proto:
			bad("port %s: role %q does not fit proto %s", pp.Name, pp.Role, pp.Proto)
		case !pp.Need.valid():
			bad("port %s: need %q is not required, optional or off", pp.Name, pp.Need)
		case pp.Need != Required && pp.Condition == "":
			bad("port %s: an %s port needs a condition saying why", pp.Name, pp.Need)
		case pp.Offset != nil && !*pp.Offset && pp.NoOffsetWhy == "":
			bad("port %s: a port without offset needs no_offset_why", pp.Name)
		case pp.Source == "":
			bad("port %s: every port cites its source", pp.Name)
		}
		seen[pp.Name] = true
	}
	return &p, errs.ErrorOrNil()
}

// LookupProfile returns the named profile.
func LookupProfile(name string) (*Profile, error) {
	all, err := loadProfiles()
	if err != nil {
		return nil, err
	}
	if p, ok := all[name]; ok {
		return p, nil
	}
	return nil, fmt.Errorf("unknown profile %q (known: %s)", name, strings.Join(ProfileNames(), ", "))
}

// ProfileNames lists the known profiles, "none" last.
func ProfileNames() []string {
	all, _ := loadProfiles()
	names := make([]string, 0, len(all)+1)
	for n := range all {
		names = append(names, n)
	}
	sort.Strings(names)
	return append(names, NoProfile)
}

// ports applies an offset to the profile's ports.
func (p *Profile) ports(off Offset) []Port {
	out := make([]Port, 0, len(p.Ports))
	for _, pp := range p.Ports {
		applies := pp.Offset == nil || *pp.Offset
		port := Port{
			Name: pp.Name, Proto: pp.Proto, Base: pp.Base, Offset: applies,
			Number: pp.Base, Role: pp.Role, Need: pp.Need,
			Condition: pp.Condition, Source: pp.Source,
		}
		if applies {
			port.Number += off.Value
			port.Why = p.offsetWhy(pp.Base, off)
		} else {
			port.Why = fmt.Sprintf("%d (no offset: %s)", pp.Base, pp.NoOffsetWhy)
		}
		out = append(out, port)
	}
	return out
}

// offsetWhy explains an offset port's number: "8280 + offset 3 (replaces MI's built-in 10)".
func (p *Profile) offsetWhy(base int, off Offset) string {
	why := fmt.Sprintf("%d + offset %d", base, off.Value)
	switch {
	case off.Kind == OffsetDefault:
		return why + " (" + p.DefaultOffsetWhy + ")"
	case p.DefaultOffset != 0:
		return why + fmt.Sprintf(" (replaces %s)", p.DefaultOffsetWhy)
	}
	return why
}
