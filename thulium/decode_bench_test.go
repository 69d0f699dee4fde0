package thulium

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
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
		b.ReportAllocs()
		for b.Loop() {
			var rows []SummaryRow
			if err := json.Unmarshal(page, &rows); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("plain", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var rows []summaryRowFields
			if err := json.Unmarshal(page, &rows); err != nil {
				b.Fatal(err)
			}
		}
	})
}
