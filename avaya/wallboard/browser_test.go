package wallboard_test

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit/avaya"
	"github.com/contactkit/contactkit/avaya/avayatest"
	"github.com/contactkit/contactkit/avaya/wallboard"
	"github.com/contactkit/contactkit/internal/browsertest"
)

// tile is a wallboard tile as the browser shows it.
type tile struct {
	Metric, Category, Text, Meta, Level, Type, Bg string
	MS, At                                        *float64 // data-ms, data-at (server time)
}

const readTiles = `Array.from(document.querySelectorAll('#board .tile')).map(t => ({
	Metric: t.dataset.metric, Category: t.dataset.category,
	Text: t.querySelector('.tile-value').textContent, Meta: t.querySelector('.tile-meta').textContent,
	Level: t.dataset.level || '', Type: t.dataset.type || '', Bg: getComputedStyle(t).backgroundColor,
	MS: t.dataset.ms ? Number(t.dataset.ms) : null, At: t.dataset.at ? Number(t.dataset.at) : null}))`

func tiles(t *testing.T, ctx context.Context) map[avaya.MetricKey]tile {
	t.Helper()
	var list []tile
	require.NoError(t, chromedp.Run(ctx, chromedp.Evaluate(readTiles, &list)))
	out := map[avaya.MetricKey]tile{}
	for _, tl := range list {
		out[avaya.MetricKey{MetricID: tl.Metric, CategoryValue: tl.Category}] = tl
	}
	return out
}

