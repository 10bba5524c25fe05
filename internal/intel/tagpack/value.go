package tagpack

import (
	"encoding/json"
	"fmt"
	"time"

	"gopkg.in/yaml.v3"
)

// Kind is the YAML type a value was written with.
type Kind int

// The kinds of value a pack field can hold.
const (
	KindNull   Kind = iota
	KindString      // a YAML string
	KindBool
	KindNumber
	KindTime // a YAML timestamp (date or date-time)
	KindList
	KindMap // a mapping, kept as JSON text in Value.Str
)

func (k Kind) String() string {
	return [...]string{"null", "string", "boolean", "number", "timestamp", "list", "mapping"}[k]
}

// Value is one field as written in a pack, with its YAML type kept so the
// validator can apply the schema's type rules after the fact.
type Value struct {
	Kind Kind
	Str  string    // text of a string, number or boolean; JSON of a mapping
	Bool bool      // KindBool
	Time time.Time // KindTime
	List []string  // KindList, the items' text
	// ListKinds is set when a list holds an item that is not a string;
	// it names the first such item's kind.
	ListKinds Kind
	Line      int
}

// valueOf converts a YAML node into a Value. Mappings are only expected
// in an ActorPack's context, so they are turned into JSON text there and
// then.
func valueOf(n *yaml.Node) (Value, error) {
	v := Value{Line: n.Line}
	switch n.Kind {
	case yaml.ScalarNode:
		return scalarValue(n)
	case yaml.SequenceNode:
		v.Kind = KindList
		v.List = make([]string, 0, len(n.Content))
		for _, item := range n.Content {
			iv, err := valueOf(item)
			if err != nil {
				return v, err
			}
			if iv.Kind != KindString && v.ListKinds == KindNull {
				v.ListKinds = iv.Kind
			}
			v.List = append(v.List, iv.Str)
		}
		return v, nil
	case yaml.MappingNode:
		var m map[string]any
		if err := n.Decode(&m); err != nil {
			return v, fmt.Errorf("line %d: %w", n.Line, err)
		}
		js, err := json.Marshal(jsonable(m))
		if err != nil {
			return v, fmt.Errorf("line %d: mapping as JSON: %w", n.Line, err)
		}
		v.Kind, v.Str = KindMap, string(js)
		return v, nil
	case yaml.AliasNode:
		return valueOf(n.Alias)
	}
	return v, fmt.Errorf("line %d: unexpected YAML node", n.Line)
}

func scalarValue(n *yaml.Node) (Value, error) {
	v := Value{Line: n.Line, Str: n.Value}
	switch n.ShortTag() {
	case "!!str":
		v.Kind = KindString
	case "!!null":
		v.Kind, v.Str = KindNull, ""
	case "!!bool":
		v.Kind = KindBool
		if err := n.Decode(&v.Bool); err != nil {
			return v, fmt.Errorf("line %d: %w", n.Line, err)
		}
	case "!!int", "!!float":
		v.Kind = KindNumber
	case "!!timestamp":
		v.Kind = KindTime
		if err := n.Decode(&v.Time); err != nil {
			return v, fmt.Errorf("line %d: %w", n.Line, err)
		}
	default:
		return v, fmt.Errorf("line %d: unsupported YAML tag %s", n.Line, n.Tag)
	}
	return v, nil
}

// jsonable turns YAML-decoded values into ones encoding/json accepts
// (times become RFC 3339 text, nested maps keep string keys).
func jsonable(x any) any {
	switch t := x.(type) {
	case map[string]any:
		for k, v := range t {
			t[k] = jsonable(v)
		}
	case []any:
		for i, v := range t {
			t[i] = jsonable(v)
		}
	case time.Time:
		return formatTime(t)
	}
	return x
}

// formatTime writes a lastmod the way packs do: a date when the time is
// midnight UTC, RFC 3339 otherwise, so parsing it back gives the same time.
func formatTime(t time.Time) string {
	if t.Equal(t.UTC().Truncate(24 * time.Hour)) {
		return t.UTC().Format(time.DateOnly)
	}
	return t.Format(time.RFC3339Nano)
}

// parseTime reads a date written as text (an ActorPack's quoted lastmod).
func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.DateOnly, time.RFC3339Nano, "2006-01-02 15:04:05", "2006-01-02T15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date", s)
}

// timeOf returns the time of a datetime field written as a timestamp or
// as date text.
func (v Value) timeOf() (time.Time, error) {
	switch v.Kind {
	case KindTime:
		return v.Time, nil
	case KindString:
		return parseTime(v.Str)
	}
	return time.Time{}, fmt.Errorf("a %s is not a date", v.Kind)
}
