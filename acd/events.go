package acd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/internal/phone"
	"github.com/contactkit/contactkit/internal/transport"
)

// EventList is the whole answer of GET /acd/events. jtel has no paging or
// filtering here: every event comes in one body (LimitStart 0,
// LimitPageSize -1); the other fields are reserved for future use.
type EventList struct {
	Filter        string  `json:"filter"`
	LimitStart    int     `json:"limitStart"`
	LimitPageSize int     `json:"limitPageSize"`
	Records       []Event `json:"records"`
	Count         int     `json:"count"`
	OrderBy       string  `json:"orderBy"`
	Ascending     bool    `json:"ascending"`
	Status        int     `json:"status"`
}

// eventRecords is the answer of the get and create calls: one event.
type eventRecords struct {
	Records []Event `json:"records"`
	Count   int     `json:"count"`
	Status  int     `json:"status"`
}

const (
	endpointList   = "GET /acd/events"
	endpointGet    = "GET /acd/events/event/{AcdEventsID}"
	endpointCreate = "POST /acd/events/create"
)

// ListEvents returns every event of the account with the response
// envelope, held in memory. For large accounts use AllEvents, which
// streams.
//
// API: GET {baseURL}/acd/events
func (c *Client) ListEvents(ctx context.Context) (*EventList, error) {
	var list EventList
	req := &transport.Request{Method: http.MethodGet, Path: "/acd/events", Idempotent: true, Endpoint: endpointList}
	if err := c.t.Do(ctx, req, &list); err != nil {
		return nil, err
	}
	for i := range list.Records {
		list.Records[i].inLocation(c.t.Location())
	}
	return &list, nil
}

// AllEvents yields every event of the account, decoding them one by one as
// the body arrives, so that listing 100,000 events holds one at a time.
// Each record, and each envelope field it skips (filter, orderBy and any
// a newer jtel adds), is capped at WithMaxResponseBytes: a bigger one
// ends the iteration with an error matching contactkit.ErrTooLarge,
// without being held. "records": null is an empty list, as in
// ListEvents. A body that stalls for the response timeout ends with
// contactkit.ErrTimeout; a cancelled or expired ctx with its error
// (errors.Is(err, context.DeadlineExceeded)). Breaking out of the loop
// closes the response; an error is yielded once, last.
//
// API: GET {baseURL}/acd/events
func (c *Client) AllEvents(ctx context.Context) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		req := &transport.Request{Method: http.MethodGet, Path: "/acd/events", Idempotent: true, Endpoint: endpointList}
		resp, err := c.t.Send(ctx, req)
		if err != nil {
			yield(Event{}, err)
			return
		}
		defer transport.CloseBody(resp.Body)
		fail := func(err error) {
			if ctxErr := ctx.Err(); ctxErr != nil {
				// Cancelled or past its deadline: the caller's reason, not
				// a bad body (the read error only says the body stopped).
				yield(Event{}, fmt.Errorf("contactkit: %s: %w", endpointList, ctxErr))
				return
			}
			yield(Event{}, c.t.NewDecodeError(endpointList, resp, nil, err))
		}
		st := &eventStream{s: newScanner(resp.Body), max: c.t.MaxResponseBytes()}
		err = st.each(ctx, func(raw []byte, i int) (bool, error) {
			var ev Event
			if err := json.Unmarshal(raw, &ev); err != nil {
				return false, fmt.Errorf("record %d: %w", i, err)
			}
			ev.inLocation(c.t.Location())
			return yield(ev, nil), nil
		})
		if err != nil {
			fail(err)
		}
	}
}

// eventStream walks the envelope of GET /acd/events.
type eventStream struct {
	s   *scanner
	max int64
	raw []byte // the current record, reused
}

