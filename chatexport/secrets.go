package chatexport

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/contactkit/contactkit/internal/transport"
)

// Secrets of an export. A template may put the token response's values
// anywhere — a query parameter of any name (?sig=$tokenResponse.body.JSON.access_token),
// a path segment, a header, a JSON body — where redaction by name cannot
// see them. So before phase 2 every value of the token response that a
// template uses, and every value under a secret-named field of it
// (access_token, token, refresh_token, client_secret...), is registered
// with the exporter's redactor and removed by value from the debug log,
// error strings, *contactkit.APIError and PhaseError.Body. So are the
// values of secret-named query parameters, body fields and credential
// headers of each expanded post.
//
// Values shorter than minSecretLen bytes, numbers, booleans and the
// fields in notSecretFields (token_type, expires_in, scope) are not
// registered: redacting "Bearer" or "3600" by value would shred every log
// line without hiding anything.

// minSecretLen is the shortest value registered as a secret.
const minSecretLen = 6

// maxSecrets bounds the values one token response registers.
const maxSecrets = 32

// maxScannedBody is the largest request body searched for secret fields
// (a report body holding the PDF is not decoded again).
const maxScannedBody = 1 << 20

// notSecretFields are token response fields that describe the token.
var notSecretFields = map[string]bool{"token_type": true, "expires_in": true, "ext_expires_in": true, "expires_on": true, "scope": true}

type secretSet []string

func (s *secretSet) add(v string) {
	if len(v) >= minSecretLen && len(*s) < maxSecrets && !slices.Contains(*s, v) {
		*s = append(*s, v)
	}
}

// leaves adds every string under node.
func (s *secretSet) leaves(node any) {
	switch n := node.(type) {
	case string:
		s.add(n)
	case map[string]any:
		for _, v := range n {
			s.leaves(v)
		}
	case []any:
		for _, v := range n {
			s.leaves(v)
		}
	}
}

// named adds the values under secret-named fields anywhere in node.
func (s *secretSet) named(node any) {
	switch n := node.(type) {
	case map[string]any:
		for k, v := range n {
			if transport.IsSecretName(k) {
				s.leaves(v)
			} else {
				s.named(v)
			}
		}
	case []any:
		for _, v := range n {
			s.named(v)
		}
	}
}

// tokenSecrets lists the token response's values that phase 2 may carry.
func (e *Exporter) tokenSecrets(doc any) []string {
	if doc == nil {
		return nil
	}
	var s secretSet
	for _, t := range append(e.report.all(), e.xml) {
		for _, v := range t.Variables() {
			if !strings.HasPrefix(v.Name, VarTokenResponsePrefix) {
				continue
			}
			if n := len(v.path); n > 0 && notSecretFields[strings.ToLower(v.path[n-1].key)] {
				continue
			}
			node, err := tokenNode(&v, doc)
			if err != nil {
				continue
			}
			s.leaves(node)
			if _, isText := node.(string); !isText {
				if text, err := tokenValue(&v, doc); err == nil {
					s.add(text) // an object or array, inserted as JSON
				}
			}
		}
	}
	s.named(doc)
	return s
}

// requestSecrets finds the secrets of an expanded post: secret-named
// query parameters and body fields, credential headers.
func requestSecrets(rawURL string, h http.Header, body string, ctx Context) []string {
	var s secretSet
	if u, err := url.Parse(rawURL); err == nil {
		if p, ok := u.User.Password(); ok {
			s.add(p)
		}
		for k, vs := range u.Query() {
			if transport.IsSecretName(k) {
				for _, v := range vs {
					s.add(v)
				}
			}
		}
	}
	for name, vs := range h {
		lower := strings.ToLower(name)
		credential := lower == "authorization" || lower == "proxy-authorization"
		secretish := transport.IsSecretName(name) || strings.Contains(lower, "token") ||
			strings.Contains(lower, "secret") || strings.Contains(lower, "key") || strings.Contains(lower, "signature")
		for _, v := range vs {
			if !credential && !secretish {
				continue
			}
			scheme, cred, ok := strings.Cut(strings.TrimSpace(v), " ")
			if !ok || !credential {
				s.add(v)
				continue
			}
			cred = strings.TrimSpace(cred)
			s.add(cred)
			if strings.EqualFold(scheme, "basic") {
				if dec, err := base64.StdEncoding.DecodeString(cred); err == nil {
					if _, pw, ok := strings.Cut(string(dec), ":"); ok {
						s.add(pw)
					}
				}
			}
		}
	}
	if len(body) <= maxScannedBody {
		switch ctx {
		case InJSON:
			var doc any
			if json.Unmarshal([]byte(body), &doc) == nil {
				s.named(doc)
			}
		case InForm:
			if q, err := url.ParseQuery(body); err == nil {
				for k, vs := range q {
					if transport.IsSecretName(k) {
						for _, v := range vs {
							s.add(v)
						}
					}
				}
			}
		}
	}
	return s
}