// waitTile polls the page (every 20 ms) until the key's tile satisfies ok,
// and returns it with how long that took.
func waitTile(t *testing.T, ctx context.Context, key avaya.MetricKey, within time.Duration, ok func(tile) bool) (tile, time.Duration) {
	t.Helper()
	start := time.Now()
	var last tile
	for time.Since(start) < within {
		last = tiles(t, ctx)[key]
		if ok(last) {
			return last, time.Since(start)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("tile %s not as expected within %s; last %+v", key, within, last)
	return last, 0
}

// wantText is how the page shows a value that does not count.
func wantText(v avaya.MetricValue) string {
	switch v.Type {
	case avaya.CountValue:
		return strconv.FormatInt(v.Count, 10)
	case avaya.BooleanValue:
		if v.Null {
			return "—"
		}
		return map[bool]string{true: "Yes", false: "No"}[v.Bool]
	case avaya.StringValue:
		return v.String
	}
	return ""
}

// checkDuration compares a counting tile with the Go formula at the
// server time the page computed it for, and that time with the server's
// clock now: the page corrects its own (skewed) clock.
func checkDuration(t *testing.T, tl tile, v avaya.MetricValue) {
	t.Helper()
	require.NotNil(t, tl.MS, "%+v", tl)
	require.NotNil(t, tl.At)
	at := time.UnixMilli(int64(*tl.At))
	assert.WithinDuration(t, time.Now(), at, 1200*time.Millisecond, "the page counts on the server's clock, not its own")
	want, ok := v.DurationAt(at)
	if !ok {
		want, ok = v.AverageDurationAt(at)
	}
	require.True(t, ok)
	assert.InDelta(t, want.Milliseconds(), *tl.MS, 2, "the documented formula, as DurationAt/AverageDurationAt compute it")
	assert.InDelta(t, float64(want.Milliseconds()), float64(time.Duration(*tl.MS)*time.Millisecond/time.Millisecond), 1000, "within a second")
}

// shows reports whether a tile shows v (and not the value before it),
// give or take a second.
func shows(tl tile, v avaya.MetricValue) bool {
	if tl.MS == nil || tl.At == nil {
		return false
	}
	at := time.UnixMilli(int64(*tl.At))
	want, ok := v.DurationAt(at)
	if !ok {
		want, _ = v.AverageDurationAt(at)
	}
	return math.Abs(float64(want.Milliseconds())-*tl.MS) < 1000
}

// skewClock makes the browser's clock 17 minutes slow.
func skewClock(t *testing.T, ctx context.Context) {
	t.Helper()
	require.NoError(t, chromedp.Run(ctx, chromedp.ActionFunc(func(ctx context.Context) error {
		_, err := page.AddScriptToEvaluateOnNewDocument(`(() => { const real = Date.now.bind(Date); Date.now = () => real() - 17 * 60 * 1000; })();`).Do(ctx)
		return err
	})))
}

func TestWallboardInBrowser(t *testing.T) {
	ctx := browsertest.New(t)
	e := setup(t, wallboard.Config{Title: "Support line"})
	e.waitConnected(t)
	skewClock(t, ctx)
	step := func(d time.Duration) context.Context { return browsertest.Timeout(t, ctx, d) }
	require.NoError(t, chromedp.Run(step(15*time.Second),
		chromedp.Navigate(e.srv.URL+"/"),
		chromedp.WaitVisible(`#conn[data-state="connected"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#board .tile:nth-child(9)`, chromedp.ByQuery)))

	t.Run("every allowed metric with its value", func(t *testing.T) {
		got := tiles(t, ctx)
		require.Len(t, got, 9, "1 + 1 + 2 + 2 + 1 (John only) + 2 tiles")
		for key, tl := range got {
			v, ok := e.fake.MetricValue(key)
			require.True(t, ok, "%s is a value of the fake", key)
			switch v.Type {
			case avaya.DurationValue, avaya.AverageDurationValue:
				if v.Type == avaya.AverageDurationValue && v.Count == 0 {
					assert.Equal(t, "—", tl.Text)
					continue
				}
				checkDuration(t, tl, v)
			default:
				assert.Equal(t, wantText(v), tl.Text, "%s", key)
			}
		}
		_, state := got[avaya.MetricKey{MetricID: avayatest.MetricAgentState, CategoryValue: "John Doe(481)"}]
		assert.False(t, state, "a metric off the allow-list")
		_, ada := got[avaya.MetricKey{MetricID: avayatest.MetricAgentTalkTime, CategoryValue: "Ada Lovelace(203)"}]
		assert.False(t, ada, "a category value off the allow-list")
		var title string
		require.NoError(t, chromedp.Run(ctx, chromedp.Title(&title)))
		assert.Equal(t, "Support line", title)
	})

	calls := avaya.MetricKey{MetricID: avayatest.MetricCallsInQueue}
	t.Run("a pushed value appears within a second", func(t *testing.T) {
		for _, n := range []int64{3, 1, 4} {
			require.Equal(t, 1, e.fake.PushMetricValue(calls, avaya.MetricValue{Type: avaya.CountValue, LastUpdateTime: time.Now().Truncate(time.Millisecond), Count: n}))
			_, took := waitTile(t, ctx, calls, time.Second, func(tl tile) bool { return tl.Text == strconv.FormatInt(n, 10) })
			t.Logf("count %d shown after %s", n, took)
		}
	})

	wait := avaya.MetricKey{MetricID: avayatest.MetricLongestWait}
	t.Run("durations count up with the Go formula", func(t *testing.T) {
		now := time.Now().Truncate(time.Millisecond)
		// Newer than the value held (an older one would be dropped as stale).
		dv := avaya.MetricValue{Type: avaya.DurationValue, LastUpdateTime: now, FinishedDuration: 75_000, NumCountingUp: 2, NumCountingDown: 1}
		e.fake.PushMetricValue(wait, dv)
		first, _ := waitTile(t, ctx, wait, time.Second, func(tl tile) bool { return shows(tl, dv) })
		checkDuration(t, first, dv)
		avg := avaya.MetricKey{MetricID: avayatest.MetricAvgTalkTime, CategoryValue: "Sales"}
		av := avaya.MetricValue{Type: avaya.AverageDurationValue, LastUpdateTime: now, DurationSum: 140_000, Count: 4, NumCountingUp: 2, NumCountingDown: 1}
		e.fake.PushMetricValue(avg, av)
		a, _ := waitTile(t, ctx, avg, time.Second, func(tl tile) bool { return shows(tl, av) })
		checkDuration(t, a, av)
		// No push: the tiles count on by themselves.
		later, _ := waitTile(t, ctx, wait, 2500*time.Millisecond, func(tl tile) bool { return *tl.At >= *first.At+1000 })
		assert.Greater(t, *later.MS, *first.MS, "counting up between pushes")
		checkDuration(t, later, dv)
		d, _ := dv.DurationAt(time.UnixMilli(int64(*later.At)))
		assert.Equal(t, fmt.Sprintf("%d:%02d", int(d.Minutes()), int(d.Seconds())%60), later.Text)
		assert.Contains(t, later.Meta, "1 counting")
		checkDuration(t, tiles(t, ctx)[avg], av)
	})

	t.Run("thresholds colour the tile", func(t *testing.T) {
		levels := map[int64]string{2: "", 5: "amber", 9: "amber", 10: "red", 14: "red"}
		for _, n := range []int64{5, 10, 2, 9, 14} {
			e.fake.PushMetricValue(calls, avaya.MetricValue{Type: avaya.CountValue, LastUpdateTime: time.Now().Truncate(time.Millisecond), Count: n})
			tl, _ := waitTile(t, ctx, calls, time.Second, func(tl tile) bool { return tl.Text == strconv.FormatInt(n, 10) })
			assert.Equal(t, levels[n], tl.Level, "count %d", n)
		}
		// The page paints them: red, amber and plain backgrounds differ.
		red, _ := waitTile(t, ctx, calls, time.Second, func(tl tile) bool { return tl.Bg == "rgb(139, 20, 20)" })
		assert.Equal(t, "red", red.Level)
		// A duration goes amber by seconds (Current Wait: 60 s amber, 180 s red).
		e.fake.PushMetricValue(calls, avaya.MetricValue{Type: avaya.CountValue, LastUpdateTime: time.Now().Truncate(time.Millisecond), Count: 7})
		amber, _ := waitTile(t, ctx, wait, time.Second, func(tl tile) bool { return tl.Level != "" })
		assert.Equal(t, "amber", amber.Level)
		assert.Equal(t, "rgb(122, 74, 6)", amber.Bg)
	})

	t.Run("an unknown value type shows as text", func(t *testing.T) {
		key := avaya.MetricKey{MetricID: avayatest.MetricAgentsTalking, CategoryValue: "Support"}
		at := time.Now().Truncate(time.Millisecond)
		raw := `{"type":"PERCENT","lastUpdateTime":"` + at.Format(avaya.RealtimeTimeLayout) + `","value":42.5}`
		e.fake.PushMetricValue(key, avaya.MetricValue{Type: "PERCENT", LastUpdateTime: at, Raw: []byte(raw)})
		tl, _ := waitTile(t, ctx, key, time.Second, func(tl tile) bool { return tl.Text == "42.5" })
		assert.Equal(t, "unknown", tl.Type)
		assert.Contains(t, tl.Meta, "PERCENT")
		// The page still works: the next push shows.
		e.fake.PushMetricValue(calls, avaya.MetricValue{Type: avaya.CountValue, LastUpdateTime: time.Now().Truncate(time.Millisecond), Count: 6})
		waitTile(t, ctx, calls, time.Second, func(tl tile) bool { return tl.Text == "6" })
	})

	t.Run("screenshot", func(t *testing.T) {
		e.fake.PushMetricValue(calls, avaya.MetricValue{Type: avaya.CountValue, LastUpdateTime: time.Now().Truncate(time.Millisecond), Count: 11})
		waitTile(t, ctx, calls, time.Second, func(tl tile) bool { return tl.Level == "red" })
		waitTile(t, ctx, wait, 2*time.Second, func(tl tile) bool { return tl.Level == "amber" })
		browsertest.Screenshot(t, ctx, "wallboard")
		// A phone-sized viewport stays readable: two tiles a row.
		require.NoError(t, chromedp.Run(step(5*time.Second), chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2))))
		var cols int
		require.NoError(t, chromedp.Run(ctx, chromedp.Evaluate(`getComputedStyle(document.getElementById('board')).gridTemplateColumns.split(' ').length`, &cols)))
		assert.Equal(t, 2, cols)
		browsertest.Screenshot(t, ctx, "wallboard-phone")
		require.NoError(t, chromedp.Run(step(5*time.Second), chromedp.EmulateViewport(1280, 900)))
	})

	t.Run("upstream drop shows reconnecting, then a fresh snapshot", func(t *testing.T) {
		e.fake.RejectSubscriptions(http.StatusServiceUnavailable)
		e.fake.DropSubscribers()
		var text string
		require.NoError(t, chromedp.Run(step(5*time.Second),
			chromedp.WaitVisible(`#conn[data-state="reconnecting"]`, chromedp.ByQuery),
			chromedp.Text(`#conn-text`, &text, chromedp.ByQuery)))
		assert.Equal(t, "Reconnecting…", text)
		// What changed meanwhile arrives with the snapshot after the redial.
		e.fake.SetMetricValue(calls, avaya.MetricValue{Type: avaya.CountValue, LastUpdateTime: time.Now().Truncate(time.Millisecond), Count: 12})
		e.fake.RejectSubscriptions(0)
		require.NoError(t, chromedp.Run(step(5*time.Second), chromedp.WaitVisible(`#conn[data-state="connected"]`, chromedp.ByQuery)))
		waitTile(t, ctx, calls, 2*time.Second, func(tl tile) bool { return tl.Text == "12" && tl.Level == "red" })
	})

	t.Run("the stream breaking reconnects with a fresh snapshot", func(t *testing.T) {
		e.srv.CloseClientConnections() // the browser's stream is cut
		e.fake.PushMetricValue(calls, avaya.MetricValue{Type: avaya.CountValue, LastUpdateTime: time.Now().Truncate(time.Millisecond), Count: 8})
		waitTile(t, ctx, calls, 5*time.Second, func(tl tile) bool { return tl.Text == "8" })
		require.NoError(t, chromedp.Run(step(5*time.Second), chromedp.WaitVisible(`#conn[data-state="connected"]`, chromedp.ByQuery)))
	})

	t.Run("a browser that leaves frees its viewer at once", func(t *testing.T) {
		require.Eventually(t, func() bool { return e.h.Viewers() == 1 }, 2*time.Second, 5*time.Millisecond)
		require.NoError(t, chromedp.Run(step(5*time.Second), chromedp.Navigate("about:blank")))
		require.Eventually(t, func() bool { return e.h.Viewers() == 0 }, time.Second, 5*time.Millisecond)
	})

	e.stop()
	assertNoKey(t, e)
}

