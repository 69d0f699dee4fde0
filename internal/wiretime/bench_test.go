package wiretime

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
)

// unmarshalBefore is how UnmarshalJSON read a timestamp before the fast
// path: a second json.Unmarshal into a string, then time.ParseInLocation
// with a layout built for the text. Kept here as the in-run reference.
func unmarshalBefore(t *LocalTime, b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return errors.New("wiretime: local time must be a JSON string")
	}
	p, err := parseWallLayout(s, time.UTC)
	if err != nil {
		return err
	}
	*t = LocalTime{Time: p, raw: s}
	return nil
}

// BenchmarkLocalTimeUnmarshalJSON decodes one jtel timestamp the way
// encoding/json calls it for every dtCreated of every event, beside the
// previous reading in the same run.
func BenchmarkLocalTimeUnmarshalJSON(b *testing.B) {
	in := []byte(`"2020-08-09T02:33:50.347"`)
	b.Run("now", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var lt LocalTime
			if err := lt.UnmarshalJSON(in); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("before", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var lt LocalTime
			if err := unmarshalBefore(&lt, in); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkLocalTimeInStruct is the same through json.Unmarshal of a
// struct with three timestamps.
func BenchmarkLocalTimeInStruct(b *testing.B) {
	in := []byte(`{"a":"2020-08-09T02:33:50.347","b":"2020-09-15T02:59:32.794","c":"2020-09-15T02:59:32.929"}`)
	var v struct{ A, B, C LocalTime }
	b.ReportAllocs()
	for b.Loop() {
		if err := json.Unmarshal(in, &v); err != nil {
			b.Fatal(err)
		}
	}
}
