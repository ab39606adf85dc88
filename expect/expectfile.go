package expect

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/hashicorp/go-multierror"
	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
	"go.yaml.in/yaml/v3"

	"github.com/carbonprobe/carbonprobe/internal/text"
	"github.com/carbonprobe/carbonprobe/internal/yamlerr"
)

// ExpectRow is one port of an --expect file: the same facts a profile row
// holds, and the line it was written on.
type ExpectRow struct {
	Name      string `toml:"name" yaml:"name"`
	Base      int    `toml:"base" yaml:"base"`
	Proto     Proto  `toml:"proto" yaml:"proto"`
	Offset    *bool  `toml:"offset" yaml:"offset"` // default true: the server's offset applies
	Role      Role   `toml:"role" yaml:"role"`     // what answers; default tcp (udp for proto udp)
	Need      Need   `toml:"need" yaml:"need"`     // required (default) or optional
	Condition string `toml:"condition" yaml:"condition"`
	Source    string `toml:"source" yaml:"source"` // where the number comes from, for people
	// An http or https port may ask more than any HTTP reply: a path, the
	// statuses that count (default 2xx and 3xx once any of these is given),
	// a body regexp, a "Name: regexp" header.
	Path   string   `toml:"path" yaml:"path"`
	Status []string `toml:"status" yaml:"status"`
	Body   string   `toml:"body" yaml:"body"`
	Header string   `toml:"header" yaml:"header"`
	Line   int      `toml:"-" yaml:"-"`
}

// expectKeys lists the keys of a row, from ExpectRow's own tags.
func expectKeys() string {
	t := reflect.TypeFor[ExpectRow]()
	var keys []string
	for i := range t.NumField() {
		if k := t.Field(i).Tag.Get("toml"); k != "" && k != "-" {
			keys = append(keys, k)
		}
	}
	return strings.Join(keys, ", ")
}

// http is the row's HTTP expectation, nil when it asks none.
func (row ExpectRow) http() *HTTPExpect {
	if row.Path == "" && len(row.Status) == 0 && row.Body == "" && row.Header == "" {
		return nil
	}
	h := newHTTPExpect(row.Path, row.Status, row.Body, row.Header)
	return &h
}

type expectDoc struct {
	Port []ExpectRow `toml:"port" yaml:"port"`
}

// maxExpectRows bounds an --expect file: a server has tens of ports, not thousands.
const maxExpectRows = 4096

// ParseExpectFile reads an --expect file: TOML for .toml, YAML for .yaml and
// .yml. Every bad row is reported with its line, not only the first; the
// good rows are returned with the error, so that the caller can check them
// against the rest too.
func ParseExpectFile(data []byte, file string) ([]ExpectRow, error) {
	var rows []ExpectRow
	var err error
	switch strings.ToLower(filepath.Ext(file)) {
	case ".toml":
		rows, err = parseExpectTOML(data)
	case ".yaml", ".yml":
		rows, err = parseExpectYAML(data)
	default:
		return nil, fmt.Errorf("%q is neither .toml nor .yaml/.yml: name the format by the extension", filepath.Ext(file))
	}
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, lineError{1, "no [[port]] entries (YAML: no port: list)"}
	}
	if len(rows) > maxExpectRows {
		return nil, lineError{rows[maxExpectRows].Line, fmt.Sprintf("more than %d ports", maxExpectRows)}
	}
	var errs *multierror.Error
	seen := map[string]int{}
	good := rows[:0:0]
	for i := range rows {
		row := &rows[i]
		ok := true
		bad := func(format string, args ...any) {
			errs = multierror.Append(errs, lineError{row.Line, fmt.Sprintf("port %q: ", row.Name) + fmt.Sprintf(format, args...)})
			ok = false
		}
		if row.Role == "" {
			row.Role = RoleTCP
			if row.Proto == UDP {
				row.Role = RoleUDP
			}
		}
		if row.Proto == "" {
			row.Proto = row.Role.Proto()
		}
		if row.Need == "" {
			row.Need = Required
		}
		switch {
		case row.Name == "":
			errs = multierror.Append(errs, lineError{row.Line, "a port needs a name"})
			ok = false
		case seen[row.Name] > 0:
			bad("named already on line %d", seen[row.Name])
		case row.Base < 1 || row.Base > MaxPort:
			bad("base %d is not a port number (1-%d)", row.Base, MaxPort)
		case row.Proto != TCP && row.Proto != UDP:
			bad("proto %q is neither tcp nor udp", row.Proto)
		case !row.Role.valid():
			bad("role %q is not one of %s", row.Role, roleList())
		case !row.Role.Fits(row.Proto):
			bad("%s answers over %s, not %s", row.Role, row.Role.Proto(), row.Proto)
		case row.Need != Required && row.Need != Optional:
			bad("need %q is neither required nor optional", row.Need)
		case row.Need == Optional && row.Condition == "":
			bad("an optional port needs a condition saying when it is there")
		}
		if h := row.http(); h != nil {
			for _, p := range h.check(row.Role) {
				bad("%s", p)
			}
		}
		if row.Name != "" && seen[row.Name] == 0 {
			seen[row.Name] = row.Line
		}
		if ok {
			good = append(good, *row)
		}
	}
	return good, errs.ErrorOrNil()
}

