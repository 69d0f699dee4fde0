package avaya

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/internal/transport"
	"github.com/contactkit/contactkit/internal/wirejson"
)

// CategoryType is how a realtime metric is broken down. Values the
// document does not list are kept.
type CategoryType string

// The documented category types.
const (
	CategoryAgent         CategoryType = "AGENT"
	CategoryGroup         CategoryType = "GROUP"
	CategoryCallDirection CategoryType = "CALL_DIRECTION"
	CategoryAccountCode   CategoryType = "ACCOUNT_CODE"
	CategoryNone          CategoryType = "NONE"
)

func (c CategoryType) String() string { return string(c) }

// Metric is an API-enabled realtime metric.
type Metric struct {
	ID                string       `json:"metricId"` // not a UUID
	Name              string       `json:"metricName"`
	CategoryType      CategoryType `json:"categoryType"`
	CategorySelection []string     `json:"categorySelection"`
}

// MetricKey names one value: a metric, and for metrics with a category
// selection, the category value ("John Doe(481)").
type MetricKey struct {
	MetricID      string `json:"metricId"`
	CategoryValue string `json:"categoryValue,omitempty"`
}

func (k MetricKey) String() string {
	if k.CategoryValue == "" {
		return k.MetricID
	}
	return k.MetricID + "/" + k.CategoryValue
}

// ValueType is the kind of a metric value. Values the document does not
// list are kept, with the whole value in MetricValue.Raw.
type ValueType string

// The documented value types; EmptyValue is a value without a type field.
const (
	CountValue           ValueType = "COUNT"
	BooleanValue         ValueType = "BOOLEAN"
	StringValue          ValueType = "STRING"
	DurationValue        ValueType = "DURATION"
	AverageDurationValue ValueType = "AVERAGE_DURATION"
	EmptyValue           ValueType = ""
)

// RealtimeTimeLayout is how lastUpdateTime is written:
// 2019-10-01T10:13:12.244-06:00.
const RealtimeTimeLayout = "2006-01-02T15:04:05.000Z07:00"

// MetricValue is one value of a realtime metric. Which fields mean
// something depends on Type (see each); LastUpdateTime keeps its offset
// and milliseconds.
type MetricValue struct {
	Type           ValueType
	LastUpdateTime time.Time
	// Count: COUNT and AVERAGE_DURATION.
	Count int64
	// Bool: BOOLEAN.
	Bool bool
	// String: STRING.
	String string
	// Null: a BOOLEAN or STRING value sent as null (or without a value):
	// the value is empty, Bool and String are their zero values.
	Null bool
	// FinishedDuration: DURATION, milliseconds.
	FinishedDuration int64
	// DurationSum: AVERAGE_DURATION, milliseconds.
	DurationSum int64
	// NumCountingUp and NumCountingDown: DURATION and AVERAGE_DURATION.
	NumCountingUp, NumCountingDown int64
	// Raw is the value as sent, kept for types the SDK does not know.
	Raw json.RawMessage
	// Unknown holds the fields of a known type that this SDK does not
	// declare (a newer server's additions); MarshalJSON writes them back.
	Unknown contactkit.UnknownFields
}

// metricValueWire is a value as sent, decoded by encoding/json alone (no
// custom unmarshaller inside), so that a message is scanned once.
type metricValueWire struct {
	Type             ValueType `json:"type"`
	LastUpdateTime   time.Time `json:"lastUpdateTime"`
	Count            int64     `json:"count"`
	Value            any       `json:"value"`
	FinishedDuration int64     `json:"finishedDuration"`
	DurationSum      int64     `json:"durationSum"`
	NumCountingUp    int64     `json:"numCountingUp"`
	NumCountingDown  int64     `json:"numCountingDown"`
}

