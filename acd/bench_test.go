package acd_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/contactkit/contactkit"
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
func baselineGet(ctx context.Context, hc *http.Client, url, token string) (*acd.Event, error) {
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
		Records []acd.Event `json:"records"`
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
	c, err := acd.NewClient(srv.URL+"/rest/v1.0/1001", contactkit.StaticToken("t"), acd.WithHTTPClient(srv.Client()))
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
// would. The two run in turn, alternating which goes first, and the peak
// heap growth of each is reported.
func BenchmarkList100k(b *testing.B) {
	const events = 100_000
	srv := acdtest.NewServer(acdtest.WithoutSampleEvents())
	defer srv.Close()
	srv.GenerateEvents(events)
	ctx := context.Background()
	c, err := acd.NewClient(srv.URL(), contactkit.StaticToken(srv.Token), acd.WithHTTPClient(srv.Client()))
	if err != nil {
		b.Fatal(err)
	}
	sdk := func(sample func()) error {
		n := 0
		for _, err := range c.AllEvents(ctx) {
			if err != nil {
				return err
			}
			if n++; n%5000 == 0 {
				sample()
			}
		}
		if n != events {
			return fmt.Errorf("got %d events", n)
		}
		return nil
	}
	baseline := func(sample func()) error {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL()+"/acd/events", nil)
		req.Header.Set("Authorization", "Bearer "+srv.Token)
		resp, err := srv.Client().Do(req)
		if err != nil {
			return err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		var list acd.EventList
		if err := json.Unmarshal(body, &list); err != nil {
			return err
		}
		sample()
		if len(list.Records) != events {
			return fmt.Errorf("got %d events", len(list.Records))
		}
		return nil
	}
	b.ReportAllocs()
	benchutil.PeakRatio(b, sdk, baseline)
}

// memoryTransport answers every request with the same body, without a
// network, so that BenchmarkGetEventNoNetwork shows the client-side cost
// of the SDK's path alone.
type memoryTransport struct{ body []byte }

func (m memoryTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{
		StatusCode: http.StatusOK, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{"Content-Type": {"application/json"}},
		Body:          io.NopCloser(bytes.NewReader(m.body)),
		ContentLength: int64(len(m.body)), Request: r,
	}, nil
}

// BenchmarkGetEventNoNetwork is BenchmarkGetEvent over an in-memory
// RoundTripper: the SDK's request path (retry loop, attempt wrapper,
// timer, decode) against the hand-written one, with loopback noise gone.
func BenchmarkGetEventNoNetwork(b *testing.B) {
	body, err := os.ReadFile("testdata/create_response.json")
	if err != nil {
		b.Fatal(err)
	}
	hc := &http.Client{Transport: memoryTransport{body: body}}
	ctx := context.Background()
	c, err := acd.NewClient("http://jtel.invalid/rest/v1.0/1001", contactkit.StaticToken("t"), acd.WithHTTPClient(hc))
	if err != nil {
		b.Fatal(err)
	}
	sdk := func() error { _, err := c.GetEvent(ctx, 2039); return err }
	base := func() error {
		_, err := baselineGet(ctx, hc, "http://jtel.invalid/rest/v1.0/1001/acd/events/event/2039", "t")
		return err
	}
	b.Run("baseline", func(b *testing.B) { benchutil.Loop(b, base) })
	b.Run("sdk", func(b *testing.B) { benchutil.Loop(b, sdk) })
	b.Run("ratio", func(b *testing.B) { benchutil.Ratio(b, sdk, base) })
}
