package avaya

import (
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/contactkit/contactkit"
)

// Key is a recording key or call key: {uuid}-{startTime}, where startTime
// is the start of the recording in epoch milliseconds, as in
// 89e08e9f-a2aa-4059-9f93-1f53e3719431-1568754442049.
type Key string

var keyPattern = regexp.MustCompile(`^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})-([0-9]{1,19})$`)

// ParseKey checks a key's form and splits it.
func ParseKey(s string) (uuid string, start time.Time, err error) {
	m := keyPattern.FindStringSubmatch(s)
	if m == nil {
		return "", time.Time{}, &contactkit.ValidationError{Field: "key", Reason: fmt.Sprintf("%q is not {uuid}-{epochMillis}", s)}
	}
	ms, err := strconv.ParseInt(m[2], 10, 64)
	if err != nil {
		return "", time.Time{}, &contactkit.ValidationError{Field: "key", Reason: fmt.Sprintf("%q has a start time out of range", s)}
	}
	return m[1], time.UnixMilli(ms).UTC(), nil
}

// UUID is the key's UUID part ("" when the key is malformed).
func (k Key) UUID() string {
	u, _, _ := ParseKey(string(k))
	return u
}

// StartTime is the start the key carries (zero when malformed).
func (k Key) StartTime() time.Time {
	_, t, _ := ParseKey(string(k))
	return t
}

// Validate reports whether the key has the documented form.
func (k Key) Validate() error {
	_, _, err := ParseKey(string(k))
	return err
}

// NewKey builds a key from a UUID and a start time.
func NewKey(uuid string, start time.Time) Key {
	return Key(uuid + "-" + strconv.FormatInt(start.UnixMilli(), 10))
}

func (k Key) String() string { return string(k) }
