package avaya

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/internal/transport"
	"github.com/contactkit/contactkit/internal/wirejson"
)

// ReportFormat is the format a historic report is returned in. JSON is
// decoded by RunReport; others stream from RunReportRaw.
type ReportFormat string

// JSONFormat is the report format RunReport decodes.
const JSONFormat ReportFormat = "json"

// TimeframeLayout is how report timeframes are written: milliseconds and
// the zone offset, 2019-09-09T00:00:00.000-06:00.
const TimeframeLayout = "2006-01-02T15:04:05.000-07:00"

// Parameter is one report parameter. Build it with TimeframeParam,
// PBXUsersParam or RawParam.
type Parameter struct {
	Name      string          `json:"name"`
	ValueType string          `json:"valueType"`
	Value     json.RawMessage `json:"value"`
}

// TimeframeParam is a REPORT_TIMEFRAME parameter; the times keep their
// zone offsets on the wire.
func TimeframeParam(name string, start, end time.Time) Parameter {
	v, _ := json.Marshal(struct {
		Type  string `json:"type"`
		Start string `json:"start"`
		End   string `json:"end"`
	}{"REPORT_TIMEFRAME", start.Format(TimeframeLayout), end.Format(TimeframeLayout)})
	return Parameter{Name: name, ValueType: "REPORT_TIMEFRAME", Value: v}
}

// PBXUsersParam is a PBX_USERS parameter listing agents by key, such as
// "Agent1(200)".
func PBXUsersParam(name string, keys ...string) Parameter {
	type user struct {
		Key string `json:"key"`
	}
	users := make([]user, len(keys))
	for i, k := range keys {
		users[i] = user{Key: k}
	}
	v, _ := json.Marshal(struct {
		Type     string `json:"type"`
		PBXUsers []user `json:"pbxUsers"`
	}{"PBX_USERS", users})
	return Parameter{Name: name, ValueType: "PBX_USERS", Value: v}
}

// RawParam is a parameter of any other value type, with its value as JSON
// (copy it from the report's Request Details in Call Reporting).
func RawParam(name, valueType string, value json.RawMessage) Parameter {
	return Parameter{Name: name, ValueType: valueType, Value: value}
}

// ReportRequest is the body of a historic-data request.
type ReportRequest struct {
	Format     ReportFormat `json:"format"`
	Parameters []Parameter  `json:"parameters"`
}

func (r *ReportRequest) validate() error {
	for i, p := range r.Parameters {
		switch {
		case strings.TrimSpace(p.Name) == "":
			return &contactkit.ValidationError{Field: fmt.Sprintf("parameters[%d].name", i), Reason: "is required"}
		case p.ValueType == "":
			return &contactkit.ValidationError{Field: fmt.Sprintf("parameters[%d].valueType", i), Reason: "is required"}
		case !json.Valid(p.Value):
			return &contactkit.ValidationError{Field: fmt.Sprintf("parameters[%d].value", i), Reason: "must be valid JSON"}
		}
	}
	return nil
}

// Report is a historic report in JSON form.
type Report struct {
	ReportID     int64         `json:"reportId"`
	ExecutionID  string        `json:"executionId"`
	Title        string        `json:"title"`
	Timeframe    Timeframe     `json:"timeframe"`
	Skin         string        `json:"skin"`
	Columns      []Column      `json:"columns"`
	DataFlag     string        `json:"dataFlag"`
	SummaryItems []SummaryItem `json:"summaryItems"`
	Rows         []Row         `json:"rows"`
	Charts       Charts        `json:"charts"`
	// Unknown holds fields this SDK does not declare (a newer server's
	// additions); they are written back by MarshalJSON. So do the other
	// report types.
	Unknown contactkit.UnknownFields `json:"-"`
}

