package avaya_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/avaya"
	"github.com/contactkit/contactkit/avaya/avayatest"
	"github.com/contactkit/contactkit/internal/benchutil"
)

const gib = 1 << 30

// sampler is an io.Writer that discards and samples the heap every 64 MiB.
type sampler struct {
	n      int64
	sample func()
}

func (s *sampler) Write(p []byte) (int, error) {
	before := s.n
	s.n += int64(len(p))
	if s.sample != nil && before/(64<<20) != s.n/(64<<20) {
		s.sample()
	}
	return len(p), nil
}

// BenchmarkStream1GiB streams a 1 GiB recording through RecordingAudio
// beside a raw net/http GET + io.Copy of the same response.
func BenchmarkStream1GiB(b *testing.B) {
	size := int64(gib)
	if testing.Short() { // CI's run-once pass: the same path, 64 MiB
		size = 64 << 20
	}
	srv := avayatest.NewServer()
	defer srv.Close()
	rec := srv.AddRecording("", time.Date(2024, 5, 6, 9, 0, 0, 0, time.UTC), size, avaya.StatusSaved)
	c, err := avaya.NewClient(srv.URL(), contactkit.StaticToken(srv.Token), avaya.WithHTTPClient(srv.Client()))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	sdk := func(sample func()) error {
		a, err := c.RecordingAudio(ctx, rec.Key, avaya.SPX)
		if err != nil {
			return err
		}
		defer a.Body.Close()
		n, err := io.Copy(&sampler{sample: sample}, a.Body)
		if err == nil && n != size {
			err = fmt.Errorf("%d bytes", n)
		}
		return err
	}
	base := func() error {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL()+"/rest/api/v1/recordings/"+string(rec.Key)+"/audio?format=spx", nil)
		req.Header.Set("Authorization", "Bearer "+srv.Token)
		resp, err := srv.Client().Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		n, err := io.Copy(&sampler{}, resp.Body)
		if err == nil && n != size {
			err = fmt.Errorf("%d bytes", n)
		}
		return err
	}
	b.Run("baseline-io.Copy", func(b *testing.B) { b.SetBytes(size); benchutil.Loop(b, base) })
	b.Run("sdk", func(b *testing.B) { b.SetBytes(size); benchutil.Loop(b, func() error { return sdk(nil) }) })
	b.Run("ratio", func(b *testing.B) { benchutil.Ratio(b, func() error { return sdk(nil) }, base) })
	b.Run("sdk-heap", func(b *testing.B) {
		benchutil.Peak(b, func(sample func()) {
			if err := sdk(sample); err != nil {
				b.Fatal(err)
			}
		})
	})
}

// BenchmarkReportDecode runs the documented report through RunReport
// beside a hand-written POST that decodes into the same Report type.
func BenchmarkReportDecode(b *testing.B) {
	srv := avayatest.NewServer()
	defer srv.Close()
	c, err := avaya.NewClient(srv.URL(), contactkit.StaticToken(srv.Token), avaya.WithHTTPClient(srv.Client()))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	from := time.Date(2019, 9, 9, 0, 0, 0, 0, time.FixedZone("", -6*3600))
	params := []avaya.Parameter{avaya.TimeframeParam("Report Timeframe", from, from.Add(48*time.Hour)), avaya.PBXUsersParam("Rows (Agent)", "Agent1(200)")}
	body, _ := json.Marshal(avaya.ReportRequest{Format: avaya.JSONFormat, Parameters: params})
	sdk := func() error { _, err := c.RunReport(ctx, avayatest.AgentTalkingSummary, params...); return err }
	base := func() error {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL()+"/rest/api/v1/historic-data/"+avayatest.AgentTalkingSummary, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+srv.Token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := srv.Client().Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		var rep avaya.Report
		return json.NewDecoder(resp.Body).Decode(&rep)
	}
	b.Run("baseline", func(b *testing.B) { benchutil.Loop(b, base) })
	b.Run("sdk", func(b *testing.B) { benchutil.Loop(b, sdk) })
	b.Run("ratio", func(b *testing.B) { benchutil.Ratio(b, sdk, base) })
}

