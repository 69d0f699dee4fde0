package avaya

import (
	"encoding/json"
	"testing"
)

// FuzzParseKey: never panics; an accepted key rebuilds to a key with the
// same UUID and start time (leading zeros of the millis may differ).
func FuzzParseKey(f *testing.F) {
	for _, s := range []string{"89e08e9f-a2aa-4059-9f93-1f53e3719431-1568754442049", "89e08e9f-a2aa-4059-9f93-1f53e3719431-0", "x-1", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		uuid, start, err := ParseKey(s)
		if err != nil {
			return
		}
		got := NewKey(uuid, start)
		uuid2, start2, err := ParseKey(string(got))
		if err != nil || uuid2 != uuid || !start2.Equal(start) {
			t.Fatalf("%q -> %q: %v", s, got, err)
		}
	})
}

// FuzzReportCells: decoding a report never panics, and every cell reader
// answers without panicking.
func FuzzReportCells(f *testing.F) {
	f.Add([]byte(`{"columns":[{"key":"0","title":"A","format":"DURATION"}],"rows":[{"values":{"0":{"value":12673424,"formattedValue":"3:31:13"}}}]}`))
	f.Add([]byte(`{"columns":[{"key":"0","format":"NUMBER"}],"rows":[{"values":{"0":{"value":"x"}}}],"summaryItems":[{"value":14.0}]}`))
	f.Add([]byte(`{"rows":[{"values":{"1":{"value":{"nested":[1,2]}}}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var rep Report
		if json.Unmarshal(b, &rep) != nil {
			return
		}
		_ = rep.Table()
		for _, row := range rep.Rows {
			for _, cell := range row.Values {
				_, _ = cell.Value.Number()
				_, _ = cell.Value.Duration()
				_ = cell.Value.String()
			}
		}
		if _, err := json.Marshal(rep); err != nil {
			t.Fatalf("a decoded report does not encode: %v", err)
		}
	})
}
