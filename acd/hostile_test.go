package acd_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/acd"
	"github.com/contactkit/contactkit/acd/acdtest"
	"github.com/contactkit/contactkit/internal/testtool"
)

// fill is an io.Reader of n bytes of c, generated as they are read: a
// huge body that the test never holds.
type fill struct {
	n int64
	c byte
}

func (f *fill) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), f.n)]
	for i := range p {
		p[i] = f.c
	}
	f.n -= int64(len(p))
	return len(p), nil
}

// streamServer answers every request with the body that body() returns,
// copied as it is read.
func streamServer(t *testing.T, body func() io.Reader) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.Copy(w, body())
	}))
	t.Cleanup(srv.Close)
	return srv
}

func streamClient(t *testing.T, base string, opts ...acd.Option) *acd.Client {
	t.Helper()
	c, err := acd.NewClient(base+"/rest/v1.0/1001", contactkit.StaticToken("t"), append([]acd.Option{fast}, opts...)...)
	require.NoError(t, err)
	return c
}

// allocated runs fn and returns how many bytes the process allocated
// meanwhile: an upper bound of fn's heap growth.
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func drain(seq func(func(acd.Event, error) bool)) (ids []int64, last error) {
	for ev, err := range seq {
		if err != nil {
			return ids, err
		}
		ids = append(ids, ev.ID)
	}
	return ids, nil
}

const okRecord = `{"ID":1,"AcdEventTypesID":6,"dtCreated":"2020-09-15T02:59:32.794"}`

// Issue 12: a 256 MiB "filter" value took 1 GiB of heap and no error.
func TestAllEventsHugeSkippedFieldIsTooLargeWithoutHoldingIt(t *testing.T) {
	for name, body := range map[string]func() io.Reader{
		"filter string": func() io.Reader {
			return io.MultiReader(strings.NewReader(`{"filter":"`), &fill{n: 256 << 20, c: 'a'}, strings.NewReader(`","records":[]}`))
		},
		"unknown array after records": func() io.Reader {
			return io.MultiReader(strings.NewReader(`{"records":[`+okRecord+`],"newField":[`), &fill{n: 256 << 20, c: '1'}, strings.NewReader(`]}`))
		},
	} {
		t.Run(name, func(t *testing.T) {
			srv := streamServer(t, body)
			c := streamClient(t, srv.URL, acd.WithMaxResponseBytes(1<<20))
			var ids []int64
			var err error
			grew := allocated(func() { ids, err = drain(c.AllEvents(context.Background())) })
			require.ErrorIs(t, err, contactkit.ErrTooLarge)
			var de *contactkit.DecodeError
			require.ErrorAs(t, err, &de)
			assert.Contains(t, err.Error(), "over 1048576 bytes")
			assert.Less(t, grew, uint64(16<<20), "allocated %d MiB for a 1 MiB limit", grew>>20)
			if name == "unknown array after records" {
				assert.Equal(t, []int64{1}, ids, "the records before it were yielded")
			}
		})
	}
}

func TestAllEventsRecordOverLimit(t *testing.T) {
	big := `{"ID":2,"Subject":"` + strings.Repeat("x", 4<<10) + `"}`
	srv := streamServer(t, func() io.Reader {
		return strings.NewReader(`{"records":[` + okRecord + `,` + big + `,` + okRecord + `]}`)
	})
	c := streamClient(t, srv.URL, acd.WithMaxResponseBytes(2<<10))
	ids, err := drain(c.AllEvents(context.Background()))
	require.ErrorIs(t, err, contactkit.ErrTooLarge)
	assert.Contains(t, err.Error(), "record 1 is over 2048 bytes")
	assert.Equal(t, []int64{1}, ids)

	// Unknown fields of a record count towards its limit too.
	srv = streamServer(t, func() io.Reader {
		return strings.NewReader(`{"records":[{"ID":3,"Later":"` + strings.Repeat("y", 4<<10) + `"}]}`)
	})
	c = streamClient(t, srv.URL, acd.WithMaxResponseBytes(2<<10))
	_, err = drain(c.AllEvents(context.Background()))
	require.ErrorIs(t, err, contactkit.ErrTooLarge)
}

