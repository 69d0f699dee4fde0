package chatexport_test

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
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/contactkit/contactkit/internal/testtool"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/chatexport"
)

// secretToken is what the token post answers: '/', '+' and '=' give it
// distinct path, query and PHP-JSON (\/) forms.
const secretToken = "tK9/zQ+Lm2=Secret_8dF"

// echoServer issues secretToken and answers every report post with an
// error that repeats the whole request, as some frameworks do.
func echoServer(t *testing.T, mode string) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/token", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprintf(w, `{"access_token":%q,"token_type":"Bearer","expires_in":3600}`, secretToken)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var hdr strings.Builder
		_ = r.Header.Write(&hdr)
		echo := r.Method + " " + r.RequestURI + " | " + hdr.String() + " | " + string(body)
		w.Header().Set("X-Request-Id", "req-"+r.Header.Get("X-Sig"))
		switch mode {
		case "straddle": // the plain token cut in half by the 4 KiB limit
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, strings.Repeat("x", contactkit.MaxErrorBody-len(secretToken)/2)+secretToken+" "+echo)
		case "php": // JSON with '/' escaped as \/
			b, _ := json.Marshal(map[string]any{"status": 400, "error": echo})
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write(bytes.ReplaceAll(b, []byte("/"), []byte(`\/`)))
		default:
			b, _ := json.Marshal(map[string]any{"status": 400, "error": echo})
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write(b)
		}
	})
	return newHTTPServer(t, mux)
}

// secretForms are the ways the token can show up in text.
func secretForms() []string {
	js, _ := json.Marshal(secretToken)
	return []string{
		secretToken, url.QueryEscape(secretToken), url.PathEscape(secretToken), string(js[1 : len(js)-1]),
		strings.ReplaceAll(secretToken, "/", `\/`), base64.StdEncoding.EncodeToString([]byte(secretToken)),
		secretToken[:len(secretToken)/2], secretToken[len(secretToken)/2:], // either half of a cut token
	}
}

func TestTokenResponseNeverLeaks(t *testing.T) {
	const tok = "$tokenResponse.body.JSON.access_token"
	placements := map[string]chatexport.Post{
		"query parameter of another name": {URL: "/report?sig=" + tok},
		"path segment":                    {URL: "/report/" + tok + "/in"},
		"header of another name":          {URL: "/report", Headers: "X-Sig: " + tok},
		"JSON body field of another name": {URL: "/report", Headers: "Content-Type: application/json", Body: `{"sig":"` + tok + `"}`},
		"escaped JSON in a JSON body":     {URL: "/report", Headers: "Content-Type: application/json", Body: `{"payload":"{\"sig\":\"` + tok + `\"}"}`},
		"form body":                       {URL: "/report", Headers: "Content-Type: application/x-www-form-urlencoded", Body: "a=1&sig=" + tok},
	}
	for _, mode := range []string{"echo", "php", "straddle"} {
		for name, post := range placements {
			t.Run(mode+"/"+name, func(t *testing.T) {
				base := echoServer(t, mode)
				var logs testtool.SyncBuffer
				post.URL = base + post.URL
				e := newExporter(t, chatexport.Config{
					TokenPost:  &chatexport.Post{URL: base + "/token", Body: "grant_type=client_credentials"},
					ReportPost: post,
				}, chatexport.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
				_, err := e.Export(context.Background(), session())
				require.Error(t, err)
				var pe *chatexport.PhaseError
				require.ErrorAs(t, err, &pe)
				require.Equal(t, 400, pe.StatusCode, "the echo arrived")
				var ae *contactkit.APIError
				require.ErrorAs(t, err, &ae, "still an *APIError")
				assert.ErrorIs(t, err, contactkit.ErrBadRequest)
				require.NotEmpty(t, logs.String(), "the attempt was logged")
				outputs := map[string]string{
					"Error()": err.Error(), "PhaseError.Body": string(pe.Body), "debug log": logs.String(),
					"APIError.URL": ae.URL, "APIError.Message": ae.Message, "APIError.Body": string(ae.Body), "APIError.RequestID": ae.RequestID,
				}
				for out, text := range outputs {
					for _, form := range secretForms() {
						assert.NotContains(t, text, form, "%s shows the token (%s)", out, form)
					}
				}
				assert.Contains(t, string(pe.Body)+ae.Message, "REDACTED", "something was removed")
			})
		}
	}
}

// A secret-named field of the token response that no template uses
// (refresh_token) and a value used inside an object are registered too.
func TestTokenResponseSecretFields(t *testing.T) {
	const refresh, nested = "refresh-5ecr3t-value", "nested-signing-key-77"
	mux := http.NewServeMux()
	mux.HandleFunc("/token", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = fmt.Fprintf(w, `{"access_token":"a","refresh_token":%q,"sig":{"k":%q},"token_type":"Bearer"}`, refresh, nested)
	})
	mux.HandleFunc("/report", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		http.Error(w, "refresh "+refresh+" body "+string(body)+" auth "+r.Header.Get("Authorization"), http.StatusConflict)
	})
	base := newHTTPServer(t, mux)
	e := newExporter(t, chatexport.Config{
		TokenPost:  &chatexport.Post{URL: base + "/token"},
		ReportPost: chatexport.Post{URL: base + "/report", Headers: "Authorization: $tokenResponse.body.JSON.token_type x", Body: "$tokenResponse.body.JSON.sig"},
	})
	_, err := e.Export(context.Background(), session())
	var pe *chatexport.PhaseError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, 409, pe.StatusCode)
	for _, text := range []string{err.Error(), string(pe.Body)} {
		assert.NotContains(t, text, refresh)
		assert.NotContains(t, text, nested)
	}
	assert.Contains(t, string(pe.Body), "Bearer", "token_type is not a secret and stays readable")
}

