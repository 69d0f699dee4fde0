package avaya

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/contactkit/contactkit/internal/transport"
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
	// FinishedDuration: DURATION, milliseconds.
	FinishedDuration int64
	// DurationSum: AVERAGE_DURATION, milliseconds.
	DurationSum int64
	// NumCountingUp and NumCountingDown: DURATION and AVERAGE_DURATION.
	NumCountingUp, NumCountingDown int64
	// Raw is the value as sent, kept for types the SDK does not know.
	Raw json.RawMessage
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

// value converts; known is false for a type the SDK does not know.
func (w *metricValueWire) value() (v MetricValue, known bool, err error) {
	v = MetricValue{
		Type: w.Type, LastUpdateTime: w.LastUpdateTime, Count: w.Count, FinishedDuration: w.FinishedDuration,
		DurationSum: w.DurationSum, NumCountingUp: w.NumCountingUp, NumCountingDown: w.NumCountingDown,
	}
	switch w.Type {
	case BooleanValue:
		b, ok := w.Value.(bool)
		if !ok {
			return v, true, errors.New("BOOLEAN value must be true or false")
		}
		v.Bool = b
	case StringValue:
		s, ok := w.Value.(string)
		if !ok {
			return v, true, errors.New("STRING value must be a string")
		}
		v.String = s
	case CountValue, DurationValue, AverageDurationValue, EmptyValue:
	default:
		return v, false, nil
	}
	return v, true, nil
}

// UnmarshalJSON reads every documented value type; unknown types keep Raw.
func (v *MetricValue) UnmarshalJSON(b []byte) error {
	var w metricValueWire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	out, known, err := w.value()
	if err != nil {
		return err
	}
	if !known {
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

// MarshalJSON writes the fields of the value's type, as the server does.
func (v MetricValue) MarshalJSON() ([]byte, error) {
	if v.Raw != nil {
		return v.Raw, nil
	}
	w := metricValueOut{Type: v.Type}
	if !v.LastUpdateTime.IsZero() {
		w.LastUpdateTime = v.LastUpdateTime.Format(RealtimeTimeLayout)
	}
	switch v.Type {
	case CountValue:
		w.Count = &v.Count
	case BooleanValue:
		w.Value, _ = json.Marshal(v.Bool)
	case StringValue:
		w.Value, _ = json.Marshal(v.String)
	case DurationValue:
		w.FinishedDuration, w.NumCountingUp, w.NumCountingDown = &v.FinishedDuration, &v.NumCountingUp, &v.NumCountingDown
	case AverageDurationValue:
		w.DurationSum, w.Count, w.NumCountingUp, w.NumCountingDown = &v.DurationSum, &v.Count, &v.NumCountingUp, &v.NumCountingDown
	}
	return json.Marshal(w)
}

// running is (numCountingUp − numCountingDown) × (at − lastUpdateTime), in
// milliseconds.
func (v *MetricValue) running(at time.Time) int64 {
	return (v.NumCountingUp - v.NumCountingDown) * at.Sub(v.LastUpdateTime).Milliseconds()
}

// DurationAt is a DURATION value at the given time:
// finishedDuration + (numCountingUp − numCountingDown) × (atTime − lastUpdateTime).
// ok is false for other types.
func (v *MetricValue) DurationAt(at time.Time) (d time.Duration, ok bool) {
	if v.Type != DurationValue {
		return 0, false
	}
	return time.Duration(v.FinishedDuration+v.running(at)) * time.Millisecond, true
}

// AverageDurationAt is an AVERAGE_DURATION value at the given time:
// (durationSum + (numCountingUp − numCountingDown) × (atTime − lastUpdateTime)) / count.
// ok is false for other types and when count is 0: there is no value.
func (v *MetricValue) AverageDurationAt(at time.Time) (d time.Duration, ok bool) {
	if v.Type != AverageDurationValue || v.Count == 0 {
		return 0, false
	}
	return time.Duration((v.DurationSum+v.running(at))/v.Count) * time.Millisecond, true
}

// MetricResult is one value with its key: an entry of "results", and a
// websocket update message.
type MetricResult struct {
	Key   MetricKey   `json:"key"`
	Value MetricValue `json:"value"`
}

// DecodeMetricResult decodes one update message (or results entry) in a
// single pass, the way Subscribe reads every message; for your own
// websocket reader.
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
	if !known { // rare: keep the unknown value as sent
		var raw struct {
			Value json.RawMessage `json:"value"`
		}
		_ = json.Unmarshal(data, &raw)
		v.Raw = raw.Value
	}
	return MetricResult{Key: w.Key, Value: v}, nil
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
		return &ValidationError{Field: "id", Reason: "at least one metric id is required"}
	}
	for _, id := range ids {
		if strings.TrimSpace(id) == "" || strings.Contains(id, ",") {
			return &ValidationError{Field: "id", Reason: fmt.Sprintf("%q is not a metric id", id)}
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
// any other 400 is an *APIError.
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
	return nil, transport.NewAPIError(req.Method, transport.RedactURLString(c.t.URL(req)), resp.StatusCode, resp.Header, body)
}

// WaitForMetricValues polls MetricValues with backoff (from 250 ms up to
// 5 s) until nothing is initializing, and returns the complete values. If
// ctx ends first it returns the last partial values with ctx's error.
func (c *Client) WaitForMetricValues(ctx context.Context, ids ...string) (*MetricValues, error) {
	wait := 250 * time.Millisecond
	for {
		v, err := c.MetricValues(ctx, ids...)
		if err != nil {
			return v, err
		}
		if !v.Partial() {
			return v, nil
		}
		if err := transport.Sleep(ctx, wait); err != nil {
			return v, fmt.Errorf("contactkit: avaya: %d metric values still initializing: %w", len(v.Initializing), err)
		}
		wait = min(wait*2, 5*time.Second)
	}
}
