package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"time"

	toml "github.com/pelletier/go-toml/v2"
	"gopkg.in/yaml.v3"
)

// The config file, whatever its format, is first parsed into a small tree
// of nodes that remembers where each value came from; decode.go then
// applies the tree to a Config strictly, so every format gets the same
// unknown-key and type checks with the same messages.

type nodeKind int

const (
	kindNull nodeKind = iota
	kindString
	kindNumber
	kindBool
	kindList
	kindObject
)

func (k nodeKind) String() string {
	switch k {
	case kindNull:
		return "null"
	case kindString:
		return "a string"
	case kindNumber:
		return "a number"
	case kindBool:
		return "a boolean"
	case kindList:
		return "a list"
	default:
		return "an object"
	}
}

type node struct {
	kind nodeKind
	// text is the string value, the number literal as written, or
	// "true"/"false".
	text  string
	items []*node // kindList
	keys  []string
	vals  []*node  // kindObject, parallel to keys
	kpos  [][2]int // kindObject: line and column of each key, parallel to keys
	line  int      // 1-based; 0 when the format gives no position
	col   int
}

// maxDepth bounds nesting: the deepest real key is a handful of levels
// down, so anything deeper is garbage and is refused before it costs
// stack or time.
const maxDepth = 64

// maxNodes bounds the tree built from YAML aliases ("billion laughs").
const maxNodes = 1 << 20

// posError is a parse error with a position in the file.
type posError struct {
	line, col int
	msg       string
}

func (e *posError) Error() string {
	if e.line > 0 {
		return fmt.Sprintf("line %d, column %d: %s", e.line, e.col, e.msg)
	}
	return e.msg
}

// lineIndex converts byte offsets into line and column numbers.
type lineIndex []int

func newLineIndex(data []byte) lineIndex {
	idx := lineIndex{0}
	for i, b := range data {
		if b == '\n' {
			idx = append(idx, i+1)
		}
	}
	return idx
}

func (li lineIndex) pos(off int) (line, col int) {
	i := sort.Search(len(li), func(i int) bool { return li[i] > off }) - 1
	if i < 0 {
		i = 0
	}
	return i + 1, off - li[i] + 1
}

// parseJSON parses a JSON document whose top level is an object.
func parseJSON(data []byte) (*node, error) {
	p := &jsonParser{data: data, li: newLineIndex(data), dec: json.NewDecoder(bytes.NewReader(data))}
	p.dec.UseNumber()
	root, err := p.value(0)
	if err != nil {
		return nil, err
	}
	if _, err := p.dec.Token(); err != io.EOF {
		off := p.start()
		l, c := p.li.pos(off)
		return nil, &posError{l, c, "unexpected data after the top-level object"}
	}
	if root.kind != kindObject {
		return nil, &posError{root.line, root.col, "the top level must be an object"}
	}
	return root, nil
}

type jsonParser struct {
	data []byte
	li   lineIndex
	dec  *json.Decoder
}

// start returns the offset where the next token begins.
func (p *jsonParser) start() int {
	off := int(p.dec.InputOffset())
	for off < len(p.data) {
		switch p.data[off] {
		case ' ', '\t', '\r', '\n', ',', ':':
			off++
			continue
		}
		break
	}
	return off
}

func (p *jsonParser) err(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		off := int(se.Offset)
		if off > 0 {
			off-- // Offset is just past the offending byte
		}
		l, c := p.li.pos(off)
		return &posError{l, c, se.Error()}
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		l, c := p.li.pos(len(p.data))
		return &posError{l, c, "unexpected end of JSON input"}
	}
	return err
}

func (p *jsonParser) value(depth int) (*node, error) {
	if depth > maxDepth {
		l, c := p.li.pos(p.start())
		return nil, &posError{l, c, "nesting too deep"}
	}
	off := p.start()
	line, col := p.li.pos(off)
	tok, err := p.dec.Token()
	if err != nil {
		return nil, p.err(err)
	}
	n := &node{line: line, col: col}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			n.kind = kindObject
			for p.dec.More() {
				koff := p.start()
				kt, err := p.dec.Token()
				if err != nil {
					return nil, p.err(err)
				}
				key, ok := kt.(string)
				if !ok {
					l, c := p.li.pos(koff)
					return nil, &posError{l, c, "object key must be a string"}
				}
				v, err := p.value(depth + 1)
				if err != nil {
					return nil, err
				}
				l, c := p.li.pos(koff)
				n.keys = append(n.keys, key)
				n.vals = append(n.vals, v)
				n.kpos = append(n.kpos, [2]int{l, c})
			}
		case '[':
			n.kind = kindList
			for p.dec.More() {
				v, err := p.value(depth + 1)
				if err != nil {
					return nil, err
				}
				n.items = append(n.items, v)
			}
		default:
			return nil, &posError{line, col, fmt.Sprintf("unexpected %q", rune(t))}
		}
		if _, err := p.dec.Token(); err != nil { // closing delimiter
			return nil, p.err(err)
		}
	case string:
		n.kind, n.text = kindString, t
	case json.Number:
		n.kind, n.text = kindNumber, string(t)
	case bool:
		n.kind, n.text = kindBool, strconv.FormatBool(t)
	case nil:
		n.kind = kindNull
	}
	return n, nil
}

// parseYAML parses a YAML document whose top level is a mapping. An empty
// document is an empty object.
func parseYAML(data []byte) (*node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return &node{kind: kindObject}, nil
	}
	b := &yamlBuilder{}
	root, err := b.build(doc.Content[0], 0)
	if err != nil {
		return nil, err
	}
	if root.kind == kindNull {
		return &node{kind: kindObject}, nil
	}
	if root.kind != kindObject {
		return nil, &posError{root.line, root.col, "the top level must be a mapping"}
	}
	return root, nil
}

