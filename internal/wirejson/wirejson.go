// Package wirejson keeps the fields of a JSON object that a Go type does
// not declare, so that a value decoded and re-encoded by the SDK keeps
// what a newer server added (a proxy built on the SDK drops nothing).
//
// A type keeps its unknown fields in an Unknown and implements its
// (Un)MarshalJSON with Split and Merge over a method-less alias of itself:
//
//	type Event struct { ID int `json:"ID"`; Unknown wirejson.Unknown `json:"-"` }
//	type eventFields Event
//	func (e *Event) UnmarshalJSON(b []byte) error {
//		u, err := wirejson.Split(b, (*eventFields)(e)); e.Unknown = u; return err
//	}
//	func (e Event) MarshalJSON() ([]byte, error) { return wirejson.Merge(eventFields(e), e.Unknown) }
package wirejson

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"sync"
)

// Unknown holds the fields of a JSON object that its Go type does not
// declare, by name, as they were received.
type Unknown map[string]json.RawMessage

// Split decodes data into known (a pointer to a struct) and returns the
// object's fields that known's type does not declare; nil when there are
// none. Matching follows encoding/json: a field is known when its name
// equals a declared name, ignoring case.
func Split(data []byte, known any) (Unknown, error) {
	if err := json.Unmarshal(data, known); err != nil {
		return nil, err
	}
	names := declared(reflect.TypeOf(known).Elem())
	if !hasUnknownKey(data, names) {
		return nil, nil
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(data, &all); err != nil {
		return nil, nil // not an object (null): nothing unknown
	}
	var out Unknown
	for k, v := range all {
		if !names[strings.ToLower(k)] {
			if out == nil {
				out = Unknown{}
			}
			out[k] = v
		}
	}
	return out, nil
}

// Merge encodes known (a struct value) and adds the unknown fields after
// the declared ones, in name order, so the output is deterministic.
func Merge(known any, extra Unknown) ([]byte, error) {
	b, err := json.Marshal(known)
	if err != nil || len(extra) == 0 {
		return b, err
	}
	names := declared(reflect.TypeOf(known))
	keys := make([]string, 0, len(extra))
	for k := range extra {
		if !names[strings.ToLower(k)] {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var buf bytes.Buffer
	buf.Grow(len(b) + 64*len(keys))
	buf.Write(b[:len(b)-1]) // without the closing brace
	empty := bytes.Equal(bytes.TrimSpace(b), []byte("{}"))
	for _, k := range keys {
		if !empty {
			buf.WriteByte(',')
		}
		empty = false
		name, _ := json.Marshal(k)
		buf.Write(name)
		buf.WriteByte(':')
		buf.Write(extra[k])
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

var cache sync.Map // reflect.Type → map[string]bool

// declared lists the lower-cased JSON names of t's fields, including
// those of embedded structs.
func declared(t reflect.Type) map[string]bool {
	if v, ok := cache.Load(t); ok {
		return v.(map[string]bool)
	}
	names := map[string]bool{}
	collect(t, names)
	cache.Store(t, names)
	return names
}

func collect(t reflect.Type, names map[string]bool) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return
	}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			collect(f.Type, names)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		names[strings.ToLower(name)] = true
	}
}

// hasUnknownKey scans the top-level keys of the object in data without
// building values, so that the common case (nothing unknown) costs one
// cheap pass instead of a second decode.
func hasUnknownKey(data []byte, names map[string]bool) bool {
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return false
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return false
		}
		k, _ := t.(string)
		if !names[strings.ToLower(k)] {
			return true
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return false
		}
	}
	return false
}