// each calls fn with the raw JSON of every record; fn returns false to
// stop.
func (st *eventStream) each(ctx context.Context, fn func(raw []byte, i int) (bool, error)) error {
	s := st.s
	if c, err := s.peek(); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("empty body: %w", err)
		}
		return err
	} else if c == '<' {
		return fmt.Errorf("%w: the body starts with '<'", contactkit.ErrNotJSON)
	} else if c == 'n' { // null: no envelope, no events, as ListEvents reads it
		if lit, err := s.value(nil, true, 16); err != nil || string(lit) != "null" {
			return fmt.Errorf("invalid literal at offset 0: want an object")
		}
		return nil
	}
	if _, err := s.expect("{"); err != nil {
		return err
	}
	if c, err := s.peek(); err != nil {
		return err
	} else if c == '}' {
		s.off++
		return nil
	}
	for {
		key, err := st.key()
		if err != nil {
			return err
		}
		if _, err := s.expect(":"); err != nil {
			return err
		}
		if strings.EqualFold(key, "records") { // encoding/json matches names so
			more, err := st.records(ctx, fn)
			if err != nil || !more {
				return err
			}
		} else if _, err := s.value(nil, false, st.max); err != nil {
			return st.tooLarge(err, "field %q", key)
		}
		if c, err := s.expect(",}"); err != nil {
			return err
		} else if c == '}' {
			return nil
		}
	}
}

func (st *eventStream) key() (string, error) {
	if c, err := st.s.peek(); err != nil {
		return "", err
	} else if c != '"' {
		return "", fmt.Errorf("invalid character %q at offset %d looking for a field name", c, st.s.read)
	}
	raw, err := st.s.value(st.raw[:0], true, st.max)
	st.raw = raw
	if err != nil {
		return "", st.tooLarge(err, "a field name")
	}
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw[1 : len(raw)-1]), nil
	}
	var k string
	return k, json.Unmarshal(raw, &k)
}

// records reads the records array (or null); more is false when fn
// stopped.
func (st *eventStream) records(ctx context.Context, fn func(raw []byte, i int) (bool, error)) (more bool, err error) {
	s := st.s
	c, err := s.peek()
	if err != nil {
		return false, err
	}
	if c != '[' {
		lit, err := s.value(st.raw[:0], true, 16)
		if err != nil || string(lit) != "null" {
			return false, fmt.Errorf("records: want an array or null at offset %d", s.read)
		}
		return true, nil
	}
	s.off++
	s.read++
	if c, err := s.peek(); err != nil {
		return false, err
	} else if c == ']' {
		s.off++
		s.read++
		return true, nil
	}
	for i := 0; ; i++ {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		st.raw, err = s.value(st.raw[:0], true, st.max)
		if err != nil {
			return false, st.tooLarge(err, "record %d", i)
		}
		if ok, err := fn(st.raw, i); err != nil || !ok {
			return false, err
		}
		if c, err := s.expect(",]"); err != nil {
			return false, err
		} else if c == ']' {
			return true, nil
		}
	}
}

// tooLarge names what was too large and makes it match
// contactkit.ErrTooLarge.
func (st *eventStream) tooLarge(err error, what string, args ...any) error {
	if errors.Is(err, errTooLarge) {
		return fmt.Errorf("%w: %s is over %d bytes", contactkit.ErrTooLarge, fmt.Sprintf(what, args...), st.max)
	}
	return err
}

// GetEvent returns one event by its AcdEventsID. An unknown id is an
// *contactkit.APIError matching contactkit.ErrNotFound, carrying jtel's reason.
//
// API: GET {baseURL}/acd/events/event/{AcdEventsID}
func (c *Client) GetEvent(ctx context.Context, id int64) (*Event, error) {
	if id <= 0 {
		return nil, &contactkit.ValidationError{Field: "AcdEventsID", Reason: "must be a positive id"}
	}
	req := &transport.Request{
		Method:     http.MethodGet,
		Path:       "/acd/events/event/" + strconv.FormatInt(id, 10), // digits: nothing to escape
		Idempotent: true,
		Endpoint:   endpointGet,
	}
	return c.oneEvent(ctx, req)
}

