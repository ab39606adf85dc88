package expect

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"

	"github.com/carbonprobe/carbonprobe/internal/text"
)

// DeploymentTOML holds the values of a deployment.toml (API-M 3+, IS 5.9+,
// MI 1.1+), each with its line. At every start the server renders
// carbon.xml, jmx.xml and axis2.xml from it and from the templates'
// defaults, so where it exists it decides what those files would say.
type DeploymentTOML struct {
	File string
	// Values maps a dotted key, "server.offset", "monitoring.jmx.rmi_server_start",
	// to its value: strings unquoted, integers in decimal, arrays as their
	// elements joined by ", ". Keys under an array of tables carry the
	// element's index: "apim.gateway.environment[0].name".
	Values map[string]Setting
}

// ParseDeploymentTOML reads a deployment.toml. go-toml's decoder checks the
// whole document (duplicate keys, redefined tables, bad values) and its
// parser gives every key's position.
func ParseDeploymentTOML(data []byte, file string) (DeploymentTOML, error) {
	out := DeploymentTOML{File: file, Values: map[string]Setting{}}
	var doc map[string]any
	if err := toml.Unmarshal(data, &doc); err != nil {
		var de *toml.DecodeError
		if errors.As(err, &de) {
			row, _ := de.Position()
			return out, lineError{row, "TOML: " + text.OneLine(strings.TrimPrefix(de.Error(), "toml: "))}
		}
		return out, lineError{1, "TOML: " + text.OneLine(err.Error())}
	}

	lines := newLineIndex(data)
	var p unstable.Parser
	p.Reset(data)
	var table []string
	arrays := map[string]int{}
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table:
			table = keyParts(e.Key())
		case unstable.ArrayTable:
			parts := keyParts(e.Key())
			name := strings.Join(parts, ".")
			i := arrays[name]
			arrays[name] = i + 1
			// A key path that runs through earlier arrays of tables takes their current element.
			table = indexArrays(parts, arrays)
			table[len(table)-1] = fmt.Sprintf("%s[%d]", parts[len(parts)-1], i)
		case unstable.KeyValue:
			out.add(lines, table, keyParts(e.Key()), e, file)
		}
	}
	if err := p.Error(); err != nil {
		// The decoder above accepted the document, so this is not expected.
		return DeploymentTOML{File: file, Values: map[string]Setting{}}, lineError{1, "TOML: " + text.OneLine(err.Error())}
	}
	return out, nil
}

// indexArrays names each prefix of parts that is an array of tables with its
// last element: under [[a]] then [a.b], "a.b" means "a[last].b".
func indexArrays(parts []string, arrays map[string]int) []string {
	out := make([]string, len(parts))
	for i := range parts {
		out[i] = parts[i]
		if n := arrays[strings.Join(parts[:i+1], ".")]; n > 0 && i < len(parts)-1 {
			out[i] = fmt.Sprintf("%s[%d]", parts[i], n-1)
		}
	}
	return out
}

func (d *DeploymentTOML) add(lines lineIndex, table, key []string, kv *unstable.Node, file string) {
	v := kv.Value()
	full := append(append([]string{}, table...), key...)
	if v.Kind == unstable.InlineTable {
		it := v.Children()
		for it.Next() {
			if c := it.Node(); c.Kind == unstable.KeyValue {
				d.add(lines, full, keyParts(c.Key()), c, file)
			}
		}
		return
	}
	name := strings.Join(full, ".")
	if _, dup := d.Values[name]; dup || len(name) > maxCarbonKey {
		return
	}
	shown := strings.Join(key, ".")
	if len(table) > 0 {
		shown = "[" + strings.Join(table, ".") + "] " + shown
	}
	d.Values[name] = Setting{Value: tomlText(v), File: file, Line: lines.line(int(kv.Raw.Offset)), Key: shown}
}

func keyParts(it unstable.Iterator) []string {
	var parts []string
	for it.Next() {
		parts = append(parts, string(it.Node().Data))
	}
	return parts
}

// tomlText renders a value as text: integers in decimal (TOML allows 0x, 0o,
// 0b and underscores), arrays as their scalar elements joined by ", ".
func tomlText(v *unstable.Node) string {
	switch v.Kind {
	case unstable.Integer:
		if n, err := strconv.ParseInt(string(v.Data), 0, 64); err == nil {
			return strconv.FormatInt(n, 10)
		}
		return string(v.Data)
	case unstable.Array:
		var parts []string
		it := v.Children()
		for it.Next() {
			if c := it.Node(); c.Kind != unstable.Comment {
				parts = append(parts, tomlText(c))
			}
		}
		return strings.Join(parts, ", ")
	case unstable.InlineTable:
		return "{...}"
	}
	return string(v.Data)
}

// lineIndex turns byte offsets into line numbers in O(log n), where go-toml's
// Shape counts newlines from the start at every call.
type lineIndex []int

func newLineIndex(data []byte) lineIndex {
	idx := lineIndex{0}
	for i, c := range data {
		if c == '\n' {
			idx = append(idx, i+1)
		}
	}
	return idx
}

func (l lineIndex) line(offset int) int {
	return sort.Search(len(l), func(i int) bool { return l[i] > offset })
}
