package webservice_test

import (
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit/avaya/webservice"
)

func TestParseTime(t *testing.T) {
	denver := time.FixedZone("MDT", -6*3600)
	cases := map[string]time.Time{
		"1568735345298":                   time.UnixMilli(1568735345298), // the document's startTime
		" 1568735345298 ":                 time.UnixMilli(1568735345298),
		"1568735345":                      time.Unix(1568735345, 0),
		"1568735345.298":                  time.UnixMilli(1568735345298),
		"2019-09-09T00:00:00.000-06:00":   time.Date(2019, 9, 9, 0, 0, 0, 0, denver), // the document's report form
		"2019-09-09T00:00:00-0600":        time.Date(2019, 9, 9, 0, 0, 0, 0, denver),
		"2019-09-09 06:00:00Z":            time.Date(2019, 9, 9, 6, 0, 0, 0, time.UTC),
		"2019-09-09T06:00Z":               time.Date(2019, 9, 9, 6, 0, 0, 0, time.UTC),
		"2019-09-09T00:00:00.000":         time.Date(2019, 9, 9, 0, 0, 0, 0, denver), // zone-less: read in loc
		"2019-09-09 00:00":                time.Date(2019, 9, 9, 0, 0, 0, 0, denver),
		"9/9/2019 12:00:00 AM":            time.Date(2019, 9, 9, 0, 0, 0, 0, denver),
		"09/09/2019 13:05:06":             time.Date(2019, 9, 9, 13, 5, 6, 0, denver),
		"9/9/2019 1:05 pm":                time.Date(2019, 9, 9, 13, 5, 0, 0, denver),
		"Mon, 09 Sep 2019 06:00:00 +0000": time.Date(2019, 9, 9, 6, 0, 0, 0, time.UTC),
	}
	for in, want := range cases {
		got, err := webservice.ParseTime(in, denver)
		require.NoError(t, err, in)
		assert.True(t, got.Equal(want), "%q: got %v want %v", in, got, want)
	}
	for _, in := range []string{"yesterday", "2019-13-01T00:00:00Z", "123456789012345", "-1568735345298", "1568735345298ms", "2019-09-09T25:00"} {
		_, err := webservice.ParseTime(in, nil)
		require.Error(t, err, in)
		assert.NotContains(t, err.Error(), "parsing time", "the error says what is accepted, not Go's layout")
	}
	_, err := webservice.ParseTime(" ", nil)
	require.ErrorIs(t, err, webservice.ErrMissing)
}

func TestParseDuration(t *testing.T) {
	cases := map[string]time.Duration{
		"48974":     48974 * time.Millisecond, // the document's duration
		"0":         0,
		"3:31:13":   3*time.Hour + 31*time.Minute + 13*time.Second, // the document's formattedValue
		"0:30:10":   30*time.Minute + 10*time.Second,
		"00:48.974": 48974 * time.Millisecond,
		"1:05":      65 * time.Second,
		"0:5:03":    5*time.Minute + 3*time.Second,
		"48.974s":   48974 * time.Millisecond,
		"1m30s":     90 * time.Second,
	}
	for in, want := range cases {
		got, err := webservice.ParseDuration(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for in, says := range map[string]string{
		"48.974":               "ambiguous",
		"-5":                   "negative",
		"-1s":                  "negative",
		"1:75:00":              "H:MM:SS",
		"soon":                 "H:MM:SS",
		"99999999999999999999": "out of range",
	} {
		_, err := webservice.ParseDuration(in)
		require.ErrorContains(t, err, says, in)
	}
}

func TestRequestNamesAreLenientAndConfigurable(t *testing.T) {
	r := webservice.NewRequest(url.Values{
		"Call Key":        {"83849370-5753-4186-9fc5-9c069e615734-1568735345298"},
		"START_TIME":      {"1568735345298"},
		"end-time":        {"1568735394272"},
		"callingParty":    {"+18015550123"},
		"dialed_number":   {"203"},
		"Agent Extension": {"203"},
	}, webservice.Names{}, nil)
	key, err := r.CallKey()
	require.NoError(t, err)
	assert.Equal(t, "83849370-5753-4186-9fc5-9c069e615734-1568735345298", key.String())
	d, err := r.Duration()
	require.NoError(t, err)
	assert.Equal(t, 48974*time.Millisecond, d, "no duration sent: end − start")
	assert.Equal(t, "+18015550123", r.Caller())
	assert.Equal(t, "203", r.Callee())
	assert.Equal(t, "203", r.Extension())
	assert.Empty(t, r.Agent())

	// An admin's own names.
	r = webservice.NewRequest(url.Values{"cid": {"83849370-5753-4186-9fc5-9c069e615734-1568735345298"}, "len": {"0:00:48"}},
		webservice.Names{CallKey: "cid", Duration: "len"}, time.UTC)
	_, err = r.CallKey()
	require.NoError(t, err)
	d, err = r.Duration()
	require.NoError(t, err)
	assert.Equal(t, 48*time.Second, d)
}

func TestRequestErrorsNameTheParameter(t *testing.T) {
	r := webservice.NewRequest(url.Values{"callKey": {"12345"}, "startTime": {"noon-ish"}, "endTime": {""}}, webservice.Names{}, nil)
	_, err := r.CallKey()
	var pe *webservice.ParamError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "callKey", pe.Name)
	assert.EqualError(t, err, `webservice: parameter "callKey" = "12345": not a key of the form {uuid}-{epochMillis}`)
	_, err = r.StartTime()
	require.ErrorAs(t, err, &pe)
	assert.Contains(t, err.Error(), `"startTime" = "noon-ish": not a time: want epoch milliseconds`)
	_, err = r.EndTime()
	require.ErrorIs(t, err, webservice.ErrMissing, "an empty value is missing")
	assert.EqualError(t, err, `webservice: parameter "endTime" is missing or empty`)
	_, err = r.Duration()
	require.ErrorIs(t, err, webservice.ErrMissing)
	_, err = r.RecordingKey()
	require.True(t, errors.Is(err, webservice.ErrMissing))
	_, err = r.DurationOf("wrapUp")
	require.ErrorIs(t, err, webservice.ErrMissing)
	_, err = r.TimeOf("answered")
	require.ErrorIs(t, err, webservice.ErrMissing)
	long := webservice.NewRequest(url.Values{"startTime": {string(make([]byte, 500))}}, webservice.Names{}, nil)
	_, err = long.StartTime()
	require.ErrorAs(t, err, &pe)
	assert.LessOrEqual(t, len(pe.Value), 70, "the value in an error is cut short")
}
