package webservice

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/contactkit/contactkit/avaya"
	"github.com/contactkit/contactkit/internal/wiretime"
)

// Request is one request Avaya's Web Service Integration profile sent, as
// the receiver accepted it. The admin names the URL parameters in the
// profile, so Params holds them all as sent; the typed helpers (CallKey,
// StartTime, Duration, Extension, …) read the commonly sent ones under the
// names set with WithNames, and Get, TimeOf and DurationOf read any other.
//
// A Request belongs to the function it is handed to; the receiver does not
// touch it again after the function returns for the last time. Its methods
// are safe for concurrent use as long as Params is not changed.
type Request struct {
	// ID is the receiver's number for the request, also sent to Avaya in
	// the answer body and written in every log line about it.
	ID string
	// Method is GET or POST (PUT is read as POST).
	Method string
	// Params holds the URL parameters: the query string's and, for POST,
	// the form's (application/x-www-form-urlencoded, multipart/form-data
	// fields, or a flat JSON object), form values first under each name.
	Params url.Values
	// Header holds the request's headers, the admin's custom ones
	// included, with the shared-secret header removed.
	Header http.Header
	// RemoteAddr is the address of the Avaya server (or of the proxy in
	// front of the receiver).
	RemoteAddr string
	// Received is when the request was accepted.
	Received time.Time

	names    *Names
	loc      *time.Location
	normOnce sync.Once
	norm     map[string]string // normalized name → name in Params, built on first miss
}

// Names are the URL parameter names an admin gave the call data in the
// Web Service Integration profile. The typed helpers look a value up
// under its name here first, then under the aliases listed at each field;
// names match exactly, then ignoring case, spaces, '-', '_' and '.' (so
// "Call Key", "call-key", "call_key" and "callKey" are one name).
//
// The defaults are the names the Call Reporting document prints for the
// same data (callKey for {call-key}, recordingKey, startTime, endTime,
// duration); the document prints none for extensions and phone numbers,
// so those defaults and all aliases are conventions, not Avaya's.
type Names struct {
	CallKey      string // default "callKey"
	RecordingKey string // default "recordingKey"
	StartTime    string // default "startTime"; alias "start"
	EndTime      string // default "endTime"; alias "end"
	Duration     string // default "duration"
	Extension    string // default "extension"; aliases "ext", "agentExtension"
	Agent        string // default "agent"; aliases "agentName", "agentId"
	Caller       string // default "caller"; aliases "callerNumber", "callingParty", "callingPartyNumber", "from"
	Callee       string // default "callee"; aliases "calleeNumber", "receivingParty", "dialedParty", "dialedNumber", "to"
	Direction    string // default "direction"; alias "callDirection"
}

// DefaultNames are the names the typed helpers use unless WithNames says
// otherwise.
var DefaultNames = Names{
	CallKey: "callKey", RecordingKey: "recordingKey", StartTime: "startTime", EndTime: "endTime",
	Duration: "duration", Extension: "extension", Agent: "agent", Caller: "caller", Callee: "callee",
	Direction: "direction",
}

var aliases = map[string][]string{
	"start":     {"start"},
	"end":       {"end"},
	"extension": {"ext", "agentExtension"},
	"agent":     {"agentName", "agentId"},
	"caller":    {"callerNumber", "callingParty", "callingPartyNumber", "from"},
	"callee":    {"calleeNumber", "receivingParty", "dialedParty", "dialedNumber", "to"},
	"direction": {"callDirection"},
}

// withDefaults fills the empty names from DefaultNames.
func (n Names) withDefaults() Names {
	pick := func(s, d string) string {
		if strings.TrimSpace(s) == "" {
			return d
		}
		return s
	}
	d := DefaultNames
	return Names{
		CallKey: pick(n.CallKey, d.CallKey), RecordingKey: pick(n.RecordingKey, d.RecordingKey),
		StartTime: pick(n.StartTime, d.StartTime), EndTime: pick(n.EndTime, d.EndTime),
		Duration: pick(n.Duration, d.Duration), Extension: pick(n.Extension, d.Extension),
		Agent: pick(n.Agent, d.Agent), Caller: pick(n.Caller, d.Caller), Callee: pick(n.Callee, d.Callee),
		Direction: pick(n.Direction, d.Direction),
	}
}

