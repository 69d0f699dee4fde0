package wallboard_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/avaya"
	"github.com/contactkit/contactkit/avaya/avayatest"
	"github.com/contactkit/contactkit/avaya/wallboard"
)

func TestNewValidates(t *testing.T) {
	c, err := avaya.NewClient("http://127.0.0.1:1", contactkit.StaticToken("k"))
	require.NoError(t, err)
	var ve *contactkit.ValidationError
	for name, cfg := range map[string]wallboard.Config{
		"no metrics":  {},
		"empty id":    {Metrics: []wallboard.Metric{{ID: " "}}},
		"comma":       {Metrics: []wallboard.Metric{{ID: "A,B"}}},
		"twice":       {Metrics: []wallboard.Metric{{ID: "A"}, {ID: "A"}}},
		"thresholds":  {Metrics: []wallboard.Metric{{ID: "A", Amber: 10, Red: 5}}},
		"negative":    {Metrics: []wallboard.Metric{{ID: "A", Amber: -1}}},
		"origin path": {Metrics: []wallboard.Metric{{ID: "A"}}, AllowOrigins: []string{"https://example.com/"}},
		"origin bare": {Metrics: []wallboard.Metric{{ID: "A"}}, AllowOrigins: []string{"example.com"}},
	} {
		_, err := wallboard.New(c, cfg)
		require.ErrorAs(t, err, &ve, name)
	}
	_, err = wallboard.New(nil, wallboard.Config{Metrics: allowList})
	require.ErrorAs(t, err, &ve)
}

func TestStreamSnapshotUpdatesAndAllowList(t *testing.T) {
	e := setup(t, wallboard.Config{Title: "Support"})
	e.waitConnected(t)
	resp, ch, _ := stream(t, e.srv.URL+"/events", nil)
	assert.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"))

	snap := decodeSnapshot(t, next(t, ch, "snapshot").Data)
	assert.Equal(t, "Support", snap.Title)
	assert.Equal(t, wallboard.StateConnected, snap.State)
	assert.InDelta(t, time.Now().UnixMilli(), snap.Now, 2000, "the server's clock")
	require.Len(t, snap.Metrics, len(allowList))
	assert.Equal(t, "Calls in Queue", snap.Metrics[0].Label, "the server's name when no label is set")
	assert.Equal(t, "Current Wait", snap.Metrics[1].Label)
	assert.InDelta(t, 5, snap.Metrics[0].Amber, 0)
	// 1 + 1 + 2 + 2 + 1 (John only) + 2, never the agent state or Ada's talk time.
	require.Len(t, snap.Values, 9)
	for _, r := range snap.Values {
		assert.NotEqual(t, avayatest.MetricAgentState, r.Key.MetricID)
		if r.Key.MetricID == avayatest.MetricAgentTalkTime {
			assert.Equal(t, "John Doe(481)", r.Key.CategoryValue, "only the allowed category value")
		}
		want, ok := e.fake.MetricValue(r.Key)
		require.True(t, ok)
		assert.True(t, want.LastUpdateTime.Equal(r.Value.LastUpdateTime), "%s", r.Key)
	}

	key := avaya.MetricKey{MetricID: avayatest.MetricCallsInQueue}
	at := time.Now().Truncate(time.Millisecond)
	e.fake.PushMetricValue(key, avaya.MetricValue{Type: avaya.CountValue, LastUpdateTime: at, Count: 7})
	e.fake.PushMetricValue(avaya.MetricKey{MetricID: avayatest.MetricAgentState, CategoryValue: "John Doe(481)"},
		avaya.MetricValue{Type: avaya.StringValue, LastUpdateTime: at, String: "Not allowed"})
	e.fake.PushMetricValue(avaya.MetricKey{MetricID: avayatest.MetricAgentTalkTime, CategoryValue: "Ada Lovelace(203)"},
		avaya.MetricValue{Type: avaya.DurationValue, LastUpdateTime: at, FinishedDuration: 1})
	up := next(t, ch, "update")
	assert.NotEmpty(t, up.ID, "updates carry an event id")
	var u struct {
		Now int64 `json:"now"`
		avaya.MetricResult
	}
	require.NoError(t, json.Unmarshal([]byte(up.Data), &u))
	assert.Equal(t, key, u.Key)
	assert.Equal(t, int64(7), u.Value.Count)
	assert.Positive(t, u.Now)
	e.stop() // ends the stream: everything it carried is in the recorder
	all := e.rec.String()
	assert.NotContains(t, all, "Not allowed")
	assert.NotContains(t, all, "Ada Lovelace(203)\"},\"value\":{\"type\":\"DURATION\"")
	assert.NotContains(t, all, e.fake.Token, "the service user key never reaches a viewer")
}

