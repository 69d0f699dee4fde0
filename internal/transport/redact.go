package transport

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// Redacted replaces every secret the SDK removes from logs and errors.
const Redacted = "REDACTED"

// secretParams are query parameter and body field names whose values are
// secrets, compared case-insensitively.
var secretParams = map[string]bool{
	"auth_token":           true,
	"token":                true,
	"access_token":         true,
	"refresh_token":        true,
	"id_token":             true,
	"apikey":               true,
	"api_key":              true,
	"password":             true,
	"recaptchatoken":       true,
	"client_secret":        true,
	"secret":               true,
	"sessiontoken":         true,
	"x-amz-security-token": true,
}

// IsSecretName reports whether a parameter or field of this name holds a
// secret.
func IsSecretName(name string) bool {
	return secretParams[strings.ToLower(strings.TrimSuffix(name, "[]"))]
}

const secretNames = `auth_token|access_token|refresh_token|id_token|apiKey|api_key|token|password|recaptchaToken|client_secret|secret|sessionToken|X-Amz-Security-Token`

var (
	// "apiKey": "..." in JSON.
	secretJSONField = regexp.MustCompile(`(?i)("(?:` + secretNames + `)"\s*:\s*)"(?:[^"\\]|\\.)*"`)
	// \"apiKey\":\"...\" in JSON that was itself put into a JSON string.
	secretEscapedJSONField = regexp.MustCompile(`(?i)(\\"(?:` + secretNames + `)\\"\s*:\s*)\\"(?:[^"\\]|\\[^"])*\\"`)
	// apiKey=... in a query string or form body.
	secretQueryText = regexp.MustCompile(`(?i)(` + secretNames + `)=[^&\s"'<>\\]+`)
	// Authorization credentials in free text.
	secretAuthText = regexp.MustCompile(`(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{4,}`)
)

// maxRecent bounds the secrets a Redactor keeps from token functions and
// single requests (tokens rotate; the newest are the ones that can still
// show up in an answer). A call's own secrets do not depend on it: each
// call carries them (ForCall) for its log lines and errors.
const maxRecent = 256

// Redactor removes secrets from text: by value, every secret registered
// with Add in its plain, JSON-escaped, URL-escaped and base64 forms; by
// name, the values of secret JSON fields, query parameters and
// Authorization credentials. The zero value and nil redact by name only.
// It is safe for concurrent use.
type Redactor struct {
	parent *Redactor // a call's Redactor also applies the client's
	mu     sync.RWMutex
	fixed  map[string]bool // secrets for the client's lifetime
	recent []string        // ring of per-call secrets
	next   int
	forms  []string // every form of every secret, longest first
}

// AddFixed registers a secret for the client's lifetime (a static token,
// a password).
func (r *Redactor) AddFixed(secret string) { r.add(secret, true) }

// Add registers a secret that came with one call (a token fetched from a
// function, an API key in a request body); the newest maxRecent are kept.
func (r *Redactor) Add(secret string) { r.add(secret, false) }