// ErrMissing is matched (errors.Is) by a helper's error when the request
// has no value, or an empty one, under the name.
var ErrMissing = errors.New("missing")

// ParamError says which parameter could not be read and why. Value is the
// text that was sent (cut to 64 bytes).
type ParamError struct {
	Name  string
	Value string
	Err   error
}

func (e *ParamError) Error() string {
	if errors.Is(e.Err, ErrMissing) {
		return fmt.Sprintf("webservice: parameter %q is missing or empty", e.Name)
	}
	return fmt.Sprintf("webservice: parameter %q = %q: %v", e.Name, e.Value, e.Err)
}

func (e *ParamError) Unwrap() error { return e.Err }

func paramError(name, value string, err error) *ParamError {
	if len(value) > 64 {
		cut := 64
		for cut > 0 && !utf8.RuneStart(value[cut]) {
			cut--
		}
		value = value[:cut] + "…"
	}
	return &ParamError{Name: name, Value: value, Err: err}
}

// NewRequest builds a Request from parameters, for tests of a function
// the receiver calls; names and loc are those of WithNames and
// WithLocation (zero Names and nil loc: the defaults).
func NewRequest(params url.Values, names Names, loc *time.Location) *Request {
	if loc == nil {
		loc = time.UTC
	}
	n := names.withDefaults()
	if params == nil {
		params = url.Values{}
	}
	return &Request{Method: http.MethodGet, Params: params, Header: http.Header{}, Received: time.Now(), names: &n, loc: loc}
}

func (r *Request) namesOrDefault() *Names {
	if r.names == nil {
		return &DefaultNames
	}
	return r.names
}

func (r *Request) location() *time.Location {
	if r.loc == nil {
		return time.UTC
	}
	return r.loc
}

// normalize folds a parameter name for the lenient match.
func normalize(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			b.WriteRune(c)
		case c >= 'A' && c <= 'Z':
			b.WriteRune(c + 'a' - 'A')
		case c == ' ' || c == '-' || c == '_' || c == '.':
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}

// Lookup returns the first value sent under name (matched exactly, then
// ignoring case, spaces, '-', '_' and '.'), and whether there was one.
func (r *Request) Lookup(name string) (string, bool) {
	if vs, ok := r.Params[name]; ok && len(vs) > 0 {
		return vs[0], true
	}
	r.normOnce.Do(func() {
		r.norm = make(map[string]string, len(r.Params))
		for k := range r.Params {
			nk := normalize(k)
			if prev, dup := r.norm[nk]; !dup || k < prev { // deterministic when two names fold alike
				r.norm[nk] = k
			}
		}
	})
	if k, ok := r.norm[normalize(name)]; ok && len(r.Params[k]) > 0 {
		return r.Params[k][0], true
	}
	return "", false
}

// Get returns the first value sent under name ("" when none); see Lookup.
func (r *Request) Get(name string) string {
	v, _ := r.Lookup(name)
	return v
}

// find looks up a configured name, then its aliases; it returns the name
// it found the value under (the configured one when none).
func (r *Request) find(name, aliasKey string) (string, string, bool) {
	if v, ok := r.Lookup(name); ok && strings.TrimSpace(v) != "" {
		return name, strings.TrimSpace(v), true
	}
	for _, a := range aliases[aliasKey] {
		if v, ok := r.Lookup(a); ok && strings.TrimSpace(v) != "" {
			return a, strings.TrimSpace(v), true
		}
	}
	return name, "", false
}

func (r *Request) text(name, aliasKey string) string {
	_, v, _ := r.find(name, aliasKey)
	return v
}

func (r *Request) key(name string) (avaya.Key, error) {
	n, v, ok := r.find(name, "")
	if !ok {
		return "", paramError(n, "", ErrMissing)
	}
	k := avaya.Key(v)
	if err := k.Validate(); err != nil {
		return k, paramError(n, v, errors.New("not a key of the form {uuid}-{epochMillis}"))
	}
	return k, nil
}