func TestViewerSubsetAndForbidden(t *testing.T) {
	e := setup(t, wallboard.Config{})
	e.waitConnected(t)
	_, ch, _ := stream(t, e.srv.URL+"/events?metrics="+avayatest.MetricCallsInQueue+","+avayatest.MetricAgentState+",NOPE", nil)
	snap := decodeSnapshot(t, next(t, ch, "snapshot").Data)
	require.Len(t, snap.Metrics, 1, "only the allowed id of the three")
	require.Len(t, snap.Values, 1)
	assert.Equal(t, avayatest.MetricCallsInQueue, snap.Values[0].Key.MetricID)
	// An update for a metric the viewer did not ask for is not sent to it.
	at := time.Now().Truncate(time.Millisecond)
	e.fake.PushMetricValue(avaya.MetricKey{MetricID: avayatest.MetricLongestWait}, avaya.MetricValue{Type: avaya.DurationValue, LastUpdateTime: at})
	e.fake.PushMetricValue(avaya.MetricKey{MetricID: avayatest.MetricCallsInQueue}, avaya.MetricValue{Type: avaya.CountValue, LastUpdateTime: at, Count: 3})
	up := next(t, ch, "update")
	assert.Contains(t, up.Data, avayatest.MetricCallsInQueue)

	for _, path := range []string{"/events?metrics=" + avayatest.MetricAgentState, "/snapshot.json?metrics=NOPE,,", "/events?metrics=a&metrics=b"} {
		resp, err := http.Get(e.srv.URL + path)
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Equal(t, http.StatusForbidden, resp.StatusCode, path)
		assert.NotContains(t, string(body), avayatest.MetricAgentState)
	}
}

func TestSnapshotJSONCaching(t *testing.T) {
	e := setup(t, wallboard.Config{MaxAge: 3 * time.Second})
	e.waitConnected(t)
	get := func(etag string) (*http.Response, snapshotDoc) {
		req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/snapshot.json?metrics="+avayatest.MetricCallsInQueue, nil)
		if etag != "" {
			req.Header.Set("If-None-Match", etag)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var d snapshotDoc
		if resp.StatusCode == http.StatusOK {
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&d))
		}
		return resp, d
	}
	resp, d := get("")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	assert.Equal(t, "public, max-age=3", resp.Header.Get("Cache-Control"))
	etag := resp.Header.Get("ETag")
	require.True(t, strings.HasPrefix(etag, `W/"`), etag)
	require.Len(t, d.Values, 1)

	resp, _ = get(etag)
	assert.Equal(t, http.StatusNotModified, resp.StatusCode)
	resp, _ = get(`"other", ` + etag)
	assert.Equal(t, http.StatusNotModified, resp.StatusCode, "a list of tags")

	e.fake.PushMetricValue(avaya.MetricKey{MetricID: avayatest.MetricCallsInQueue},
		avaya.MetricValue{Type: avaya.CountValue, LastUpdateTime: time.Now().Truncate(time.Millisecond), Count: 11})
	require.Eventually(t, func() bool {
		resp, d := get(etag)
		return resp.StatusCode == http.StatusOK && resp.Header.Get("ETag") != etag && d.Values[0].Value.Count == 11
	}, 2*time.Second, 10*time.Millisecond, "a change makes a new tag")
}

