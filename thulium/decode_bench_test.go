package thulium

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/contactkit/contactkit/internal/benchutil"
)

// BenchmarkRowDecode prices keeping unknown fields: a 100-row page
// decoded into SummaryRow (wirejson.Split) and into the same fields
// without the UnmarshalJSON method, in one run.
func BenchmarkRowDecode(b *testing.B) {
	one, err := os.ReadFile("testdata/summary_response.json")
	if err != nil {
		b.Fatal(err)
	}
	row := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(string(one)), "["), "]")
	page := []byte("[" + strings.Repeat(row+",", 99) + row + "]")
	b.Run("wirejson", func(b *testing.B) {
		benchutil.Loop(b, func() error {
			var rows []SummaryRow
			return json.Unmarshal(page, &rows)
		})
	})
	b.Run("plain", func(b *testing.B) {
		benchutil.Loop(b, func() error {
			var rows []summaryRowFields
			return json.Unmarshal(page, &rows)
		})
	})
}