// plainResult is what a hand-written client would decode an update into:
// the wire fields with encoding/json's own rules, no conversion.
type plainResult struct {
	Key struct {
		MetricID      string `json:"metricId"`
		CategoryValue string `json:"categoryValue"`
	} `json:"key"`
	Value struct {
		Type             string          `json:"type"`
		LastUpdateTime   time.Time       `json:"lastUpdateTime"`
		Count            int64           `json:"count"`
		Value            json.RawMessage `json:"value"`
		FinishedDuration int64           `json:"finishedDuration"`
		DurationSum      int64           `json:"durationSum"`
		NumCountingUp    int64           `json:"numCountingUp"`
		NumCountingDown  int64           `json:"numCountingDown"`
	} `json:"value"`
}

// updateMessages are the document's update messages of every type.
var updateMessages = [][]byte{
	[]byte(`{"key":{"metricId":"K0FLAEB6","categoryValue":"John Doe(481)"},"value":{"lastUpdateTime":"2019-10-01T10:17:56.496-06:00","count":15,"type":"COUNT"}}`),
	[]byte(`{"key":{"metricId":"K08ZIKVN","categoryValue":"John Doe(831)"},"value":{"lastUpdateTime":"2019-10-01T10:13:12.244-06:00","value":false,"type":"BOOLEAN"}}`),
	[]byte(`{"key":{"metricId":"K0FLAEB6"},"value":{"type":"STRING","lastUpdateTime":"2019-10-01T10:13:12.244-06:00","value":"string value"}}`),
	[]byte(`{"key":{"metricId":"K08ZIKVN","categoryValue":"John Doe(831)"},"value":{"type":"DURATION","lastUpdateTime":"2018-09-24T13:17:35.661-06:00","finishedDuration":20521,"numCountingUp":2,"numCountingDown":1}}`),
	[]byte(`{"key":{"metricId":"K08ZIKVN","categoryValue":"John Doe(831)"},"value":{"type":"AVERAGE_DURATION","lastUpdateTime":"2018-09-24T13:17:35.661-06:00","durationSum":20521,"count":5,"numCountingUp":2,"numCountingDown":1}}`),
}

// BenchmarkUpdateDecode decodes update messages as Subscribe does
// (DecodeMetricResult) beside plain encoding/json into the wire struct.
func BenchmarkUpdateDecode(b *testing.B) {
	i := 0
	sdk := func() error {
		i++
		_, err := avaya.DecodeMetricResult(updateMessages[i%len(updateMessages)])
		return err
	}
	base := func() error {
		var r plainResult
		i++
		return json.Unmarshal(updateMessages[i%len(updateMessages)], &r)
	}
	perSecond := func(b *testing.B, call func() error) {
		benchutil.Loop(b, call)
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "updates/s")
	}
	b.Run("baseline", func(b *testing.B) { perSecond(b, base) })
	b.Run("sdk", func(b *testing.B) { perSecond(b, sdk) })
	b.Run("ratio", func(b *testing.B) { benchutil.Ratio(b, sdk, base) })
}

// BenchmarkBoard10k fills a board with 10,000 keys and reports the heap it
// holds, and the cost of computing every duration "now".
func BenchmarkBoard10k(b *testing.B) {
	results := make([]avaya.MetricResult, 10_000)
	at := time.Date(2024, 5, 6, 9, 0, 0, 0, time.UTC)
	for i := range results {
		results[i] = avaya.MetricResult{
			Key:   avaya.MetricKey{MetricID: fmt.Sprintf("K%07d", i/10), CategoryValue: fmt.Sprintf("Agent %d(%d)", i, 200+i)},
			Value: avaya.MetricValue{Type: avaya.DurationValue, LastUpdateTime: at, FinishedDuration: int64(i), NumCountingUp: 1},
		}
	}
	var board *avaya.Board
	b.Run("fill", func(b *testing.B) {
		benchutil.Peak(b, func(sample func()) {
			board = avaya.NewBoard()
			for _, r := range results {
				board.Apply(r)
			}
			sample()
		})
	})
	b.Run("durations-now", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if len(board.DurationsAt(at.Add(time.Minute))) != 10_000 {
				b.Fatal("lost keys")
			}
		}
	})
}

