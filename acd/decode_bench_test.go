package acd

import (
	"encoding/json"
	"os"
	"testing"
)

// BenchmarkEventDecode prices keeping unknown fields: the documented
// create response decoded into Event (wirejson.Split) and into the same
// fields without the UnmarshalJSON method, in one run.
func BenchmarkEventDecode(b *testing.B) {
	body, err := os.ReadFile("testdata/create_response.json")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("wirejson", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var out struct{ Records []Event }
			if err := json.Unmarshal(body, &out); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("plain", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var out struct{ Records []eventFields }
			if err := json.Unmarshal(body, &out); err != nil {
				b.Fatal(err)
			}
		}
	})
}
