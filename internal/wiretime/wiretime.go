// Package wiretime holds the wire forms of time that the APIs use and Go
// does not parse by itself: zone-less local timestamps.
package wiretime

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// LocalLayout is how a LocalTime made in Go (not decoded) is written: the
// millisecond form jtel prints, such as 2020-08-09T02:33:50.347.
const LocalLayout = "2006-01-02T15:04:05.000"

// LocalTime is a timestamp sent without a zone, such as jtel's
// 2020-08-09T02:33:50.347, which is the server's local time. It embeds the
// time.Time (read in UTC until a client sets the server's zone with
// WallClockIn) and remembers the text it was decoded from, so that encoding
// it again gives the same text unless the time was changed.
type LocalTime struct {
	time.Time
	raw    string
	layout string // for a time made in Go; LocalLayout when empty
}

// SecondsLayout is the seconds-precision form, YYYY-MM-DDThh:mm:ss, that
// jtel's writeCallStatistics uses.
const SecondsLayout = "2006-01-02T15:04:05"

// NewLocalTime wraps t; it is written in LocalLayout in t's zone.
func NewLocalTime(t time.Time) LocalTime { return LocalTime{Time: t} }

// NewLocalTimeLayout wraps t; it is written in layout in t's zone.
func NewLocalTimeLayout(t time.Time, layout string) LocalTime {
	return LocalTime{Time: t, layout: layout}
}

// ParseLocal reads a zone-less timestamp in loc. It accepts a 'T' or a
// space between date and time, minutes or seconds precision, and any
// number of fractional digits.
func ParseLocal(s string, loc *time.Location) (LocalTime, error) {
	t, err := parseWall(s, loc)
	if err != nil {
		return LocalTime{}, err
	}
	return LocalTime{Time: t, raw: s}, nil
}

var errLocalFormat = errors.New("want a zone-less time such as 2020-08-09T02:33:50.347")

func parseWall(s string, loc *time.Location) (time.Time, error) {
	if t, ok := parseWallFast(s, loc); ok {
		return t, nil
	}
	return parseWallLayout(s, loc)
}

// parseWallFast reads the forms parseWallLayout accepts without building
// a layout or calling time.Parse: YYYY-MM-DD, 'T' or ' ', hh:mm, then
// optionally :ss and .f (1 to 9 digits). It reports false for anything
// else, including out-of-range fields, which the slow path then rejects
// with its error; it never accepts what the slow path refuses.
func parseWallFast(s string, loc *time.Location) (time.Time, bool) {
	n := len(s)
	if n != 16 && n != 19 && (n < 21 || n > 29) {
		return time.Time{}, false
	}
	if s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') || s[13] != ':' {
		return time.Time{}, false
	}
	year, ok1 := num(s[0:4])
	month, ok2 := num(s[5:7])
	day, ok3 := num(s[8:10])
	hour, ok4 := num(s[11:13])
	minute, ok5 := num(s[14:16])
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 {
		return time.Time{}, false
	}
	sec, nsec := 0, 0
	if n >= 19 {
		var ok bool
		if s[16] != ':' {
			return time.Time{}, false
		}
		if sec, ok = num(s[17:19]); !ok {
			return time.Time{}, false
		}
	}
	if n > 19 {
		if s[19] != '.' {
			return time.Time{}, false
		}
		frac, ok := num(s[20:])
		if !ok {
			return time.Time{}, false
		}
		for range 29 - n {
			frac *= 10
		}
		nsec = frac
	}
	if month < 1 || month > 12 || day < 1 || day > daysIn(time.Month(month), year) || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, nsec, loc), true
}

