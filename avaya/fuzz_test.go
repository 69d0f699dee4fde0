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

// FuzzMetricValue: the value decoder never panics, and an accepted value
// encodes to JSON that decodes to the same value.
func FuzzMetricValue(f *testing.F) {
	for _, s := range []string{
		`{"key":{"metricId":"K0FLAEB6"},"value":{"lastUpdateTime":"2019-10-01T10:17:56.496-06:00","count":206,"type":"COUNT"}}`,
		`{"key":{"metricId":"K08ZIKVN","categoryValue":"John Doe(831)"},"value":{"type":"AVERAGE_DURATION","lastUpdateTime":"2018-09-24T13:17:35.661-06:00","durationSum":20521,"count":5,"numCountingUp":2,"numCountingDown":1}}`,
		`{"value":{"type":"STRING","value":"x"}}`, `{"value":{"type":"NEW","x":[1]}}`, `{"value":{}}`,
		`{"value":{"type":"COUNT","count":1,"trend":"up"}}`, `{"value":{"type":"STRING","value":"c:\\","extra":{"a":"\""}}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var r MetricResult
		if json.Unmarshal(b, &r) != nil {
			return
		}
		out, err := json.Marshal(r)
		if err != nil {
			t.Fatalf("encoding a decoded value: %v", err)
		}
		var back MetricResult
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("re-decoding %s: %v", out, err)
		}
		again, _ := json.Marshal(back)
		if string(again) != string(out) {
			t.Fatalf("round trip changed the value:\n%s\n%s", out, again)
		}
		_, _ = r.Value.DurationAt(r.Value.LastUpdateTime)
		_, _ = r.Value.AverageDurationAt(r.Value.LastUpdateTime)
		// The hot path's cheap scan may only send more messages down the
		// exact path, never miss an unknown field of a known type.
		if dr, err := DecodeMetricResult(b); err == nil && dr.Value.Raw == nil && len(r.Value.Unknown) > 0 && len(dr.Value.Unknown) == 0 {
			t.Fatalf("DecodeMetricResult lost unknown fields %v of %s", r.Value.Unknown, b)
		}
	})
}
