package avaya_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/contactkit/contactkit/avaya"
	"github.com/contactkit/contactkit/avaya/avayatest"
)

// BenchmarkArchiveAudioRateLimit archives 100 recordings against the
// fake's LimitAudio with the client paced at the same interval (20 ms and
// 100 ms here, 3 s in the cloud) and reports the run's time over the
// limit's floor, (100 − burst) intervals: actual/floor (the claim: no
// 429, no failed recording, within 5%). A paced request takes its token
// when its answer's headers arrive (see WithAudioRateLimit), so each
// interval also holds one time-to-headers (µs-to-headers/req), and the
// sleep's overshoot: baseline/floor is a hand-written net/http loop
// paced the same way, in the same run, and sdk/baseline the ratio.
//
// With -short (a smoke run, as CI's -benchtime 1x pass) only a 5 ms
// interval runs (about a second); its ratio is dominated by the loopback
// round trip and the timers' overshoot, not a figure to quote.
//
//	go test -run '^$' -bench ArchiveAudioRateLimit -benchtime 2x ./avaya/
func BenchmarkArchiveAudioRateLimit(b *testing.B) {
	intervals := []time.Duration{20 * time.Millisecond, 100 * time.Millisecond}
	if testing.Short() {
		intervals = []time.Duration{5 * time.Millisecond}
	}
	for _, every := range intervals {
		b.Run("every="+every.String(), func(b *testing.B) { benchPaced(b, 100, every) })
	}
}

func benchPaced(b *testing.B, n int, every time.Duration) {
	var log audioLog
	srv, c := pacedFake(b, every, &log)
	base := time.Date(2024, 5, 6, 9, 0, 0, 0, time.UTC)
	for i := range n {
		srv.AddRecording("", base.Add(time.Duration(i)*time.Second), 16<<10, avaya.StatusSaved)
	}
	floor := time.Duration(n-1) * every
	sdk := func() error {
		res, err := c.ArchiveTo(context.Background(), base, base.Add(time.Hour), newMemDest(), avaya.ArchiveOptions{Concurrency: 4})
		if err == nil && (res.Downloaded != n || res.Failed != 0) {
			err = fmt.Errorf("%+v", res)
		}
		return err
	}
	baseline := func() error { return handPaced(srv, base, every) }
	var tSDK, tBase time.Duration
	var worst float64
	runs := 0
	timed := func(call func() error, total *time.Duration) time.Duration {
		time.Sleep(every) // the run's first request is not a burst
		start := time.Now()
		if err := call(); err != nil {
			b.Fatal(err)
		}
		d := time.Since(start)
		*total += d
		return d
	}
	for b.Loop() {
		if runs%2 == 0 {
			timed(baseline, &tBase)
		}
		worst = max(worst, float64(timed(sdk, &tSDK))/float64(floor))
		if runs%2 == 1 {
			timed(baseline, &tBase)
		}
		runs++
	}
	if r := log.count(http.StatusTooManyRequests); r != 0 {
		b.Fatalf("%d answers were 429", r)
	}
	b.ReportMetric(float64(tSDK)/float64(runs)/float64(floor), "actual/floor")
	b.ReportMetric(worst, "worst-actual/floor")
	b.ReportMetric(float64(tBase)/float64(runs)/float64(floor), "baseline/floor")
	b.ReportMetric(float64(tSDK)/float64(tBase), "sdk/baseline")
	b.ReportMetric(float64(log.wait.Microseconds())/float64(len(log.sent)), "µs-to-headers/req")
}

// handPaced is the hand-written baseline: net/http and encoding/json,
// one recording after the other, each request sent an interval after the
// previous answer came (what keeps a strict server's 429s away), bodies
// hashed.
func handPaced(srv *avayatest.Server, from time.Time, every time.Duration) error {
	get := func(u string) (*http.Response, error) {
		req, err := http.NewRequest(http.MethodGet, srv.URL()+u, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+srv.Token)
		resp, err := srv.Client().Do(req)
		if err == nil && resp.StatusCode != http.StatusOK {
			resp.Body.Close()
			err = fmt.Errorf("%s: %s", u, resp.Status)
		}
		return resp, err
	}
	resp, err := get(fmt.Sprintf("/api/v1/recordings?startTime=%d&endTime=%d", from.UnixMilli(), from.Add(time.Hour).UnixMilli()))
	if err != nil {
		return err
	}
	var recs []struct {
		Key string `json:"recordingKey"`
	}
	err = json.NewDecoder(resp.Body).Decode(&recs)
	resp.Body.Close()
	if err != nil {
		return err
	}
	var last time.Time
	for _, r := range recs {
		time.Sleep(time.Until(last.Add(every)))
		resp, err := get("/rest/api/v1/recordings/" + r.Key + "/audio?format=spx")
		last = time.Now()
		if err != nil {
			return err
		}
		h := sha256.New()
		_, err = io.Copy(h, resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
	}
	return nil
}
