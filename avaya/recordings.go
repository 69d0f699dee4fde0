package avaya

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/internal/transport"
)

// AudioFormat is the file type of recording audio.
type AudioFormat string

// The supported formats; Call Reporting sends spx when none is asked for.
const (
	SPX AudioFormat = "spx"
	WAV AudioFormat = "wav"
)

func (f AudioFormat) validate() error {
	if f != "" && f != SPX && f != WAV {
		return &contactkit.ValidationError{Field: "format", Reason: "must be avaya.SPX or avaya.WAV, not " + strconv.Quote(string(f))}
	}
	return nil
}

// Stream is a streamed download: audio, or a report in a format other
// than JSON. Read Body and close it; nothing is buffered, so a file of any
// size takes little memory.
type Stream struct {
	Body        io.ReadCloser
	ContentType string
	// Length is the size in bytes, or -1 when the server did not say.
	Length int64
}

// RecordingStatus is a recording's status (glossary: Recording Status).
// Values the document does not list are kept.
type RecordingStatus string

// The documented recording statuses.
const (
	StatusPending            RecordingStatus = "PENDING"              // should have a recording; usually still processing
	StatusSaved              RecordingStatus = "SAVED"                // saved to an event on a call
	StatusDeletedUser        RecordingStatus = "DELETED_USER"         // deleted by a user
	StatusDeletedSpace       RecordingStatus = "DELETED_SPACE"        // deleted by the Recording Library for space
	StatusDeletedTime        RecordingStatus = "DELETED_TIME"         // deleted by the retention policy
	StatusDeletedUnknown     RecordingStatus = "DELETED_UNKNOWN"      // removed from the filesystem by hand
	StatusPendingDeleteSpace RecordingStatus = "PENDING_DELETE_SPACE" // to be deleted for space
	StatusPendingDeleteTime  RecordingStatus = "PENDING_DELETE_TIME"  // to be deleted by the retention policy
)

func (s RecordingStatus) String() string { return string(s) }

// HasAudio reports whether audio can be fetched: the recording is saved or
// only flagged for a later deletion.
func (s RecordingStatus) HasAudio() bool {
	return s == StatusSaved || s == StatusPendingDeleteSpace || s == StatusPendingDeleteTime
}

// Recording is a basic recording record.
type Recording struct {
	Key               Key
	StartTime         time.Time
	Duration          time.Duration
	PoolID            string
	Size              int64 // bytes of the stored (SPX) file; a WAV download is larger
	EventID           int64
	RecordingSystemID int64
	Status            RecordingStatus
}

type recordingWire struct {
	RecordingKey      Key             `json:"recordingKey"`
	StartTime         int64           `json:"startTime"` // epoch ms
	Duration          int64           `json:"duration"`  // ms
	PoolID            string          `json:"poolId"`
	Size              int64           `json:"size"`
	EventID           int64           `json:"eventId"`
	RecordingSystemID int64           `json:"recordingSystemId"`
	Status            RecordingStatus `json:"status"`
}

// UnmarshalJSON reads epoch milliseconds into time.Time and time.Duration.
func (r *Recording) UnmarshalJSON(b []byte) error {
	var w recordingWire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*r = Recording{
		Key: w.RecordingKey, StartTime: time.UnixMilli(w.StartTime).UTC(), Duration: time.Duration(w.Duration) * time.Millisecond,
		PoolID: w.PoolID, Size: w.Size, EventID: w.EventID, RecordingSystemID: w.RecordingSystemID, Status: w.Status,
	}
	return nil
}

// MarshalJSON writes the wire form back.
func (r Recording) MarshalJSON() ([]byte, error) {
	return json.Marshal(recordingWire{
		RecordingKey: r.Key, StartTime: r.StartTime.UnixMilli(), Duration: r.Duration.Milliseconds(),
		PoolID: r.PoolID, Size: r.Size, EventID: r.EventID, RecordingSystemID: r.RecordingSystemID, Status: r.Status,
	})
}

const (
	endpointAudio        = "GET /rest/api/v1/recordings/{recording-key}/audio"
	endpointCallAudio    = "GET /api/v1/recordings/{call-key}/audio"
	endpointRecListen    = "POST /rest/api/v1/recordings/{recording-key}/external-listen-link"
	endpointCallListen   = "POST /rest/api/v1/calls/{call-key}/external-listen-link"
	endpointCallRecs     = "GET /rest/api/v1/calls/{call-key}/recordings"
	endpointTimeFrameRec = "GET /api/v1/recordings"
)

