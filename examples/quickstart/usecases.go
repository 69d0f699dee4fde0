package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/time/rate"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/avaya"
	"github.com/contactkit/contactkit/avaya/avayatest"
	"github.com/contactkit/contactkit/avaya/wallboard"
	"github.com/contactkit/contactkit/avaya/webservice"
	"github.com/contactkit/contactkit/webchat"
	"github.com/contactkit/contactkit/webchat/bridge"
	"github.com/contactkit/contactkit/webchat/webchattest"
)

// The documents' own use cases, end to end: recordings into another
// system, a CRM told of every finished call, and a custom chat widget.

// tourArchive archives a day of recordings into a directory, paced as the
// cloud edition's audio limit demands (scaled down here), and reads the
// manifest another system imports from. avaya/s3archive is the same into
// a bucket: go run ./examples/avaya-archive -to s3://bucket/prefix.
func tourArchive(ctx context.Context, out io.Writer) error {
	srv := avayatest.NewServer()
	defer srv.Close()
	srv.LimitAudio(20 * time.Millisecond) // the cloud's is one per 3 s: avaya.CloudAudioLimit()
	c, err := avaya.NewClient(srv.URL(), contactkit.StaticToken(srv.Token),
		avaya.WithAudioRateLimit(rate.NewLimiter(rate.Every(20*time.Millisecond), 1)))
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "contactkit-quickstart-recordings-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(dir) }()
	day := time.Date(2019, 9, 17, 0, 0, 0, 0, time.UTC)
	res, err := c.ArchiveTo(ctx, day, day.Add(24*time.Hour), avaya.Dir(dir), avaya.ArchiveOptions{Format: avaya.WAV})
	if err != nil {
		return err
	}
	f, err := os.Open(filepath.Join(dir, avaya.DefaultManifest))
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }()
	entries, err := avaya.ReadManifest(f)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "   %s; manifest: %d entries, first %s sha256 %s…\n", res.Line(), len(entries), entries[0].Key, entries[0].SHA256[:12])
	return nil
}

// tourWebService receives Avaya's Web Service Integration request for a
// finished call (section 7.0) and makes the external listen link a CRM
// record would carry: go run ./examples/avaya-webservice.
func tourWebService(ctx context.Context, out io.Writer) error {
	fake := avayatest.NewServer()
	defer fake.Close()
	c, err := avaya.NewClient(fake.URL(), contactkit.StaticToken(fake.Token))
	if err != nil {
		return err
	}
	secret := rand.Text()
	links := make(chan string, 1)
	rc, err := webservice.New("X-Avaya-Secret", secret, func(ctx context.Context, r *webservice.Request) error {
		key, err := r.CallKey()
		if err != nil {
			return err
		}
		link, err := c.CallListenLink(ctx, key)
		if err != nil {
			return err
		}
		links <- fmt.Sprintf("call %s, agent %s: listen at %s", key.UUID(), r.Agent(), link.Path)
		return nil
	}, webservice.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		return err
	}
	srv := httptest.NewServer(rc)            // in production: webservice.NewServer(addr, rc, logger)
	profile := &avayatest.WebServiceProfile{ // what Avaya's admin configures
		TargetURL: srv.URL + "/avaya/call-finished", Method: http.MethodPost,
		Params: avayatest.DefaultWebServiceParams(), Headers: http.Header{"X-Avaya-Secret": {secret}},
	}
	call, ok := fake.FinishedCall(avayatest.DocumentedCall)
	if !ok {
		srv.Close()
		return fmt.Errorf("the fake holds no call %s", avayatest.DocumentedCall)
	}
	res, err := profile.Send(ctx, call)
	srv.Close()
	if err != nil {
		return err
	}
	if err := rc.Shutdown(ctx); err != nil { // finish the queued work
		return err
	}
	fmt.Fprintf(out, "   Avaya answered %d at once; then %s\n", res.Status, <-links)
	return nil
}

// tourWidget mounts the custom web chat bridge and asks it what a page's
// widget asks first. The whole widget in a browser: go run
// ./examples/webchat-widget, then open http://127.0.0.1:8080/.
func tourWidget(ctx context.Context, out io.Writer) error {
	fake := webchattest.NewServer()
	defer fake.Close()
	client, err := webchat.NewClient(fake.URL())
	if err != nil {
		return err
	}
	h, err := bridge.New(bridge.Config{
		Client: client, InstallationID: fake.InstallationID, APIKey: fake.APIKey,
		CookieKeys: [][]byte{[]byte(rand.Text() + rand.Text())}, QueueStatus: fake.QueueStatus(),
	})
	if err != nil {
		return err
	}
	defer h.Close()
	mux := http.NewServeMux()
	mux.Handle("/chat/", http.StripPrefix("/chat", h))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	get := func(path string) ([]byte, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+path, nil)
		if err != nil {
			return nil, err
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			return nil, err
		}
		defer func() { _ = resp.Body.Close() }()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("GET %s: %s", path, resp.Status)
		}
		return io.ReadAll(resp.Body)
	}
	script, err := get("/chat/ximachat.js")
	if err != nil {
		return err
	}
	raw, err := get("/chat/queue-status")
	if err != nil {
		return err
	}
	var states webchat.QueueStates
	if err := json.Unmarshal(raw, &states); err != nil {
		return fmt.Errorf("queue status: %w", err)
	}
	fmt.Fprintf(out, "   widget script %d bytes (window._ximachat.api); queue status for %d skills; the API key stays on the server\n", len(script), len(states))
	fmt.Fprintln(out, "   in a browser: go run ./examples/webchat-widget")
	return nil
}

// tourWallboard serves one realtime subscription to browsers and reads
// the snapshot a polling web-site widget would. Both pages in a browser:
// go run ./examples/wallboard.
func tourWallboard(ctx context.Context, out io.Writer) error {
	fake := avayatest.NewServer()
	defer fake.Close()
	fake.InitDelay(0)
	c, err := avaya.NewClient(fake.URL(), contactkit.StaticToken(fake.Token))
	if err != nil {
		return err
	}
	h, err := wallboard.New(c, wallboard.Config{
		Title: "Support line",
		Metrics: []wallboard.Metric{
			{ID: avayatest.MetricCallsInQueue, Amber: 5, Red: 10, Widget: "{value} calls in queue"},
			{ID: avayatest.MetricLongestWait, Label: "Current Wait", Amber: 60, Red: 180, Widget: "Current wait {value}"},
		},
	})
	if err != nil {
		return err
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = h.Run(runCtx) // ends with runCtx's error when the tour moves on
	}()
	defer func() {
		cancel()
		<-done
	}()
	srv := httptest.NewServer(h)
	defer srv.Close()
	var snap struct {
		State  string
		Values []avaya.MetricResult
	}
	deadline := time.Now().Add(10 * time.Second)
	for snap.State != wallboard.StateConnected || len(snap.Values) < 2 {
		if time.Now().After(deadline) {
			return fmt.Errorf("wallboard not connected after 10 s (state %q)", snap.State)
		}
		time.Sleep(20 * time.Millisecond)
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/snapshot.json", nil)
		if err != nil {
			return err
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			return err
		}
		err = json.NewDecoder(resp.Body).Decode(&snap)
		_ = resp.Body.Close()
		if err != nil {
			return err
		}
	}
	fmt.Fprintf(out, "   one subscription, %s: %d values for any number of browsers (SSE at /events, JSON at /snapshot.json)\n", snap.State, len(snap.Values))
	fmt.Fprintln(out, "   in a browser: go run ./examples/wallboard")
	return nil
}
