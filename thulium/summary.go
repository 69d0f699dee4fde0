package thulium

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/internal/paging"
	"github.com/contactkit/contactkit/internal/transport"
	"github.com/contactkit/contactkit/internal/wirejson"
	"github.com/contactkit/contactkit/internal/wiretime"
)

// MaxLimit is the most rows Thulium returns in one page (also its default).
const MaxLimit = 100

// DateLayout is how date_from and date_to are written, in the system's zone.
const DateLayout = "2006-01-02 15:04:05"

// DateOnlyLayout is the date-only form the documented example request uses.
const DateOnlyLayout = "2006-01-02"

// Aggregation is the aggregate_by parameter: how rows are grouped in time.
type Aggregation string

// The documented aggregations. Thulium groups by month when none is given.
const (
	ByHourOfDay Aggregation = "hour_of_day"
	ByMinute    Aggregation = "minute"
	ByHour      Aggregation = "hour"
	ByDay       Aggregation = "day"
	ByWeek      Aggregation = "week"
	ByMonth     Aggregation = "month"
	ByYear      Aggregation = "year"
)

func (a Aggregation) String() string { return string(a) }

// Known reports whether a is one of the documented aggregations.
func (a Aggregation) Known() bool {
	switch a {
	case ByHourOfDay, ByMinute, ByHour, ByDay, ByWeek, ByMonth, ByYear:
		return true
	}
	return false
}

// SummaryQuery holds every parameter of GET chats/reports/summary.
type SummaryQuery struct {
	// From and To (date_from, date_to) are required; they are written in
	// the system's zone as 2006-01-02 15:04:05.
	From, To time.Time
	// DateOnly writes the dates as 2006-01-02, as the documented example
	// request does; both must then be midnight in the system's zone.
	DateOnly bool
	// UserLogins limits the report to these users (user_logins[]).
	UserLogins []string
	// ChatQueueIDs limits the report to these chat queues (chat_queue_ids[]).
	ChatQueueIDs []int
	// SumUsers sums all users into one row per period (sum_users).
	SumUsers bool
	// AggregateBy groups rows in time; empty means Thulium's default, month.
	AggregateBy Aggregation
	// ResponseThreshold is the first-response threshold for the service
	// level, sent in whole seconds; zero means Thulium's default, 20 s.
	ResponseThreshold time.Duration
	// Limit is the page size, 1 to 100; zero means Thulium's default, 100.
	Limit int
	// Offset is the first row to return.
	Offset int
}

// Validate reports the first problem Thulium would reject, as a
// *contactkit.ValidationError; loc is the system's zone (nil for UTC).
func (q *SummaryQuery) Validate(loc *time.Location) error {
	if loc == nil {
		loc = time.UTC
	}
	switch {
	case q.From.IsZero():
		return &contactkit.ValidationError{Field: "date_from", Reason: "is required"}
	case q.To.IsZero():
		return &contactkit.ValidationError{Field: "date_to", Reason: "is required"}
	case q.From.After(q.To):
		return &contactkit.ValidationError{Field: "date_from", Reason: "must not be after date_to"}
	case q.AggregateBy != "" && !q.AggregateBy.Known():
		return &contactkit.ValidationError{Field: "aggregate_by", Reason: fmt.Sprintf("%q is not one of hour_of_day, minute, hour, day, week, month, year", string(q.AggregateBy))}
	case q.Limit < 0 || q.Limit > MaxLimit:
		return &contactkit.ValidationError{Field: "limit", Reason: "must be between 1 and 100 (0 for the default, 100)"}
	case q.Offset < 0:
		return &contactkit.ValidationError{Field: "offset", Reason: "must not be negative"}
	case q.ResponseThreshold < 0:
		return &contactkit.ValidationError{Field: "response_threshold", Reason: "must not be negative"}
	case q.ResponseThreshold%time.Second != 0:
		return &contactkit.ValidationError{Field: "response_threshold", Reason: "must be whole seconds"}
	}
	if q.DateOnly {
		for field, t := range map[string]time.Time{"date_from": q.From, "date_to": q.To} {
			if h, m, s := t.In(loc).Clock(); h != 0 || m != 0 || s != 0 || t.Nanosecond() != 0 {
				return &contactkit.ValidationError{Field: field, Reason: "must be midnight in the system's zone when DateOnly is set"}
			}
		}
	}
	for _, login := range q.UserLogins {
		if strings.TrimSpace(login) == "" {
			return &contactkit.ValidationError{Field: "user_logins", Reason: "must not hold an empty login"}
		}
	}
	for _, id := range q.ChatQueueIDs {
		if id <= 0 {
			return &contactkit.ValidationError{Field: "chat_queue_ids", Reason: "must hold positive ids"}
		}
	}
	return nil
}

