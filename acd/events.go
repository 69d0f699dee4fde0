package acd

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/contactkit/contactkit/internal/phone"
	"github.com/contactkit/contactkit/internal/transport"
)

// EventList is the whole answer of GET /acd/events. jtel has no paging or
// filtering here: every event comes in one body (LimitStart 0,
// LimitPageSize -1); the other fields are reserved for future use.
type EventList struct {
	Filter        string     `json:"filter"`
	LimitStart    int        `json:"limitStart"`
	LimitPageSize int        `json:"limitPageSize"`
	Records       []AcdEvent `json:"records"`
	Count         int        `json:"count"`
	OrderBy       string     `json:"orderBy"`
	Ascending     bool       `json:"ascending"`
	Status        int        `json:"status"`
}

// eventRecords is the answer of the get and create calls: one event.
type eventRecords struct {
	Records []AcdEvent `json:"records"`
	Count   int        `json:"count"`
	Status  int        `json:"status"`
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
// Breaking out of the loop closes the response; an error is yielded once,
// last.
//
// API: GET {baseURL}/acd/events
func (c *Client) AllEvents(ctx context.Context) iter.Seq2[AcdEvent, error] {
	return func(yield func(AcdEvent, error) bool) {
		req := &transport.Request{Method: http.MethodGet, Path: "/acd/events", Idempotent: true, Endpoint: endpointList}
		resp, err := c.t.Send(ctx, req)
		if err != nil {
			yield(AcdEvent{}, err)
			return
		}
		defer transport.CloseBody(resp.Body)
		dec := json.NewDecoder(resp.Body)
		fail := func(err error) { yield(AcdEvent{}, c.t.NewDecodeError(endpointList, resp, nil, err)) }
		if err := expectDelim(dec, '{'); err != nil {
			fail(err)
			return
		}
		for dec.More() {
			key, err := dec.Token()
			if err != nil {
				fail(err)
				return
			}
			if key != "records" {
				var skip json.RawMessage
				if err := dec.Decode(&skip); err != nil {
					fail(err)
					return
				}
				continue
			}
			if err := expectDelim(dec, '['); err != nil {
				fail(err)
				return
			}
			for dec.More() {
				if err := ctx.Err(); err != nil {
					yield(AcdEvent{}, err)
					return
				}
				var ev AcdEvent
				if err := dec.Decode(&ev); err != nil {
					fail(err)
					return
				}
				ev.inLocation(c.t.Location())
				if !yield(ev, nil) {
					return
				}
			}
			if err := expectDelim(dec, ']'); err != nil {
				fail(err)
				return
			}
		}
		if err := expectDelim(dec, '}'); err != nil {
			fail(err)
		}
	}
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("want %q, got %v", want, tok)
	}
	return nil
}

// GetEvent returns one event by its AcdEventsID. An unknown id is an
// *APIError matching ErrNotFound, carrying jtel's reason.
//
// API: GET {baseURL}/acd/events/event/{AcdEventsID}
func (c *Client) GetEvent(ctx context.Context, id int64) (*AcdEvent, error) {
	if id <= 0 {
		return nil, &ValidationError{Field: "AcdEventsID", Reason: "must be a positive id"}
	}
	req := &transport.Request{
		Method:     http.MethodGet,
		Path:       transport.Path("acd", "events", "event", strconv.FormatInt(id, 10)),
		Idempotent: true,
		Endpoint:   endpointGet,
	}
	return c.oneEvent(ctx, req)
}

func (c *Client) oneEvent(ctx context.Context, req *transport.Request) (*AcdEvent, error) {
	var out eventRecords
	if err := c.t.Do(ctx, req, &out); err != nil {
		return nil, err
	}
	if len(out.Records) != 1 {
		return nil, &DecodeError{Endpoint: req.Endpoint, Err: fmt.Errorf("want one record, got %d", len(out.Records))}
	}
	ev := out.Records[0]
	ev.inLocation(c.t.Location())
	return &ev, nil
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
// the event useless, as a *ValidationError.
func (e *NewEvent) Validate() error {
	switch {
	case e.Type <= 0:
		return &ValidationError{Field: "AcdEventTypesID", Reason: "is required"}
	case e.GroupID <= 0:
		return &ValidationError{Field: "AcdGroupsID", Reason: "is required and must be positive"}
	case e.UserID != nil && *e.UserID <= 0:
		return &ValidationError{Field: "UsersID", Reason: "must be positive when set (nil means the group queue)"}
	case strings.TrimSpace(e.Sender) == "":
		return &ValidationError{Field: "Sender", Reason: "is required"}
	case strings.TrimSpace(e.Subject) == "":
		return &ValidationError{Field: "Subject", Reason: "is required"}
	case e.Body != "" && e.Type != Callback:
		return &ValidationError{Field: "Body", Reason: "is supported for Callback events only, not " + e.Type.String()}
	}
	if e.Type.telephone() {
		if err := ValidateE164(e.Sender); err != nil {
			return &ValidationError{Field: "Sender", Reason: err.Error()}
		}
		if e.Receiver != "" {
			if err := ValidateE164(e.Receiver); err != nil {
				return &ValidationError{Field: "Receiver", Reason: err.Error()}
			}
		}
	}
	if e.CrmURL != "" {
		u, err := url.Parse(e.CrmURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return &ValidationError{Field: "CrmURL", Reason: "must be an absolute http or https URL"}
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
func (c *Client) CreateEvent(ctx context.Context, e *NewEvent) (*AcdEvent, error) {
	if e == nil {
		return nil, &ValidationError{Field: "event", Reason: "is nil"}
	}
	if err := e.Validate(); err != nil {
		return nil, err
	}
	req := &transport.Request{Method: http.MethodPost, Path: "/acd/events/create", JSON: e, Endpoint: endpointCreate}
	return c.oneEvent(ctx, req)
}