func parseExpectTOML(data []byte) ([]ExpectRow, error) {
	var doc expectDoc
	dec := toml.NewDecoder(bytes.NewReader(data)).DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		var sm *toml.StrictMissingError
		if errors.As(err, &sm) {
			var errs *multierror.Error
			for _, e := range sm.Errors {
				row, _ := e.Position()
				errs = multierror.Append(errs, lineError{row, fmt.Sprintf("unknown key %s (known: %s)", strings.Join(e.Key(), "."), expectKeys())})
			}
			return nil, errs
		}
		var de *toml.DecodeError
		if errors.As(err, &de) {
			row, _ := de.Position()
			return nil, lineError{row, "TOML: " + text.OneLine(strings.TrimPrefix(de.Error(), "toml: "))}
		}
		return nil, lineError{1, "TOML: " + text.OneLine(err.Error())}
	}
	// The decoder does not say where each row was: the parser does, in the
	// same order. [[port]] headers and port = [{...}, ...] both count.
	lines := newLineIndex(data)
	var at []int
	var p unstable.Parser
	p.Reset(data)
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.ArrayTable:
			if k := keyParts(e.Key()); len(k) == 1 && k[0] == "port" {
				it := e.Key()
				it.Next()
				at = append(at, lines.line(int(it.Node().Raw.Offset)))
			}
		case unstable.KeyValue:
			k := keyParts(e.Key())
			if v := e.Value(); len(k) == 1 && k[0] == "port" && v.Kind == unstable.Array {
				it := v.Children()
				for it.Next() {
					if c := it.Node(); c.Kind != unstable.Comment {
						at = append(at, lines.line(int(c.Raw.Offset)))
					}
				}
			}
		}
	}
	for i := range doc.Port {
		doc.Port[i].Line = 1
		if i < len(at) {
			doc.Port[i].Line = at[i]
		}
	}
	return doc.Port, nil
}

func parseExpectYAML(data []byte) ([]ExpectRow, error) {
	var doc expectDoc
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return nil, yamlErr(err)
	}
	// Line numbers come from the node tree, decoded again: the typed decode
	// above checks the keys, the tree keeps positions.
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, yamlErr(err)
	}
	var items []*yaml.Node
	if len(root.Content) == 1 && root.Content[0].Kind == yaml.MappingNode {
		m := root.Content[0]
		for i := 0; i+1 < len(m.Content); i += 2 {
			if m.Content[i].Value == "port" && m.Content[i+1].Kind == yaml.SequenceNode {
				items = m.Content[i+1].Content
			}
		}
	}
	for i := range doc.Port {
		doc.Port[i].Line = 1
		if i < len(items) {
			doc.Port[i].Line = items[i].Line
		}
	}
	return doc.Port, nil
}

// yamlErr turns the decoder's problems into lineErrors, every one.
func yamlErr(err error) error {
	var errs *multierror.Error
	for _, p := range yamlerr.Problems(err) {
		errs = multierror.Append(errs, lineError{p.Line, p.Msg})
	}
	return errs
}

func (r *resolver) expectPorts(spec Spec) []Port {
	in := r.in.Expect
	path := in.Value
	data, err := readConfig(path)
	if err != nil {
		r.fail(fmt.Errorf("%s %s: %w", in.Origin, path, err))
		return nil
	}
	rows, err := ParseExpectFile(data, path)
	if err != nil {
		var m *multierror.Error
		if errors.As(err, &m) {
			for _, e := range m.Errors {
				r.fail(fileErr(path, e))
			}
		} else {
			r.fail(fileErr(path, err))
		}
	}
	name := filepath.Base(path)
	taken := make(map[string]bool, len(spec.Ports))
	for _, p := range spec.Ports {
		taken[p.Name] = true
	}
	out := make([]Port, 0, len(rows))
	for _, row := range rows {
		at := fmt.Sprintf("%s:%d", name, row.Line)
		if taken[row.Name] {
			r.fail(fmt.Errorf("%s:%d: port %q: profile %s has a port of that name: name yours apart", path, row.Line, row.Name, spec.Profile))
			continue
		}
		withOffset := row.Offset == nil || *row.Offset
		p := Port{Name: row.Name, Proto: row.Proto, Base: row.Base, Offset: withOffset, Number: row.Base,
			Role: row.Role, Need: row.Need, Condition: row.Condition, Source: row.Source, Expect: at, From: at, HTTP: row.http()}
		if p.Source == "" {
			p.Source = "--expect " + at
		}
		switch {
		case withOffset && spec.Profile == NoProfile:
			r.fail(fmt.Errorf("%s:%d: port %q: offset = true needs a profile's offset, and profile none has none: set offset = false or give --profile", path, row.Line, row.Name))
			continue
		case withOffset:
			p.Number += spec.Offset.Value
			note := "offset from " + spec.Offset.Kind.short()
			if r.prof != nil {
				note = r.prof.offsetNote(spec.Offset, true)
			}
			p.Why = fmt.Sprintf("%d + offset %d (%s; %s)", row.Base, spec.Offset.Value, at, note)
			if p.Number > MaxPort {
				r.fail(fmt.Errorf("offset %d from %s pushes port %s (%d, %s) to %d, past %d",
					spec.Offset.Value, spec.Offset.From, row.Name, row.Base, at, p.Number, MaxPort))
			}
		default:
			p.Why = fmt.Sprintf("%d (%s; no offset)", row.Base, at)
		}
		out = append(out, p)
	}
	return out
}
