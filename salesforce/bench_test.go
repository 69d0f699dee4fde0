package salesforce_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/contactkit/contactkit/internal/benchutil"
	"github.com/contactkit/contactkit/salesforce"
)

// baselineHandler is what a developer would write by hand: POST check,
// decode into the same record type, call the function, write the status.
func baselineHandler(fn salesforce.RecordFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		var rec salesforce.Record
		if err := json.NewDecoder(r.Body).Decode(&rec); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		if err := fn(r.Context(), &rec); err != nil {
			w.WriteHeader(http.StatusLocked)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}

// BenchmarkHandler serves one documented record through the SDK's handler
// and through the hand-written one (no network: the handlers alone).
func BenchmarkHandler(b *testing.B) {
	body, err := os.ReadFile("testdata/record_all_fields.json")
	if err != nil {
		b.Fatal(err)
	}
	fn := func(context.Context, *salesforce.Record) error { return nil }
	sdkHandler, err := salesforce.NewHandler(fn)
	if err != nil {
		b.Fatal(err)
	}
	base := baselineHandler(fn)
	call := func(h http.Handler) func() error {
		return func() error {
			req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(string(body)))
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Fatalf("status %d", rec.Code)
			}
			return nil
		}
	}
	b.Run("baseline", func(b *testing.B) { benchutil.Loop(b, call(base)) })
	b.Run("sdk", func(b *testing.B) { benchutil.Loop(b, call(sdkHandler)) })
	b.Run("ratio", func(b *testing.B) { benchutil.Ratio(b, call(sdkHandler), call(base)) })
}
