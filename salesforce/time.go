package salesforce

import (
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/contactkit/contactkit/internal/wiretime"
)

// Time is a writeCallStatistics timestamp; the zero value stands for an
// empty field. The document prints YYYY-MM-DDThh:mm:ss in the jtel
// server's local time, without a zone: such a time is read in UTC, or in
// the zone set with HandlerLocation. A time that arrives with a zone
// (2024-05-06T09:30:00Z, 2024-05-06T09:30:00+02:00, also +0200 and +02)
// is read in that zone and keeps it. Fractions of a second and a space
// instead of the 'T' are accepted.
//
// Time embeds time.Time and remembers the text it was decoded from:
// encoding it again gives exactly that text (zone and all) unless the
// time was changed. A Time made with NewTime is written as
// YYYY-MM-DDThh:mm:ss in its zone.
type Time struct {
	time.Time
	raw   string    // the text decoded, "" for a time made in Go
	orig  time.Time // the time raw stands for
	zoned bool      // raw carried a zone
}

// NewTime makes a Time written as YYYY-MM-DDThh:mm:ss in t's zone (the
// documented form).
func NewTime(t time.Time) Time { return Time{Time: t} }

// ParseTime reads a timestamp as Time.UnmarshalJSON does: a zone-less
// time in loc, a time with a zone in its own.
func ParseTime(s string, loc *time.Location) (Time, error) {
	if s == "" {
		return Time{}, nil
	}
	if loc == nil {
		loc = time.UTC
	}
	if lt, err := wiretime.ParseLocal(s, loc); err == nil {
		return Time{Time: lt.Time, raw: s, orig: lt.Time}, nil
	}
	if t, ok := parseZoned(s); ok {
		return Time{Time: t, raw: s, orig: t, zoned: true}, nil
	}
	return Time{}, errTimeFormat
}

var errTimeFormat = errors.New("want a time such as 2024-05-06T09:30:00, with or without a zone")

// zonedLayouts are the forms with a zone that are accepted; time.Parse
// takes a fraction of a second after the seconds without it being in the
// layout.
var zonedLayouts = []string{
	"2006-01-02T15:04:05Z07:00",
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04:05Z07",
	"2006-01-02T15:04Z07:00",
}

func parseZoned(s string) (time.Time, bool) {
	if len(s) < len("2006-01-02T15:04Z") || len(s) > 64 {
		return time.Time{}, false
	}
	if s[10] == ' ' {
		s = s[:10] + "T" + s[11:]
	}
	if s[len(s)-1] == 'z' {
		s = s[:len(s)-1] + "Z"
	}
	for _, layout := range zonedLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// Raw is the text the time was decoded from, or "" for a time made in Go.
func (t Time) Raw() string { return t.raw }

// HasZone reports whether the time was received with a zone (and is then
// written with one).
func (t Time) HasZone() bool { return t.zoned }

// WallClockIn returns the same wall-clock reading in loc, for a time
// received without a zone (what the handler does with HandlerLocation). A
// time received with a zone is returned as it is.
func (t Time) WallClockIn(loc *time.Location) Time {
	if t.IsZero() || t.HasZone() || loc == nil {
		return t
	}
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	moved := time.Date(y, mo, d, h, mi, s, t.Nanosecond(), loc)
	out := Time{Time: moved}
	if t.raw != "" && t.unchanged() {
		out.raw, out.orig = t.raw, moved
	}
	return out
}

func (t Time) unchanged() bool {
	return t.raw != "" && t.Equal(t.orig) && t.Location() == t.orig.Location()
}

// String is the wire form: the text received when the time is unchanged,
// else YYYY-MM-DDThh:mm:ss (with the offset for a time received with a
// zone); "" for the zero time.
func (t Time) String() string {
	switch {
	case t.unchanged():
		return t.raw
	case t.IsZero():
		return ""
	case t.zoned:
		return t.Format(time.RFC3339)
	}
	return t.Format(wiretime.SecondsLayout)
}

// MarshalJSON writes the wire text; the zero time is "".
func (t Time) MarshalJSON() ([]byte, error) {
	s := t.String()
	if !strings.ContainsAny(s, `"\`) && isPrintableASCII(s) {
		b := make([]byte, 0, len(s)+2)
		b = append(b, '"')
		b = append(b, s...)
		return append(b, '"'), nil
	}
	return json.Marshal(s)
}

// UnmarshalJSON reads the wire text (see Time); "" is the zero time and
// null leaves the value as it is.
func (t *Time) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	s, err := readString(b)
	if err != nil {
		return errors.New("want a time as a JSON string")
	}
	p, err := ParseTime(s, time.UTC)
	if err != nil {
		return err
	}
	*t = p
	return nil
}

// MarshalText and UnmarshalText make Time usable in text encodings.
func (t Time) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText reads the wire text, a zone-less time in UTC.
func (t *Time) UnmarshalText(b []byte) error {
	p, err := ParseTime(string(b), time.UTC)
	if err != nil {
		return err
	}
	*t = p
	return nil
}

func isPrintableASCII(s string) bool {
	for i := range len(s) {
		if s[i] < 0x20 || s[i] > 0x7e || s[i] == '<' || s[i] == '>' || s[i] == '&' {
			return false
		}
	}
	return true
}
