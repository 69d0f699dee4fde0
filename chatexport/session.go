package chatexport

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Role says who wrote a message; agent and customer lines look different
// in the transcript.
type Role string

// The roles of a chat.
const (
	Customer Role = "customer"
	Agent    Role = "agent"
	Bot      Role = "bot"
	System   Role = "system"
)

// Participant is someone in the chat.
type Participant struct {
	Name string
	Role Role
}

// Message is one line of the chat.
type Message struct {
	Time   time.Time
	Sender string
	Role   Role
	Text   string
}

// Session is one chat session as jtel exports it.
type Session struct {
	ID                string
	ClientsID         string // the client account
	ChatConnectorID   string
	ChatConnectorName string
	Start, End        time.Time
	Participants      []Participant
	Messages          []Message
	// PData is the chat connector's pdata, by name; see ParsePData.
	PData map[string]string
}

// Duration is End minus Start, or zero when either is unknown.
func (s *Session) Duration() time.Duration {
	if s.Start.IsZero() || s.End.IsZero() || s.End.Before(s.Start) {
		return 0
	}
	return s.End.Sub(s.Start)
}

// PDataNames returns the pdata names in sorted order.
func (s *Session) PDataNames() []string {
	names := make([]string, 0, len(s.PData))
	for n := range s.PData {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ParsePData reads a chat connector's pdata: JSON, or the relaxed form the
// jtel document prints, {name:'John Doe', email:'john.doe@example.com'}
// (unquoted keys, single-quoted strings). Nested objects are flattened
// with dots ({address:{city:'Berlin'}} gives "address.city"); numbers,
// booleans and null become their text.
func ParsePData(s string) (map[string]string, error) {
	out := map[string]string{}
	s = strings.TrimSpace(s)
	if s == "" {
		return out, nil
	}
	var v any
	if json.Unmarshal([]byte(s), &v) != nil {
		p := &relaxed{src: s}
		var err error
		if v, err = p.value(); err != nil {
			return nil, fmt.Errorf("contactkit: chatexport: pdata: %w", err)
		}
		p.space()
		if p.pos != len(p.src) {
			return nil, fmt.Errorf("contactkit: chatexport: pdata: unexpected %q at offset %d", p.src[p.pos:min(p.pos+10, len(p.src))], p.pos)
		}
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("contactkit: chatexport: pdata must be an object")
	}
	flatten("", obj, out)
	return out, nil
}

func flatten(prefix string, obj map[string]any, out map[string]string) {
	for k, v := range obj {
		switch v := v.(type) {
		case map[string]any:
			flatten(prefix+k+".", v, out)
		case nil:
			out[prefix+k] = ""
		case string:
			out[prefix+k] = v
		case float64:
			out[prefix+k] = strconv.FormatFloat(v, 'f', -1, 64)
		case json.Number:
			out[prefix+k] = v.String()
		default:
			b, _ := json.Marshal(v)
			out[prefix+k] = string(b)
		}
	}
}

// relaxed parses JavaScript-style object literals.
type relaxed struct {
	src   string
	pos   int
	depth int
}

func (p *relaxed) space() {
	for p.pos < len(p.src) && strings.ContainsRune(" \t\r\n", rune(p.src[p.pos])) {
		p.pos++
	}
}

func (p *relaxed) fail(want string) error {
	if p.pos >= len(p.src) {
		return fmt.Errorf("want %s, got the end", want)
	}
	return fmt.Errorf("want %s at offset %d", want, p.pos)
}

func (p *relaxed) value() (any, error) {
	p.space()
	if p.pos >= len(p.src) {
		return nil, p.fail("a value")
	}
	switch p.src[p.pos] {
	case '{':
		return p.object()
	case '\'', '"':
		return p.quoted()
	case '[':
		return nil, errors.New("arrays are not supported in pdata")
	default:
		word := p.word()
		switch word {
		case "":
			return nil, p.fail("a value")
		case "null":
			return nil, nil
		case "true", "false":
			return word == "true", nil
		}
		if f, err := strconv.ParseFloat(word, 64); err == nil {
			return f, nil
		}
		return word, nil // a bare word: keep it as text
	}
}

func (p *relaxed) object() (map[string]any, error) {
	p.depth++
	if p.depth > 32 {
		return nil, errors.New("pdata nests too deep")
	}
	defer func() { p.depth-- }()
	p.pos++ // {
	out := map[string]any{}
	for {
		p.space()
		if p.pos < len(p.src) && p.src[p.pos] == '}' {
			p.pos++
			return out, nil
		}
		var key string
		if p.pos < len(p.src) && (p.src[p.pos] == '\'' || p.src[p.pos] == '"') {
			k, err := p.quoted()
			if err != nil {
				return nil, err
			}
			key = k
		} else if key = p.word(); key == "" {
			return nil, p.fail("a name")
		}
		p.space()
		if p.pos >= len(p.src) || p.src[p.pos] != ':' {
			return nil, p.fail("':'")
		}
		p.pos++
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		out[key] = v
		p.space()
		if p.pos < len(p.src) && p.src[p.pos] == ',' {
			p.pos++
			continue
		}
		if p.pos < len(p.src) && p.src[p.pos] == '}' {
			p.pos++
			return out, nil
		}
		return nil, p.fail("',' or '}'")
	}
}

func (p *relaxed) word() string {
	start := p.pos
	for p.pos < len(p.src) {
		r := rune(p.src[p.pos])
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune("_$-+.", r) {
			break
		}
		p.pos++
	}
	return p.src[start:p.pos]
}

func (p *relaxed) quoted() (string, error) {
	q := p.src[p.pos]
	p.pos++
	var b strings.Builder
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch {
		case c == q:
			p.pos++
			return b.String(), nil
		case c == '\\' && p.pos+1 < len(p.src):
			p.pos++
			switch e := p.src[p.pos]; e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			default:
				b.WriteByte(e)
			}
		default:
			b.WriteByte(c)
		}
		p.pos++
	}
	return "", errors.New("unterminated string")
}
