package salesforce

import (
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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

	for _, bad := range []string{`{"bOutbound":2}`, `{"nDuration":"soon"}`, `{"CONNRES":1.5}`, `{"dtCallStart":"yesterday"}`, `{"AgentUID":5}`, `{"Cause":[16]}`} {
		assert.Error(t, json.Unmarshal([]byte(bad), &Record{}), bad)
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
		"dtCallStart":           func(r *Record) { r.CallStart = LocalTime{} },
		"CallerID":              func(r *Record) { r.CallerID = "+49199123456789" },
	}
	for field, mutate := range cases {
		r := good()
		mutate(&r)
		var ve *ValidationError
		require.ErrorAs(t, r.Validate(), &ve, field)
		assert.Equal(t, field, ve.Field)
	}
	r := good()
	require.NoError(t, r.Validate())
	b, _ := json.Marshal(r)
	assert.Contains(t, string(b), `"dtCallAlert":""`)
	assert.Regexp(t, `"dtCallStart":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d"`, string(b), "seconds precision, no fraction")
}