// Timeframe is the period a report covers; the times keep their offsets.
type Timeframe struct {
	Type  string    `json:"type"`
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`

	Unknown contactkit.UnknownFields `json:"-"`
}

// ColumnFormat is how a column's values are to be read.
type ColumnFormat string

// The formats the documented report uses; others are kept.
const (
	FormatString   ColumnFormat = "STRING"
	FormatNumber   ColumnFormat = "NUMBER"
	FormatDuration ColumnFormat = "DURATION" // milliseconds
)

// Column describes one column; rows key their cells by Column.Key.
type Column struct {
	Key    string       `json:"key"`
	Title  string       `json:"title"`
	Format ColumnFormat `json:"format"`

	Unknown contactkit.UnknownFields `json:"-"`
}

// SummaryItem is one summary figure of the report.
type SummaryItem struct {
	Title          string       `json:"title"`
	Value          Cell         `json:"value"`
	FormattedValue string       `json:"formattedValue"`
	Format         ColumnFormat `json:"format"`

	Unknown contactkit.UnknownFields `json:"-"`
}

// Row is one report row: cells by column key.
type Row struct {
	Values map[string]CellValue `json:"values"`

	Unknown contactkit.UnknownFields `json:"-"`
}

// CellValue is a cell with its formatted text, when the server sent one.
type CellValue struct {
	Value          Cell   `json:"value"`
	FormattedValue string `json:"formattedValue,omitempty"`

	Unknown contactkit.UnknownFields `json:"-"`
}

// Charts holds the report's charts as sent.
type Charts struct {
	Type string            `json:"type"`
	Rows []json.RawMessage `json:"rows"`

	Unknown contactkit.UnknownFields `json:"-"`
}

// The report types keep unknown fields through a decode and re-encode
// (internal/wirejson): each is decoded through a method-less copy of
// itself, and its Unknown merged back when encoded.
type (
	reportFields      Report
	timeframeFields   Timeframe
	columnFields      Column
	summaryItemFields SummaryItem
	rowFields         Row
	cellValueFields   CellValue
	chartsFields      Charts
)

// UnmarshalJSON decodes the report and keeps unknown fields.
func (r *Report) UnmarshalJSON(b []byte) error {
	u, err := wirejson.Split(b, (*reportFields)(r))
	r.Unknown = u
	return err
}

// MarshalJSON encodes the report with its unknown fields.
func (r Report) MarshalJSON() ([]byte, error) { return wirejson.Merge(reportFields(r), r.Unknown) }

// UnmarshalJSON decodes the timeframe and keeps unknown fields.
func (t *Timeframe) UnmarshalJSON(b []byte) error {
	u, err := wirejson.Split(b, (*timeframeFields)(t))
	t.Unknown = u
	return err
}

// MarshalJSON encodes the timeframe with its unknown fields.
func (t Timeframe) MarshalJSON() ([]byte, error) {
	return wirejson.Merge(timeframeFields(t), t.Unknown)
}

// UnmarshalJSON decodes the column and keeps unknown fields.
func (c *Column) UnmarshalJSON(b []byte) error {
	u, err := wirejson.Split(b, (*columnFields)(c))
	c.Unknown = u
	return err
}

// MarshalJSON encodes the column with its unknown fields.
func (c Column) MarshalJSON() ([]byte, error) { return wirejson.Merge(columnFields(c), c.Unknown) }

// UnmarshalJSON decodes the summary item and keeps unknown fields.
func (s *SummaryItem) UnmarshalJSON(b []byte) error {
	u, err := wirejson.Split(b, (*summaryItemFields)(s))
	s.Unknown = u
	return err
}

// MarshalJSON encodes the summary item with its unknown fields.
func (s SummaryItem) MarshalJSON() ([]byte, error) {
	return wirejson.Merge(summaryItemFields(s), s.Unknown)
}

// UnmarshalJSON decodes the row and keeps unknown fields.
func (r *Row) UnmarshalJSON(b []byte) error {
	u, err := wirejson.Split(b, (*rowFields)(r))
	r.Unknown = u
	return err
}

// MarshalJSON encodes the row with its unknown fields.
func (r Row) MarshalJSON() ([]byte, error) { return wirejson.Merge(rowFields(r), r.Unknown) }

// UnmarshalJSON decodes the cell and keeps unknown fields.
func (c *CellValue) UnmarshalJSON(b []byte) error {
	u, err := wirejson.Split(b, (*cellValueFields)(c))
	c.Unknown = u
	return err
}

// MarshalJSON encodes the cell with its unknown fields.
func (c CellValue) MarshalJSON() ([]byte, error) {
	return wirejson.Merge(cellValueFields(c), c.Unknown)
}

// UnmarshalJSON decodes the charts and keeps unknown fields.
func (c *Charts) UnmarshalJSON(b []byte) error {
	u, err := wirejson.Split(b, (*chartsFields)(c))
	c.Unknown = u
	return err
}

// MarshalJSON encodes the charts with their unknown fields.
func (c Charts) MarshalJSON() ([]byte, error) { return wirejson.Merge(chartsFields(c), c.Unknown) }

// Cell is a raw cell value: a number, a string, or anything else the
// server sends, kept as JSON.
type Cell struct{ json.RawMessage }

// MarshalJSON writes the raw value back (null when empty).
func (c Cell) MarshalJSON() ([]byte, error) {
	if len(c.RawMessage) == 0 {
		return []byte("null"), nil
	}
	return c.RawMessage, nil
}

// UnmarshalJSON keeps the raw value.
func (c *Cell) UnmarshalJSON(b []byte) error {
	c.RawMessage = append(c.RawMessage[:0], b...)
	return nil
}

// ErrCellType says a cell does not hold the asked-for kind of value.
var ErrCellType = errors.New("contactkit: avaya: the cell holds another kind of value")

// Number reads the cell as a number (a numeric string counts too).
func (c Cell) Number() (float64, error) {
	b := bytes.TrimSpace(c.RawMessage)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return 0, ErrCellType
		}
		b = []byte(s)
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return 0, fmt.Errorf("%w: %q is not a number", ErrCellType, c.RawMessage)
	}
	return f, nil
}

// String reads the cell as text: a string as is, anything else as its
// JSON text.
func (c Cell) String() string {
	var s string
	if json.Unmarshal(c.RawMessage, &s) == nil {
		return s
	}
	return string(c.RawMessage)
}

// Duration reads a DURATION cell: milliseconds.
func (c Cell) Duration() (time.Duration, error) {
	ms, err := c.Number()
	if err != nil {
		return 0, err
	}
	return time.Duration(ms * float64(time.Millisecond)), nil
}

// Column returns the column with this title, or false.
func (r *Report) Column(title string) (Column, bool) {
	for _, c := range r.Columns {
		if c.Title == title {
			return c, true
		}
	}
	return Column{}, false
}

// Cell returns row i's cell in the column with this title, or false.
func (r *Report) Cell(i int, title string) (CellValue, bool) {
	col, ok := r.Column(title)
	if !ok || i < 0 || i >= len(r.Rows) {
		return CellValue{}, false
	}
	v, ok := r.Rows[i].Values[col.Key]
	return v, ok
}

// Table returns the report as text: a header row of column titles, then
// one row per report row, each cell its formatted value, or for cells
// without one the value itself (DURATION as h:mm:ss).
func (r *Report) Table() [][]string {
	out := make([][]string, 0, len(r.Rows)+1)
	head := make([]string, len(r.Columns))
	for i, c := range r.Columns {
		head[i] = c.Title
	}
	out = append(out, head)
	for _, row := range r.Rows {
		line := make([]string, len(r.Columns))
		for i, col := range r.Columns {
			cell, ok := row.Values[col.Key]
			switch {
			case !ok:
			case cell.FormattedValue != "":
				line[i] = cell.FormattedValue
			case col.Format == FormatDuration:
				if d, err := cell.Value.Duration(); err == nil {
					line[i] = clock(d)
				}
			default:
				line[i] = cell.Value.String()
			}
		}
		out = append(out, line)
	}
	return out
}

// clock writes a duration as h:mm:ss, as Call Reporting formats them.
func clock(d time.Duration) string {
	d = d.Round(time.Second)
	return fmt.Sprintf("%d:%02d:%02d", int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60)
}

const endpointHistoric = "POST /rest/api/v1/historic-data/{historicDataKey}"

// RunReport runs an API-enabled report (historicDataKey is its Report
// UUID) and decodes the JSON answer. When the cloud edition answers 202
// (the report timed out and was cached), the same request is sent again,
// spaced by the client's RetryPolicy, until the report arrives, ctx ends,
// or MaxPolls requests were answered 202 (a *NotReadyError). Running a
// report changes nothing, so the call is retried like a read.
//
// API: POST /rest/api/v1/historic-data/{historicDataKey}
func (c *Client) RunReport(ctx context.Context, historicDataKey string, params ...Parameter) (*Report, error) {
	resp, err := c.runReport(ctx, historicDataKey, JSONFormat, params) //nolint:bodyclose // closed by CloseBody below
	if err != nil {
		return nil, err
	}
	defer transport.CloseBody(resp.Body)
	var rep Report
	if err := c.t.DecodeJSON(endpointHistoric, resp, &rep); err != nil {
		return nil, err
	}
	return &rep, nil
}

// RunReportRaw runs a report in another format (whatever the report
// supports, e.g. "pdf" or "csv") and streams the answer unread.
//
// API: POST /rest/api/v1/historic-data/{historicDataKey}
func (c *Client) RunReportRaw(ctx context.Context, historicDataKey string, format ReportFormat, params ...Parameter) (*Stream, error) {
	if format == "" {
		return nil, &contactkit.ValidationError{Field: "format", Reason: "is required"}
	}
	resp, err := c.runReport(ctx, historicDataKey, format, params) //nolint:bodyclose // the caller closes the Stream
	if err != nil {
		return nil, err
	}
	return &Stream{Body: resp.Body, ContentType: resp.Header.Get("Content-Type"), Length: resp.ContentLength}, nil
}

func (c *Client) runReport(ctx context.Context, key string, format ReportFormat, params []Parameter) (*http.Response, error) {
	switch {
	case strings.TrimSpace(key) == "":
		return nil, &contactkit.ValidationError{Field: "historicDataKey", Reason: "is required"}
	case key == "." || key == "..":
		return nil, &contactkit.ValidationError{Field: "historicDataKey", Reason: fmt.Sprintf("%q is a path segment, not a report UUID", key)}
	}
	body := ReportRequest{Format: format, Parameters: params}
	if body.Parameters == nil {
		body.Parameters = []Parameter{}
	}
	if err := body.validate(); err != nil {
		return nil, err
	}
	req := &transport.Request{
		Method: http.MethodPost, Path: transport.Path("rest", "api", "v1", "historic-data", key), JSON: body,
		Idempotent: true, Endpoint: endpointHistoric, Header: http.Header{"Accept": {"*/*"}},
	}
	var out *http.Response
	err := c.poll(ctx, endpointHistoric, func() (bool, error) {
		resp, err := c.t.Send(ctx, req) //nolint:bodyclose // handed to the caller, or closed below when cached
		if err != nil {
			return true, err
		}
		if resp.StatusCode != http.StatusAccepted {
			out = resp
			return true, nil
		}
		transport.CloseBody(resp.Body) // cached: collect it with the same request
		return false, nil
	}, func(err error) error { return fmt.Errorf("contactkit: avaya: waiting for a cached report: %w", err) })
	if err != nil {
		return nil, err
	}
	return out, nil
}
