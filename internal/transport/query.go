package transport

import (
	"net/url"
	"strconv"
	"strings"
)

// Path joins path segments, escaping each one with url.PathEscape so that
// values such as "Nate Thatcher(203)" or keys holding slashes survive:
// Path("agents", id, "active-recording").
func Path(segments ...string) string {
	var b strings.Builder
	for _, s := range segments {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(s))
	}
	return b.String()
}

// Query is an ordered query string. Unlike url.Values it keeps parameters
// in the order they were added and writes array keys such as
// "user_logins[]" without escaping the brackets, as PHP-style servers
// expect.
type Query struct {
	parts []string
}

// Add appends name=value.
func (q *Query) Add(name, value string) {
	q.parts = append(q.parts, escapeKey(name)+"="+url.QueryEscape(value))
}

// AddInt appends name=n.
func (q *Query) AddInt(name string, n int64) { q.Add(name, strconv.FormatInt(n, 10)) }

// AddArray appends name[]=v for every value, in order.
func (q *Query) AddArray(name string, values []string) {
	for _, v := range values {
		q.Add(name+"[]", v)
	}
}

// AddRepeated appends name=v for every value, in order (id=a&id=b).
func (q *Query) AddRepeated(name string, values []string) {
	for _, v := range values {
		q.Add(name, v)
	}
}

// AddCSV appends one name=a,b,c with each item escaped and the commas kept
// literal.
func (q *Query) AddCSV(name string, values []string) {
	esc := make([]string, len(values))
	for i, v := range values {
		esc[i] = url.QueryEscape(v)
	}
	q.parts = append(q.parts, escapeKey(name)+"="+strings.Join(esc, ","))
}

// Encode renders the query without the leading "?".
func (q *Query) Encode() string {
	if q == nil {
		return ""
	}
	return strings.Join(q.parts, "&")
}

// escapeKey escapes a parameter name but keeps a trailing "[]" literal.
func escapeKey(name string) string {
	if base, ok := strings.CutSuffix(name, "[]"); ok {
		return url.QueryEscape(base) + "[]"
	}
	return url.QueryEscape(name)
}
