package chatexport

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParsePDataDocumentedForm(t *testing.T) {
	// The form printed in jtel's document.
	got, err := ParsePData(`{name:'John Doe', email:'john.doe@example.com'}`)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"name": "John Doe", "email": "john.doe@example.com"}, got)
}

func TestParsePDataForms(t *testing.T) {
	cases := map[string]map[string]string{
		`{"name":"John","age":42,"vip":true,"note":null}`:     {"name": "John", "age": "42", "vip": "true", "note": ""},
		`{ name : "Jo\"hn", 'quote': 'it\'s', n: 3.5 }`:       {"name": `Jo"hn`, "quote": "it's", "n": "3.5"},
		`{address:{city:'Berlin', zip:'10115'}, id: ABC-123}`: {"address.city": "Berlin", "address.zip": "10115", "id": "ABC-123"},
		`{}`: {}, ``: {}, `{a:'x',}`: {"a": "x"},
	}
	for in, want := range cases {
		got, err := ParsePData(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, bad := range []string{`{name:'John'`, `name:'x'`, `['a']`, `{a:[1]}`, `{:'x'}`, `{a 'x'}`, `{a:'x'} trailing`, `"text"`} {
		_, err := ParsePData(bad)
		assert.Error(t, err, bad)
	}
}

func TestSessionHelpers(t *testing.T) {
	s := Session{Start: start, End: start.Add(90 * time.Second), PData: map[string]string{"b": "2", "a": "1"}}
	assert.Equal(t, 90*time.Second, s.Duration())
	assert.Equal(t, []string{"a", "b"}, s.PDataNames())
	s.End = time.Time{}
	assert.Zero(t, s.Duration())
}

func FuzzParsePData(f *testing.F) {
	for _, s := range []string{`{name:'John Doe', email:'john.doe@example.com'}`, `{"a":{"b":1}}`, `{a:`, `{'x\'':"\\"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = ParsePData(s) // must not panic or loop
	})
}