func audioQuery(format AudioFormat) *transport.Query {
	var q transport.Query
	if format != "" {
		q.Add("format", string(format))
	}
	return &q
}

// RecordingAudio streams the audio of one recording in format (SPX, WAV,
// or "" for the server's default, spx). It is paced by
// WithAudioRateLimit when the client has one.
//
// API: GET /rest/api/v1/recordings/{recording-key}/audio?format={format}
func (c *Client) RecordingAudio(ctx context.Context, key Key, format AudioFormat) (*Stream, error) {
	if err := key.Validate(); err != nil {
		return nil, err
	}
	if err := format.validate(); err != nil {
		return nil, err
	}
	resp, err := c.sendAudio(ctx, &transport.Request{ //nolint:bodyclose // the caller closes the Stream
		Method: http.MethodGet, Path: transport.Path("rest", "api", "v1", "recordings", string(key), "audio"),
		Query: audioQuery(format), Idempotent: true, Endpoint: endpointAudio, Header: http.Header{"Accept": {"*/*"}},
	})
	if err != nil {
		return nil, err
	}
	return &Stream{Body: resp.Body, ContentType: resp.Header.Get("Content-Type"), Length: resp.ContentLength}, nil
}

// CallAudio streams the audio of every recording of a call. The document
// here prints GET /api/v1/recordings/{call-key}/audio, other versions of
// the vendor's guide GET /rest/api/v1/calls/{call-key}/audio: the client
// tries the printed form and, on a 404 that names no reason (an empty
// body, or a web framework's generic {"status":404,"error":"Not Found",
// "path":...}: the endpoint does not exist), the other; it then remembers
// which one the server has. A 404 with a message of the server's own
// ("An invalid call key was provided.") is returned as is.
//
// API: GET /api/v1/recordings/{call-key}/audio?format={format}
func (c *Client) CallAudio(ctx context.Context, key Key, format AudioFormat) (*Stream, error) {
	if err := key.Validate(); err != nil {
		return nil, err
	}
	if err := format.validate(); err != nil {
		return nil, err
	}
	documented := &transport.Request{
		Method: http.MethodGet, Path: transport.Path("api", "v1", "recordings", string(key), "audio"),
		Query: audioQuery(format), Idempotent: true, Endpoint: endpointCallAudio, Header: http.Header{"Accept": {"*/*"}},
	}
	other := *documented
	other.Path = transport.Path("rest", "api", "v1", "calls", string(key), "audio")
	other.Endpoint = "GET /rest/api/v1/calls/{call-key}/audio"
	resp, err := c.sendEitherForm(ctx, c.sendAudio, &c.callAudioForm, documented, &other) //nolint:bodyclose // the caller closes the Stream
	if err != nil {
		return nil, err
	}
	return &Stream{Body: resp.Body, ContentType: resp.Header.Get("Content-Type"), Length: resp.ContentLength}, nil
}

// sendEitherForm sends the documented request, or the other form when the
// server answered a bare 404 for it (or answered the other form before).
func (c *Client) sendEitherForm(ctx context.Context, send func(context.Context, *transport.Request) (*http.Response, error), form *atomic.Int32, documented, other *transport.Request) (*http.Response, error) {
	first, second, firstForm := documented, other, int32(1)
	if form.Load() == 2 {
		first, second, firstForm = other, documented, 2
	}
	resp, err := send(ctx, first)
	if err == nil {
		form.Store(firstForm)
		return resp, nil
	}
	if !bare404(err) {
		return nil, err
	}
	resp, err2 := send(ctx, second)
	if err2 != nil {
		if bare404(err2) {
			return nil, err // neither form exists: report the documented one
		}
		return nil, err2
	}
	form.Store(3 - firstForm)
	return resp, nil
}

// bare404 reports a 404 that says "no such endpoint" rather than "no such
// key": one whose body carries no message of its own. That is an empty
// body, or a web framework's generic error such as Spring Boot's
// {"timestamp":...,"status":404,"error":"Not Found","path":"/api/v1/..."},
// whose only message is the status text itself (or Spring's "No message
// available"). A 404 carrying any other message ("An invalid call key was
// provided.", "Recording not found") is the server's answer about the key
// and is returned as is.
func bare404(err error) bool {
	var apiErr *contactkit.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusNotFound {
		return false
	}
	for _, d := range apiErr.Details {
		if !genericMessage(d.Message) {
			return false
		}
	}
	return true // Message is made of the Details: empty, or all generic
}

