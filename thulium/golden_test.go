package thulium

import (
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGoldenSummaryResponse(t *testing.T) {
	raw, err := os.ReadFile("testdata/summary_response.json") // as printed in the document
	require.NoError(t, err)
	var rows []SummaryRow
	require.NoError(t, json.Unmarshal(raw, &rows))
	require.Len(t, rows, 1)
	r := rows[0]
	assert.Equal(t, "2021-12", r.Series)
	assert.Equal(t, "John Doe", r.UserName)
	assert.Equal(t, 1, r.Incoming)
	assert.Equal(t, 1, r.IncomingToAgent)
	assert.Equal(t, 1, r.IncomingIncludingEmpty)
	assert.Equal(t, 0, r.Abandoned)
	assert.Equal(t, 1, r.Answered)
	assert.Equal(t, 0, r.IncomingToBot)
	assert.Equal(t, 0, r.TransferredByBot)
	assert.Equal(t, 0, r.FinishedByBot)
	require.NotNil(t, r.ServiceLevelPercent)
	assert.InDelta(t, 100, *r.ServiceLevelPercent, 0)
	require.NotNil(t, r.SLAPercent)
	assert.InDelta(t, 100, *r.SLAPercent, 0)
	assert.Equal(t, 48*time.Second, r.ChatTime.Min)
	assert.Equal(t, 48*time.Second, r.ChatTime.Max)
	assert.Equal(t, 48*time.Second, r.ChatTime.Sum)
	assert.Equal(t, 48*time.Second, r.ChatTime.Avg)
	assert.Zero(t, r.WaitTime.Min+r.WaitTime.Max+r.WaitTime.Sum+r.WaitTime.Avg)
	assert.Equal(t, RatingCounts{}, r.Rating.Rate)
	assert.InDelta(t, 0, *r.Rating.SatisfactionPercent, 0)
	assert.InDelta(t, 0, *r.Rating.RatedPercent, 0)

	start, err := r.SeriesStart(ByMonth, time.UTC)
	require.NoError(t, err)
	assert.Equal(t, time.Date(2021, 12, 1, 0, 0, 0, 0, time.UTC), start)

	back, err := json.Marshal(rows)
	require.NoError(t, err)
	assert.JSONEq(t, string(raw), string(back), "decoded rows encode back unchanged")
}

func TestRowTolerance(t *testing.T) {
	in := `{"service_level_percent":99.5,"sla_percent":null,"chat_time":{"min":"","max":"123:04:05","sum":"","avg":"00:00:48.5"},"wait_time":null,` +
		`"rating":{"rate":{"sad":1,"neutral":2,"happy":3},"satisfaction_percent":50,"rated_percent":null}}`
	var r SummaryRow
	require.NoError(t, json.Unmarshal([]byte(in), &r))
	assert.InDelta(t, 99.5, *r.ServiceLevelPercent, 0)
	assert.Nil(t, r.SLAPercent)
	assert.Nil(t, r.Rating.RatedPercent)
	assert.Equal(t, 123*time.Hour+4*time.Minute+5*time.Second, r.ChatTime.Max)
	assert.Equal(t, 48500*time.Millisecond, r.ChatTime.Avg)
	assert.Zero(t, r.ChatTime.Min)
	assert.Equal(t, 3, r.Rating.Rate.Happy)
	b, err := json.Marshal(r.ChatTime)
	require.NoError(t, err)
	assert.JSONEq(t, `{"min":"","max":"123:04:05","sum":"","avg":"00:00:48.5"}`, string(b), "empty stays empty")

	for _, bad := range []string{`{"chat_time":{"min":"48"}}`, `{"incoming":"many"}`, `{"service_level_percent":"100"}`, `{"chat_time":[1]}`} {
		assert.Error(t, json.Unmarshal([]byte(bad), &r), bad)
	}
}

func TestSeriesStart(t *testing.T) {
	waw := time.FixedZone("CET", 3600)
	cases := []struct {
		agg    Aggregation
		series string
		want   time.Time
	}{
		{ByYear, "2021", time.Date(2021, 1, 1, 0, 0, 0, 0, waw)},
		{ByMonth, "2021-12", time.Date(2021, 12, 1, 0, 0, 0, 0, waw)},
		{"", "2021-12", time.Date(2021, 12, 1, 0, 0, 0, 0, waw)},
		{ByDay, "2021-12-05", time.Date(2021, 12, 5, 0, 0, 0, 0, waw)},
		{ByHour, "2021-12-05 13", time.Date(2021, 12, 5, 13, 0, 0, 0, waw)},
		{ByHour, "2021-12-05 13:00", time.Date(2021, 12, 5, 13, 0, 0, 0, waw)},
		{ByMinute, "2021-12-05 13:45", time.Date(2021, 12, 5, 13, 45, 0, 0, waw)},
		{ByWeek, "2021-W49", time.Date(2021, 12, 6, 0, 0, 0, 0, waw)},
		{ByWeek, "2021-49", time.Date(2021, 12, 6, 0, 0, 0, 0, waw)},
		{ByWeek, "2021-W01", time.Date(2021, 1, 4, 0, 0, 0, 0, waw)},
		{ByWeek, "2020-W53", time.Date(2020, 12, 28, 0, 0, 0, 0, waw)},
	}
	for _, tc := range cases {
		got, err := SummaryRow{Series: tc.series}.SeriesStart(tc.agg, waw)
		require.NoError(t, err, tc.series)
		assert.True(t, tc.want.Equal(got), "%s %s: got %v", tc.agg, tc.series, got)
	}
	_, err := SummaryRow{Series: "13"}.SeriesStart(ByHourOfDay, waw)
	require.ErrorIs(t, err, ErrNoSeriesTime)
	h, err := SummaryRow{Series: "13"}.HourOfDay()
	require.NoError(t, err)
	assert.Equal(t, 13, h)
	for _, bad := range []struct {
		agg    Aggregation
		series string
	}{{ByMonth, "December"}, {ByWeek, "2021-W60"}, {ByDay, "2021-12"}} {
		_, err := SummaryRow{Series: bad.series}.SeriesStart(bad.agg, waw)
		assert.Error(t, err, bad.series)
	}
	_, err = SummaryRow{Series: "25"}.HourOfDay()
	assert.Error(t, err)
}
