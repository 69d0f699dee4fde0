// Package wiretime holds the wire forms of time that the APIs use and Go
// does not parse by itself: zone-less local timestamps.
package wiretime

import (
	"bytes"
	"encoding/json"
	"errors"
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
	raw string
}

// NewLocalTime wraps t; it is written in LocalLayout in t's zone.
func NewLocalTime(t time.Time) LocalTime { return LocalTime{Time: t} }

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
	return LocalTime{Time: time.Date(y, mo, d, h, mi, s, t.Nanosecond(), loc), raw: t.raw}
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
	if err := json.Unmarshal(b, &s); err != nil {
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
