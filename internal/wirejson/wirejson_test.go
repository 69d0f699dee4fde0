package wirejson

import (
	"encoding/json"
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