// query writes the parameters in the documented order, arrays as
// name[]=a&name[]=b. Limit and offset go last, only when set unless
// paging asks for them on every page.
func (q *SummaryQuery) query(loc *time.Location, paging bool) *transport.Query {
	layout := DateLayout
	if q.DateOnly {
		layout = DateOnlyLayout
	}
	var v transport.Query
	v.AddArray("user_logins", q.UserLogins)
	v.Add("date_from", q.From.In(loc).Format(layout))
	v.Add("date_to", q.To.In(loc).Format(layout))
	if q.SumUsers {
		v.Add("sum_users", "true")
	}
	if q.AggregateBy != "" {
		v.Add("aggregate_by", string(q.AggregateBy))
	}
	ids := make([]string, len(q.ChatQueueIDs))
	for i, id := range q.ChatQueueIDs {
		ids[i] = strconv.Itoa(id)
	}
	v.AddArray("chat_queue_ids", ids)
	if q.ResponseThreshold > 0 {
		v.AddInt("response_threshold", int64(q.ResponseThreshold/time.Second))
	}
	if q.Limit > 0 || paging {
		v.AddInt("limit", int64(q.Limit))
	}
	if q.Offset > 0 || paging {
		v.AddInt("offset", int64(q.Offset))
	}
	return &v
}

const endpointSummary = "GET chats/reports/summary"

// ChatReportSummary returns one page of the chat report: at most
// q.Limit rows (100 by default) from q.Offset.
//
// API: GET https://<system-name>.thulium.com/api/chats/reports/summary
func (c *Client) ChatReportSummary(ctx context.Context, q SummaryQuery) ([]SummaryRow, error) {
	if err := q.Validate(c.Location()); err != nil {
		return nil, err
	}
	return c.page(ctx, &q, false)
}

// page fetches one page; paging writes limit and offset explicitly.
func (c *Client) page(ctx context.Context, q *SummaryQuery, paging bool) ([]SummaryRow, error) {
	req := &transport.Request{
		Method: http.MethodGet, Path: "/chats/reports/summary", Query: q.query(c.Location(), paging),
		Idempotent: true, Endpoint: endpointSummary,
	}
	var rows []SummaryRow
	if err := c.t.Do(ctx, req, &rows); err != nil {
		return nil, err
	}
	return rows, nil
}

// AllChatReportSummary yields every row of the report, fetching pages of
// q.Limit rows (100 by default) from q.Offset until a short or empty page.
// Each page is asked for where the rows received so far end, so a server
// that sends more rows than the limit loses and repeats nothing. A page
// that repeats the one before it (a server that ignores offset) ends the
// iteration with a *RepeatedPageError instead of fetching forever.
// Breaking out of the loop stops further requests; an error is yielded
// once, last.
//
// API: GET https://<system-name>.thulium.com/api/chats/reports/summary
func (c *Client) AllChatReportSummary(ctx context.Context, q SummaryQuery) iter.Seq2[SummaryRow, error] {
	if err := q.Validate(c.Location()); err != nil {
		return func(yield func(SummaryRow, error) bool) { yield(SummaryRow{}, err) }
	}
	limit := q.Limit
	if limit == 0 {
		limit = MaxLimit
	}
	fetch := func(ctx context.Context, offset, limit int) ([]SummaryRow, error) {
		page := q
		page.Offset, page.Limit = offset, limit
		return c.page(ctx, &page, true)
	}
	return paging.Offset(ctx, q.Offset, limit, fetch, &paging.Repeat[SummaryRow]{
		Same: sameRows,
		Err: func(offset, prevOffset, rows int) error {
			return &RepeatedPageError{Offset: offset, PreviousOffset: prevOffset, Rows: rows}
		},
	})
}

// ErrRepeatedPage matches a *RepeatedPageError with errors.Is.
var ErrRepeatedPage = errors.New("contactkit: thulium: the server sent the same page for a new offset")

// RepeatedPageError ends AllChatReportSummary when the page asked for at
// Offset holds the same Rows rows as the page at PreviousOffset: the
// server ignores offset, and paging on would repeat them forever. The
// rows of the first page were yielded once; none of the repeat were.
type RepeatedPageError struct {
	Offset, PreviousOffset, Rows int
}

