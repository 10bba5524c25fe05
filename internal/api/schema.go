package api

import (
	"encoding"
	"encoding/json"
	"reflect"
	"strings"
	"time"
)

// Schema is a JSON Schema (draft 2020-12, the dialect of OpenAPI 3.1) as a
// plain map, so that routes write it beside their handler in Go.
type Schema = map[string]any

// SchemaOf derives the JSON Schema of what encoding/json writes for v's
// type: objects with every field (required unless omitempty or omitzero,
// no others allowed), arrays, strings, integers, numbers, booleans. Deriving
// it from the very type a handler encodes keeps the document from drifting;
// the OpenAPI test then checks real answers against it. A type that refers
// to itself is described, at the inner level, as any object.
func SchemaOf(v any) Schema {
	return schemaOf(reflect.TypeOf(v), map[reflect.Type]bool{})
}

var (
	timeType          = reflect.TypeFor[time.Time]()
	rawType           = reflect.TypeFor[json.RawMessage]()
	jsonMarshalerType = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
)

func schemaOf(t reflect.Type, seen map[reflect.Type]bool) Schema {
	switch {
	case t == timeType:
		return Schema{"type": "string", "format": "date-time"}
	case t == rawType:
		return Schema{}
	case t.Implements(jsonMarshalerType) || reflect.PointerTo(t).Implements(jsonMarshalerType):
		return Schema{} // its own encoding: any value
	case t.Implements(textMarshalerType) || reflect.PointerTo(t).Implements(textMarshalerType):
		return Schema{"type": "string"}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return schemaOf(t.Elem(), seen)
	case reflect.String:
		return Schema{"type": "string"}
	case reflect.Bool:
		return Schema{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return Schema{"type": "integer"}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return Schema{"type": "integer", "minimum": 0}
	case reflect.Float32, reflect.Float64:
		return Schema{"type": "number"}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 && t.Kind() == reflect.Slice {
			return Schema{"type": "string", "contentEncoding": "base64"}
		}
		return Schema{"type": "array", "items": schemaOf(t.Elem(), seen)}
	case reflect.Map:
		return Schema{"type": "object", "additionalProperties": schemaOf(t.Elem(), seen)}
	case reflect.Struct:
		if seen[t] {
			return Schema{"type": "object"}
		}
		seen[t] = true
		defer delete(seen, t)
		props := Schema{}
		required := []string{}
		addFields(t, seen, props, &required)
		s := Schema{"type": "object", "properties": props, "additionalProperties": false}
		if len(required) > 0 {
			s["required"] = required
		}
		return s
	}
	return Schema{} // interfaces and the like: any value
}

// addFields adds t's JSON fields, inlining embedded structs as
// encoding/json does.
func addFields(t reflect.Type, seen map[reflect.Type]bool, props Schema, required *[]string) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				addFields(ft, seen, props, required)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		var s Schema
		if hasOpt(opts, "string") {
			s = Schema{"type": "string"}
		} else {
			s = schemaOf(f.Type, seen)
		}
		optional := hasOpt(opts, "omitempty") || hasOpt(opts, "omitzero")
		if !optional && nullable(f.Type) {
			s = Schema{"anyOf": []any{s, Schema{"type": "null"}}}
		}
		props[name] = s
		if !optional {
			*required = append(*required, name)
		}
	}
}

// nullable: a pointer or map encodes as null when nil. A nil slice does
// too, but chainhound's answers make empty slices, and the schema holds
// them to it: an array field is never null.
func nullable(t reflect.Type) bool {
	return t.Kind() == reflect.Pointer || t.Kind() == reflect.Map || t.Kind() == reflect.Interface
}

func hasOpt(opts, want string) bool {
	for _, o := range strings.Split(opts, ",") {
		if o == want {
			return true
		}
	}
	return false
}

// Prop returns the schema of property name of an object schema, so a
// route can add constraints (enum, pattern, bounds) to a derived schema.
func Prop(s Schema, name string) Schema {
	return s["properties"].(Schema)[name].(Schema)
}
