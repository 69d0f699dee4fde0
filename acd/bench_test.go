package acd_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/contactkit/contactkit/acd"
	"github.com/contactkit/contactkit/acd/acdtest"
)

// getServer answers GET /acd/events/event/{id} with the documented create
// response, as jtel would.
func getServer(b *testing.B) *httptest.Server {
	b.Helper()
	body, err := os.ReadFile("testdata/create_response.json")
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	b.Cleanup(srv.Close)
	return srv
}

// baselineGet is what a developer would write by hand with net/http and
// encoding/json, decoding into the same struct.
func baselineGet(ctx context.Context, hc *http.Client, url, token string) (*acd.AcdEvent, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %d", resp.StatusCode)
	}
	var out struct {
		Records []acd.AcdEvent `json:"records"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	return &out.Records[0], nil
}

func BenchmarkGetEvent(b *testing.B) {
	srv := getServer(b)
	ctx := context.Background()
	c, err := acd.NewClient(srv.URL+"/rest/v1.0/1001", acd.WithToken("t"), acd.WithHTTPClient(srv.Client()))
	if err != nil {
		b.Fatal(err)
	}
	sdk := func() error { _, err := c.GetEvent(ctx, 2039); return err }
	base := func() error {
		_, err := baselineGet(ctx, srv.Client(), srv.URL+"/rest/v1.0/1001/acd/events/event/2039", "t")
		return err
	}
	b.Run("baseline", func(b *testing.B) { loop(b, base) })
	b.Run("sdk", func(b *testing.B) { loop(b, sdk) })
	b.Run("ratio", func(b *testing.B) { ratio(b, sdk, base) })
}

func loop(b *testing.B, call func() error) {
	b.ReportAllocs()
	for b.Loop() {
		if err := call(); err != nil {
			b.Fatal(err)
		}
	}
}

// ratio alternates the SDK and the baseline in blocks, so that both see the
// same machine state, and reports sdk ns/op ÷ baseline ns/op.
func ratio(b *testing.B, sdk, base func() error) {
	var tSDK, tBase time.Duration
	n := 0
	for b.Loop() {
		start := time.Now()
		if err := base(); err != nil {
			b.Fatal(err)
		}
		mid := time.Now()
		if err := sdk(); err != nil {
			b.Fatal(err)
		}
		tBase += mid.Sub(start)
		tSDK += time.Since(mid)
		n++
	}
	b.ReportMetric(float64(tSDK.Nanoseconds())/float64(n), "sdk-ns/op")
	b.ReportMetric(float64(tBase.Nanoseconds())/float64(n), "baseline-ns/op")
	b.ReportMetric(float64(tSDK)/float64(tBase), "sdk/baseline")
}

// heapPeak runs fn and reports the largest heap growth seen by sample,
// which fn calls now and then.
func heapPeak(fn func(sample func())) uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	start, peak := ms.HeapAlloc, ms.HeapAlloc
	fn(func() {
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapAlloc)
	})
	if peak < start {
		return 0
	}
	return peak - start
}

// BenchmarkList100k lists 100,000 events: streamed by AllEvents, and, as a
// baseline, read whole and unmarshalled the way a hand-written client
// would. It reports the peak heap growth of each.
func BenchmarkList100k(b *testing.B) {
	const events = 100_000
	srv := acdtest.NewServer(acdtest.WithoutSampleEvents())
	defer srv.Close()
	srv.GenerateEvents(events)
	ctx := context.Background()
	c, err := acd.NewClient(srv.URL(), acd.WithToken(srv.Token))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("sdk-stream", func(b *testing.B) {
		var peak uint64
		for b.Loop() {
			peak = max(peak, heapPeak(func(sample func()) {
				n := 0
				for _, err := range c.AllEvents(ctx) {
					if err != nil {
						b.Fatal(err)
					}
					if n++; n%5000 == 0 {
						sample()
					}
				}
				if n != events {
					b.Fatalf("got %d events", n)
				}
			}))
		}
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	})
	b.Run("baseline-readall", func(b *testing.B) {
		var peak uint64
		for b.Loop() {
			peak = max(peak, heapPeak(func(sample func()) {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL()+"/acd/events", nil)
				req.Header.Set("Authorization", "Bearer "+srv.Token)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil {
					b.Fatal(err)
				}
				var list acd.EventList
				if err := json.Unmarshal(body, &list); err != nil {
					b.Fatal(err)
				}
				sample()
				if len(list.Records) != events {
					b.Fatalf("got %d events", len(list.Records))
				}
			}))
		}
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	})
}