func (e *RepeatedPageError) Error() string {
	return fmt.Sprintf("%s: offset %d answered the same %d rows as offset %d (does the server ignore offset?)",
		ErrRepeatedPage, e.Offset, e.Rows, e.PreviousOffset)
}

// Is makes errors.Is(err, ErrRepeatedPage) match.
func (e *RepeatedPageError) Is(target error) bool { return target == ErrRepeatedPage }

// sameRows reports whether two pages hold the same rows in the same
// order, unknown fields included. Rows of one report are distinct (one
// per period and user), so equal pages at two offsets can only be a
// repeat. It runs once per page, beside a page's request and decode.
func sameRows(prev, page []SummaryRow) bool { return reflect.DeepEqual(prev, page) }

// SummaryRow is one row of the chat report: one user (or all users with
// SumUsers) in one period.
type SummaryRow struct {
	// Series names the period, in the form of the aggregation: "2021-12"
	// for month. See SeriesStart.
	Series                 string `json:"series"`
	UserName               string `json:"user_name"`
	Incoming               int    `json:"incoming"`
	IncomingToAgent        int    `json:"incoming_to_agent"`
	IncomingIncludingEmpty int    `json:"incoming_including_empty"`
	Abandoned              int    `json:"abandoned"`
	Answered               int    `json:"answered"`
	IncomingToBot          int    `json:"incoming_to_bot"`
	TransferredByBot       int    `json:"transferred_by_bot"`
	FinishedByBot          int    `json:"finished_by_bot"`
	// ServiceLevelPercent and SLAPercent come as integers, decimals or
	// null; nil means null.
	ServiceLevelPercent *float64  `json:"service_level_percent"`
	ChatTime            TimeStats `json:"chat_time"`
	WaitTime            TimeStats `json:"wait_time"`
	SLAPercent          *float64  `json:"sla_percent"`
	Rating              Rating    `json:"rating"`
	// Unknown holds the fields of the row that this version of the SDK
	// does not know, as received, so that encoding the row again (a proxy,
	// a cache) keeps what a newer Thulium added.
	Unknown contactkit.UnknownFields `json:"-"`
}

// summaryRowFields is SummaryRow without its methods, for wirejson.
type summaryRowFields SummaryRow

// UnmarshalJSON decodes a row, keeping unknown fields in Unknown.
func (r *SummaryRow) UnmarshalJSON(b []byte) error {
	u, err := wirejson.Split(b, (*summaryRowFields)(r))
	r.Unknown = u
	return err
}

// MarshalJSON encodes a row with its Unknown fields after the known ones.
func (r SummaryRow) MarshalJSON() ([]byte, error) {
	return wirejson.Merge(summaryRowFields(r), r.Unknown)
}

// Rating is the customers' rating of the chats.
type Rating struct {
	Rate                RatingCounts `json:"rate"`
	SatisfactionPercent *float64     `json:"satisfaction_percent"`
	RatedPercent        *float64     `json:"rated_percent"`
	// Unknown holds fields a newer Thulium added, kept for re-encoding.
	Unknown contactkit.UnknownFields `json:"-"`
}

type ratingFields Rating

// UnmarshalJSON decodes the rating, keeping unknown fields in Unknown.
func (r *Rating) UnmarshalJSON(b []byte) error {
	u, err := wirejson.Split(b, (*ratingFields)(r))
	r.Unknown = u
	return err
}

// MarshalJSON encodes the rating with its Unknown fields.
func (r Rating) MarshalJSON() ([]byte, error) { return wirejson.Merge(ratingFields(r), r.Unknown) }

// RatingCounts counts the sad, neutral and happy ratings.
type RatingCounts struct {
	Sad     int `json:"sad"`
	Neutral int `json:"neutral"`
	Happy   int `json:"happy"`
	// Unknown holds fields a newer Thulium added (another mood, say),
	// kept for re-encoding.
	Unknown contactkit.UnknownFields `json:"-"`
}

type ratingCountsFields RatingCounts

// UnmarshalJSON decodes the counts, keeping unknown fields in Unknown.
func (r *RatingCounts) UnmarshalJSON(b []byte) error {
	u, err := wirejson.Split(b, (*ratingCountsFields)(r))
	r.Unknown = u
	return err
}

// MarshalJSON encodes the counts with their Unknown fields.
func (r RatingCounts) MarshalJSON() ([]byte, error) {
	return wirejson.Merge(ratingCountsFields(r), r.Unknown)
}