// Issue 12: "records": null is an empty list, as ListEvents reads it.
func TestAllEventsNullRecords(t *testing.T) {
	body := `{"filter":"","limitStart":0,"limitPageSize":-1,"records":null,"count":0,"orderBy":"dtCreated","ascending":true,"status":200}`
	srv := streamServer(t, func() io.Reader { return strings.NewReader(body) })
	c := streamClient(t, srv.URL)
	ids, err := drain(c.AllEvents(context.Background()))
	require.NoError(t, err)
	assert.Empty(t, ids)
	list, err := c.ListEvents(context.Background())
	require.NoError(t, err)
	assert.Empty(t, list.Records)

	for _, body := range []string{`{}`, `{"records":[]}`, ` {"records" : [ ] , "count":0 } `} {
		srv := streamServer(t, func() io.Reader { return strings.NewReader(body) })
		ids, err := drain(streamClient(t, srv.URL).AllEvents(context.Background()))
		require.NoError(t, err, body)
		assert.Empty(t, ids, body)
	}
	for _, body := range []string{`{"records":7}`, `{"records":nul}`, `[]`, `<html>`, ``, `{"records":[` + okRecord + `}`} {
		srv := streamServer(t, func() io.Reader { return strings.NewReader(body) })
		_, err := drain(streamClient(t, srv.URL).AllEvents(context.Background()))
		var de *contactkit.DecodeError
		require.ErrorAs(t, err, &de, body)
	}
}

// stallServer sends the head of a list and one record, then stops
// sending until the client goes away.
func stallServer(t *testing.T) string {
	return testtool.StallServer(t, `{"filter":"","records":[`+okRecord+`,`)
}

// Issue 12: a deadline mid-body is errors.Is(err, context.DeadlineExceeded).
func TestAllEventsDeadlineMidBody(t *testing.T) {
	c := streamClient(t, stallServer(t))
	ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
	defer cancel()
	ids, err := drain(c.AllEvents(ctx))
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Equal(t, []int64{1}, ids)
}

func TestAllEventsStalledBodyTimesOut(t *testing.T) {
	c := streamClient(t, stallServer(t), acd.WithResponseTimeout(200*time.Millisecond))
	start := time.Now()
	ids, err := drain(c.AllEvents(context.Background()))
	require.ErrorIs(t, err, contactkit.ErrTimeout)
	assert.Equal(t, []int64{1}, ids)
	assert.Less(t, time.Since(start), 5*time.Second)
}

// silentServer accepts connections and never answers.
func silentServer(t *testing.T) string { return testtool.SilentServer(t) }

func TestSilentServerTimesOut(t *testing.T) {
	c := streamClient(t, silentServer(t), acd.WithResponseTimeout(100*time.Millisecond), acd.WithoutRetry())
	start := time.Now()
	_, err := c.GetEvent(context.Background(), 1)
	require.ErrorIs(t, err, contactkit.ErrTimeout)
	_, err = c.ListEvents(context.Background())
	require.ErrorIs(t, err, contactkit.ErrTimeout)
	_, err = drain(c.AllEvents(context.Background()))
	require.ErrorIs(t, err, contactkit.ErrTimeout)
	assert.Less(t, time.Since(start), 3*time.Second)
}

func TestBodyCutShortWithoutContentLength(t *testing.T) {
	srv, c := newFake(t)
	srv.GenerateEvents(200)
	srv.Inject(1, acdtest.Fault{Cut: true})
	ids, err := drain(c.AllEvents(context.Background()))
	var de *contactkit.DecodeError
	require.ErrorAs(t, err, &de)
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
	assert.NotEmpty(t, ids, "the whole records before the cut")
	assert.Less(t, len(ids), 204)

	srv.Inject(1, acdtest.Fault{Cut: true})
	_, err = c.ListEvents(context.Background())
	require.ErrorAs(t, err, &de)
	srv.Inject(1, acdtest.Fault{Cut: true})
	_, err = c.GetEvent(context.Background(), 2039)
	require.ErrorAs(t, err, &de)
}