// The report post's answer (Result.ReportBody) is redacted before it is
// cut, like an error body.
func TestReportBodyRedacted(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/token", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = fmt.Fprintf(w, `{"access_token":%q}`, secretToken)
	})
	mux.HandleFunc("/report", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, strings.Repeat("y", contactkit.MaxErrorBody-5)+secretToken)
	})
	base := newHTTPServer(t, mux)
	e := newExporter(t, chatexport.Config{
		TokenPost:  &chatexport.Post{URL: base + "/token"},
		ReportPost: chatexport.Post{URL: base + "/report?sig=$tokenResponse.body.JSON.access_token"},
	})
	res, err := e.Export(context.Background(), session())
	require.NoError(t, err)
	assert.LessOrEqual(t, len(res.ReportBody), contactkit.MaxErrorBody)
	assert.NotContains(t, string(res.ReportBody), secretToken[:5])
	assert.False(t, errors.Is(err, contactkit.ErrBadRequest))
}

// Many exports at once through one exporter, each with its own token: the
// client's redactor keeps only the newest per-call secrets, so each
// export also keeps its own until its error is built.
func TestConcurrentExportsKeepTheirSecrets(t *testing.T) {
	var n atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("/token", func(w http.ResponseWriter, _ *http.Request) {
		i := n.Add(1) // seven secrets per export: 12 exports overflow the client's 64
		_, _ = fmt.Fprintf(w, `{"access_token":"tok-%06d-secret","refresh_token":"r1-%06d-secret","id_token":"r2-%06d-secret",`+
			`"token":"r3-%06d-secret","secret":"r4-%06d-secret","client_secret":"r5-%06d-secret","api_key":"r6-%06d-secret"}`, i, i, i, i, i, i, i)
	})
	mux.HandleFunc("/report", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "bad sig "+r.URL.Query().Get("sig"), http.StatusBadRequest)
	})
	base := newHTTPServer(t, mux)
	e := newExporter(t, chatexport.Config{
		TokenPost:  &chatexport.Post{URL: base + "/token"},
		ReportPost: chatexport.Post{URL: base + "/report?sig=$tokenResponse.body.JSON.access_token"},
	})
	var wg sync.WaitGroup
	for range 12 {
		wg.Go(func() {
			_, err := e.Export(context.Background(), &chatexport.Session{ID: "x"})
			var pe *chatexport.PhaseError
			if assert.ErrorAs(t, err, &pe) {
				assert.NotContains(t, err.Error()+string(pe.Body), "-secret")
			}
		})
	}
	wg.Wait()
	assert.EqualValues(t, 12, n.Load())
}