// TimeStats is a min/max/sum/avg of durations, sent as HH:MM:SS where the
// hours may pass 24 and 99; an empty value is zero.
type TimeStats struct {
	Min, Max, Sum, Avg time.Duration
	// Unknown holds fields a newer Thulium added (a median, say), kept
	// for re-encoding.
	Unknown contactkit.UnknownFields
	blank   [4]bool // fields that came as "", so they encode back as ""
}

type timeStatsWire struct {
	Min string `json:"min"`
	Max string `json:"max"`
	Sum string `json:"sum"`
	Avg string `json:"avg"`
}

// UnmarshalJSON reads the HH:MM:SS strings; null leaves zero.
func (s *TimeStats) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var w timeStatsWire
	u, err := wirejson.Split(b, &w)
	if err != nil {
		return err
	}
	out := TimeStats{Unknown: u}
	for i, f := range []struct {
		text string
		dst  *time.Duration
	}{{w.Min, &out.Min}, {w.Max, &out.Max}, {w.Sum, &out.Sum}, {w.Avg, &out.Avg}} {
		d, err := wiretime.ParseClock(f.text)
		if err != nil {
			return err
		}
		*f.dst, out.blank[i] = d, f.text == ""
	}
	*s = out
	return nil
}

// MarshalJSON writes HH:MM:SS strings (an empty one stays empty).
func (s TimeStats) MarshalJSON() ([]byte, error) {
	texts := [4]string{}
	for i, d := range []time.Duration{s.Min, s.Max, s.Sum, s.Avg} {
		if !s.blank[i] || d != 0 {
			texts[i] = wiretime.FormatClock(d)
		}
	}
	return wirejson.Merge(timeStatsWire{Min: texts[0], Max: texts[1], Sum: texts[2], Avg: texts[3]}, s.Unknown)
}

var weekSeries = regexp.MustCompile(`^(\d{4})-?W?(\d{1,2})$`)

// seriesLayouts are the forms a series is read in, per aggregation. Only
// month ("2021-12") is documented; the others are the forms Thulium's
// reports show, and each aggregation accepts a few near variants.
var seriesLayouts = map[Aggregation][]string{
	ByYear:   {"2006"},
	ByMonth:  {"2006-01"},
	ByDay:    {"2006-01-02"},
	ByHour:   {"2006-01-02 15", "2006-01-02 15:04", "2006-01-02 15:04:05", "2006-01-02T15", "2006-01-02T15:04"},
	ByMinute: {"2006-01-02 15:04", "2006-01-02 15:04:05", "2006-01-02T15:04"},
}

// ErrNoSeriesTime is returned by SeriesStart for hour_of_day rows, whose
// series names an hour of any day; use HourOfDay.
var ErrNoSeriesTime = errors.New("contactkit: thulium: an hour_of_day series names no date")

// SeriesStart returns the start of the period that Series names, read in
// loc (the system's zone), for the aggregation the report was asked with
// (month when it was left empty). Weeks are ISO weeks ("2021-W49" or
// "2021-49") and start on Monday.
func (r SummaryRow) SeriesStart(agg Aggregation, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = time.UTC
	}
	if agg == "" {
		agg = ByMonth
	}
	switch agg {
	case ByHourOfDay:
		return time.Time{}, ErrNoSeriesTime
	case ByWeek:
		m := weekSeries.FindStringSubmatch(r.Series)
		if m == nil {
			break
		}
		year, _ := strconv.Atoi(m[1])
		week, _ := strconv.Atoi(m[2])
		if week < 1 || week > 53 {
			break
		}
		return isoWeekStart(year, week, loc), nil
	}
	for _, layout := range seriesLayouts[agg] {
		if t, err := time.ParseInLocation(layout, r.Series, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("contactkit: thulium: series %q is not a %s", r.Series, agg)
}

// isoWeekStart is the Monday of ISO week w of year y.
func isoWeekStart(y, w int, loc *time.Location) time.Time {
	jan4 := time.Date(y, 1, 4, 0, 0, 0, 0, loc) // always in week 1
	offset := (int(jan4.Weekday()) + 6) % 7     // days since Monday
	return jan4.AddDate(0, 0, -offset+(w-1)*7)
}

// HourOfDay reads the series of an hour_of_day row (0 to 23).
func (r SummaryRow) HourOfDay() (int, error) {
	h, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSuffix(r.Series, ":00"), ":00"))
	if err != nil || h < 0 || h > 23 {
		return 0, fmt.Errorf("contactkit: thulium: series %q is not an hour of the day", r.Series)
	}
	return h, nil
}
