package chatexport_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/chatexport"
	"github.com/contactkit/contactkit/internal/testtool"
)

// An export cancelled at each point of its two phases ends promptly with
// the context's error and leaves no goroutine behind (goleak in TestMain).
func TestExportCancelledAtEachPhase(t *testing.T) {
	phases := []string{"before start", "token headers", "token body", "report headers", "report body"}
	for _, phase := range phases {
		t.Run(phase, func(t *testing.T) {
			ctx, cancelCtx := context.WithCancel(context.Background())
			defer cancelCtx()
			var cancelledAt atomic.Int64
			cancel := func() {
				cancelledAt.CompareAndSwap(0, time.Now().UnixNano())
				cancelCtx()
			}
			stall := func(w http.ResponseWriter, r *http.Request, body bool) {
				_, _ = io.Copy(io.Discard, r.Body) // so the server notices the client leave
				if body {
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(http.StatusOK)
					_, _ = w.Write([]byte(`{"access_token":`))
					w.(http.Flusher).Flush()
				}
				cancel()
				select {
				case <-r.Context().Done():
				case <-time.After(5 * time.Second):
				}
			}
			mux := http.NewServeMux()
			mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
				switch phase {
				case "token headers", "token body":
					stall(w, r, phase == "token body")
					return
				}
				_, _ = w.Write([]byte(`{"access_token":"abcdefgh"}`))
			})
			mux.HandleFunc("/report", func(w http.ResponseWriter, r *http.Request) {
				if phase == "report body" {
					w.WriteHeader(http.StatusOK)
					_, _ = w.Write([]byte("stored, "))
					w.(http.Flusher).Flush()
					select {
					case <-r.Context().Done():
					case <-time.After(5 * time.Second):
					}
					return
				}
				stall(w, r, false)
			})
			// Cancel once the report's headers are in: a deterministic
			// "cancelled while reading the report's answer".
			afterHeaders := func(next http.RoundTripper) http.RoundTripper {
				return roundTripFunc(func(r *http.Request) (*http.Response, error) {
					resp, err := next.RoundTrip(r)
					if phase == "report body" && contactkit.OperationName(r.Context()) == "POST report post" {
						time.AfterFunc(50*time.Millisecond, cancel) // while the answer's body stalls
					}
					return resp, err
				})
			}
			base := newHTTPServer(t, mux)
			e := newExporter(t, chatexport.Config{
				TokenPost:  &chatexport.Post{URL: base + "/token"},
				ReportPost: chatexport.Post{URL: base + "/report", Headers: "Authorization: Bearer $tokenResponse.body.JSON.access_token"},
			}, chatexport.WithTransportWrapper(afterHeaders))
			if phase == "before start" {
				cancel()
			}
			res, err := e.Export(ctx, session())
			returned := time.Now()
			if phase == "report body" && err == nil {
				// The report was answered 200 before the cancellation;
				// its body is only a summary, cut short.
				assert.Equal(t, 200, res.ReportStatus)
				assert.Equal(t, "stored, ", string(res.ReportBody))
			} else {
				require.Error(t, err)
				assert.ErrorIs(t, err, context.Canceled)
				var pe *chatexport.PhaseError
				assert.ErrorAs(t, err, &pe)
			}
			if at := cancelledAt.Load(); at != 0 {
				assert.Less(t, returned.Sub(time.Unix(0, at)), time.Second, "returns promptly once cancelled")
			}
		})
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestSilentServerTimesOut(t *testing.T) {
	for _, phase := range []string{"token", "report"} {
		t.Run(phase, func(t *testing.T) {
			base := testtool.SilentServer(t)
			cfg := chatexport.Config{ReportPost: chatexport.Post{URL: base + "/report"}}
			if phase == "token" {
				cfg.TokenPost = &chatexport.Post{URL: base + "/token"}
			}
			var attempts atomic.Int64
			count := func(next http.RoundTripper) http.RoundTripper {
				return roundTripFunc(func(r *http.Request) (*http.Response, error) {
					attempts.Add(1)
					return next.RoundTrip(r)
				})
			}
			e := newExporter(t, cfg, chatexport.WithResponseTimeout(100*time.Millisecond), chatexport.WithTransportWrapper(count),
				chatexport.WithRetry(contactkit.RetryPolicy{MaxAttempts: 3, MinWait: time.Millisecond, MaxWait: 5 * time.Millisecond}))
			_, err := e.Export(context.Background(), session()) // no deadline of the caller's
			require.Error(t, err)
			assert.ErrorIs(t, err, contactkit.ErrTimeout)
			var pe *chatexport.PhaseError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, phase, pe.Phase)
			assert.EqualValues(t, 1, attempts.Load(), "one attempt: a post that may have arrived is not resent")
		})
	}
}

func TestZeroOptionRefused(t *testing.T) {
	_, err := chatexport.NewExporter(chatexport.Config{ReportPost: chatexport.Post{URL: "http://x/"}}, chatexport.Option{})
	var ve *contactkit.ValidationError
	require.ErrorAs(t, err, &ve)
	_, err = chatexport.NewExporter(chatexport.Config{ReportPost: chatexport.Post{URL: "http://x/"}}, chatexport.WithResponseTimeout(0))
	require.Error(t, err)
	assert.False(t, errors.Is(err, chatexport.ErrExportDisabled))
}
