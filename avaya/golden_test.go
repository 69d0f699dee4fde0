package avaya

import (
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/contactkit/contactkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The golden files are the document's example payloads: the historic
// report assembled from its three printed fragments, the listen link with
// its line break (a typesetting artefact) removed.

func golden(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	require.NoError(t, err)
	return b
}

func TestGoldenRecordings(t *testing.T) {
	raw := golden(t, "recordings.json")
	var recs []Recording
	require.NoError(t, json.Unmarshal(raw, &recs))
	require.Len(t, recs, 2)
	r := recs[0]
	assert.Equal(t, Key("83849370-5753-4186-9fc5-9c069e615734-1568735345298"), r.Key)
	assert.Equal(t, time.UnixMilli(1568735345298).UTC(), r.StartTime)
	assert.Equal(t, 48974*time.Millisecond, r.Duration)
	assert.Equal(t, "d25839a1-2916-4825-8a36-299a1119f732", r.PoolID)
	assert.EqualValues(t, 42443, r.Size)
	assert.EqualValues(t, 50165, r.EventID)
	assert.EqualValues(t, 1, r.RecordingSystemID)
	assert.Equal(t, StatusSaved, r.Status)
	assert.Equal(t, "0a72f610-8615-4ac9-8f1d-b914f9f164dc", recs[1].Key.UUID())
	assert.Equal(t, recs[1].StartTime, recs[1].Key.StartTime(), "the key carries the start time")
	back, err := json.Marshal(recs)
	require.NoError(t, err)
	assert.JSONEq(t, string(raw), string(back))
}

func TestGoldenListenLink(t *testing.T) {
	var body listenLinkBody
	require.NoError(t, json.Unmarshal(golden(t, "listen_link.json"), &body))
	assert.Equal(t, "http://www.my-chronicall.com/extlisten/recording/index.html?id=c9ab20e0-9ad7-4eda-90be-cb401c39f981", body.ListenLink, `\u003d is '='`)
}

func TestGoldenHistoricReport(t *testing.T) {
	raw := golden(t, "historic_report.json")
	var rep Report
	require.NoError(t, json.Unmarshal(raw, &rep))
	assert.EqualValues(t, 48, rep.ReportID)
	assert.Equal(t, "3eb08a9a-0f05-44b8-a0b0-ba7338a1d2e5", rep.ExecutionID)
	assert.Equal(t, "Agent Talking Summary", rep.Title)
	assert.Equal(t, "Avaya Default", rep.Skin)
	assert.Equal(t, "REPORT_TIMEFRAME", rep.Timeframe.Type)
	mdt := time.FixedZone("", -6*3600)
	assert.True(t, time.Date(2019, 9, 9, 0, 0, 0, 0, mdt).Equal(rep.Timeframe.Start))
	assert.True(t, time.Date(2019, 9, 10, 23, 59, 59, 0, mdt).Equal(rep.Timeframe.End))
	require.Len(t, rep.Columns, 7)
	assert.Equal(t, Column{Key: "5", Title: "Total Talking", Format: FormatDuration}, rep.Columns[5])
	assert.Equal(t, "INCLUDED", rep.DataFlag)
	require.Len(t, rep.SummaryItems, 8)
	avg, err := rep.SummaryItems[5].Value.Number()
	require.NoError(t, err)
	assert.InDelta(t, 14.0, avg, 0)
	assert.Equal(t, "3:31:13", rep.SummaryItems[6].FormattedValue)
	require.Len(t, rep.Rows, 1)
	agent, ok := rep.Cell(0, "Agent")
	require.True(t, ok)
	assert.Equal(t, "Agent1(200)", agent.Value.String())
	assert.Empty(t, agent.FormattedValue)
	talking, _ := rep.Cell(0, "Total Talking")
	d, err := talking.Value.Duration()
	require.NoError(t, err)
	assert.Equal(t, 3*time.Hour+31*time.Minute+13*time.Second+424*time.Millisecond, d)
	inbound, _ := rep.Cell(0, "Inbound Calls")
	n, err := inbound.Value.Number()
	require.NoError(t, err)
	assert.InDelta(t, 4, n, 0)
	assert.Equal(t, "CHARTS", rep.Charts.Type)
	assert.Empty(t, rep.Charts.Rows)

	assert.Equal(t, [][]string{
		{"Agent", "Inbound Calls", "Outbound Calls", "Internal Calls", "Total Calls", "Total Talking", "Avg Talking"},
		{"Agent1(200)", "4", "6", "4", "14", "3:31:13", "0:30:10"},
	}, rep.Table())

	back, err := json.Marshal(rep)
	require.NoError(t, err)
	assert.JSONEq(t, string(raw), string(back), "the report round-trips, 14.0 included")
}

func TestGoldenHistoricRequest(t *testing.T) {
	mdt := time.FixedZone("", -6*3600)
	req := ReportRequest{Format: JSONFormat, Parameters: []Parameter{
		TimeframeParam("Report Timeframe", time.Date(2019, 9, 9, 0, 0, 0, 0, mdt), time.Date(2019, 9, 10, 23, 59, 59, 0, mdt)),
		PBXUsersParam("Rows (Agent)", "Agent1(200)"),
	}}
	got, err := json.Marshal(req)
	require.NoError(t, err)
	assert.JSONEq(t, string(golden(t, "historic_request.json")), string(got))
}

func TestGoldenAgents(t *testing.T) {
	var m map[string]string
	require.NoError(t, json.Unmarshal(golden(t, "agent_mapping.json"), &m))
	assert.Equal(t, "Nate Thatcher (123)", m["nthatcher"])
	for file, want := range map[string]RecordingState{"state_recording.json": StateRecording, "state_paused.json": StatePaused} {
		var s stateBody
		require.NoError(t, json.Unmarshal(golden(t, file), &s))
		assert.Equal(t, want, s.State)
	}
}

func TestKeys(t *testing.T) {
	uuid, start, err := ParseKey("89e08e9f-a2aa-4059-9f93-1f53e3719431-1568754442049")
	require.NoError(t, err)
	assert.Equal(t, "89e08e9f-a2aa-4059-9f93-1f53e3719431", uuid)
	assert.Equal(t, time.Date(2019, 9, 17, 21, 7, 22, 49e6, time.UTC), start)
	assert.Equal(t, Key("89e08e9f-a2aa-4059-9f93-1f53e3719431-1568754442049"), NewKey(uuid, start))
	for _, bad := range []string{"", "89e08e9f-a2aa-4059-9f93-1f53e3719431", "x-1", "89e08e9f-a2aa-4059-9f93-1f53e3719431-", "89e08e9f-a2aa-4059-9f93-1f53e3719431-99999999999999999999", "89e08e9f/a2aa-4059-9f93-1f53e3719431-1"} {
		var ve *contactkit.ValidationError
		_, _, err := ParseKey(bad)
		assert.ErrorAs(t, err, &ve, bad)
	}
	assert.Empty(t, Key("nope").UUID())
	assert.True(t, Key("nope").StartTime().IsZero())
}

func TestStatuses(t *testing.T) {
	for _, s := range []RecordingStatus{StatusSaved, StatusPendingDeleteSpace, StatusPendingDeleteTime} {
		assert.True(t, s.HasAudio(), s)
	}
	for _, s := range []RecordingStatus{StatusPending, StatusDeletedUser, StatusDeletedSpace, StatusDeletedTime, StatusDeletedUnknown, "ARCHIVED"} {
		assert.False(t, s.HasAudio(), s)
	}
	var r Recording
	require.NoError(t, json.Unmarshal([]byte(`{"status":"ARCHIVED"}`), &r))
	assert.Equal(t, RecordingStatus("ARCHIVED"), r.Status, "unknown statuses are kept")
}

func TestCells(t *testing.T) {
	c := Cell{json.RawMessage(`"12.5"`)}
	n, err := c.Number()
	require.NoError(t, err)
	assert.InDelta(t, 12.5, n, 0)
	_, err = Cell{json.RawMessage(`"Agent1"`)}.Number()
	require.ErrorIs(t, err, ErrCellType)
	_, err = Cell{json.RawMessage(`{"a":1}`)}.Duration()
	require.ErrorIs(t, err, ErrCellType)
	assert.Equal(t, `{"a":1}`, Cell{json.RawMessage(`{"a":1}`)}.String())
	assert.Equal(t, "0:00:01", clock(1499*time.Millisecond))
}
