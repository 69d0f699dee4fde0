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

	"github.com/contactkit/contactkit"
)

// Unknown holds the fields of a JSON object that its Go type does not
// declare, by name, as they were received. It is the public
// contactkit.UnknownFields, which the API types name in their fields.
type Unknown = contactkit.UnknownFields

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
	// hasUnknownKey found an object: it decodes into a map too (known
	// decoded without error, so the JSON is valid).
	var all map[string]json.RawMessage
	_ = json.Unmarshal(data, &all)
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
		names[name] = true // the exact spelling: found without allocating
		names[strings.ToLower(name)] = true
	}
}

// hasUnknownKey scans the top-level keys of the object in data without
// decoding values, so that the common case (nothing unknown) costs one
// cheap pass instead of a second decode. data has already been decoded
// by encoding/json, so it is valid JSON.
func hasUnknownKey(data []byte, names map[string]bool) bool {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return false
	}
	i++
	for {
		i = skipSpace(data, i)
		if i >= len(data) || data[i] == '}' {
			return false
		}
		if data[i] == ',' {
			i = skipSpace(data, i+1)
		}
		end := stringEnd(data, i)
		key := data[i+1 : end-1]
		if !names[string(key)] && !knownFolded(key, names) {
			return true
		}
		i = skipSpace(data, end)
		i = skipValue(data, skipSpace(data, i+1)) // past ':'
	}
}

// knownFolded is the slow path of the key check: escapes or another case.
func knownFolded(key []byte, names map[string]bool) bool {
	k := string(key)
	if strings.IndexByte(k, '\\') >= 0 {
		var u string
		if json.Unmarshal([]byte(`"`+k+`"`), &u) == nil {
			k = u
		}
	}
	return names[strings.ToLower(k)]
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index just past the string starting at b[i] ('"').
func stringEnd(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(b)
}

// skipValue returns the index just past the value starting at b[i].
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				j = stringEnd(b, j) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return len(b)
	default: // number, true, false, null
		j := i
		for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' && b[j] != ' ' && b[j] != '\n' && b[j] != '\t' && b[j] != '\r' {
			j++
		}
		return j
	}
}
