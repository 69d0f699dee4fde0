package wirejson

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type Inner struct {
	Shared string `json:"shared"`
}

type thing struct {
	Inner
	ID      int     `json:"id"`
	Name    string  `json:"name,omitempty"`
	Plain   bool    // no tag: named Plain
	Skipped string  `json:"-"`
	Unknown Unknown `json:"-"`
}

type thingFields thing

func (t *thing) UnmarshalJSON(b []byte) error {
	u, err := Split(b, (*thingFields)(t))
	t.Unknown = u
	return err
}

func (t thing) MarshalJSON() ([]byte, error) { return Merge(thingFields(t), t.Unknown) }

func TestRoundTripKeepsUnknown(t *testing.T) {
	in := `{"id":1,"name":"a","shared":"s","Plain":true,"newField":{"x":[1,2]},"another":null}`
	var v thing
	require.NoError(t, json.Unmarshal([]byte(in), &v))
	assert.Equal(t, 1, v.ID)
	assert.Equal(t, "s", v.Shared)
	assert.Len(t, v.Unknown, 2)
	out, err := json.Marshal(v)
	require.NoError(t, err)
	assert.JSONEq(t, in, string(out))
}

func TestNothingUnknown(t *testing.T) {
	var v thing
	require.NoError(t, json.Unmarshal([]byte(`{"ID":2,"NAME":"case-insensitive"}`), &v))
	assert.Nil(t, v.Unknown)
	assert.Equal(t, "case-insensitive", v.Name)
	out, err := json.Marshal(v)
	require.NoError(t, err)
	assert.JSONEq(t, `{"id":2,"name":"case-insensitive","shared":"","Plain":false}`, string(out))
}

func TestEmptyKnownObject(t *testing.T) {
	type none struct{}
	b, err := Merge(none{}, Unknown{"z": json.RawMessage(`1`), "a": json.RawMessage(`"x"`)})
	require.NoError(t, err)
	assert.Equal(t, `{"a":"x","z":1}`, string(b))
}

func TestBadJSON(t *testing.T) {
	var v thing
	assert.Error(t, json.Unmarshal([]byte(`{"id":"x"}`), &v))
	assert.NoError(t, json.Unmarshal([]byte(`null`), &v))
}

// slowUnknown is the obvious way: decode to a map and compare names.
func slowUnknown(data []byte, names map[string]bool) bool {
	var all map[string]json.RawMessage
	if json.Unmarshal(data, &all) != nil {
		return false
	}
	for k := range all {
		if !names[strings.ToLower(k)] {
			return true
		}
	}
	return false
}

func TestKeyScanAgreesWithDecoding(t *testing.T) {
	names := declared(reflect.TypeOf(thing{}))
	for _, in := range []string{
		`{}`, ` { } `, `{"id":1}`, `{"ID":1,"NAME":"x"}`, `{"id":1,"x":2}`,
		`{"name":"a \"quoted\" }{ ] [ , value","id":[1,{"x":"}"}],"shared":{"deep":{"x":[]}}}`,
		`{"na\u006de":"escaped key is name"}`, `{"n\u0061me2":"escaped unknown"}`,
		"{\n\t\"id\" : 1 ,\r\n \"Plain\" : true , \"name\":null}", `{"id":-1.5e+3,"shared":"s","z":false}`,
		`{"id":1,"plain":true,"shared":"","name":"","extra":null}`, `null`, `[1,2]`, `"s"`,
	} {
		assert.Equal(t, slowUnknown([]byte(in), names), hasUnknownKey([]byte(in), names), in)
	}
}

func FuzzKeyScan(f *testing.F) {
	f.Add([]byte(`{"id":1,"x":[{"a":"}"}]}`))
	f.Add([]byte(`{"na\u006de":1}`))
	names := declared(reflect.TypeOf(thing{}))
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) {
			return
		}
		if got, want := hasUnknownKey(data, names), slowUnknown(data, names); got != want {
			t.Fatalf("scan %v, decode %v for %s", got, want, data)
		}
	})
}

func BenchmarkSplitNothingUnknown(b *testing.B) {
	in := []byte(`{"id":1,"name":"a","shared":"s","Plain":true}`)
	b.ReportAllocs()
	for b.Loop() {
		var v thing
		if err := json.Unmarshal(in, &v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPlainDecode(b *testing.B) {
	in := []byte(`{"id":1,"name":"a","shared":"s","Plain":true}`)
	b.ReportAllocs()
	for b.Loop() {
		var v thingFields
		if err := json.Unmarshal(in, &v); err != nil {
			b.Fatal(err)
		}
	}
}
