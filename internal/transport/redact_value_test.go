package transport

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Each way a secret reaches a client, pushed through each way a server
// can give it back, must come out REDACTED everywhere the SDK shows text.
func TestSecretsRedactedByValue(t *testing.T) {
	const secret = "Zq8-unlikely+secret/value=" // has characters every escaping changes
	type source struct {
		name  string
		auth  func(t *testing.T) Auth
		extra []string // Request.Secrets
		shows []string // the forms of the secret that must not appear
	}
	sources := []source{
		{name: "static bearer", auth: func(t *testing.T) Auth { return bearerToken(t, secret) }},
		{name: "bearer func", auth: func(t *testing.T) Auth {
			return bearerFunc(t, func(context.Context) (string, error) { return secret, nil })
		}},
		{name: "basic password", auth: func(t *testing.T) Auth { return basicAuth(t, "api-user", secret) },
			shows: []string{base64.StdEncoding.EncodeToString([]byte("api-user:" + secret))}},
		{name: "request secret (api key, captcha)", auth: func(*testing.T) Auth { return NoAuth() }, extra: []string{secret}},
	}
	type echoForm struct {
		name string
		body func(r *http.Request, reqBody []byte) string
	}
	pad := strings.Repeat("p", MaxErrorBody-10)
	forms := []echoForm{
		{"plain text", func(*http.Request, []byte) string { return "bad credential " + secret }},
		{"whole request echoed", func(r *http.Request, b []byte) string {
			return fmt.Sprintf("%s %s %v %s", r.Method, r.URL, r.Header, b)
		}},
		{"json message", func(*http.Request, []byte) string {
			b, _ := json.Marshal(map[string]string{"message": "token " + secret + " expired"})
			return string(b)
		}},
		{"escaped json inside json", func(*http.Request, []byte) string {
			inner, _ := json.Marshal(map[string]string{"apiKey": secret, "note": secret})
			b, _ := json.Marshal(map[string]string{"error": string(inner)})
			return string(b)
		}},
		{"url-escaped", func(*http.Request, []byte) string { return "sig=" + url.QueryEscape(secret) }},
		{"straddling the 4 KiB cut", func(*http.Request, []byte) string { return pad + secret + " tail" }},
		{"base64", func(*http.Request, []byte) string { return base64.StdEncoding.EncodeToString([]byte(secret)) }},
		{"php-escaped slash", func(*http.Request, []byte) string {
			return `{"error":"` + strings.ReplaceAll(secret, "/", `\/`) + `"}`
		}},
	}
	for _, src := range sources {
		for _, form := range forms {
			t.Run(src.name+"/"+form.name, func(t *testing.T) {
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					b, _ := io.ReadAll(r.Body)
					w.Header().Set("X-Request-Id", "req-"+secret)
					w.WriteHeader(http.StatusBadRequest)
					_, _ = io.WriteString(w, form.body(r, b))
				}))
				defer srv.Close()
				var logs bytes.Buffer
				c := newAuthClient(t, srv.URL, src.auth(t), WithLogger(slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
				// the secret also rides in a path segment and under a
				// query parameter whose name says nothing
				var q Query
				q.Add("sig", secret)
				r := &Request{Method: http.MethodPost, Path: Path("files", secret), Query: &q,
					JSON: map[string]string{"apiKey": secret, "recaptchaToken": secret}, Secrets: src.extra}
				err := c.Do(context.Background(), r, nil)
				require.Error(t, err)
				var ae *APIError
				require.True(t, errors.As(err, &ae))
				texts := map[string]string{
					"Error()": err.Error(), "URL": ae.URL, "Message": ae.Message, "Body": string(ae.Body),
					"RequestID": ae.RequestID, "log": logs.String(), "%+v": fmt.Sprintf("%+v", ae),
				}
				for _, d := range ae.Details {
					texts["Details"] += d.Message
				}
				for where, text := range texts {
					for _, f := range append([]string{secret, url.QueryEscape(secret), url.PathEscape(secret), jsonEscape(secret)}, src.shows...) {
						assert.NotContains(t, text, f, "secret form %q in %s", f, where)
					}
					// half a secret is still a leak
					assert.NotContains(t, text, secret[:13], "half of the secret in %s", where)
				}
				assert.LessOrEqual(t, len(ae.Body), MaxErrorBody)
			})
		}
	}
}

func TestRedactorKeepsErrorsIsAndBoundsRecent(t *testing.T) {
	r := &Redactor{}
	r.Add("tok-secret-1")
	err := r.Error(fmt.Errorf("dial failed for tok-secret-1: %w", context.Canceled))
	assert.NotContains(t, err.Error(), "tok-secret-1")
	assert.ErrorIs(t, err, context.Canceled)
	plain := errors.New("nothing secret")
	assert.Same(t, plain, r.Error(plain), "an error with nothing to remove is returned as it is")

	for i := range 3 * maxRecent {
		r.Add(fmt.Sprintf("rotating-%03d", i))
	}
	assert.Contains(t, r.Text("rotating-000"), "rotating-000", "the oldest rotated tokens are forgotten")
	assert.Equal(t, Redacted, r.Text(fmt.Sprintf("rotating-%03d", 3*maxRecent-1)))
	r.AddFixed("fixed-password")
	for i := range 3 * maxRecent {
		r.Add(fmt.Sprintf("more-%03d", i))
	}
	assert.Equal(t, Redacted, r.Text("fixed-password"), "fixed secrets stay")
	assert.Equal(t, "", (*Redactor)(nil).Text(""))
}
