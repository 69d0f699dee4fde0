package acd

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The golden files are the example payloads of jtel-acd-events.txt exactly
// as printed (the list and get examples elide most fields with "...": the
// files hold the fields the document shows).

func readGolden(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

func TestGoldenListEnvelope(t *testing.T) {
	var list EventList
	require.NoError(t, json.Unmarshal(readGolden(t, "list.json"), &list))
	assert.Empty(t, list.Filter)
	assert.Equal(t, 0, list.LimitStart)
	assert.Equal(t, -1, list.LimitPageSize)
	assert.Equal(t, 374, list.Count)
	assert.Equal(t, "dtCreated", list.OrderBy)
	assert.True(t, list.Ascending)
	assert.Equal(t, 200, list.Status)
	require.Len(t, list.Records, 1)
	ev := list.Records[0]
	assert.Nil(t, ev.SkillValue1)
	assert.Nil(t, ev.SkillValue2)
	require.NotNil(t, ev.ChatConnectorID)
	assert.EqualValues(t, 1, *ev.ChatConnectorID)
	assert.Equal(t, "123456", ev.UserData)
	assert.Equal(t, EventStatus(20), ev.Status)
	assert.Equal(t, time.Date(2020, 8, 9, 2, 33, 50, 347e6, time.UTC), ev.LastModified.Time)
}

func TestGoldenGetEnvelope(t *testing.T) {
	var out eventRecords
	require.NoError(t, json.Unmarshal(readGolden(t, "get.json"), &out))
	assert.Equal(t, 1, out.Count)
	assert.Equal(t, 200, out.Status)
	require.Len(t, out.Records, 1)
	assert.Equal(t, "2020-08-09T02:33:50.347", out.Records[0].LastModified.String())
	assert.EqualValues(t, 1, *out.Records[0].ChatConnectorID)
}

func TestGoldenCreateResponse(t *testing.T) {
	raw := readGolden(t, "create_response.json")
	var out eventRecords
	require.NoError(t, json.Unmarshal(raw, &out))
	require.Len(t, out.Records, 1)
	ev := out.Records[0]
	assert.EqualValues(t, 2039, ev.ID)
	assert.Equal(t, Ticket, ev.Type)
	assert.Equal(t, EventStatus(1), ev.Status)
	assert.EqualValues(t, 235, ev.GroupID)
	assert.Nil(t, ev.UserID)
	assert.Equal(t, "info@example.com", ev.Sender)
	assert.Equal(t, "support@jtel.de", ev.Receiver)
	assert.Equal(t, "A new ticket 123456 has been created via the REST API. Congratulations!", ev.Subject)
	assert.Equal(t, "https://www.jtel.de", ev.CrmURL)
	assert.Equal(t, "123456", ev.UserData)
	assert.Nil(t, ev.UserData2)
	assert.Nil(t, ev.UserData3)
	assert.Equal(t, "123456", ev.ForeignSystemNumber)
	assert.False(t, ev.CloseByForeignSystem)
	assert.Nil(t, ev.ChatConnectorID)
	assert.Nil(t, ev.InboxID)
	assert.Nil(t, ev.WorkFlowConnectorID)
	assert.Nil(t, ev.WorkFlowMonitorPointID)
	assert.Nil(t, ev.ReplyingTypeID)
	assert.Nil(t, ev.SkillID1)
	assert.Nil(t, ev.SkillID2)
	assert.Nil(t, ev.SkillID3)
	assert.Nil(t, ev.SkillValue3)
	assert.Nil(t, ev.Received)
	assert.Nil(t, ev.Remind)
	assert.EqualValues(t, 0, ev.LastAgentTime)
	assert.Equal(t, time.Date(2020, 9, 15, 2, 59, 32, 794e6, time.UTC), ev.Created.Time)
	assert.Equal(t, time.Date(2020, 9, 15, 2, 59, 32, 794e6, time.UTC), ev.Modified.Time)
	assert.Equal(t, time.Date(2020, 9, 15, 2, 59, 32, 929e6, time.UTC), ev.LastModified.Time)

	data, err := ev.ParseEventData()
	require.NoError(t, err)
	require.Len(t, data.URLs, 1)
	assert.Equal(t, "https://www.jtel.de", data.URLs[0].Path)
	assert.Equal(t, "123456", data.URLs[0].DisplayName)
	assert.True(t, data.Body.HTML)
	assert.Empty(t, data.Body.Text)
	assert.Equal(t, ev.EventData, data.String(), "EventData re-renders exactly as jtel printed it")

	// Round trip: what was decoded encodes back to the same JSON.
	back, err := json.Marshal(out)
	require.NoError(t, err)
	assert.JSONEq(t, string(raw), string(back))
}

func TestGoldenCreateBodies(t *testing.T) {
	user := int64(3)
	callback := NewEvent{
		Type: Callback, GroupID: 235, Sender: "49199123456789", Receiver: "4919900112233",
		Subject:  "Callback request from 49199123456789 on 2020.08.09 at 09:00",
		Body:     "This is an automatically generated callback request via the REST API.\r\nCongratulations!\r\n",
		CrmURL:   "https://www.jtel.de",
		UserData: "987654",
	}
	forUser := callback
	forUser.UserID = &user
	ticket := NewEvent{
		Type: Ticket, GroupID: 235, Sender: "info@example.com", Receiver: "support@jtel.de",
		Subject: "A new ticket 123456 has been created via the REST API. Congratulations!",
		CrmURL:  "https://www.jtel.de", UserData: "123456",
	}
	cases := map[string]NewEvent{
		"create_callback.json": callback, "create_callback_user.json": forUser, "create_ticket.json": ticket,
	}
	for file, ev := range cases {
		require.NoError(t, ev.Validate(), file)
		got, err := json.Marshal(ev)
		require.NoError(t, err)
		assert.JSONEq(t, string(readGolden(t, file)), string(got), file)

		var back NewEvent
		require.NoError(t, json.Unmarshal(readGolden(t, file), &back), file)
		assert.Equal(t, ev, back, file)
	}
}

func TestEventTypeNames(t *testing.T) {
	want := map[EventType]string{1: "VoiceMail", 2: "Fax", 3: "Callback", 4: "SMS", 5: "Email", 6: "Ticket", 9: "EventType(9)"}
	for typ, name := range want {
		assert.Equal(t, name, typ.String())
	}
	var ev Event
	require.NoError(t, json.Unmarshal([]byte(`{"AcdEventTypesID":42,"AcdEventStatusID":77}`), &ev))
	assert.Equal(t, EventType(42), ev.Type, "an unknown type is kept")
	assert.Equal(t, "EventStatus(77)", ev.Status.String())
}
