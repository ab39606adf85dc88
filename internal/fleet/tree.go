package fleet

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/hashicorp/go-multierror"
	"github.com/pelletier/go-toml/v2/unstable"
	"go.yaml.in/yaml/v3"

	"github.com/carbonprobe/carbonprobe/internal/text"
	"github.com/carbonprobe/carbonprobe/internal/yamlerr"
)

// node is one value of a targets file, YAML or TOML alike, with the line it
// was written on: the two formats are read into the same tree, so that one
// walk checks both and every problem names its line.
type node struct {
	kind  kind
	line  int
	text  string // a kScalar's text
	tag   string // a kScalar's type: "str", "int", "bool", "float", "null", "time"
	keys  []string
	vals  []*node // a map's values, in the order of keys
	items []*node // a list's items
}

type kind int

const (
	kScalar kind = iota
	kList
	kMap
)

func (n *node) get(key string) *node {
	for i, k := range n.keys {
		if k == key {
			return n.vals[i]
		}
	}
	return nil
}

func (n *node) what() string {
	switch n.kind {
	case kList:
		return "a list"
	case kMap:
		return "a table"
	}
	switch n.tag {
	case "str":
		return "a string"
	case "int":
		return "a whole number"
	case "bool":
		return "true or false"
	case "null":
		return "empty"
	}
	return "a " + n.tag
}

// lineError is a problem at a line of the file.
type lineError struct {
	line int
	msg  string
}

func (e lineError) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.msg) }

// maxNodes bounds the tree: a targets file lists hosts and offsets, not a
// million values.
const maxNodes = 200_000

// fromYAML reads a YAML document into a tree. Anchors and aliases are
// refused: a file of tens of hosts needs none, and they are how a small
// file expands into a huge one.
func fromYAML(data []byte) (*node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, yamlErr(err)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return &node{kind: kMap, line: 1}, nil
	}
	count := 0
	var conv func(y *yaml.Node) (*node, error)
	conv = func(y *yaml.Node) (*node, error) {
		if count++; count > maxNodes {
			return nil, lineError{y.Line, fmt.Sprintf("more than %d values in the file", maxNodes)}
		}
		if y.Anchor != "" || y.Kind == yaml.AliasNode {
			return nil, lineError{y.Line, "YAML anchors and aliases are not supported: write the values out"}
		}
		switch y.Kind {
		case yaml.MappingNode:
			n := &node{kind: kMap, line: y.Line}
			for i := 0; i+1 < len(y.Content); i += 2 {
				k, v := y.Content[i], y.Content[i+1]
				if k.Kind != yaml.ScalarNode {
					return nil, lineError{k.Line, "a key must be a plain word"}
				}
				if k.Value == "<<" {
					return nil, lineError{k.Line, "YAML merge keys (<<) are not supported: write the values out"}
				}
				if prev := n.get(k.Value); prev != nil {
					return nil, lineError{k.Line, fmt.Sprintf("%s is given twice (first on line %d)", k.Value, prev.line)}
				}
				c, err := conv(v)
				if err != nil {
					return nil, err
				}
				if c.kind == kScalar && c.tag == "null" {
					c.line = k.Line
				}
				n.keys, n.vals = append(n.keys, k.Value), append(n.vals, c)
			}
			return n, nil
		case yaml.SequenceNode:
			n := &node{kind: kList, line: y.Line}
			for _, it := range y.Content {
				c, err := conv(it)
				if err != nil {
					return nil, err
				}
				n.items = append(n.items, c)
			}
			return n, nil
		case yaml.ScalarNode:
			return &node{kind: kScalar, line: y.Line, text: y.Value, tag: strings.TrimPrefix(y.ShortTag(), "!!")}, nil
		}
		return nil, lineError{y.Line, "unexpected YAML node"}
	}
	return conv(doc.Content[0])
}

// yamlErr turns the decoder's problems into lineErrors, every one.
func yamlErr(err error) error {
	var errs *multierror.Error
	for _, p := range yamlerr.Problems(err) {
		errs = multierror.Append(errs, lineError{p.Line, p.Msg})
	}
	return errs
}