// CallKey is the call's key ({uuid}-{epochMillis}), the argument of
// avaya.Client.CallListenLink and CallRecordings. A value that is not of
// the documented form is returned with a *ParamError.
func (r *Request) CallKey() (avaya.Key, error) { return r.key(r.namesOrDefault().CallKey) }

// RecordingKey is a recording's key, when the profile sends one.
func (r *Request) RecordingKey() (avaya.Key, error) { return r.key(r.namesOrDefault().RecordingKey) }

func (r *Request) timeParam(name, aliasKey string) (time.Time, error) {
	n, v, ok := r.find(name, aliasKey)
	if !ok {
		return time.Time{}, paramError(n, "", ErrMissing)
	}
	t, err := ParseTime(v, r.location())
	if err != nil {
		return time.Time{}, paramError(n, v, err)
	}
	return t, nil
}

// StartTime is when the call started; see ParseTime for the forms read.
func (r *Request) StartTime() (time.Time, error) {
	return r.timeParam(r.namesOrDefault().StartTime, "start")
}

// EndTime is when the call ended; see ParseTime for the forms read.
func (r *Request) EndTime() (time.Time, error) {
	return r.timeParam(r.namesOrDefault().EndTime, "end")
}

// TimeOf reads any parameter as a time (see ParseTime).
func (r *Request) TimeOf(name string) (time.Time, error) { return r.timeParam(name, "") }

// DurationOf reads any parameter as a duration (see ParseDuration).
func (r *Request) DurationOf(name string) (time.Duration, error) {
	n, v, ok := r.find(name, "")
	if !ok {
		return 0, paramError(n, "", ErrMissing)
	}
	d, err := ParseDuration(v)
	if err != nil {
		return 0, paramError(n, v, err)
	}
	return d, nil
}

// Duration is the call's duration (see ParseDuration). When the profile
// sends no duration but both times, it is EndTime − StartTime.
func (r *Request) Duration() (time.Duration, error) {
	names := r.namesOrDefault()
	d, err := r.DurationOf(names.Duration)
	if !errors.Is(err, ErrMissing) {
		return d, err
	}
	start, err1 := r.StartTime()
	end, err2 := r.EndTime()
	if err1 != nil || err2 != nil || end.Before(start) {
		return 0, err
	}
	return end.Sub(start), nil
}

// Extension is the agent's or party's extension ("" when not sent).
func (r *Request) Extension() string { return r.text(r.namesOrDefault().Extension, "extension") }

// Agent is the agent's name or id as sent ("" when not sent).
func (r *Request) Agent() string { return r.text(r.namesOrDefault().Agent, "agent") }

// Caller is the calling party's number as sent ("" when not sent).
func (r *Request) Caller() string { return r.text(r.namesOrDefault().Caller, "caller") }

// Callee is the called party's number as sent ("" when not sent).
func (r *Request) Callee() string { return r.text(r.namesOrDefault().Callee, "callee") }

// Direction is the call direction as sent (Inbound, Outbound, Internal;
// "" when not sent).
func (r *Request) Direction() string { return r.text(r.namesOrDefault().Direction, "direction") }

// Time layouts with a zone, and without one (read in the configured zone).
var (
	zonedLayouts = []string{
		time.RFC3339Nano,
		"2006-01-02T15:04:05.999999999Z0700",
		"2006-01-02 15:04:05.999999999Z07:00",
		"2006-01-02 15:04:05.999999999Z0700",
		"2006-01-02T15:04Z07:00",
		time.RFC1123Z,
	}
	usLayouts = []string{
		"01/02/2006 15:04:05", "1/2/2006 15:04:05", "1/2/2006 3:04:05 PM", "1/2/2006 3:04 PM",
		"1/2/2006 15:04", "01/02/2006 03:04:05 PM",
	}
)

var errTimeForm = errors.New("not a time: want epoch milliseconds (1568735345298), epoch seconds, " +
	"RFC 3339 (2019-09-09T00:00:00.000-06:00), a zone-less local time (2019-09-09 00:00:00) or M/D/YYYY h:mm:ss AM")

