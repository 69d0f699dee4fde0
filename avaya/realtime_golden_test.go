package avaya

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGoldenMetricList(t *testing.T) {
	raw := golden(t, "realtime_metrics.json")
	var ms []Metric
	require.NoError(t, json.Unmarshal(raw, &ms))
	require.Len(t, ms, 2)
	assert.Equal(t, Metric{ID: "101", Name: "metricA", CategoryType: CategoryAgent, CategorySelection: []string{"Alice", "Bob", "Carol"}}, ms[0])
	assert.Equal(t, []string{"Dave", "Eve", "Frank"}, ms[1].CategorySelection)
	back, _ := json.Marshal(ms)
	assert.JSONEq(t, string(raw), string(back))
}

func TestGoldenMetricValues(t *testing.T) {
	raw := golden(t, "realtime_values.json")
	var v MetricValues
	require.NoError(t, json.Unmarshal(raw, &v))
	require.Len(t, v.Results, 2)
	assert.Equal(t, MetricKey{MetricID: "K13CJXHV", CategoryValue: "John Doe(481)"}, v.Results[0].Key)
	assert.Equal(t, BooleanValue, v.Results[0].Value.Type)
	assert.False(t, v.Results[0].Value.Bool)
	assert.Equal(t, int64(206), v.Results[1].Value.Count)
	assert.Equal(t, []MetricKey{{"K08ZIKVN", "Abraham Lincoln(871)"}, {"K08ZIKVN", "Elvis Presley(121)"}, {MetricID: "K1RNV20Q"}}, v.Initializing)
	assert.True(t, v.Partial())
	lut := v.Results[0].Value.LastUpdateTime
	_, off := lut.Zone()
	assert.Equal(t, -6*3600, off, "the offset is kept")
	assert.Equal(t, 244_000_000, lut.Nanosecond(), "and the milliseconds")
	back, _ := json.Marshal(v)
	assert.JSONEq(t, string(raw), string(back))
}

func TestGoldenEveryValueType(t *testing.T) {
	cases := map[string]func(t *testing.T, r MetricResult){
		"value_count.json": func(t *testing.T, r MetricResult) {
			assert.Equal(t, CountValue, r.Value.Type)
			assert.EqualValues(t, 206, r.Value.Count)
		},
		"value_boolean.json": func(t *testing.T, r MetricResult) {
			assert.Equal(t, BooleanValue, r.Value.Type)
			assert.False(t, r.Value.Bool)
			assert.Equal(t, "John Doe(831)", r.Key.CategoryValue)
		},
		"value_string.json": func(t *testing.T, r MetricResult) {
			assert.Equal(t, StringValue, r.Value.Type)
			assert.Equal(t, "string value", r.Value.String)
		},
		"value_duration.json": func(t *testing.T, r MetricResult) {
			assert.Equal(t, DurationValue, r.Value.Type)
			assert.EqualValues(t, 20521, r.Value.FinishedDuration)
			assert.EqualValues(t, 2, r.Value.NumCountingUp)
			assert.EqualValues(t, 1, r.Value.NumCountingDown)
		},
		"value_empty.json": func(t *testing.T, r MetricResult) {
			assert.Equal(t, EmptyValue, r.Value.Type)
			assert.False(t, r.Value.LastUpdateTime.IsZero())
		},
		"value_average_duration.json": func(t *testing.T, r MetricResult) {
			assert.Equal(t, AverageDurationValue, r.Value.Type)
			assert.EqualValues(t, 20521, r.Value.DurationSum)
			assert.EqualValues(t, 5, r.Value.Count)
		},
		"subscription_message.json": func(t *testing.T, r MetricResult) {
			assert.Equal(t, MetricKey{"K0FLAEB6", "John Doe(481)"}, r.Key)
			assert.EqualValues(t, 15, r.Value.Count)
		},
	}
	for file, check := range cases {
		raw := golden(t, file)
		var r MetricResult
		require.NoError(t, json.Unmarshal(raw, &r), file)
		check(t, r)
		back, err := json.Marshal(r)
		require.NoError(t, err)
		assert.JSONEq(t, string(raw), string(back), file)
	}
}

func TestUnknownValueTypeKeptRaw(t *testing.T) {
	in := `{"type":"PERCENTAGE","lastUpdateTime":"2019-10-01T10:13:12.244-06:00","percent":12.5}`
	var v MetricValue
	require.NoError(t, json.Unmarshal([]byte(in), &v))
	assert.Equal(t, ValueType("PERCENTAGE"), v.Type)
	back, _ := json.Marshal(v)
	assert.JSONEq(t, in, string(back))
	for _, bad := range []string{`{"type":"BOOLEAN","value":"yes"}`, `{"type":"STRING","value":5}`, `{"lastUpdateTime":"yesterday"}`, `{"count":"x"}`} {
		assert.Error(t, json.Unmarshal([]byte(bad), &v), bad)
	}
}

