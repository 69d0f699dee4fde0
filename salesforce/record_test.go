package salesforce

import (
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit"
)

// The document prints the field table but no payload: the golden files
// carry every documented field with its exact name, in the documented
// formats (0/1 flag, YYYY-MM-DDThh:mm:ss, empty times, -1 duration).

func golden(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	require.NoError(t, err)
	return b
}

func TestGoldenRecordEveryField(t *testing.T) {
	raw := golden(t, "record_all_fields.json")
	var r Record
	require.NoError(t, json.Unmarshal(raw, &r))
	assert.Equal(t, "0035g00000ABCDeAAF", r.SalesForceID)
	assert.EqualValues(t, 123456789, r.StatisticsPartAID)
	assert.Equal(t, "agent.y", r.AgentUID)
	assert.False(t, r.Outbound)
	assert.Equal(t, "49199123456789", r.CallerID)
	assert.Equal(t, "4919900112233", r.ServiceNumber)
	assert.Equal(t, "Hotline", r.ServiceName)
	assert.Equal(t, "ACD Group 2", r.AgentGroupName)
	assert.Equal(t, "Support", r.ConfigurationGroupName)
	assert.Equal(t, time.Date(2024, 5, 6, 9, 30, 0, 0, time.UTC), r.CallStart.Time)
	assert.Equal(t, time.Date(2024, 5, 6, 9, 30, 32, 0, time.UTC), r.CallAlert.Time)
	assert.Equal(t, time.Date(2024, 5, 6, 9, 30, 36, 0, time.UTC), r.CallConnect.Time)
	assert.Equal(t, time.Date(2024, 5, 6, 9, 33, 36, 0, time.UTC), r.CallEnd.Time)
	assert.Equal(t, 180, r.DurationSeconds)
	assert.True(t, r.Connected())
	assert.Equal(t, 3*time.Minute, r.Duration())
	assert.Equal(t, ConnectedWithAgent, r.Result)
	assert.Equal(t, CauseNormalClearing, r.Cause)
	assert.Equal(t, "AAA", r.TransactionCodeExportKey)
	require.NoError(t, r.Validate())

	back, err := json.Marshal(r)
	require.NoError(t, err)
	assert.JSONEq(t, string(raw), string(back), "round trip")
}

func TestGoldenRecordNoConnection(t *testing.T) {
	raw := golden(t, "record_no_connection.json")
	var r Record
	require.NoError(t, json.Unmarshal(raw, &r))
	assert.True(t, r.Outbound)
	assert.True(t, r.CallAlert.IsZero())
	assert.True(t, r.CallConnect.IsZero())
	assert.True(t, r.CallEnd.IsZero())
	assert.False(t, r.Connected())
	assert.Zero(t, r.Duration())
	assert.Equal(t, ISDNCause, r.Result)
	assert.Equal(t, CauseUserBusy, r.Cause)
	back, err := json.Marshal(r)
	require.NoError(t, err)
	assert.JSONEq(t, string(raw), string(back), "empty times stay empty")
}

func TestRecordTolerance(t *testing.T) {
	var r Record
	require.NoError(t, json.Unmarshal([]byte(`{"jtelStatisticsPartAID":"77","bOutbound":"1","nDuration":"-1","CONNRES":"2","Cause":"19"}`), &r))
	assert.EqualValues(t, 77, r.StatisticsPartAID)
	assert.True(t, r.Outbound)
	assert.False(t, r.Connected())
	assert.Equal(t, NoAnswer, r.Result)
	assert.Equal(t, CauseNoAnswer, r.Cause)
	require.NoError(t, json.Unmarshal([]byte(`{"bOutbound":true,"CONNRES":9,"Cause":200}`), &r))
	assert.True(t, r.Outbound)
	assert.Equal(t, "ConnectionResult(9)", r.Result.String(), "unknown values are kept")
	assert.Equal(t, "Q.850 cause 200", r.Cause.String())

	for bad, field := range map[string]string{
		`{"bOutbound":2}`: "bOutbound", `{"nDuration":"soon"}`: "nDuration", `{"CONNRES":1.5}`: "CONNRES",
		`{"dtCallStart":"yesterday"}`: "dtCallStart", `{"AgentUID":true}`: "AgentUID", `{"Cause":[16]}`: "Cause",
		`{"jtelStatisticsPartAID":1e300}`: "jtelStatisticsPartAID", `{"Cause":99999999999}`: "Cause",
	} {
		var ve *contactkit.ValidationError
		require.ErrorAs(t, json.Unmarshal([]byte(bad), &Record{}), &ve, bad)
		assert.Equal(t, field, ve.Field, bad)
	}
}