// ParseTime reads a time as Avaya may send it, leniently: epoch
// milliseconds, as every time in the Call Reporting API is (12 to 14
// digits), or epoch seconds (up to 11 digits, a fraction allowed);
// RFC 3339 with a zone or offset ('T' or a space, offsets with or without
// a colon); RFC 1123 with an offset, GMT, or an abbreviation of loc's
// zone (MST, MDT for America/Denver); a zone-less local time (YYYY-MM-DD hh:mm[:ss[.fff]]) or a US
// date (M/D/YYYY h:mm[:ss] with or without AM/PM), both read in loc (the
// Call Reporting server's zone; UTC when nil).
func ParseTime(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, ErrMissing
	}
	if loc == nil {
		loc = time.UTC
	}
	if isDigits(s) {
		n, err := strconv.ParseInt(s, 10, 64)
		switch {
		case err != nil || len(s) > 14:
			return time.Time{}, errors.New("epoch value out of range: want milliseconds (13 digits) or seconds (10 digits)")
		case len(s) >= 12:
			return time.UnixMilli(n).In(loc), nil
		default:
			return time.Unix(n, 0).In(loc), nil
		}
	}
	if whole, frac, ok := strings.Cut(s, "."); ok && isDigits(whole) && isDigits(frac) && len(whole) <= 11 && len(frac) <= 9 {
		sec, err1 := strconv.ParseInt(whole, 10, 64)
		ns, err2 := strconv.ParseInt(frac+strings.Repeat("0", 9-len(frac)), 10, 64)
		if err1 == nil && err2 == nil {
			return time.Unix(sec, ns).In(loc), nil
		}
	}
	for _, l := range zonedLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	if t, err := time.ParseInLocation(time.RFC1123, s, loc); err == nil {
		// time.Parse would give an abbreviation it does not know a zero
		// offset (09:49:05 MDT read as 09:49:05 UTC): take it only from
		// loc's own abbreviations, or GMT/UTC.
		if name, _ := t.Zone(); t.Location() == loc || name == "GMT" || name == "UTC" {
			return t, nil
		}
		return time.Time{}, errors.New("the zone abbreviation is not used by the server's zone (WithLocation): send a numeric offset such as -0600")
	}
	if t, err := wiretime.ParseLocal(s, loc); err == nil {
		return t.Time, nil
	}
	for _, l := range usLayouts {
		if t, err := time.ParseInLocation(l, strings.ToUpper(s), loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errTimeForm
}

var errDurationForm = errors.New("not a duration: want milliseconds (48974), H:MM:SS (3:31:13), MM:SS or a value with a unit (48.974s, 1m30s)")

// ParseDuration reads a duration as Avaya may send it, leniently:
// whole milliseconds (48974), the unit of every duration in the Call
// Reporting API; a clock, H:MM:SS or MM:SS with an optional fraction
// (3:31:13, 00:48.974), as its reports format them; or a Go duration
// with units (48.974s, 1m30s). A bare number with a fraction (48.974) is
// refused as ambiguous, as is a negative duration.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return 0, ErrMissing
	case strings.HasPrefix(s, "-"):
		return 0, errors.New("a duration cannot be negative")
	case isDigits(s):
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n > int64(time.Duration(1<<63-1)/time.Millisecond) {
			return 0, errors.New("milliseconds out of range")
		}
		return time.Duration(n) * time.Millisecond, nil
	case strings.Contains(s, ":"):
		c := s
		if strings.Count(c, ":") == 1 {
			c = "0:" + c
		}
		if h, rest, _ := strings.Cut(c, ":"); len(rest) > 0 && rest[0] != ':' {
			m, sec, _ := strings.Cut(rest, ":")
			if len(m) == 1 { // 0:5:03 → 0:05:03
				c = h + ":0" + m + ":" + sec
			}
		}
		d, err := wiretime.ParseClock(c)
		if err != nil {
			return 0, errDurationForm
		}
		return d, nil
	}
	if whole, frac, ok := strings.Cut(s, "."); ok && isDigits(whole) && isDigits(frac) {
		return 0, errors.New("a bare number with a fraction is ambiguous: send milliseconds (48974) or a unit (48.974s)")
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, errDurationForm
	}
	return d, nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
