package acd_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/contactkit/contactkit/acd"
	"github.com/contactkit/contactkit/acd/acdtest"
	"github.com/contactkit/contactkit/internal/benchutil"
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
	b.Run("baseline", func(b *testing.B) { benchutil.Loop(b, base) })
	b.Run("sdk", func(b *testing.B) { benchutil.Loop(b, sdk) })
	b.Run("ratio", func(b *testing.B) { benchutil.Ratio(b, sdk, base) })
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
		benchutil.Peak(b, func(sample func()) {
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
		})
	})
	b.Run("baseline-readall", func(b *testing.B) {
		benchutil.Peak(b, func(sample func()) {
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
		})
	})
}
