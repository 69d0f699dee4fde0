package acd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"testing"
	"testing/iotest"

	"github.com/contactkit/contactkit"
)

// streamRecords runs the envelope scanner over body, reading it one byte
// at a time when oneByte is set, and returns the raw records.
func streamRecords(body []byte, max int64, oneByte bool) ([]json.RawMessage, error) {
	var r io.Reader = bytes.NewReader(body)
	if oneByte {
		r = iotest.OneByteReader(r)
	}
	st := &eventStream{s: newScanner(r), max: max}
	var out []json.RawMessage
	err := st.each(context.Background(), func(raw []byte, _ int) (bool, error) {
		out = append(out, append(json.RawMessage(nil), raw...))
		return true, nil
	})
	return out, err
}

// FuzzEventStream: the streaming scanner never panics, and on any body
// that encoding/json reads as an EventList it finds the same records,
// whatever the read sizes; with a limit below a record's size it says
// ErrTooLarge.
func FuzzEventStream(f *testing.F) {
	for _, s := range []string{
		`{"filter":"","limitStart":0,"limitPageSize":-1,"records":[{"ID":1},{"ID":2,"Subject":"a\"]}"}],"count":2}`,
		`{"records":null}`, `{}`, `{"extra":{"a":[1,"}]",{"b":null}]},"Records":[{"ID":3}]}`,
		`{"records":[]} `, `null`, ` nul`, `{"records":[null]}`, `{"x":"\\","records":[{"ID":4,"EventData":"<a \"x\"/>"}]}`, `[]`, `{"records":[{"ID":1}`,
		`{"records":[{"ID":1,"Tags":[[[[]]]]}]}`, `{"n":-1.5e+3,"t":true,"records":[{"ID":5}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := streamRecords(body, 1<<20, false)
		bytewise, err2 := streamRecords(body, 1<<20, true)
		if (err == nil) != (err2 == nil) || len(got) != len(bytewise) {
			t.Fatalf("read sizes change the result: %v / %v, %d / %d records", err, err2, len(got), len(bytewise))
		}
		for i := range got {
			if !bytes.Equal(got[i], bytewise[i]) {
				t.Fatalf("record %d differs by read size", i)
			}
		}
		var want struct {
			Records []json.RawMessage `json:"records"`
		}
		if json.Unmarshal(body, &want) != nil {
			return
		}
		if err != nil {
			t.Fatalf("encoding/json reads %q, the stream fails: %v", body, err)
		}
		if dup := bytes.Count(bytes.ToLower(body), []byte(`"records"`)); dup > 1 {
			return // encoding/json keeps the last of repeated keys, the stream yields each
		}
		if len(got) != len(want.Records) {
			t.Fatalf("%q: stream found %d records, encoding/json %d", body, len(got), len(want.Records))
		}
		for i := range got {
			if !bytes.Equal(bytes.TrimSpace(got[i]), bytes.TrimSpace(want.Records[i])) {
				t.Fatalf("record %d: stream %q, encoding/json %q", i, got[i], want.Records[i])
			}
		}
		for _, r := range want.Records {
			if int64(len(bytes.TrimSpace(r))) > 4 {
				if _, err := streamRecords(body, 4, false); !errors.Is(err, errTooLarge) && !errors.Is(err, contactkit.ErrTooLarge) {
					t.Fatalf("%q with a 4-byte limit: %v", body, err)
				}
				break
			}
		}
	})
}