func TestNamesOfResultsAndCauses(t *testing.T) {
	assert.Equal(t, "ConnectedWithAgent", ConnectedWithAgent.String())
	assert.Equal(t, "Error", CallError.String())
	for _, c := range []Cause{1, 16, 17, 18, 19, 21, 27, 28, 31, 34, 38, 41, 42, 44, 58, 88, 102, 111, 127} {
		assert.NotContains(t, c.String(), "Q.850 cause", "cause %d has a name", int(c))
	}
	assert.Equal(t, "normal call clearing", CauseNormalClearing.String())
}

func TestRecordValidate(t *testing.T) {
	good := func() Record {
		return Record{StatisticsPartAID: 1, CallStart: NewTime(time.Now()), DurationSeconds: -1, CallerID: "49199123456789"}
	}
	cases := map[string]func(r *Record){
		"jtelStatisticsPartAID": func(r *Record) { r.StatisticsPartAID = 0 },
		"nDuration":             func(r *Record) { r.DurationSeconds = -2 },
		"dtCallStart":           func(r *Record) { r.CallStart = Time{} },
		"CallerID":              func(r *Record) { r.CallerID = "+49199123456789" },
	}
	for field, mutate := range cases {
		r := good()
		mutate(&r)
		var ve *contactkit.ValidationError
		require.ErrorAs(t, r.Validate(), &ve, field)
		assert.Equal(t, field, ve.Field)
	}
	r := good()
	require.NoError(t, r.Validate())
	b, _ := json.Marshal(r)
	assert.Contains(t, string(b), `"dtCallAlert":""`)
	assert.Regexp(t, `"dtCallStart":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d"`, string(b), "seconds precision, no fraction")
}

// Issue 12: numbers in any JSON notation, and as numeric strings, are
// read (before: 12.0 was "want an integer", a 400 jtel does not resend).
func TestRecordNumbersInAnyNotation(t *testing.T) {
	var r Record
	require.NoError(t, json.Unmarshal([]byte(`{"jtelStatisticsPartAID":1.23456789e8,"bOutbound":1.0,"nDuration":12.0,"CONNRES":"1.0","Cause":16.0}`), &r))
	assert.EqualValues(t, 123456789, r.StatisticsPartAID)
	assert.True(t, r.Outbound)
	assert.Equal(t, 12, r.DurationSeconds)
	assert.Equal(t, ConnectedWithAgent, r.Result)
	assert.Equal(t, CauseNormalClearing, r.Cause)

	require.NoError(t, json.Unmarshal([]byte(`{"nDuration":"12.6","bOutbound":"True"}`), &r))
	assert.Equal(t, 13, r.DurationSeconds, "a fraction of a second is rounded")
	assert.True(t, r.Outbound)
	require.NoError(t, json.Unmarshal([]byte(`{"nDuration":-1.0,"bOutbound":"FALSE","jtelStatisticsPartAID":" 77 "}`), &r))
	assert.False(t, r.Connected())
	assert.False(t, r.Outbound)
	assert.EqualValues(t, 77, r.StatisticsPartAID)

	require.NoError(t, json.Unmarshal([]byte(`{"CallerID":49199123456789,"ServiceNumber":4919900112233}`), &r))
	assert.Equal(t, "49199123456789", r.CallerID, "digits sent as a number keep their text")
	assert.Equal(t, "4919900112233", r.ServiceNumber)
}

