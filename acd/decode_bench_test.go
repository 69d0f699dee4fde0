package acd

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/contactkit/contactkit/internal/benchutil"
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
		benchutil.Loop(b, func() error {
			var out struct{ Records []Event }
			return json.Unmarshal(body, &out)
		})
	})
	b.Run("plain", func(b *testing.B) {
		benchutil.Loop(b, func() error {
			var out struct{ Records []eventFields }
			return json.Unmarshal(body, &out)
		})
	})
}
