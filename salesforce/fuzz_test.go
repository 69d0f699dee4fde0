package salesforce

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/contactkit/contactkit"
)

// FuzzDecodeRecord: the decoder never panics, and an accepted record
// encodes to JSON that decodes to the same record.
func FuzzDecodeRecord(f *testing.F) {
	for _, s := range []string{
		`{"SalesForceID":"0035g","jtelStatisticsPartAID":1,"bOutbound":0,"dtCallStart":"2024-05-06T09:30:00","dtCallAlert":"","nDuration":-1,"CONNRES":5,"Cause":17}`,
		`{"jtelStatisticsPartAID":"77","bOutbound":"1","nDuration":"-1"}`,
		`{"bOutbound":true}`, `{}`, `{"Cause":null}`,
		`{"nDuration":12.0,"dtCallEnd":"2024-05-06T09:30:00+02:00","New":[1,{"x":"y"}]}`,
		"{\"AgentUID\":\"M\xfcller\"}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var r Record
		if json.Unmarshal(b, &r) != nil {
			return
		}
		out, err := json.Marshal(r)
		if err != nil {
			t.Fatalf("encoding a decoded record: %v", err)
		}
		var back Record
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("re-decoding %s: %v", out, err)
		}
		again, _ := json.Marshal(back)
		if string(again) != string(out) {
			t.Fatalf("round trip changed the record:\n%s\n%s", out, again)
		}
	})
}

// documentedStatus lists every status NewHandler documents: jtel's four
// and the handler's own refusals (405, 401, 413, 415).
var documentedStatus = map[int]bool{200: true, 404: true, 409: true, 423: true, 405: true, 401: true, 413: true, 415: true}

// FuzzHandler sends the handler random methods, headers and bodies: it
// never panics, always answers a documented status with jtel's JSON body,
// and answers 200 only for a record its function wrote.
func FuzzHandler(f *testing.F) {
	good := `{"SalesForceID":"0035g","jtelStatisticsPartAID":1,"bOutbound":0,"dtCallStart":"2024-05-06T09:30:00","nDuration":180,"CONNRES":1,"Cause":16}`
	for _, s := range []struct {
		method  byte
		headers string
		body    string
	}{
		{0, "Authorization: Bearer fuzz-token\nContent-Type: application/json", good},
		{0, "Authorization: Bearer fuzz-token", `{"AgentUID":"conflict","nDuration":12.0}`},
		{0, "Authorization: Bearer fuzz-token\nContent-Type: text/plain", `{"AgentUID":"notfound","dtCallStart":"2024-05-06T09:30:00Z"}`},
		{0, "Authorization: Bearer fuzz-token", `{"AgentUID":"panic"}`},
		{0, "Authorization: Bearer fuzz-token\nContent-Encoding: gzip", good},
		{0, "Authorization: Bearer fuzz-token", `{"bOutbound":2}`},
		{0, "", good},
		{1, "Authorization: Bearer fuzz-token", ""},
		{0, "Authorization: Bearer fuzz-token\nContent-Length: 3", "\xef\xbb\xbf{}"},
	} {
		f.Add(s.method, s.headers, []byte(s.body))
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	f.Fuzz(func(t *testing.T, method byte, headers string, body []byte) {
		var wrote bool
		h, err := NewHandler(func(_ context.Context, r *Record) error {
			switch r.AgentUID {
			case "conflict":
				return contactkit.ErrConflict
			case "notfound":
				return contactkit.ErrNotFound
			case "panic":
				panic("fuzz")
			case "fail":
				return errors.New("store down")
			}
			wrote = true
			return nil
		}, RequireBearer("fuzz-token"), HandlerLogger(quiet), HandlerMaxBody(4<<10))
		if err != nil {
			t.Fatal(err)
		}
		methods := []string{http.MethodPost, http.MethodGet, http.MethodPut, http.MethodDelete, "PROPFIND"}
		req := httptest.NewRequest(methods[int(method)%len(methods)], "/writeCallStatistics", strings.NewReader(string(body)))
		for line := range strings.SplitSeq(headers, "\n") {
			k, v, ok := strings.Cut(line, ":")
			if ok && k != "" {
				req.Header.Add(strings.TrimSpace(k), strings.TrimSpace(v))
			}
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if !documentedStatus[rec.Code] {
			t.Fatalf("undocumented status %d for %q %q", rec.Code, headers, body)
		}
		if (rec.Code == http.StatusOK) != wrote {
			t.Fatalf("status %d, function wrote: %v", rec.Code, wrote)
		}
		var answer struct {
			Status int `json:"status"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &answer); err != nil || answer.Status != rec.Code {
			t.Fatalf("answer %d with body %q", rec.Code, rec.Body.String())
		}
	})
}

// FuzzParseTime: any text either fails cleanly or parses to a Time that
// writes back exactly the text it came from (jtel's timestamps are
// forwarded unchanged), zoned or not.
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"2024-05-06T09:30:00", "2024-05-06T09:30:00Z", "2024-05-06T09:30:00+02:00",
		"2024-05-06 09:30:00", "2024-05-06T09:30:00.123-0530", "2024-05-06T09:30:00+02", "", "2024-13-40T25:61:61", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tm, err := ParseTime(s, time.UTC)
		if err != nil {
			return
		}
		if got := tm.String(); got != s {
			t.Fatalf("ParseTime(%q) writes back %q", s, got)
		}
	})
}
