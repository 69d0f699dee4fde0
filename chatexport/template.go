package chatexport

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/url"
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
// and so does a '$' not followed by a letter ("5 $"). A '$' followed by a
// letter must start a known variable; the longest known variable wins
// ($report.bytes vs $report.encoded.base64), and a trailing '.' ends a
// name, so "at $dateTime." works.
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

// ParseTemplate parses src; an unknown variable is a *TemplateError.
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
		return nil, &TemplateError{Variable: "$" + run, Pos: pos, Reason: "unknown variable (write $$ for a literal $)"}
	}
	return best, nil
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

// tokenValue walks the path into the token response JSON.
func tokenValue(v *Variable, doc any) (string, error) {
	if doc == nil {
		return "", &TemplateError{Variable: "$" + v.Name, Pos: v.Pos, Reason: "there is no token response"}
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
				return "", &TemplateError{Variable: "$" + v.Name, Pos: v.Pos, Reason: "the token response has no such field"}
			}
			cur = next
		case []any:
			if !s.isIdx || s.index >= len(node) {
				return "", &TemplateError{Variable: "$" + v.Name, Pos: v.Pos, Reason: "the token response has no such array element"}
			}
			cur = node[s.index]
		default:
			return "", &TemplateError{Variable: "$" + v.Name, Pos: v.Pos, Reason: "the token response path runs past a value"}
		}
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
