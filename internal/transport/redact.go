package transport

import (
	"net/url"
	"regexp"
	"strings"
)

// Redacted replaces every secret the SDK removes from logs and errors.
const Redacted = "REDACTED"

// secretParams are query parameter and body field names whose values are
// secrets, compared case-insensitively.
var secretParams = map[string]bool{
	"auth_token":     true,
	"token":          true,
	"access_token":   true,
	"refresh_token":  true,
	"id_token":       true,
	"apikey":         true,
	"api_key":        true,
	"password":       true,
	"recaptchatoken": true,
	"client_secret":  true,
	"secret":         true,
}

// IsSecretName reports whether a parameter or field of this name holds a
// secret.
func IsSecretName(name string) bool {
	return secretParams[strings.ToLower(strings.TrimSuffix(name, "[]"))]
}

// RedactURL renders u with the password of its user info and the values of
// secret query parameters replaced.
func RedactURL(u *url.URL) string {
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
	return c.String()
}

// RedactURLString is RedactURL for a URL in text form; text that does not
// parse is redacted as plain text.
func RedactURLString(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return RedactText(s)
	}
	return RedactURL(u)
}

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

var (
	secretJSONField = regexp.MustCompile(`(?i)("(?:auth_token|token|access_token|refresh_token|id_token|apiKey|api_key|password|recaptchaToken|client_secret|secret)"\s*:\s*)"(?:[^"\\]|\\.)*"`)
	secretQueryText = regexp.MustCompile(`(?i)\b(auth_token|access_token|refresh_token|apiKey|api_key|token|password|recaptchaToken)=[^&\s"'<>]+`)
	secretAuthText  = regexp.MustCompile(`(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{4,}`)
)

// RedactText removes secrets from free text such as a response body kept
// in an error: JSON fields with secret names, secret query parameters and
// Authorization credentials.
func RedactText(s string) string {
	if s == "" {
		return s
	}
	s = secretJSONField.ReplaceAllString(s, `${1}"`+Redacted+`"`)
	s = secretQueryText.ReplaceAllString(s, `${1}=`+Redacted)
	s = secretAuthText.ReplaceAllString(s, `${1} `+Redacted)
	return s
}
