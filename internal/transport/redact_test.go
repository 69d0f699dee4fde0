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
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit/internal/fakeserver"
)

// Known secret strings. Every one must stay out of logs and errors even
// when a server echoes the whole request back.
const (
	secretBearer    = "s3cr3t-bearer-TOKEN-42"
	secretPassword  = "s3cr3t-basic-PASSWORD-42"
	secretAuthToken = "s3cr3t-auth-token-QUERY-42"
	secretAPIKey    = "s3cr3t-apikey-QUERY-42"
	secretBodyKey   = "s3cr3t-apiKey-BODY-42"
	secretCaptcha   = "s3cr3t-recaptcha-BODY-42"
	secretBodyPass  = "s3cr3t-password-BODY-42"
	secretAccess    = "s3cr3t-access-token-BODY-42"
)

var allSecrets = []string{
	secretBearer, secretPassword, secretAuthToken, secretAPIKey, secretBodyKey, secretCaptcha, secretBodyPass, secretAccess,
	base64.StdEncoding.EncodeToString([]byte("api-user:" + secretPassword)),
}

// echo answers with status and a body that repeats every header, the URL
// and the request body: the worst a server can do.
func echo(status int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]any{
			"error":   "echo of " + r.Header.Get("Authorization") + " " + r.URL.String(),
			"message": "headers " + fmt.Sprint(r.Header),
			"request": json.RawMessage(body),
			"url":     r.URL.String(),
		})
	}
}

func secretRequest() *Request {
	var q Query
	q.Add("auth_token", secretAuthToken)
	q.Add("apiKey", secretAPIKey)
	q.Add("id", "M1")
	return &Request{
		Method: http.MethodPost, Path: "/chat/apiqueue", Query: &q,
		JSON: map[string]any{
			"apiKey": secretBodyKey, "recaptchaToken": secretCaptcha, "password": secretBodyPass,
			"access_token": secretAccess, "name": "visible",
		},
	}
}

func assertNoSecret(t *testing.T, where, text string) {
	t.Helper()
	for _, s := range allSecrets {
		assert.NotContains(t, text, s, "secret leaked into %s", where)
	}
}

// errorTexts collects every way a caller might print an error.
func errorTexts(err error) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%v\n%+v\n%#v\n%s\n", err, err, err, err)
	var ae *APIError
	if errors.As(err, &ae) {
		b.Write(ae.Body)
		b.WriteString(ae.URL + ae.Message)
		for _, d := range ae.Details {
			b.WriteString(d.Message)
		}
	}
	return b.String()
}

func TestNoSecretInLogsOrErrors(t *testing.T) {
	type scenario struct {
		name  string
		setup func(t *testing.T) string // returns the base URL
		auth  Auth
	}
	statusServer := func(status int) func(t *testing.T) string {
		return func(t *testing.T) string {
			srv, _ := testServer(t, echo(status))
			return srv.URL
		}
	}
	scenarios := []scenario{}
	for _, status := range []int{400, 401, 403, 404, 409, 423, 429, 500, 503} {
		for _, auth := range []Auth{bearerToken(t, secretBearer), basicAuth(t, "api-user", secretPassword)} {
			scenarios = append(scenarios, scenario{fmt.Sprintf("status %d", status), statusServer(status), auth})
		}
	}
	scenarios = append(scenarios,
		scenario{"success echo", statusServer(200), bearerToken(t, secretBearer)},
		scenario{"connection refused", func(t *testing.T) string {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			addr := ln.Addr().String()
			_ = ln.Close()
			return "http://" + addr
		}, bearerToken(t, secretBearer)},
		scenario{"connection reset", func(t *testing.T) string {
			srv, f := testServer(t, echo(200))
			f.Inject(10, fakeserver.Fault{Drop: true})
			return srv.URL
		}, basicAuth(t, "api-user", secretPassword)},
		scenario{"truncated", func(t *testing.T) string {
			srv, f := testServer(t, echo(200))
			f.Inject(10, fakeserver.Fault{Truncate: true})
			return srv.URL
		}, bearerToken(t, secretBearer)},
		scenario{"timeout", func(t *testing.T) string {
			srv, f := testServer(t, echo(200))
			f.SetDelay(5 * time.Second)
			return srv.URL
		}, bearerToken(t, secretBearer)},
	)
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			var logs bytes.Buffer
			logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			base := sc.setup(t)
			c := newAuthClient(t, base, sc.auth, WithLogger(logger))
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			r := secretRequest()
			r.Idempotent = true // exercise retries and their log lines too
			var out map[string]any
			err := c.Do(ctx, r, &out)
			if sc.name != "success echo" {
				require.Error(t, err)
			}
			assertNoSecret(t, "error", errorTexts(err))
			assertNoSecret(t, "log", logs.String())
			assert.Contains(t, logs.String(), "contactkit: http attempt", "the attempt was logged")
		})
	}
}

func TestRedactURL(t *testing.T) {
	got := RedactURLString("https://user:" + secretPassword + "@h/ws?id=M1&auth_token=" + secretAuthToken + "&apiKey=" + secretAPIKey + "&token=x&access_token=y")
	assert.Equal(t, "https://user:REDACTED@h/ws?id=M1&auth_token=REDACTED&apiKey=REDACTED&token=REDACTED&access_token=REDACTED", got)
	assert.Equal(t, "https://h/p?id=1", RedactURLString("https://h/p?id=1"))
}

func TestRedactText(t *testing.T) {
	in := `{"apiKey":"` + secretBodyKey + `","recaptchaToken": "` + secretCaptcha + `","password":"a\"b` + secretBodyPass + `","name":"x"} ` +
		`Authorization: Bearer ` + secretBearer + ` ?auth_token=` + secretAuthToken
	out := RedactText(in)
	assertNoSecret(t, "text", out)
	assert.Contains(t, out, `"name":"x"`)
	assert.Contains(t, out, `"apiKey":"REDACTED"`)
}