// value converts; known is false for a type the SDK does not know. A
// null (or missing) BOOLEAN or STRING value is an empty value, not an
// error: one value without data must not cost a whole answer.
func (w *metricValueWire) value() (v MetricValue, known bool, err error) {
	v = MetricValue{
		Type: w.Type, LastUpdateTime: w.LastUpdateTime, Count: w.Count, FinishedDuration: w.FinishedDuration,
		DurationSum: w.DurationSum, NumCountingUp: w.NumCountingUp, NumCountingDown: w.NumCountingDown,
	}
	switch w.Type {
	case BooleanValue:
		switch b := w.Value.(type) {
		case nil:
			v.Null = true
		case bool:
			v.Bool = b
		default:
			return v, true, errors.New("BOOLEAN value must be true, false or null")
		}
	case StringValue:
		switch s := w.Value.(type) {
		case nil:
			v.Null = true
		case string:
			v.String = s
		default:
			return v, true, errors.New("STRING value must be a string or null")
		}
	case CountValue, DurationValue, AverageDurationValue, EmptyValue:
	default:
		return v, false, nil
	}
	return v, true, nil
}

// UnmarshalJSON reads every documented value type; unknown types keep
// Raw, unknown fields of known types are kept in Unknown.
func (v *MetricValue) UnmarshalJSON(b []byte) error {
	var w metricValueWire
	unknown, err := wirejson.Split(b, &w)
	if err != nil {
		return err
	}
	out, known, err := w.value()
	if err != nil {
		return err
	}
	if known {
		out.Unknown = unknown
	} else {
		out.Raw = append(json.RawMessage(nil), b...)
	}
	*v = out
	return nil
}

// metricValueOut is the encoded form: only the fields of the value's type.
type metricValueOut struct {
	Type             ValueType       `json:"type,omitempty"`
	LastUpdateTime   string          `json:"lastUpdateTime,omitempty"`
	Count            *int64          `json:"count,omitempty"`
	Value            json.RawMessage `json:"value,omitempty"`
	FinishedDuration *int64          `json:"finishedDuration,omitempty"`
	DurationSum      *int64          `json:"durationSum,omitempty"`
	NumCountingUp    *int64          `json:"numCountingUp,omitempty"`
	NumCountingDown  *int64          `json:"numCountingDown,omitempty"`
}

// MarshalJSON writes the fields of the value's type, as the server does,
// and the unknown fields it was decoded with.
func (v MetricValue) MarshalJSON() ([]byte, error) {
	if v.Raw != nil {
		return v.Raw, nil
	}
	w := metricValueOut{Type: v.Type}
	if !v.LastUpdateTime.IsZero() {
		w.LastUpdateTime = v.LastUpdateTime.Format(RealtimeTimeLayout)
	}
	switch {
	case v.Null && (v.Type == BooleanValue || v.Type == StringValue):
		w.Value = json.RawMessage("null")
	case v.Type == CountValue:
		w.Count = &v.Count
	case v.Type == BooleanValue:
		w.Value, _ = json.Marshal(v.Bool)
	case v.Type == StringValue:
		w.Value, _ = json.Marshal(v.String)
	case v.Type == DurationValue:
		w.FinishedDuration, w.NumCountingUp, w.NumCountingDown = &v.FinishedDuration, &v.NumCountingUp, &v.NumCountingDown
	case v.Type == AverageDurationValue:
		w.DurationSum, w.Count, w.NumCountingUp, w.NumCountingDown = &v.DurationSum, &v.Count, &v.NumCountingUp, &v.NumCountingDown
	}
	return wirejson.Merge(w, v.Unknown)
}

// running is (numCountingUp − numCountingDown) × (at − lastUpdateTime), to
// the nanosecond.
func (v *MetricValue) running(at time.Time) time.Duration {
	return time.Duration(v.NumCountingUp-v.NumCountingDown) * at.Sub(v.LastUpdateTime)
}