// assertNoKey searches everything the browser sent and got.
func assertNoKey(t *testing.T, e *env) {
	t.Helper()
	all := e.rec.String()
	require.Contains(t, all, "event: snapshot", "the recorder saw the streams")
	assert.NotContains(t, all, e.fake.Token, "the service user key never reaches a browser")
	assert.NotContains(t, all, "auth_token")
	assert.NotContains(t, all, "Bearer")
}

// hostPage is a page of another site that embeds the widget with one tag.
func hostPage(widgetSrc, metrics string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Acme Support</title><style>
body{font-family:"DejaVu Sans",sans-serif;margin:0;background:#f8fafc;color:#0f172a}
header{background:#1d4ed8;color:#fff;padding:1.2rem 2rem}header h1{margin:0;font-size:1.6rem}
main{max-width:46rem;margin:2rem auto;padding:0 1.5rem;line-height:1.6}
.hotline{background:#fff;border:1px solid #cbd5e1;border-radius:.6rem;padding:1.2rem 1.5rem;box-shadow:0 1px 3px #0001}
.hotline h2{margin:0 0 .3rem;font-size:1.2rem}.phone{font-size:1.5rem;font-weight:700;margin:.2rem 0 .6rem}
.contactkit-widget{display:inline-block;padding:.35rem .8rem;border-radius:999px;background:#dcfce7;color:#14532d;font-weight:600}
.contactkit-widget[data-state="reconnecting"],.contactkit-widget[data-state="stopped"]{background:#fee2e2;color:#7f1d1d}
</style></head><body><header><h1>Acme Support</h1></header><main>
<p>Questions about your order? Our team is here for you Monday to Friday, 8:00 to 18:00.</p>
<section class="hotline" aria-label="Phone support"><h2>Call us</h2><p class="phone">+1 555 0100</p>
<p>Right now: <script src="%s" data-metrics="%s" async></script></p></section>
</main></body></html>`, widgetSrc, metrics)
	})
}

func TestWidgetOnAnotherOrigin(t *testing.T) {
	ctx := browsertest.New(t)
	// The site that embeds the widget, on its own origin (another port).
	var widgetSrc atomic.Value
	host := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hostPage(widgetSrc.Load().(string), avayatest.MetricLongestWait+","+avayatest.MetricCallsInQueue+","+avayatest.MetricAgentState).ServeHTTP(w, r)
	}))
	defer host.Close()
	e := setup(t, wallboard.Config{AllowOrigins: []string{host.URL}})
	e.waitConnected(t)
	widgetSrc.Store(e.srv.URL + "/widget.js")
	now := time.Now().Truncate(time.Millisecond)
	e.fake.PushMetricValue(avaya.MetricKey{MetricID: avayatest.MetricCallsInQueue}, avaya.MetricValue{Type: avaya.CountValue, LastUpdateTime: now, Count: 3})
	e.fake.PushMetricValue(avaya.MetricKey{MetricID: avayatest.MetricLongestWait},
		avaya.MetricValue{Type: avaya.DurationValue, LastUpdateTime: now, FinishedDuration: 115_000, NumCountingUp: 1})
	step := func(d time.Duration) context.Context { return browsertest.Timeout(t, ctx, d) }

	widgetText := func() (text, state, live string) {
		var all []string // read at once: the state and the text agree
		require.NoError(t, chromedp.Run(step(5*time.Second),
			chromedp.Evaluate(`(() => { const w = document.querySelector('.contactkit-widget'); return [w.textContent, w.dataset.state, w.getAttribute('aria-live')]; })()`, &all)))
		return all[0], all[1], all[2]
	}
	require.NoError(t, chromedp.Run(step(15*time.Second),
		chromedp.Navigate(host.URL+"/"),
		chromedp.WaitVisible(`.contactkit-widget[data-state="connected"]`, chromedp.ByQuery)))
	var text, state, live string
	require.Eventually(t, func() bool {
		text, state, live = widgetText()
		return strings.Contains(text, "3 calls in queue")
	}, 3*time.Second, 50*time.Millisecond)
	assert.Equal(t, "Current wait about 2 min · 3 calls in queue", text, "the configured phrases of the allowed metrics only")
	assert.Equal(t, "polite", live)
	for _, s := range []string{"Talking", "Available", "Wrap Up", "Break", "Agent State"} {
		assert.NotContains(t, text, s, "the agent state is not on the allow-list")
	}
	browsertest.Screenshot(t, ctx, "widget")

	// The stream's request came from the other origin and was allowed by CORS.
	log := e.rec.String()
	assert.Contains(t, log, "Origin: "+host.URL)
	assert.Contains(t, log, "Access-Control-Allow-Origin: "+host.URL)
	assert.NotContains(t, log, avayatest.MetricAgentState+`","categoryValue`, "no agent state value was sent")

	t.Run("down upstream reads unavailable, then recovers", func(t *testing.T) {
		e.fake.RejectSubscriptions(http.StatusServiceUnavailable)
		e.fake.DropSubscribers()
		require.Eventually(t, func() bool { text, state, _ = widgetText(); return state == "reconnecting" }, 3*time.Second, 20*time.Millisecond)
		assert.Equal(t, "Live figures unavailable", text)
		e.fake.RejectSubscriptions(0)
		require.Eventually(t, func() bool { text, _, _ = widgetText(); return strings.Contains(text, "calls in queue") }, 5*time.Second, 20*time.Millisecond)
	})

	t.Run("an origin not allowed gets nothing", func(t *testing.T) {
		other := httptest.NewServer(hostPage(e.srv.URL+"/widget.js", avayatest.MetricCallsInQueue))
		defer other.Close()
		require.NoError(t, chromedp.Run(step(10*time.Second), chromedp.Navigate(other.URL+"/"),
			chromedp.WaitVisible(`.contactkit-widget[data-state="reconnecting"]`, chromedp.ByQuery)))
		text, _, _ = widgetText()
		assert.Equal(t, "Live figures unavailable", text)
		assert.Contains(t, e.rec.String(), "Origin: "+other.URL)
		require.NoError(t, chromedp.Run(step(5*time.Second), chromedp.Navigate("about:blank")))
	})

	require.Eventually(t, func() bool { return e.h.Viewers() == 0 }, time.Second, 5*time.Millisecond)
	e.stop()
	assertNoKey(t, e)
}