func TestCORS(t *testing.T) {
	e := setup(t, wallboard.Config{AllowOrigins: []string{"https://shop.example"}})
	e.waitConnected(t)
	do := func(method, path, origin string) *http.Response {
		req, _ := http.NewRequest(method, e.srv.URL+path, nil)
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp
	}
	resp := do(http.MethodGet, "/snapshot.json", "https://shop.example")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "https://shop.example", resp.Header.Get("Access-Control-Allow-Origin"))
	assert.Equal(t, "ETag", resp.Header.Get("Access-Control-Expose-Headers"))
	assert.Contains(t, resp.Header.Values("Vary"), "Origin")

	resp = do(http.MethodGet, "/snapshot.json", "https://evil.example")
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	assert.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"))
	resp = do(http.MethodGet, "/events", "https://evil.example")
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)

	resp = do(http.MethodGet, "/snapshot.json", e.srv.URL)
	assert.Equal(t, http.StatusOK, resp.StatusCode, "same origin")
	assert.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"))

	resp = do(http.MethodOptions, "/events", "https://shop.example")
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
	assert.Contains(t, resp.Header.Get("Access-Control-Allow-Headers"), "Last-Event-ID")

	resp = do(http.MethodGet, "/widget.js", "")
	assert.Equal(t, "cross-origin", resp.Header.Get("Cross-Origin-Resource-Policy"))
	assert.Contains(t, resp.Header.Get("Content-Type"), "text/javascript")
}

func TestPagesAreLockedDown(t *testing.T) {
	e := setup(t, wallboard.Config{})
	for _, path := range []string{"/", "/index.html", "/client.js", "/wallboard.js", "/wallboard.css", "/widget.js"} {
		resp, err := http.Get(e.srv.URL + path)
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode, path)
		assert.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"))
		assert.NotContains(t, string(body), "innerHTML", "data is set as text")
		if strings.HasSuffix(path, "/") || strings.HasSuffix(path, ".html") {
			csp := resp.Header.Get("Content-Security-Policy")
			assert.Contains(t, csp, "script-src 'self'")
			assert.NotContains(t, csp, "unsafe-inline")
			assert.NotContains(t, string(body), "<script>", "no inline script")
		}
	}
	resp, err := http.Get(e.srv.URL + "/nothing")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
}

func TestUpstreamStatesReachViewers(t *testing.T) {
	e := setup(t, wallboard.Config{})
	e.waitConnected(t)
	_, ch, _ := stream(t, e.srv.URL+"/events", nil)
	next(t, ch, "snapshot")
	e.fake.RejectSubscriptions(http.StatusServiceUnavailable)
	e.fake.DropSubscribers()
	assert.Contains(t, next(t, ch, "state").Data, `"state":"reconnecting"`)
	// A change while the upstream is away comes back with its snapshot.
	key := avaya.MetricKey{MetricID: avayatest.MetricCallsInQueue}
	e.fake.SetMetricValue(key, avaya.MetricValue{Type: avaya.CountValue, LastUpdateTime: time.Now().Truncate(time.Millisecond), Count: 42})
	e.fake.RejectSubscriptions(0)
	assert.Contains(t, next(t, ch, "state").Data, `"state":"connected"`)
	for {
		up := next(t, ch, "update")
		if strings.Contains(up.Data, `"count":42`) {
			break
		}
	}
}

func TestHeartbeatsCarryTheClock(t *testing.T) {
	e := setup(t, wallboard.Config{Heartbeat: 20 * time.Millisecond})
	_, ch, _ := stream(t, e.srv.URL+"/events", nil)
	hb := next(t, ch, "heartbeat")
	var d struct{ Now int64 }
	require.NoError(t, json.Unmarshal([]byte(hb.Data), &d))
	assert.InDelta(t, time.Now().UnixMilli(), d.Now, 2000)
}