// DurationAt is a DURATION value at the given time:
// finishedDuration + (numCountingUp − numCountingDown) × (atTime − lastUpdateTime).
// ok is false for other types.
func (v *MetricValue) DurationAt(at time.Time) (d time.Duration, ok bool) {
	if v.Type != DurationValue {
		return 0, false
	}
	return time.Duration(v.FinishedDuration)*time.Millisecond + v.running(at), true
}

// AverageDurationAt is an AVERAGE_DURATION value at the given time:
// (durationSum + (numCountingUp − numCountingDown) × (atTime − lastUpdateTime)) / count,
// computed in nanoseconds, so sub-millisecond parts are kept.
// ok is false for other types and when count is 0: there is no value.
func (v *MetricValue) AverageDurationAt(at time.Time) (d time.Duration, ok bool) {
	if v.Type != AverageDurationValue || v.Count == 0 {
		return 0, false
	}
	return (time.Duration(v.DurationSum)*time.Millisecond + v.running(at)) / time.Duration(v.Count), true
}

// MetricResult is one value with its key: an entry of "results", and a
// websocket update message.
type MetricResult struct {
	Key   MetricKey   `json:"key"`
	Value MetricValue `json:"value"`
}

// DecodeMetricResult decodes one update message (or results entry) in a
// single pass, the way Subscribe reads every message; for your own
// websocket reader. Fields of the value that the SDK does not declare are
// kept in MetricValue.Unknown.
func DecodeMetricResult(data []byte) (MetricResult, error) {
	var w struct {
		Key   MetricKey       `json:"key"`
		Value metricValueWire `json:"value"`
	}
	if err := json.Unmarshal(data, &w); err != nil {
		return MetricResult{}, err
	}
	v, known, err := w.Value.value()
	if err != nil {
		return MetricResult{}, err
	}
	switch {
	case !known: // rare: keep the unknown value as sent
		v.Raw = rawValue(data)
	case valueHasExtra(data): // rare: a newer server's field
		var again metricValueWire
		v.Unknown, _ = wirejson.Split(rawValue(data), &again)
	}
	return MetricResult{Key: w.Key, Value: v}, nil
}

// rawValue is the "value" member of an update message, as sent.
func rawValue(data []byte) json.RawMessage {
	var raw struct {
		Value json.RawMessage `json:"value"`
	}
	_ = json.Unmarshal(data, &raw)
	return raw.Value
}

// valueFields are the fields metricValueWire declares.
var valueFields = [...]string{"type", "lastUpdateTime", "count", "value", "finishedDuration", "durationSum", "numCountingUp", "numCountingDown"}

// valueHasExtra reports whether the top-level "value" object of a message
// has a member that metricValueWire does not declare. It walks the bytes
// once without allocating, so the common message (nothing extra) costs a
// fraction of a decode; wirejson.Split's token scan would cost most of
// one. Anything it cannot judge cheaply (escaped keys, deep nesting)
// counts as extra, which only sends it down the exact, slower path.
func valueHasExtra(data []byte) bool {
	var objects uint64 // bit d: the container at depth d+1 is an object
	depth := 0
	expectKey := false
	inValue := false
	var topKey []byte
	for i := 0; i < len(data); i++ {
		for i < len(data) && !structural[data[i]] {
			i++ // numbers, literals, colons, spaces
		}
		if i == len(data) {
			break
		}
		switch data[i] {
		case '"':
			j := i + 1
			for { // to the closing quote: one not preceded by an odd run of backslashes
				k := bytes.IndexByte(data[j:], '"')
				if k < 0 {
					return false // malformed: json.Unmarshal has said so already
				}
				j += k
				bs := 0
				for p := j - 1; p > i && data[p] == '\\'; p-- {
					bs++
				}
				if bs%2 == 0 {
					break
				}
				j++
			}
			if expectKey && bytes.IndexByte(data[i+1:j], '\\') >= 0 {
				return true // an escaped key: leave it to the exact path
			}
			if expectKey {
				key := data[i+1 : j]
				switch {
				case depth == 1:
					topKey = key
				case depth == 2 && inValue && !knownValueField(key):
					return true
				}
				expectKey = false
			}
			i = j
		case '{', '[':
			if depth >= 63 {
				return true
			}
			if data[i] == '{' {
				objects |= 1 << depth
				expectKey = true
			} else {
				objects &^= 1 << depth
			}
			depth++
			if depth == 2 {
				inValue = data[i] == '{' && foldEqual(topKey, "value")
			}
		case '}', ']':
			depth--
			expectKey = false
		case ',':
			expectKey = depth > 0 && objects&(1<<(depth-1)) != 0
		}
	}
	return false
}