func (c *Client) oneEvent(ctx context.Context, req *transport.Request) (*Event, error) {
	var out eventRecords
	if err := c.t.Do(ctx, req, &out); err != nil {
		return nil, err
	}
	if len(out.Records) != 1 {
		return nil, &contactkit.DecodeError{Endpoint: req.Endpoint, Err: fmt.Errorf("want one record, got %d", len(out.Records))}
	}
	ev := &out.Records[0]
	ev.inLocation(c.t.Location())
	return ev, nil
}

// NewEvent is the body of POST /acd/events/create.
type NewEvent struct {
	// Type is required (AcdEventTypesID).
	Type EventType `json:"AcdEventTypesID"`
	// GroupID is the AcdGroup that receives the event; required.
	GroupID int64 `json:"AcdGroupsID"`
	// UserID sends the event to one user; nil means the group queue.
	UserID *int64 `json:"UsersID"`
	// Sender is required: an E.164 number (digits, no '+') for VoiceMail
	// and Callback, otherwise context specific (an email address, say).
	Sender string `json:"Sender"`
	// Receiver is optional; for VoiceMail and Callback an E.164 service
	// number configured in jtel.
	Receiver string `json:"Receiver,omitempty"`
	// Subject is required, any text.
	Subject string `json:"Subject"`
	// Body is added to the event body; Callback only.
	Body string `json:"Body,omitempty"`
	// CrmURL is an absolute http(s) URL linked to the event.
	CrmURL string `json:"CrmURL,omitempty"`
	// UserData is free data; for Ticket events the foreign ticket number.
	UserData string `json:"UserData,omitempty"`
}

// Validate reports the first problem that jtel would reject or that makes
// the event useless, as a *contactkit.ValidationError.
func (e *NewEvent) Validate() error {
	switch {
	case e.Type <= 0:
		return &contactkit.ValidationError{Field: "AcdEventTypesID", Reason: "is required"}
	case e.GroupID <= 0:
		return &contactkit.ValidationError{Field: "AcdGroupsID", Reason: "is required and must be positive"}
	case e.UserID != nil && *e.UserID <= 0:
		return &contactkit.ValidationError{Field: "UsersID", Reason: "must be positive when set (nil means the group queue)"}
	case strings.TrimSpace(e.Sender) == "":
		return &contactkit.ValidationError{Field: "Sender", Reason: "is required"}
	case strings.TrimSpace(e.Subject) == "":
		return &contactkit.ValidationError{Field: "Subject", Reason: "is required"}
	case e.Body != "" && e.Type != Callback:
		return &contactkit.ValidationError{Field: "Body", Reason: "is supported for Callback events only, not " + e.Type.String()}
	}
	if e.Type.telephone() {
		if err := ValidateE164(e.Sender); err != nil {
			return &contactkit.ValidationError{Field: "Sender", Reason: err.Error()}
		}
		if e.Receiver != "" {
			if err := ValidateE164(e.Receiver); err != nil {
				return &contactkit.ValidationError{Field: "Receiver", Reason: err.Error()}
			}
		}
	}
	if e.CrmURL != "" {
		u, err := url.Parse(e.CrmURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return &contactkit.ValidationError{Field: "CrmURL", Reason: "must be an absolute http or https URL"}
		}
	}
	return nil
}

// ValidateE164 checks a telephone number in the E.164 digit form jtel
// uses: country code first, 7 to 15 digits, no '+', spaces or leading
// zero, as in 49199123456789.
func ValidateE164(number string) error { return phone.ValidateE164(number) }

// CreateEvent creates an event and returns it as jtel stored it, with its
// new ID. The request is validated first. It is never sent twice once it
// may have reached the server: a duplicate callback is worse than an
// error, so on a lost answer check with ListEvents before trying again.
//
// API: POST {baseURL}/acd/events/create
func (c *Client) CreateEvent(ctx context.Context, e *NewEvent) (*Event, error) {
	if e == nil {
		return nil, &contactkit.ValidationError{Field: "event", Reason: "is nil"}
	}
	if err := e.Validate(); err != nil {
		return nil, err
	}
	req := &transport.Request{Method: http.MethodPost, Path: "/acd/events/create", JSON: e, Endpoint: endpointCreate}
	return c.oneEvent(ctx, req)
}