// The formulas with the document's numbers: DURATION finishedDuration
// 20521, up 2, down 1, lastUpdateTime 13:17:35.661 (-06:00).
func TestDurationFormulasDocumentedNumbers(t *testing.T) {
	var d, a MetricResult
	require.NoError(t, json.Unmarshal(golden(t, "value_duration.json"), &d))
	require.NoError(t, json.Unmarshal(golden(t, "value_average_duration.json"), &a))
	at := d.Value.LastUpdateTime.Add(10 * time.Second)
	got, ok := d.Value.DurationAt(at)
	require.True(t, ok)
	assert.Equal(t, time.Duration(20521+(2-1)*10_000)*time.Millisecond, got) // 30.521 s
	avg, ok := a.Value.AverageDurationAt(at)
	require.True(t, ok)
	assert.Equal(t, time.Duration(20521+(2-1)*10_000)*time.Millisecond/5, avg) // 6.1042 s, not cut to 6.104 s
	got, ok = d.Value.DurationAt(d.Value.LastUpdateTime)
	require.True(t, ok)
	assert.Equal(t, 20521*time.Millisecond, got, "at lastUpdateTime only the finished part counts")

	a.Value.Count = 0
	_, ok = a.Value.AverageDurationAt(at)
	assert.False(t, ok, "count 0: no value")
	_, ok = a.Value.DurationAt(at)
	assert.False(t, ok, "wrong type")
}

// Issue 12: AverageDurationAt cut every term to whole milliseconds, so
// an average over a few calls, or 1.5 ms after lastUpdateTime, lost its
// sub-millisecond part.
func TestAverageDurationKeepsSubMillisecond(t *testing.T) {
	base := time.Date(2024, 5, 6, 9, 0, 0, 0, time.UTC)
	v := MetricValue{Type: AverageDurationValue, LastUpdateTime: base, DurationSum: 10, Count: 3}
	avg, ok := v.AverageDurationAt(base)
	require.True(t, ok)
	assert.Equal(t, 10*time.Millisecond/3, avg, "10 ms over 3 calls is 3.333333 ms, not 3 ms")
	v = MetricValue{Type: AverageDurationValue, LastUpdateTime: base, DurationSum: 0, Count: 1, NumCountingUp: 1}
	avg, _ = v.AverageDurationAt(base.Add(1500 * time.Microsecond))
	assert.Equal(t, 1500*time.Microsecond, avg)
	v.Type = DurationValue
	d, _ := v.DurationAt(base.Add(1500 * time.Microsecond))
	assert.Equal(t, 1500*time.Microsecond, d)
}

// Property: the formulas are linear in time with slope (up − down).
func TestDurationFormulasProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	base := time.Date(2024, 5, 6, 9, 0, 0, 0, time.UTC)
	for range 1000 {
		v := MetricValue{
			Type: DurationValue, LastUpdateTime: base, FinishedDuration: r.Int64N(1e7),
			NumCountingUp: r.Int64N(10), NumCountingDown: r.Int64N(10), DurationSum: r.Int64N(1e8), Count: 1 + r.Int64N(50),
		}
		dt := time.Duration(r.Int64N(3_600_000)) * time.Millisecond
		d0, _ := v.DurationAt(base)
		d1, _ := v.DurationAt(base.Add(dt))
		require.Equal(t, time.Duration(v.NumCountingUp-v.NumCountingDown)*dt, d1-d0)
		v.Type = AverageDurationValue
		a1, ok := v.AverageDurationAt(base.Add(dt))
		require.True(t, ok)
		sum := time.Duration(v.DurationSum)*time.Millisecond + time.Duration(v.NumCountingUp-v.NumCountingDown)*dt
		require.Equal(t, sum/time.Duration(v.Count), a1)
	}
}

func TestBoardKeepsNewest(t *testing.T) {
	b := NewBoard()
	k := MetricKey{MetricID: "M"}
	t0 := time.Date(2024, 5, 6, 9, 0, 0, 0, time.UTC)
	assert.True(t, b.Apply(MetricResult{Key: k, Value: MetricValue{Type: CountValue, Count: 1, LastUpdateTime: t0}}))
	assert.False(t, b.Apply(MetricResult{Key: k, Value: MetricValue{Type: CountValue, Count: 9, LastUpdateTime: t0.Add(-time.Second)}}), "stale")
	assert.False(t, b.Apply(MetricResult{Key: k, Value: MetricValue{Type: CountValue, Count: 9, LastUpdateTime: t0}}), "duplicate")
	assert.True(t, b.Apply(MetricResult{Key: k, Value: MetricValue{Type: CountValue, Count: 2, LastUpdateTime: t0.Add(time.Second)}}))
	v, _ := b.Get(k)
	assert.EqualValues(t, 2, v.Count)
	b.Apply(MetricResult{Key: MetricKey{"D", "x"}, Value: MetricValue{Type: DurationValue, LastUpdateTime: t0, FinishedDuration: 1000, NumCountingUp: 1}})
	b.Apply(MetricResult{Key: MetricKey{"A", ""}, Value: MetricValue{Type: AverageDurationValue, LastUpdateTime: t0}})
	ds := b.DurationsAt(t0.Add(2 * time.Second))
	assert.Equal(t, map[MetricKey]time.Duration{{"D", "x"}: 3 * time.Second}, ds, "an average with count 0 has no value")
	assert.Equal(t, 3, b.Len())
	assert.Equal(t, "A", b.Results()[0].Key.MetricID)
}
