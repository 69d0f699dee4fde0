package chatexport

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The documented template variables (without their '$').
const (
	VarClientsID         = "ClientsID"
	VarChatConnectorID   = "chatConnector.id"
	VarChatConnectorName = "chatConnector.name"
	VarReportBase64      = "report.encoded.base64"
	VarReportBytes       = "report.bytes"
	VarDateTime          = "dateTime"
	VarXMLTemplateBase64 = "xmlTemplate.encoded.base64"
	// VarTokenResponsePrefix begins $tokenResponse.body.JSON.<path>: any
	// path into the token response JSON, with object names and array
	// indexes (access_token, data.tokens[0].value or data.tokens.0.value).
	VarTokenResponsePrefix = "tokenResponse.body.JSON."
	// VarPDataPrefix begins $pdata.<name>: a value of the connector's pdata.
	VarPDataPrefix = "pdata."
)

// DateTimeLayout is how $dateTime is written: yyyy-MM-dd HH:mm:ss.
const DateTimeLayout = "2006-01-02 15:04:05"

// fixedVars are the variables without a path, longest first so that the
// longest match wins.
var fixedVars = func() []string {
	v := []string{VarClientsID, VarChatConnectorID, VarChatConnectorName, VarReportBase64, VarReportBytes, VarDateTime, VarXMLTemplateBase64}
	sort.Slice(v, func(i, j int) bool { return len(v[i]) > len(v[j]) })
	return v
}()

// Context is where an expanded value lands; it decides the escaping.
type Context int

// The contexts of a value.
const (
	// InText inserts values unchanged.
	InText Context = iota
	// InJSON escapes values as JSON string content: a template that is
	// valid JSON stays valid JSON whatever the values hold.
	InJSON
	// InXML escapes values as XML text.
	InXML
	// InForm escapes values for application/x-www-form-urlencoded bodies.
	InForm
	// InHeader rejects values holding CR or LF.
	InHeader
	// InURL escapes values as a path segment before the '?' and as a query
	// value after it.
	InURL
)

// Template is a parsed text with $variables. "$$" writes a literal '$',
// and so does a '$' not followed by a letter ("5 $"). The longest known
// variable wins ($report.bytes vs $report.encoded.base64), and a trailing
// '.' ends a name, so "at $dateTime." works.
//
// A '$word' that is no documented variable stays literal text ("any data
// can be specified in the body": $amount, $name, $USD), unless it is a
// near miss of a documented variable, which is a *TemplateError, so that
// a typo is caught when the exporter is built instead of being sent:
// its first part (up to the first '.') or the whole name equals the first
// part or the name of a documented variable ignoring case ($report.size,
// $Pdata.x, $chatconnector.id, $tokenResponse.access_token), or is within
// one edit (insertion, deletion, substitution or transposition) of one of
// at least 6 letters, or two edits of one of at least 10 ($chatConector.id,
// $ClientID, $reportbytes, $tokenRespnse.body.JSON.x). The first parts
// are ClientsID, chatConnector, tokenResponse, report, dateTime,
// xmlTemplate and pdata; pdata is matched only exactly (ignoring case),
// so $data stays text.
type Template struct {
	src   string
	parts []part
}

type part struct {
	text string    // literal text, when v is nil
	v    *Variable // a variable
}

// Variable is one variable use in a template.
type Variable struct {
	Name string // without '$', e.g. "pdata.email"
	Pos  int    // byte offset of the '$' in the template
	path []pathStep
}

type pathStep struct {
	key   string
	index int // when key == "" and isIndex
	isIdx bool
}

// TemplateError names a variable the template cannot use and where it is.
type TemplateError struct {
	Template string // which template: "report post body", say
	Variable string // with its '$'
	Pos      int
	Reason   string
}

func (e *TemplateError) Error() string {
	where := ""
	if e.Template != "" {
		where = " in " + e.Template
	}
	return fmt.Sprintf("contactkit: chatexport: %s at offset %d%s: %s", e.Variable, e.Pos, where, e.Reason)
}

func isNameChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' || c == '[' || c == ']'
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// ParseTemplate parses src; a near miss of a documented variable is a
// *TemplateError (see Template).
func ParseTemplate(src string) (*Template, error) {
	t := &Template{src: src}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			t.parts = append(t.parts, part{text: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(src); {
		c := src[i]
		if c != '$' {
			lit.WriteByte(c)
			i++
			continue
		}
		if i+1 < len(src) && src[i+1] == '$' {
			lit.WriteByte('$')
			i += 2
			continue
		}
		if i+1 >= len(src) || !isLetter(src[i+1]) {
			lit.WriteByte('$')
			i++
			continue
		}
		end := i + 1
		for end < len(src) && isNameChar(src[end]) {
			end++
		}
		run := strings.TrimRight(src[i+1:end], ".")
		v, err := matchVariable(run, i)
		if err != nil {
			return nil, err
		}
		if v == nil { // literal text
			lit.WriteByte('$')
			i++
			continue
		}
		flush()
		t.parts = append(t.parts, part{v: v})
		i += 1 + len(v.Name)
	}
	flush()
	return t, nil
}

// matchVariable finds the longest known variable at the start of run.
func matchVariable(run string, pos int) (*Variable, error) {
	var best *Variable
	for _, family := range []string{VarTokenResponsePrefix, VarPDataPrefix} {
		if rest, ok := strings.CutPrefix(run, family); ok && rest != "" {
			v := &Variable{Name: run, Pos: pos}
			if family == VarTokenResponsePrefix {
				steps, err := parsePath(rest)
				if err != nil {
					return nil, &TemplateError{Variable: "$" + run, Pos: pos, Reason: err.Error()}
				}
				v.path = steps
			}
			best = v
		}
	}
	for _, name := range fixedVars {
		if strings.HasPrefix(run, name) && (best == nil || len(name) > len(best.Name)) {
			best = &Variable{Name: name, Pos: pos}
			break
		}
	}
	if best == nil {
		if near := nearMiss(run); near != "" {
			return nil, &TemplateError{Variable: "$" + run, Pos: pos, Reason: "unknown variable; did you mean $" + near + "? (write $$ for a literal $)"}
		}
		return nil, nil
	}
	return best, nil
}

// documentedNames are the names a near miss is measured against: the
// fixed variables and the families without their path.
var documentedNames = append(slices.Clone(fixedVars), "tokenResponse.body.JSON.access_token", "pdata.name")

// nearMiss returns the documented variable run seems to mean, or "".
func nearMiss(run string) string {
	head, _, _ := strings.Cut(run, ".")
	for _, name := range documentedNames {
		nameHead, _, _ := strings.Cut(name, ".")
		if close(head, nameHead) || close(run, name) || strings.EqualFold(run, strings.TrimSuffix(VarTokenResponsePrefix, ".")) {
			return name
		}
	}
	return ""
}

// close reports whether a is the documented name b ignoring case, or
// within one edit of it (b of 6 or more bytes) or two (10 or more).
func close(a, b string) bool {
	a, b = strings.ToLower(a), strings.ToLower(b)
	if a == b {
		return true
	}
	limit := 0
	switch {
	case len(b) >= 10:
		limit = 2
	case len(b) >= 6:
		limit = 1
	}
	if limit == 0 || len(a) > len(b)+limit || len(b) > len(a)+limit {
		return false
	}
	return editDistance(a, b) <= limit
}

// editDistance is the optimal string alignment distance (Levenshtein
// plus transposition of neighbours) of two short ASCII names.
func editDistance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

// parsePath reads a.b[0].c or a.b.0.c.
func parsePath(p string) ([]pathStep, error) {
	var steps []pathStep
	for _, seg := range strings.Split(p, ".") {
		if seg == "" {
			return nil, fmt.Errorf("empty name in path %q", p)
		}
		name, rest, _ := strings.Cut(seg, "[")
		if name != "" {
			if n, err := strconv.Atoi(name); err == nil && n >= 0 {
				steps = append(steps, pathStep{index: n, isIdx: true})
			} else {
				steps = append(steps, pathStep{key: name})
			}
		}
		if rest == "" && !strings.Contains(seg, "[") {
			continue
		}
		for _, idx := range strings.Split("["+rest, "[")[1:] {
			n, err := strconv.Atoi(strings.TrimSuffix(idx, "]"))
			if !strings.HasSuffix(idx, "]") || err != nil || n < 0 {
				return nil, fmt.Errorf("bad index [%s in path %q", idx, p)
			}
			steps = append(steps, pathStep{index: n, isIdx: true})
		}
	}
	return steps, nil
}

// Variables lists the variables the template uses, in order.
func (t *Template) Variables() []Variable {
	var out []Variable
	for _, p := range t.parts {
		if p.v != nil {
			out = append(out, *p.v)
		}
	}
	return out
}

// Uses reports whether the template uses a variable with this name or
// name prefix.
func (t *Template) Uses(prefix string) bool {
	for _, p := range t.parts {
		if p.v != nil && strings.HasPrefix(p.v.Name, prefix) {
			return true
		}
	}
	return false
}

// String is the template source.
func (t *Template) String() string { return t.src }

// Values are what the variables expand to.
type Values struct {
	ClientsID         string
	ChatConnectorID   string
	ChatConnectorName string
	// TokenResponse is the decoded token response JSON (nil without a
	// token phase).
	TokenResponse any
	ReportBase64  string
	ReportBytes   int
	DateTime      time.Time
	// XMLTemplateBase64 is the expanded XML template, base64 encoded.
	XMLTemplateBase64 string
	PData             map[string]string
}

// Expand writes the template with every variable replaced by its value,
// escaped for ctx. A value that is missing (a pdata name or token path
// that is not there) is a *TemplateError.
func (t *Template) Expand(vals *Values, ctx Context) (string, error) {
	var b strings.Builder
	inQuery := false
	for _, p := range t.parts {
		if p.v == nil {
			b.WriteString(p.text)
			inQuery = inQuery || strings.Contains(p.text, "?")
			continue
		}
		raw, err := value(p.v, vals)
		if err != nil {
			return "", err
		}
		esc, err := escape(raw, ctx, inQuery)
		if err != nil {
			return "", &TemplateError{Variable: "$" + p.v.Name, Pos: p.v.Pos, Reason: err.Error()}
		}
		b.WriteString(esc)
	}
	return b.String(), nil
}

func value(v *Variable, vals *Values) (string, error) {
	switch v.Name {
	case VarClientsID:
		return vals.ClientsID, nil
	case VarChatConnectorID:
		return vals.ChatConnectorID, nil
	case VarChatConnectorName:
		return vals.ChatConnectorName, nil
	case VarReportBase64:
		return vals.ReportBase64, nil
	case VarReportBytes:
		return strconv.Itoa(vals.ReportBytes), nil
	case VarDateTime:
		return vals.DateTime.Format(DateTimeLayout), nil
	case VarXMLTemplateBase64:
		return vals.XMLTemplateBase64, nil
	}
	if name, ok := strings.CutPrefix(v.Name, VarPDataPrefix); ok {
		s, found := vals.PData[name]
		if !found {
			return "", &TemplateError{Variable: "$" + v.Name, Pos: v.Pos, Reason: "the chat connector's pdata has no " + strconv.Quote(name)}
		}
		return s, nil
	}
	return tokenValue(v, vals.TokenResponse)
}

// tokenValue is the text of the token response value at v's path.
func tokenValue(v *Variable, doc any) (string, error) {
	cur, err := tokenNode(v, doc)
	if err != nil {
		return "", err
	}
	switch x := cur.(type) {
	case string:
		return x, nil
	case nil:
		return "", nil
	case json.Number:
		return x.String(), nil
	default:
		b, err := json.Marshal(x)
		return string(b), err
	}
}

// tokenNode walks v's path into the token response JSON.
func tokenNode(v *Variable, doc any) (any, error) {
	if doc == nil {
		return nil, &TemplateError{Variable: "$" + v.Name, Pos: v.Pos, Reason: "there is no token response"}
	}
	cur := doc
	for _, s := range v.path {
		switch node := cur.(type) {
		case map[string]any:
			next, ok := node[s.key]
			if s.isIdx {
				next, ok = node[strconv.Itoa(s.index)]
			}
			if !ok {
				return nil, &TemplateError{Variable: "$" + v.Name, Pos: v.Pos, Reason: "the token response has no such field"}
			}
			cur = next
		case []any:
			if !s.isIdx || s.index >= len(node) {
				return nil, &TemplateError{Variable: "$" + v.Name, Pos: v.Pos, Reason: "the token response has no such array element"}
			}
			cur = node[s.index]
		default:
			return nil, &TemplateError{Variable: "$" + v.Name, Pos: v.Pos, Reason: "the token response path runs past a value"}
		}
	}
	return cur, nil
}

func escape(s string, ctx Context, inQuery bool) (string, error) {
	switch ctx {
	case InJSON:
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			return "", err
		}
		out := b.Bytes()
		return string(out[1 : len(out)-2]), nil // drop the quotes and newline
	case InXML:
		var b strings.Builder
		if err := xml.EscapeText(&b, []byte(s)); err != nil {
			return "", err
		}
		return b.String(), nil
	case InForm:
		return url.QueryEscape(s), nil
	case InHeader:
		if strings.ContainsAny(s, "\r\n") {
			return "", fmt.Errorf("the value holds CR or LF, which cannot go into a header")
		}
		return s, nil
	case InURL:
		if inQuery {
			return url.QueryEscape(s), nil
		}
		return url.PathEscape(s), nil
	}
	return s, nil
}