// num reads a run of ASCII digits.
func num(s string) (int, bool) {
	v := 0
	for i := range len(s) {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

func daysIn(m time.Month, year int) int {
	if m == time.February {
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	}
	return 31 - int((m-1)%7%2)
}

// parseWallLayout is the reference reading through time.ParseInLocation.
func parseWallLayout(s string, loc *time.Location) (time.Time, error) {
	if len(s) < len("2006-01-02T15:04") || len(s) > len("2006-01-02T15:04:05.000000000") {
		return time.Time{}, &time.ParseError{Value: s, Message: ": " + errLocalFormat.Error()}
	}
	norm := s
	if s[10] == ' ' {
		norm = s[:10] + "T" + s[11:]
	}
	layout := "2006-01-02T15:04:05"
	switch {
	case len(norm) == len("2006-01-02T15:04"):
		layout = "2006-01-02T15:04"
	case len(norm) > len(layout):
		if norm[len(layout)] != '.' || strings.ContainsAny(norm[len(layout)+1:], "+-Z:") {
			return time.Time{}, &time.ParseError{Value: s, Message: ": " + errLocalFormat.Error()}
		}
		layout += "." + strings.Repeat("9", len(norm)-len(layout)-1)
	}
	return time.ParseInLocation(layout, norm, loc)
}

// Raw is the text the time was decoded from, or "" for a time made in Go.
func (t LocalTime) Raw() string { return t.raw }

// WallClockIn returns the same wall-clock reading in loc: what a client
// does once it knows the server's zone.
func (t LocalTime) WallClockIn(loc *time.Location) LocalTime {
	if t.IsZero() {
		return t
	}
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	return LocalTime{Time: time.Date(y, mo, d, h, mi, s, t.Nanosecond(), loc), raw: t.raw, layout: t.layout}
}

// String is the wire form.
func (t LocalTime) String() string {
	if t.raw != "" {
		if p, err := parseWall(t.raw, t.Location()); err == nil && p.Equal(t.Time) {
			return t.raw
		}
	}
	if t.IsZero() {
		return ""
	}
	if t.layout != "" {
		return t.Format(t.layout)
	}
	return t.Format(LocalLayout)
}

// MarshalJSON writes the wire text; a zero time is "".
func (t LocalTime) MarshalJSON() ([]byte, error) {
	return json.Marshal(t.String())
}

// UnmarshalJSON reads the wire text; "" gives the zero time. A null leaves
// the value unchanged, as encoding/json does for other types.
func (t *LocalTime) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	var s string
	if n := len(b); n >= 2 && b[0] == '"' && b[n-1] == '"' && bytes.IndexByte(b[1:n-1], '\\') < 0 {
		// The common case, a string without escapes: no second decode.
		s = string(b[1 : n-1])
	} else if err := json.Unmarshal(b, &s); err != nil {
		return errors.New("wiretime: local time must be a JSON string")
	}
	if s == "" {
		*t = LocalTime{}
		return nil
	}
	loc := time.UTC
	if !t.IsZero() {
		loc = t.Location()
	}
	p, err := ParseLocal(s, loc)
	if err != nil {
		return err
	}
	*t = p
	return nil
}

// MarshalText and UnmarshalText make LocalTime usable in text encodings.
func (t LocalTime) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText reads the wire text in UTC.
func (t *LocalTime) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*t = LocalTime{}
		return nil
	}
	p, err := ParseLocal(string(b), time.UTC)
	if err != nil {
		return err
	}
	*t = p
	return nil
}

// ParseClock reads a duration written as a clock, HH:MM:SS, where the hours
// may pass 24 and 99 ("123:04:05") and the seconds may carry a fraction.
// An empty string is zero.
func ParseClock(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	h, rest, ok1 := strings.Cut(s, ":")
	m, sec, ok2 := strings.Cut(rest, ":")
	if !ok1 || !ok2 || len(m) != 2 || len(sec) < 2 || len(h) == 0 || len(h) > 9 {
		return 0, errors.New("wiretime: want a duration as HH:MM:SS, got " + strconv.Quote(s))
	}
	hours, err1 := digits(h)
	minutes, err2 := digits(m)
	whole, frac, _ := strings.Cut(sec, ".")
	seconds, err3 := digits(whole)
	if err1 != nil || err2 != nil || err3 != nil || len(whole) != 2 || minutes > 59 || seconds > 59 || hours > maxClockHours {
		return 0, errors.New("wiretime: want a duration as HH:MM:SS, got " + strconv.Quote(s))
	}
	d := time.Duration(hours)*time.Hour + time.Duration(minutes)*time.Minute + time.Duration(seconds)*time.Second
	if frac != "" || strings.HasSuffix(sec, ".") {
		if len(frac) == 0 || len(frac) > 9 {
			return 0, errors.New("wiretime: bad fraction in duration " + strconv.Quote(s))
		}
		n, err := digits(frac)
		if err != nil {
			return 0, errors.New("wiretime: bad fraction in duration " + strconv.Quote(s))
		}
		for range 9 - len(frac) {
			n *= 10
		}
		d += time.Duration(n)
	}
	return d, nil
}

// maxClockHours keeps a parsed duration inside time.Duration.
const maxClockHours = int64(time.Duration(1<<63-1)/time.Hour) - 1

func digits(s string) (int64, error) {
	var n int64
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return 0, errors.New("not a digit")
		}
		n = n*10 + int64(s[i]-'0')
	}
	return n, nil
}

// FormatClock writes d as HH:MM:SS with at least two hour digits, and the
// fraction of a second only when there is one.
func FormatClock(d time.Duration) string {
	neg := d < 0
	if neg {
		d = -d
	}
	h := d / time.Hour
	m := (d % time.Hour) / time.Minute
	s := (d % time.Minute) / time.Second
	ns := d % time.Second
	out := fmt.Sprintf("%02d:%02d:%02d", h, m, s)
	if ns != 0 {
		out += strings.TrimRight(fmt.Sprintf(".%09d", ns), "0")
	}
	if neg {
		out = "-" + out
	}
	return out
}
