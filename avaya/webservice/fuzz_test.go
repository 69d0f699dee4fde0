package webservice_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/contactkit/contactkit/avaya/webservice"
)

func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"1568735345298", "1568735345", "1568735345.298", "2019-09-09T00:00:00.000-06:00",
		"2019-09-09 00:00", "9/9/2019 1:05 PM", "Mon, 09 Sep 2019 06:00:00 +0000", "", "99999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := webservice.ParseTime(s, time.UTC)
		if err != nil || got.Year() < 0 || got.Year() > 9999 {
			return
		}
		again, err := webservice.ParseTime(got.Format(time.RFC3339Nano), time.UTC)
		if err != nil || !again.Equal(got) {
			t.Fatalf("%q read as %v, which does not read back (%v, %v)", s, got, again, err)
		}
	})
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"48974", "3:31:13", "00:48.974", "48.974s", "1m30s", "-5", "48.974", "0:5:03", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := webservice.ParseDuration(s)
		if err == nil && d < 0 {
			t.Fatalf("%q read as negative %v", s, d)
		}
	})
}

// Whatever arrives, the receiver answers with one of its documented codes
// and never panics.
func FuzzReceiver(f *testing.F) {
	f.Add("GET", "callKey=x&startTime=1", "", "")
	f.Add("POST", "a=%zz", "application/x-www-form-urlencoded", "callKey=%G1")
	f.Add("POST", "", "application/json", `{"a":[1,{"b":2}],"c":null}`)
	f.Add("POST", "", "multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nb\r\n--x--\r\n")
	f.Add("PUT", "", "text/plain", "hello")
	rc, err := webservice.New("X-Avaya-Secret", "s", func(context.Context, *webservice.Request) error { return nil },
		webservice.WithLogger(quiet), webservice.WithMaxBody(4096), webservice.WithQueue(1<<16))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = rc.Shutdown(context.Background()) })
	allowed := map[int]bool{200: true, 400: true, 405: true, 413: true, 414: true, 415: true, 503: true}
	f.Fuzz(func(t *testing.T, method, query, ct, body string) {
		if method != "GET" && method != "POST" && method != "PUT" {
			method = "POST"
		}
		req := httptest.NewRequest(method, "/", strings.NewReader(body))
		req.URL.RawQuery = query
		req.RequestURI = "/?" + query
		req.Header.Set("X-Avaya-Secret", "s")
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		w := httptest.NewRecorder()
		rc.ServeHTTP(w, req)
		if !allowed[w.Code] {
			t.Fatalf("answered %d: %s", w.Code, w.Body)
		}
		if w.Code != http.StatusOK && !strings.Contains(w.Body.String(), `"error"`) {
			t.Fatalf("a refusal without a reason: %s", w.Body)
		}
	})
}