// genericMessage reports a message that only restates a 404.
func genericMessage(m string) bool {
	m = strings.TrimSpace(m)
	return m == "" || strings.EqualFold(m, http.StatusText(http.StatusNotFound)) || strings.EqualFold(m, "No message available")
}

type listenLinkBody struct {
	ListenLink string `json:"listenLink"`
}

func (c *Client) listenLink(ctx context.Context, req *transport.Request) (*url.URL, error) {
	var out listenLinkBody
	if err := c.t.Do(ctx, req, &out); err != nil {
		return nil, err
	}
	u, err := url.Parse(out.ListenLink)
	if err != nil || !u.IsAbs() {
		return nil, &contactkit.DecodeError{Endpoint: req.Endpoint, Err: errors.New("listenLink is not an absolute URL")}
	}
	return u, nil
}

// RecordingListenLink creates an external listen link for a recording,
// valid forever. It needs the server's Externally Accessible Address set.
// It is not retried once sent.
//
// API: POST /rest/api/v1/recordings/{recording-key}/external-listen-link
func (c *Client) RecordingListenLink(ctx context.Context, key Key) (*url.URL, error) {
	if err := key.Validate(); err != nil {
		return nil, err
	}
	return c.listenLink(ctx, &transport.Request{
		Method: http.MethodPost, Path: transport.Path("rest", "api", "v1", "recordings", string(key), "external-listen-link"),
		Endpoint: endpointRecListen,
	})
}

// CallListenLink creates an external listen link for a whole call.
//
// API: POST /rest/api/v1/calls/{call-key}/external-listen-link
func (c *Client) CallListenLink(ctx context.Context, key Key) (*url.URL, error) {
	if err := key.Validate(); err != nil {
		return nil, err
	}
	return c.listenLink(ctx, &transport.Request{
		Method: http.MethodPost, Path: transport.Path("rest", "api", "v1", "calls", string(key), "external-listen-link"),
		Endpoint: endpointCallListen,
	})
}

// CallRecordings lists the recordings of a call.
//
// API: GET /rest/api/v1/calls/{call-key}/recordings
func (c *Client) CallRecordings(ctx context.Context, key Key) ([]Recording, error) {
	if err := key.Validate(); err != nil {
		return nil, err
	}
	var out []Recording
	err := c.t.Do(ctx, &transport.Request{
		Method: http.MethodGet, Path: transport.Path("rest", "api", "v1", "calls", string(key), "recordings"),
		Idempotent: true, Endpoint: endpointCallRecs,
	}, &out)
	return out, err
}

// Recordings lists the recordings that started in [start, end] that the
// service user may see (possibly none). The vendor prints this endpoint as
// GET /api/v1/recordings; servers that only know /rest/api/v1/recordings
// are reached by the same fallback as CallAudio.
//
// API: GET /api/v1/recordings?startTime={ms}&endTime={ms}
func (c *Client) Recordings(ctx context.Context, start, end time.Time) ([]Recording, error) {
	switch {
	case start.IsZero() || end.IsZero():
		return nil, &contactkit.ValidationError{Field: "startTime", Reason: "start and end are required"}
	case end.Before(start):
		return nil, &contactkit.ValidationError{Field: "endTime", Reason: "must not be before startTime"}
	}
	var q transport.Query
	q.AddInt("startTime", start.UnixMilli())
	q.AddInt("endTime", end.UnixMilli())
	documented := &transport.Request{Method: http.MethodGet, Path: "/api/v1/recordings", Query: &q, Idempotent: true, Endpoint: endpointTimeFrameRec}
	other := *documented
	other.Path, other.Endpoint = "/rest/api/v1/recordings", "GET /rest/api/v1/recordings"
	resp, err := c.sendEitherForm(ctx, c.t.Send, &c.listingForm, documented, &other) //nolint:bodyclose // closed by CloseBody below
	if err != nil {
		return nil, err
	}
	defer transport.CloseBody(resp.Body)
	var out []Recording
	if err := c.t.DecodeJSON(endpointTimeFrameRec, resp, &out); err != nil {
		return nil, err
	}
	return out, nil
}