// Every point where the caller may stop AllEvents: before the request,
// after k events, during a stalled body. goleak in TestMain checks that
// nothing is left running.
func TestAllEventsCancelAtEveryStep(t *testing.T) {
	srv, c := newFake(t)
	srv.GenerateEvents(60) // after the 4 samples
	for _, at := range []int{0, 1, 2, 3, 4, 5, 30, 63} {
		ctx, cancel := context.WithCancel(context.Background())
		if at == 0 {
			cancel()
		}
		n := 0
		var last error
		for _, err := range c.AllEvents(ctx) {
			if err != nil {
				last = err
				break
			}
			if n++; n == at {
				cancel()
			}
		}
		cancel()
		require.ErrorIs(t, last, context.Canceled, "cancelled after %d", at)
		assert.Equal(t, at, n, "no event after the cancel")
	}
	stall := stallServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	_, err := drain(streamClient(t, stall).AllEvents(ctx))
	require.ErrorIs(t, err, context.Canceled)
}

// Issue 12, forward compatibility: fields a newer jtel adds survive a
// decode and re-encode through GetEvent, ListEvents and AllEvents.
func TestUnknownFieldsSurvive(t *testing.T) {
	record := `{"ID":2039,"AcdEventTypesID":6,"AcdEventStatusID":1,"AcdGroupsID":235,"UsersID":null,"Sender":"info@example.com",` +
		`"Receiver":"","Subject":"s","CrmURL":"","UserData":"","UserData2":null,"UserData3":null,"ForeignSystemNumber":"",` +
		`"bCloseByForeignSystem":false,"EventData":"","ChatConnectorsID":null,"AcdInboxesID":null,"AcdWorkFlowConnectorsID":null,` +
		`"WorkFlowMonitorPointsID":null,"AcdReplyingTypesID":null,"SkillsID1":null,"SkillsID2":null,"SkillsID3":null,` +
		`"SkillsValue1":null,"SkillsValue2":null,"SkillsValue3":null,"LastAgentTime":0,"dtCreated":"2020-09-15T02:59:32.794",` +
		`"dtModified":"2020-09-15T02:59:32.794","dtLastModified":"2020-09-15T02:59:32.929","dtReceived":null,"dtRemind":null,` +
		`"Priority":5,"Tags":["a","]}\"{"],"Channel":{"id":1,"name":"x"}}`
	envelope := `{"filter":"","extra":{"a":"}]\"[{","b":[1,{"c":null}]},"records":[` + record + `],"count":1,"status":200}`
	srv := streamServer(t, func() io.Reader { return strings.NewReader(envelope) })
	c := streamClient(t, srv.URL)
	check := func(ev acd.Event) {
		t.Helper()
		assert.JSONEq(t, `5`, string(ev.Unknown["Priority"]))
		out, err := json.Marshal(ev)
		require.NoError(t, err)
		assert.JSONEq(t, record, string(out))
	}
	ev, err := c.GetEvent(context.Background(), 2039)
	require.NoError(t, err)
	check(*ev)
	list, err := c.ListEvents(context.Background())
	require.NoError(t, err)
	require.Len(t, list.Records, 1)
	check(list.Records[0])
	n := 0
	for ev, err := range c.AllEvents(context.Background()) {
		require.NoError(t, err)
		check(ev)
		n++
	}
	assert.Equal(t, 1, n)
}

func ExampleEvent_Unknown() {
	var ev acd.Event
	_ = json.Unmarshal([]byte(`{"ID":7,"Priority":5}`), &ev)
	fmt.Println(ev.ID, string(ev.Unknown["Priority"]))
	// Output: 7 5
}