// wsUpdates is a local websocket server that pushes n update messages (of
// every value type, each key's times increasing) as fast as the socket
// takes them, then waits for the client's close.
func wsUpdates(b *testing.B, n int) *httptest.Server {
	b.Helper()
	base := time.Date(2024, 5, 6, 9, 0, 0, 0, time.FixedZone("", -6*3600))
	msgs := make([][]byte, n)
	for i := range msgs {
		r := avaya.MetricResult{Key: avaya.MetricKey{MetricID: "K0FLAEB6", CategoryValue: fmt.Sprintf("Agent %d(%d)", i%50, 200+i%50)}}
		at := base.Add(time.Duration(i) * time.Millisecond)
		switch i % 5 {
		case 0:
			r.Value = avaya.MetricValue{Type: avaya.CountValue, LastUpdateTime: at, Count: int64(i)}
		case 1:
			r.Value = avaya.MetricValue{Type: avaya.BooleanValue, LastUpdateTime: at, Bool: i%2 == 0}
		case 2:
			r.Value = avaya.MetricValue{Type: avaya.StringValue, LastUpdateTime: at, String: "Talking"}
		case 3:
			r.Value = avaya.MetricValue{Type: avaya.DurationValue, LastUpdateTime: at, FinishedDuration: 20521, NumCountingUp: 2, NumCountingDown: 1}
		case 4:
			r.Value = avaya.MetricValue{Type: avaya.AverageDurationValue, LastUpdateTime: at, DurationSum: 20521, Count: 5, NumCountingUp: 2}
		}
		msgs[i], _ = json.Marshal(r)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer conn.CloseNow()
		ctx := r.Context()
		for _, m := range msgs {
			if conn.Write(ctx, websocket.MessageText, m) != nil {
				return
			}
		}
		for { // until the client's close frame, which Read answers
			if _, _, err := conn.Read(ctx); err != nil {
				return
			}
		}
	}))
	b.Cleanup(srv.Close)
	return srv
}

// BenchmarkRealtimeEndToEnd measures updates per second through a local
// websocket: Subscribe (handshake through the client's stack, decode,
// stale filter, yield) beside a hand-written coder/websocket loop that
// dials and decodes each message with encoding/json, into the same
// avaya.MetricResult ("same-type") or into a plain wire struct ("plain").
// Each reads 2,000 updates per connection and closes it with a close
// frame; the ratio runs interleave SDK and baseline in the same run
// (sdk/baseline is time per connection: below 1 is faster).
func BenchmarkRealtimeEndToEnd(b *testing.B) {
	const perConn = 2000
	srv := wsUpdates(b, perConn)
	c, err := avaya.NewClient(srv.URL, contactkit.StaticToken("bench-key"))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	opts := avaya.SubscribeOptions{NoSnapshot: true}
	sdk := func() error {
		n := 0
		for _, err := range c.Subscribe(ctx, []string{"K0FLAEB6"}, opts) {
			if err != nil {
				return err
			}
			if n++; n == perConn {
				break
			}
		}
		return nil
	}
	wsURL := "ws" + strings.TrimPrefix(srv.URL, "http") + "/rest/api/v1/realtime-metric-subscription?id=K0FLAEB6&auth_token=bench-key"
	// handWritten dials and decodes every message with decode.
	handWritten := func(decode func([]byte) error) func() error {
		return func() error {
			conn, _, err := websocket.Dial(ctx, wsURL, nil) //nolint:bodyclose // the body is the connection
			if err != nil {
				return err
			}
			defer conn.CloseNow()
			conn.SetReadLimit(1 << 20)
			for range perConn {
				_, data, err := conn.Read(ctx)
				if err != nil {
					return err
				}
				if err := decode(data); err != nil {
					return err
				}
			}
			return conn.Close(websocket.StatusNormalClosure, "")
		}
	}
	// sameType decodes into the SDK's avaya.MetricResult with json.Unmarshal;
	// plain into a wire struct without any conversion (the stricter one).
	sameType := handWritten(func(data []byte) error {
		var r avaya.MetricResult
		return json.Unmarshal(data, &r)
	})
	plain := handWritten(func(data []byte) error {
		var r plainResult
		return json.Unmarshal(data, &r)
	})
	perSecond := func(b *testing.B, call func() error) {
		benchutil.Loop(b, call)
		b.ReportMetric(float64(b.N*perConn)/b.Elapsed().Seconds(), "updates/s")
	}
	b.Run("baseline-same-type", func(b *testing.B) { perSecond(b, sameType) })
	b.Run("baseline-plain", func(b *testing.B) { perSecond(b, plain) })
	b.Run("sdk", func(b *testing.B) { perSecond(b, sdk) })
	b.Run("ratio-same-type", func(b *testing.B) { benchutil.Ratio(b, sdk, sameType) })
	b.Run("ratio-plain", func(b *testing.B) { benchutil.Ratio(b, sdk, plain) })
}
