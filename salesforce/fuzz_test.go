package salesforce

import (
	"encoding/json"
	"testing"
)

// FuzzDecodeRecord: the decoder never panics, and an accepted record
// encodes to JSON that decodes to the same record.
func FuzzDecodeRecord(f *testing.F) {
	for _, s := range []string{
		`{"SalesForceID":"0035g","jtelStatisticsPartAID":1,"bOutbound":0,"dtCallStart":"2024-05-06T09:30:00","dtCallAlert":"","nDuration":-1,"CONNRES":5,"Cause":17}`,
		`{"jtelStatisticsPartAID":"77","bOutbound":"1","nDuration":"-1"}`,
		`{"bOutbound":true}`, `{}`, `{"Cause":null}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var r Record
		if json.Unmarshal(b, &r) != nil {
			return
		}
		out, err := json.Marshal(r)
		if err != nil {
			t.Fatalf("encoding a decoded record: %v", err)
		}
		var back Record
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("re-decoding %s: %v", out, err)
		}
		again, _ := json.Marshal(back)
		if string(again) != string(out) {
			t.Fatalf("round trip changed the record:\n%s\n%s", out, again)
		}
	})
}