type yamlBuilder struct{ count int }

func (b *yamlBuilder) build(y *yaml.Node, depth int) (*node, error) {
	b.count++
	if depth > maxDepth || b.count > maxNodes {
		return nil, &posError{y.Line, y.Column, "document too deeply nested or too large"}
	}
	n := &node{line: y.Line, col: y.Column}
	switch y.Kind {
	case yaml.AliasNode:
		if y.Alias == nil {
			return nil, &posError{y.Line, y.Column, "unknown alias"}
		}
		return b.build(y.Alias, depth+1)
	case yaml.DocumentNode:
		if len(y.Content) == 0 {
			n.kind = kindNull
			return n, nil
		}
		return b.build(y.Content[0], depth+1)
	case yaml.SequenceNode:
		n.kind = kindList
		for _, c := range y.Content {
			v, err := b.build(c, depth+1)
			if err != nil {
				return nil, err
			}
			n.items = append(n.items, v)
		}
	case yaml.MappingNode:
		n.kind = kindObject
		if err := b.addPairs(n, y, depth); err != nil {
			return nil, err
		}
	case yaml.ScalarNode:
		switch y.ShortTag() {
		case "!!null":
			n.kind = kindNull
		case "!!bool":
			n.kind = kindBool
			var v bool
			if err := y.Decode(&v); err != nil {
				return nil, &posError{y.Line, y.Column, err.Error()}
			}
			n.text = strconv.FormatBool(v)
		case "!!int", "!!float":
			n.kind, n.text = kindNumber, y.Value
		default:
			n.kind, n.text = kindString, y.Value
		}
	default:
		return nil, &posError{y.Line, y.Column, "unsupported YAML node"}
	}
	return n, nil
}

// addPairs adds a mapping's pairs to n, expanding "<<" merge keys first
// so explicit keys override merged ones.
func (b *yamlBuilder) addPairs(n *node, y *yaml.Node, depth int) error {
	if len(y.Content)%2 != 0 {
		return &posError{y.Line, y.Column, "malformed mapping"}
	}
	for i := 0; i+1 < len(y.Content); i += 2 {
		k, v := y.Content[i], y.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			if err := b.merge(n, v, depth+1); err != nil {
				return err
			}
			continue
		}
		if k.Kind != yaml.ScalarNode {
			return &posError{k.Line, k.Column, "mapping keys must be scalars"}
		}
		val, err := b.build(v, depth+1)
		if err != nil {
			return err
		}
		n.keys = append(n.keys, k.Value)
		n.vals = append(n.vals, val)
		n.kpos = append(n.kpos, [2]int{k.Line, k.Column})
	}
	return nil
}

func (b *yamlBuilder) merge(n *node, v *yaml.Node, depth int) error {
	b.count++
	if depth > maxDepth || b.count > maxNodes {
		return &posError{v.Line, v.Column, "document too deeply nested or too large"}
	}
	switch v.Kind {
	case yaml.AliasNode:
		if v.Alias == nil {
			return &posError{v.Line, v.Column, "unknown alias"}
		}
		return b.merge(n, v.Alias, depth+1)
	case yaml.MappingNode:
		return b.addPairs(n, v, depth)
	case yaml.SequenceNode:
		for _, c := range v.Content {
			if err := b.merge(n, c, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	return &posError{v.Line, v.Column, "merge value must be a mapping"}
}

// parseTOML parses a TOML document. TOML gives positions only for syntax
// errors; keys are visited in sorted order so errors are deterministic.
func parseTOML(data []byte) (*node, error) {
	var m map[string]any
	if err := toml.Unmarshal(data, &m); err != nil {
		var de *toml.DecodeError
		if errors.As(err, &de) {
			l, c := de.Position()
			return nil, &posError{l, c, de.Error()}
		}
		return nil, err
	}
	count := 0
	return tomlNode(m, 0, &count)
}

func tomlNode(v any, depth int, count *int) (*node, error) {
	*count++
	if depth > maxDepth || *count > maxNodes {
		return nil, errors.New("document too deeply nested or too large")
	}
	switch t := v.(type) {
	case nil:
		return &node{kind: kindNull}, nil
	case map[string]any:
		n := &node{kind: kindObject}
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			c, err := tomlNode(t[k], depth+1, count)
			if err != nil {
				return nil, err
			}
			n.keys = append(n.keys, k)
			n.vals = append(n.vals, c)
			n.kpos = append(n.kpos, [2]int{})
		}
		return n, nil
	case []any:
		n := &node{kind: kindList}
		for _, e := range t {
			c, err := tomlNode(e, depth+1, count)
			if err != nil {
				return nil, err
			}
			n.items = append(n.items, c)
		}
		return n, nil
	case string:
		return &node{kind: kindString, text: t}, nil
	case bool:
		return &node{kind: kindBool, text: strconv.FormatBool(t)}, nil
	case int64:
		return &node{kind: kindNumber, text: strconv.FormatInt(t, 10)}, nil
	case float64:
		if math.IsNaN(t) || math.IsInf(t, 0) {
			return &node{kind: kindNumber, text: fmt.Sprint(t)}, nil
		}
		return &node{kind: kindNumber, text: strconv.FormatFloat(t, 'f', -1, 64)}, nil
	case time.Time:
		return &node{kind: kindString, text: t.Format(time.RFC3339Nano)}, nil
	case fmt.Stringer: // toml.LocalDate, LocalTime, LocalDateTime
		return &node{kind: kindString, text: t.String()}, nil
	}
	return nil, fmt.Errorf("unsupported TOML value of type %T", v)
}
