package avaya

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Issue 12: a null BOOLEAN or STRING value made the whole MetricValues
// answer an error; now that one value is empty and the rest is read.
func TestNullBooleanAndStringValuesAreEmpty(t *testing.T) {
	raw := `{"results":[
		{"key":{"metricId":"K13CJXHV","categoryValue":"John Doe(481)"},"value":{"type":"BOOLEAN","lastUpdateTime":"2019-10-01T10:13:12.244-06:00","value":null}},
		{"key":{"metricId":"KSTATE01","categoryValue":"John Doe(481)"},"value":{"type":"STRING","lastUpdateTime":"2019-10-01T10:13:12.244-06:00","value":null}},
		{"key":{"metricId":"K0FLAEB6"},"value":{"type":"COUNT","lastUpdateTime":"2019-10-01T10:13:12.244-06:00","count":3}}],
		"initializing":[]}`
	var v MetricValues
	require.NoError(t, json.Unmarshal([]byte(raw), &v))
	require.Len(t, v.Results, 3)
	assert.True(t, v.Results[0].Value.Null)
	assert.False(t, v.Results[0].Value.Bool)
	assert.True(t, v.Results[1].Value.Null)
	assert.Empty(t, v.Results[1].Value.String)
	assert.EqualValues(t, 3, v.Results[2].Value.Count)
	back, err := json.Marshal(v)
	require.NoError(t, err)
	assert.JSONEq(t, raw, string(back), "null comes back as null")

	for _, msg := range []string{
		`{"key":{"metricId":"K13CJXHV"},"value":{"type":"BOOLEAN","lastUpdateTime":"2019-10-01T10:13:12.244-06:00","value":null}}`,
		`{"key":{"metricId":"KSTATE01"},"value":{"type":"STRING","lastUpdateTime":"2019-10-01T10:13:12.244-06:00"}}`,
	} {
		r, err := DecodeMetricResult([]byte(msg))
		require.NoError(t, err, msg)
		assert.True(t, r.Value.Null, msg)
	}
}

// Issue 12 "forward compatibility": a known value type with a field this
// SDK does not declare keeps it through decode and re-encode, by both
// decoders.
func TestKnownValueTypeKeepsUnknownFields(t *testing.T) {
	msg := `{"key":{"metricId":"K0FLAEB6"},"value":{"type":"COUNT","lastUpdateTime":"2019-10-01T10:17:56.496-06:00","count":15,"trend":{"up":true,"by":[1,2]},"unit":"calls"}}`
	r, err := DecodeMetricResult([]byte(msg))
	require.NoError(t, err)
	assert.EqualValues(t, 15, r.Value.Count)
	assert.JSONEq(t, `{"up":true,"by":[1,2]}`, string(r.Value.Unknown["trend"]))
	back, err := json.Marshal(r)
	require.NoError(t, err)
	assert.JSONEq(t, msg, string(back))

	var again MetricResult
	require.NoError(t, json.Unmarshal([]byte(msg), &again))
	back, err = json.Marshal(again)
	require.NoError(t, err)
	assert.JSONEq(t, msg, string(back))
}

// The cheap scan that keeps the hot path fast must agree with the exact
// split: whatever it calls "nothing extra" has nothing extra.
func TestValueHasExtraAgreesWithSplit(t *testing.T) {
	for _, tc := range []struct {
		msg   string
		extra bool
	}{
		{`{"key":{"metricId":"A","x":1},"value":{"type":"COUNT","count":1}}`, false},
		{`{"value":{"type":"COUNT","count":1},"key":{"metricId":"A"}}`, false},
		{`{"value":{"TYPE":"COUNT","Count":1}}`, false},
		{`{"value":{"type":"STRING","value":"a,\"b\":{","count":1}}`, false},
		{`{"value":{"type":"COUNT","value":{"nested":1,"deep":[{"k":2}]}}}`, false},
		{`{"value":{"type":"STRING","value":"c:\\","count":1}}`, false},
		{`{"value":{"type":"STRING","value":"c:\\","more":1}}`, true},
		{`{"value":{"type":"COUNT","count":1,"new":2}}`, true},
		{`{"value":{"new":[1,{"a":2}],"type":"COUNT"}}`, true},
		{`{"value":{"type":"COUNT","\u0063ount":1}}`, true}, // escaped: left to the exact path
		{`{"other":{"new":1},"value":{"type":"COUNT"}}`, false},
		{`{"value":[{"new":1}]}`, false},
	} {
		assert.Equal(t, tc.extra, valueHasExtra([]byte(tc.msg)), tc.msg)
	}
}

// Issue 12: report and column types keep fields a newer server adds.
func TestReportKeepsUnknownFields(t *testing.T) {
	in := `{"reportId":48,"executionId":"e1","title":"T","skin":"s","dataFlag":"d","newTop":{"a":1},
		"timeframe":{"type":"REPORT_TIMEFRAME","start":"2019-09-09T00:00:00-06:00","end":"2019-09-10T23:59:59-06:00","zone":"America/Denver"},
		"columns":[{"key":"0","title":"Agent","format":"STRING","width":120,"sortable":true}],
		"summaryItems":[{"title":"Calls","value":14,"formattedValue":"14","format":"NUMBER","icon":"phone"}],
		"rows":[{"values":{"0":{"value":"Agent1(200)","formattedValue":"Agent1(200)","link":"/a/1"}},"rowId":7}],
		"charts":{"type":"BAR","rows":[],"legend":false}}`
	var rep Report
	require.NoError(t, json.Unmarshal([]byte(in), &rep))
	assert.Equal(t, "Agent", rep.Columns[0].Title)
	assert.Equal(t, json.RawMessage(`120`), rep.Columns[0].Unknown["width"])
	back, err := json.Marshal(rep)
	require.NoError(t, err)
	assert.JSONEq(t, in, string(back))
}