func fromTOML(data []byte) (*node, error) {
	root := &node{kind: kMap, line: 1}
	current := root
	count := 0
	var p unstable.Parser
	p.Reset(data)
	line := func(n *unstable.Node) int {
		if n == nil || n.Raw.Length == 0 && n.Raw.Offset == 0 {
			return 1
		}
		return p.Shape(n.Raw).Start.Line
	}
	// walk descends along a dotted key from m, making tables as it goes;
	// the last part is left to the caller.
	walk := func(m *node, parts []*unstable.Node) (*node, error) {
		for _, k := range parts {
			key := string(k.Data)
			next := m.get(key)
			switch {
			case next == nil:
				next = &node{kind: kMap, line: line(k)}
				m.keys, m.vals = append(m.keys, key), append(m.vals, next)
			case next.kind == kList && len(next.items) > 0 && next.items[len(next.items)-1].kind == kMap:
				next = next.items[len(next.items)-1] // [[a]] then [a.b]
			case next.kind != kMap:
				return nil, lineError{line(k), fmt.Sprintf("%s is %s already (line %d), not a table", key, next.what(), next.line)}
			}
			m = next
		}
		return m, nil
	}
	var value func(v *unstable.Node) (*node, error)
	value = func(v *unstable.Node) (*node, error) {
		if count++; count > maxNodes {
			return nil, lineError{line(v), fmt.Sprintf("more than %d values in the file", maxNodes)}
		}
		switch v.Kind {
		case unstable.String:
			return &node{kind: kScalar, line: line(v), text: string(v.Data), tag: "str"}, nil
		case unstable.Integer:
			return &node{kind: kScalar, line: line(v), text: string(v.Data), tag: "int"}, nil
		case unstable.Bool:
			return &node{kind: kScalar, line: line(v), text: string(v.Data), tag: "bool"}, nil
		case unstable.Float:
			return &node{kind: kScalar, line: line(v), text: string(v.Data), tag: "float"}, nil
		case unstable.LocalDate, unstable.LocalTime, unstable.LocalDateTime, unstable.DateTime:
			return &node{kind: kScalar, line: line(v), text: string(v.Data), tag: "time"}, nil
		case unstable.Array:
			n := &node{kind: kList, line: line(v)}
			it := v.Children()
			for it.Next() {
				c := it.Node()
				if c.Kind == unstable.Comment {
					continue
				}
				cn, err := value(c)
				if err != nil {
					return nil, err
				}
				n.items = append(n.items, cn)
			}
			return n, nil
		case unstable.InlineTable:
			n := &node{kind: kMap, line: line(v)}
			it := v.Children()
			for it.Next() {
				kv := it.Node()
				if kv.Kind != unstable.KeyValue {
					continue
				}
				if err := keyValue(n, kv, walk, value, line); err != nil {
					return nil, err
				}
			}
			return n, nil
		}
		return nil, lineError{line(v), "unexpected TOML value"}
	}
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.KeyValue:
			if err := keyValue(current, e, walk, value, line); err != nil {
				return nil, err
			}
		case unstable.Table, unstable.ArrayTable:
			parts := keyNodes(e.Key())
			parent, err := walk(root, parts[:len(parts)-1])
			if err != nil {
				return nil, err
			}
			last := parts[len(parts)-1]
			key, at := string(last.Data), line(last)
			prev := parent.get(key)
			t := &node{kind: kMap, line: at}
			if e.Kind == unstable.Table {
				switch {
				case prev == nil:
					parent.keys, parent.vals = append(parent.keys, key), append(parent.vals, t)
				case prev.kind == kMap:
					t = prev
				default:
					return nil, lineError{at, fmt.Sprintf("[%s]: %s is %s already (line %d)", key, key, prev.what(), prev.line)}
				}
			} else {
				switch {
				case prev == nil:
					parent.keys, parent.vals = append(parent.keys, key), append(parent.vals, &node{kind: kList, line: at, items: []*node{t}})
				case prev.kind == kList:
					prev.items = append(prev.items, t)
				default:
					return nil, lineError{at, fmt.Sprintf("[[%s]]: %s is %s already (line %d)", key, key, prev.what(), prev.line)}
				}
			}
			current = t
		}
	}
	if err := p.Error(); err != nil {
		var pe *unstable.ParserError
		if errors.As(err, &pe) {
			return nil, lineError{p.Shape(p.Range(pe.Highlight)).Start.Line, "TOML: " + text.OneLine(pe.Message)}
		}
		return nil, lineError{1, "TOML: " + text.OneLine(err.Error())}
	}
	return root, nil
}

func keyValue(m *node, kv *unstable.Node, walk func(*node, []*unstable.Node) (*node, error),
	value func(*unstable.Node) (*node, error), line func(*unstable.Node) int) error {
	parts := keyNodes(kv.Key())
	parent, err := walk(m, parts[:len(parts)-1])
	if err != nil {
		return err
	}
	last := parts[len(parts)-1]
	key := string(last.Data)
	if prev := parent.get(key); prev != nil {
		return lineError{line(last), fmt.Sprintf("%s is given twice (first on line %d)", key, prev.line)}
	}
	v, err := value(kv.Value())
	if err != nil {
		return err
	}
	if v.kind != kScalar {
		v.line = line(last)
	}
	parent.keys, parent.vals = append(parent.keys, key), append(parent.vals, v)
	return nil
}

func keyNodes(it unstable.Iterator) []*unstable.Node {
	var out []*unstable.Node
	for it.Next() {
		out = append(out, it.Node())
	}
	return out
}

// integer reads a TOML or YAML whole number (underscores, 0x, 0o, 0b).
func integer(s string) (int64, error) { return strconv.ParseInt(s, 0, 64) }