// structural marks the bytes valueHasExtra stops at.
var structural = [256]bool{'"': true, '{': true, '}': true, '[': true, ']': true, ',': true}

func knownValueField(key []byte) bool {
	switch string(key) { // the server's spelling: no allocation, no folding
	case "type", "lastUpdateTime", "count", "value", "finishedDuration", "durationSum", "numCountingUp", "numCountingDown":
		return true
	}
	for _, f := range valueFields {
		if foldEqual(key, f) {
			return true
		}
	}
	return false
}

// foldEqual is strings.EqualFold for an ASCII name, without converting b.
// A non-ASCII key never equals a declared name here, so it counts as
// extra (encoding/json's Unicode folding is left to the exact path).
func foldEqual(b []byte, name string) bool {
	if len(b) != len(name) {
		return false
	}
	for i := range b {
		x, y := b[i], name[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// MetricValues is the answer of the values endpoint: what is ready
// (Results) and what is still initializing.
type MetricValues struct {
	Results      []MetricResult `json:"results"`
	Initializing []MetricKey    `json:"initializing"`
}

// Partial reports whether some values were not ready yet.
func (v *MetricValues) Partial() bool { return len(v.Initializing) > 0 }

// Metrics lists the API-enabled realtime metrics.
//
// API: GET /rest/api/v1/realtime/metrics
func (c *Client) Metrics(ctx context.Context) ([]Metric, error) {
	var out []Metric
	err := c.t.Do(ctx, &transport.Request{
		Method: http.MethodGet, Path: "/rest/api/v1/realtime/metrics", Idempotent: true, Endpoint: "GET /rest/api/v1/realtime/metrics",
	}, &out)
	return out, err
}

const endpointValues = "GET /rest/api/v1/realtime/metrics/values"

func validMetricIDs(ids []string) error {
	if len(ids) == 0 {
		return &contactkit.ValidationError{Field: "id", Reason: "at least one metric id is required"}
	}
	for _, id := range ids {
		if strings.TrimSpace(id) == "" || strings.Contains(id, ",") {
			return &contactkit.ValidationError{Field: "id", Reason: fmt.Sprintf("%q is not a metric id", id)}
		}
	}
	return nil
}

// MetricValues returns the current values of the metrics. Values that are
// not ready start initializing and are listed in Initializing; the server
// answers that with 206, or with 400 and the same body, and both are a
// partial success here, not an error. See WaitForMetricValues.
//
// API: GET /rest/api/v1/realtime/metrics/values?id={ids...}
func (c *Client) MetricValues(ctx context.Context, ids ...string) (*MetricValues, error) {
	if err := validMetricIDs(ids); err != nil {
		return nil, err
	}
	var q transport.Query
	q.AddCSV("id", ids)
	req := &transport.Request{
		Method: http.MethodGet, Path: "/rest/api/v1/realtime/metrics/values", Query: &q,
		Idempotent: true, Endpoint: endpointValues, Accept: []int{http.StatusBadRequest},
	}
	resp, err := c.t.Send(ctx, req) //nolint:bodyclose // closed by CloseBody below
	if err != nil {
		return nil, err
	}
	defer transport.CloseBody(resp.Body)
	if resp.StatusCode == http.StatusBadRequest {
		return c.partialFrom400(req, resp)
	}
	var out MetricValues
	if err := c.t.DecodeJSON(endpointValues, resp, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// partialFrom400 accepts a 400 whose body carries results or initializing;
// any other 400 is an *contactkit.APIError.
func (c *Client) partialFrom400(req *transport.Request, resp *http.Response) (*MetricValues, error) {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, c.t.MaxResponseBytes()))
	var probe struct {
		Results      *[]MetricResult `json:"results"`
		Initializing *[]MetricKey    `json:"initializing"`
	}
	if json.Unmarshal(body, &probe) == nil && (probe.Results != nil || probe.Initializing != nil) {
		out := &MetricValues{}
		if probe.Results != nil {
			out.Results = *probe.Results
		}
		if probe.Initializing != nil {
			out.Initializing = *probe.Initializing
		}
		return out, nil
	}
	u := resp.Request.URL
	return nil, transport.NewAPIError(c.t.Redactor(), req.Method, u, resp.StatusCode, resp.Header, body)
}

// WaitForMetricValues polls MetricValues until nothing is initializing,
// and returns the complete values. The polls are spaced by the client's
// RetryPolicy (WithRetry: MinWait doubling up to MaxWait) and bounded:
// after MaxPolls polls it returns the last partial values with a
// *NotReadyError (errors.Is(err, ErrNotReady)); with the default policy
// that is about four minutes. If ctx ends first it returns the last
// partial values with ctx's error.
func (c *Client) WaitForMetricValues(ctx context.Context, ids ...string) (*MetricValues, error) {
	var v *MetricValues
	err := c.poll(ctx, endpointValues, func() (bool, error) {
		var err error
		v, err = c.MetricValues(ctx, ids...)
		return err != nil || !v.Partial(), err
	}, func(err error) error {
		return fmt.Errorf("contactkit: avaya: %d metric values still initializing: %w", len(v.Initializing), err)
	})
	return v, err
}

// poll calls try until it is done, at most MaxPolls times, waiting between
// tries as the client's RetryPolicy says (the 202 report loop and
// WaitForMetricValues). It returns try's error, a *NotReadyError when
// the polls run out, or waitErr of ctx's error when ctx ends first.
func (c *Client) poll(ctx context.Context, endpoint string, try func() (done bool, err error), waitErr func(error) error) error {
	start := time.Now()
	for attempt := 0; ; attempt++ {
		done, err := try()
		if done || err != nil {
			return err
		}
		if attempt+1 >= MaxPolls {
			return &NotReadyError{Endpoint: endpoint, Polls: attempt + 1, Waited: time.Since(start)}
		}
		if err := c.t.Wait(ctx, attempt); err != nil {
			return waitErr(err)
		}
	}
}

// MaxPolls bounds the polls of WaitForMetricValues and of RunReport's
// 202 "cached, ask again" loop. The waits between them follow the
// client's RetryPolicy; with contactkit.DefaultRetryPolicy (200 ms
// doubling up to 10 s) 30 polls span about four minutes.
const MaxPolls = 30

// ErrNotReady matches a *NotReadyError: a poll gave up after MaxPolls.
var ErrNotReady = errors.New("contactkit: avaya: not ready")

// NotReadyError says a polled answer (a cached report, initializing metric
// values) was still not ready after Polls polls.
type NotReadyError struct {
	Endpoint string // "POST /rest/api/v1/historic-data/{historicDataKey}"
	Polls    int
	Waited   time.Duration
}

func (e *NotReadyError) Error() string {
	return fmt.Sprintf("contactkit: avaya: %s not ready after %d polls in %s", e.Endpoint, e.Polls, e.Waited.Round(time.Millisecond))
}

// Is matches ErrNotReady.
func (e *NotReadyError) Is(target error) bool { return target == ErrNotReady }