// Issue 12: times with a zone are read in that zone and encode back to
// the exact text received (before: "want a zone-less time", a 400).
func TestRecordTimesWithZone(t *testing.T) {
	in := `{"jtelStatisticsPartAID":1,"dtCallStart":"2024-05-06T09:30:00Z","dtCallAlert":"2024-05-06T09:30:32+02:00",` +
		`"dtCallConnect":"2024-05-06T09:30:36.250+0200","dtCallEnd":"2024-05-06 09:33:36-05"}`
	var r Record
	require.NoError(t, json.Unmarshal([]byte(in), &r))
	assert.Equal(t, time.Date(2024, 5, 6, 9, 30, 0, 0, time.UTC), r.CallStart.UTC())
	assert.Equal(t, time.Date(2024, 5, 6, 7, 30, 32, 0, time.UTC), r.CallAlert.UTC())
	assert.Equal(t, time.Date(2024, 5, 6, 7, 30, 36, 250e6, time.UTC), r.CallConnect.UTC())
	assert.Equal(t, time.Date(2024, 5, 6, 14, 33, 36, 0, time.UTC), r.CallEnd.UTC())
	assert.True(t, r.CallAlert.HasZone())

	berlin := time.FixedZone("CEST", 2*3600)
	r.inLocation(berlin)
	assert.Equal(t, time.Date(2024, 5, 6, 7, 30, 32, 0, time.UTC), r.CallAlert.UTC(), "a zone sent is not replaced by the server's")

	out, err := json.Marshal(r)
	require.NoError(t, err)
	for _, text := range []string{`"2024-05-06T09:30:00Z"`, `"2024-05-06T09:30:32+02:00"`, `"2024-05-06T09:30:36.250+0200"`, `"2024-05-06 09:33:36-05"`} {
		assert.Contains(t, string(out), text, "the exact text received")
	}

	r.CallEnd.Time = r.CallEnd.Add(time.Second)
	out, err = json.Marshal(r)
	require.NoError(t, err)
	assert.Contains(t, string(out), `"dtCallEnd":"2024-05-06T09:33:37-05:00"`, "a changed time is written anew, in its zone")
}

// Issue 12: names that are not UTF-8 (Windows-1252 from the jtel daemon's
// Windows host) are read as Windows-1252 instead of becoming U+FFFD.
func TestRecordWindows1252Names(t *testing.T) {
	in := []byte("{\"AgentUID\":\"m.m\xfcller\",\"AcdAgentGroupsName\":\"K\xfcche \x80 \xe9t\xe9\",\"ServiceName\":\"Gr\u00fc\u00dfe\"}")
	var r Record
	require.NoError(t, json.Unmarshal(in, &r))
	assert.Equal(t, "m.müller", r.AgentUID)
	assert.Equal(t, "Küche € été", r.AgentGroupName)
	assert.Equal(t, "Grüße", r.ServiceName, "valid UTF-8 and escapes are untouched")
}

// Issue 12 (forward compatibility): fields the document does not list
// reach the Record and encode back unchanged.
func TestRecordUnknownFieldsSurvive(t *testing.T) {
	in := `{"SalesForceID":"0035g","jtelStatisticsPartAID":5,"dtCallStart":"2024-05-06T09:30:00",` +
		`"nQueueSeconds":12.50,"Skills":["de","billing"],"Extra":{"a":null}}`
	var r Record
	require.NoError(t, json.Unmarshal([]byte(in), &r))
	require.Len(t, r.Unknown, 3)
	assert.JSONEq(t, `12.50`, string(r.Unknown["nQueueSeconds"]))
	assert.JSONEq(t, `["de","billing"]`, string(r.Unknown["Skills"]))
	out, err := json.Marshal(r)
	require.NoError(t, err)
	assert.Contains(t, string(out), `"nQueueSeconds":12.50`, "raw JSON, not re-encoded")
	assert.Contains(t, string(out), `"Skills":["de","billing"]`)
	assert.Contains(t, string(out), `"Extra":{"a":null}`)

	var back Record
	require.NoError(t, json.Unmarshal(out, &back))
	assert.Equal(t, r, back)

	var plain Record
	require.NoError(t, json.Unmarshal(golden(t, "record_all_fields.json"), &plain))
	assert.Nil(t, plain.Unknown, "a documented record has nothing unknown")
}
