package thulium

import (
	"encoding/json"
	"testing"
)

// FuzzDecodeRow: the row decoder never panics, and a row it accepts
// encodes to JSON that decodes to the same row.
func FuzzDecodeRow(f *testing.F) {
	for _, s := range []string{
		`{"series":"2021-12","user_name":"John Doe","incoming":1,"service_level_percent":100,"chat_time":{"min":"00:00:48","max":"00:00:48","sum":"00:00:48","avg":"00:00:48"},"sla_percent":100,"rating":{"rate":{"sad":0,"neutral":0,"happy":0},"satisfaction_percent":0,"rated_percent":0}}`,
		`{"service_level_percent":99.5,"sla_percent":null,"chat_time":{"min":"","max":"123:04:05"}}`,
		`{"wait_time":null}`, `[]`, `{"chat_time":{"avg":"1:2:3"}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var r SummaryRow
		if json.Unmarshal(b, &r) != nil {
			return
		}
		out, err := json.Marshal(r)
		if err != nil {
			t.Fatalf("encoding a decoded row: %v", err)
		}
		var back SummaryRow
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("re-decoding %s: %v", out, err)
		}
		again, _ := json.Marshal(back)
		if string(again) != string(out) {
			t.Fatalf("round trip changed the row:\n%s\n%s", out, again)
		}
	})
}