func TestReconnectGetsFreshSnapshot(t *testing.T) {
	e := setup(t, wallboard.Config{})
	e.waitConnected(t)
	_, ch, closeFirst := stream(t, e.srv.URL+"/events", nil)
	first := next(t, ch, "snapshot")
	key := avaya.MetricKey{MetricID: avayatest.MetricCallsInQueue}
	e.fake.PushMetricValue(key, avaya.MetricValue{Type: avaya.CountValue, LastUpdateTime: time.Now().Truncate(time.Millisecond), Count: 9})
	up := next(t, ch, "update")
	closeFirst()
	// The browser's reconnect names the last event it saw; it still gets
	// the whole board, with the change in it.
	_, ch, _ = stream(t, e.srv.URL+"/events", http.Header{"Last-Event-ID": {up.ID}})
	snap := decodeSnapshot(t, next(t, ch, "snapshot").Data)
	assert.Greater(t, snap.Version, decodeSnapshot(t, first.Data).Version)
	found := false
	for _, r := range snap.Values {
		if r.Key == key {
			found = true
			assert.Equal(t, int64(9), r.Value.Count)
		}
	}
	assert.True(t, found)
	assert.Len(t, snap.Values, 9)
}

func TestDisconnectFreesViewer(t *testing.T) {
	e := setup(t, wallboard.Config{})
	_, ch, closeStream := stream(t, e.srv.URL+"/events", nil)
	next(t, ch, "snapshot")
	_, ch2, closeStream2 := stream(t, e.srv.URL+"/events", nil)
	next(t, ch2, "snapshot")
	assert.Equal(t, 2, e.h.Viewers())
	closeStream()
	require.Eventually(t, func() bool { return e.h.Viewers() == 1 }, time.Second, time.Millisecond)
	closeStream2()
	require.Eventually(t, func() bool { return e.h.Viewers() == 0 }, time.Second, time.Millisecond)
}

func TestRunEndEndsStreams(t *testing.T) {
	e := setup(t, wallboard.Config{})
	_, ch, _ := stream(t, e.srv.URL+"/events", nil)
	next(t, ch, "snapshot")
	e.stop()
	for !strings.Contains(next(t, ch, "state").Data, `"state":"stopped"`) {
	}
	for range ch { // the stream ends
	}
	assert.Equal(t, 0, e.h.Viewers())
	assert.Equal(t, wallboard.StateStopped, e.h.State())
}

func TestRunRefusedAndTwice(t *testing.T) {
	fake := avayatest.NewServer()
	defer fake.Close()
	c, err := avaya.NewClient(fake.URL(), contactkit.StaticToken("wrong-key"), avaya.WithoutRetry())
	require.NoError(t, err)
	h, err := wallboard.New(c, wallboard.Config{Metrics: allowList, Logger: discard()})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = h.Run(ctx)
	require.ErrorIs(t, err, contactkit.ErrUnauthorized)
	assert.NotContains(t, err.Error(), "wrong-key")
	require.Error(t, h.Run(ctx), "Run runs once")
	assert.Equal(t, wallboard.StateStopped, h.State())
}

func TestUnknownValueTypeIsPassedAsSent(t *testing.T) {
	e := setup(t, wallboard.Config{})
	e.waitConnected(t)
	_, ch, _ := stream(t, e.srv.URL+"/events", nil)
	next(t, ch, "snapshot")
	at := time.Now().Truncate(time.Millisecond)
	raw := `{"type":"PERCENT","lastUpdateTime":"` + at.Format(avaya.RealtimeTimeLayout) + `","value":42.5}`
	e.fake.PushMetricValue(avaya.MetricKey{MetricID: avayatest.MetricCallsInQueue},
		avaya.MetricValue{Type: "PERCENT", LastUpdateTime: at, Raw: json.RawMessage(raw)})
	up := next(t, ch, "update")
	assert.Contains(t, up.Data, `"value":{"type":"PERCENT"`)
	assert.Contains(t, up.Data, `42.5`)
}