func (r *Redactor) add(secret string, fixed bool) {
	if r == nil || secret == "" {
		return
	}
	if !fixed {
		r.parent.add(secret, false) // a token a call fetched: the client learns it too
	}
	r.mu.RLock()
	known := r.fixed[secret] || slices.Contains(r.recent, secret)
	r.mu.RUnlock()
	if known {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if fixed {
		if r.fixed == nil {
			r.fixed = map[string]bool{}
		}
		r.fixed[secret] = true
	} else if !slices.Contains(r.recent, secret) {
		if len(r.recent) < maxRecent {
			r.recent = append(r.recent, secret)
		} else {
			r.recent[r.next] = secret
			r.next = (r.next + 1) % maxRecent
		}
	}
	r.rebuild()
}

// rebuild recomputes the forms; called with mu held.
func (r *Redactor) rebuild() {
	seen := map[string]bool{}
	var forms []string
	addForm := func(f string) {
		if f != "" && !seen[f] {
			seen[f] = true
			forms = append(forms, f)
		}
	}
	addSecret := func(s string) {
		addForm(s)
		esc := jsonEscape(s)
		addForm(esc)
		addForm(jsonEscape(esc))                    // escaped JSON inside a JSON string
		addForm(strings.ReplaceAll(esc, "/", `\/`)) // PHP and Java escape "/" too
		addForm(url.QueryEscape(s))
		addForm(url.PathEscape(s))
		addForm(base64.StdEncoding.EncodeToString([]byte(s)))
	}
	for s := range r.fixed {
		addSecret(s)
	}
	for _, s := range r.recent {
		addSecret(s)
	}
	slices.SortFunc(forms, func(a, b string) int { return len(b) - len(a) })
	r.forms = forms
}

func jsonEscape(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}

// ForCall returns a Redactor for one call: the client's secrets plus the
// call's own (and, through the call state, the token its attempts
// fetched), so that the call's log lines and errors never depend on
// whether its secrets are still among the client's recent ones while many
// calls run at once.
func (r *Redactor) ForCall(secrets []string) *Redactor {
	if r == nil {
		r = &Redactor{}
	}
	call := &Redactor{parent: r}
	for _, s := range secrets {
		call.AddFixed(s)
	}
	return call
}

// Text removes every known secret from s, by value and then by name.
func (r *Redactor) Text(s string) string {
	if s == "" {
		return s
	}
	return redactByName(r.Values(s))
}

// Values removes the known secrets from s by value only: no patterns, so
// it is cheap enough for every request.
func (r *Redactor) Values(s string) string {
	if r == nil || s == "" {
		return s
	}
	r.mu.RLock()
	forms := r.forms
	r.mu.RUnlock()
	for _, f := range forms {
		if strings.Contains(s, f) {
			s = strings.ReplaceAll(s, f, Redacted)
		}
	}
	return r.parent.Values(s)
}

// URL renders u with every known secret, the password of its user info
// and the values of secret query parameters replaced.
func (r *Redactor) URL(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	if c.User != nil {
		if _, has := c.User.Password(); has {
			c.User = url.UserPassword(c.User.Username(), Redacted)
		}
	}
	c.RawQuery = redactQuery(c.RawQuery)
	return r.Text(c.String())
}

// URLString is URL for a URL in text form; text that does not parse is
// redacted as plain text.
func (r *Redactor) URLString(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return r.Text(s)
	}
	return r.URL(u)
}

// Error returns err with every known secret removed from its text. When
// nothing had to be removed err is returned as it is; otherwise the result
// keeps errors.Is matching (context.Canceled, ErrTimeout, the status
// sentinels) but not errors.As, since the original's fields may hold the
// secret.
func (r *Redactor) Error(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	clean := r.Text(msg)
	if clean == msg {
		return err
	}
	return &redactedError{msg: clean, err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }

// Is matches what the original matches, without exposing it.
func (e *redactedError) Is(target error) bool { return errors.Is(e.err, target) }

func redactQuery(q string) string {
	if q == "" {
		return q
	}
	parts := strings.Split(q, "&")
	for i, p := range parts {
		k, _, hasValue := strings.Cut(p, "=")
		name, err := url.QueryUnescape(k)
		if err != nil {
			name = k
		}
		if hasValue && IsSecretName(name) {
			parts[i] = k + "=" + Redacted
		}
	}
	return strings.Join(parts, "&")
}

func redactByName(s string) string {
	s = secretJSONField.ReplaceAllString(s, `${1}"`+Redacted+`"`)
	s = secretEscapedJSONField.ReplaceAllString(s, `${1}\"`+Redacted+`\"`)
	s = secretQueryText.ReplaceAllString(s, `${1}=`+Redacted)
	s = secretAuthText.ReplaceAllString(s, `${1} `+Redacted)
	return s
}

// RedactText removes secrets by name only, for text no client saw.
func RedactText(s string) string { return (*Redactor)(nil).Text(s) }

// RedactURL removes secrets by name only, for a URL no client saw.
func RedactURL(u *url.URL) string { return (*Redactor)(nil).URL(u) }

// RedactURLString removes secrets by name only from a URL in text form.
func RedactURLString(s string) string { return (*Redactor)(nil).URLString(s) }
