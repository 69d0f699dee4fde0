package chatexport_test

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/chatexport"
	"github.com/contactkit/contactkit/chatexport/chatexporttest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var at = time.Date(2024, 5, 6, 9, 45, 0, 0, time.UTC)

func session() *chatexport.Session {
	return &chatexport.Session{
		ID: "chat-1", ClientsID: "1001", ChatConnectorID: "7", ChatConnectorName: "Webshop & Co",
		Start: at.Add(-10 * time.Minute), End: at,
		Participants: []chatexport.Participant{{Name: "Anna", Role: chatexport.Customer}, {Name: "Jörg", Role: chatexport.Agent}},
		Messages: []chatexport.Message{
			{Time: at.Add(-9 * time.Minute), Sender: "Anna", Role: chatexport.Customer, Text: "Dzień dobry 😀"},
			{Time: at.Add(-8 * time.Minute), Sender: "Jörg", Role: chatexport.Agent, Text: "Grüß Gott!"},
		},
		PData: map[string]string{"name": `John "JD" Doe`, "email": "john.doe@example.com"},
	}
}

func newExporter(t *testing.T, cfg chatexport.Config, opts ...chatexport.Option) *chatexport.Exporter {
	t.Helper()
	opts = append([]chatexport.Option{chatexport.WithClock(func() time.Time { return at })}, opts...)
	e, err := chatexport.NewExporter(cfg, opts...)
	require.NoError(t, err)
	return e
}

func TestTwoPhaseExport(t *testing.T) {
	srv := chatexporttest.NewServer()
	defer srv.Close()
	res, err := newExporter(t, srv.Config()).Export(context.Background(), session())
	require.NoError(t, err)
	assert.Equal(t, 200, res.TokenStatus)
	assert.Equal(t, 200, res.ReportStatus)
	assert.Contains(t, string(res.ReportBody), `"status":"stored"`)
	assert.Equal(t, 1, srv.Tokens())

	reps := srv.Reports()
	require.Len(t, reps, 1)
	r := reps[0]
	assert.Equal(t, res.PDF, r.PDF, "the PDF arrives byte for byte")
	assert.Equal(t, "1001", r.Fields["clientsId"])
	assert.Equal(t, "Webshop & Co", r.Fields["connector"])
	assert.Equal(t, `John "JD" Doe`, r.Fields["customer"], "quotes in pdata do not break the JSON body")
	assert.Equal(t, "2024-05-06 09:45:00", r.Fields["created"])
	assert.Equal(t, "Webshop & Co", r.Header.Get("X-Chat-Connector"))
	assert.Equal(t, `<?xml version="1.0" encoding="UTF-8"?><chatReport><account>1001</account><connector id="7">Webshop &amp; Co</connector>`+
		`<customer email="john.doe@example.com">John &#34;JD&#34; Doe</customer><exported>2024-05-06 09:45:00</exported><bytes>`+
		strings.TrimSpace(r.Fields["bytes"].(string))+`</bytes></chatReport>`, string(r.XML))

	reqs := srv.Requests()
	require.Len(t, reqs, 2)
	assert.Equal(t, chatexporttest.TokenPath, reqs[0].Path)
	assert.JSONEq(t, `{"grant_type":"client_credentials","client_id":"jtel","client_secret":"chatexporttest-secret","account":"1001"}`, string(reqs[0].Body))
	assert.Equal(t, "connector=7", reqs[1].Query)
	assert.True(t, strings.HasPrefix(reqs[1].Header.Get("Authorization"), "Bearer "))
}

func TestReportOnlyExport(t *testing.T) {
	var got http.Header
	var body string
	mux := http.NewServeMux()
	mux.Handle("/in", chatexport.ReportHandler(chatexport.DefaultBodyFields, nil, func(r *http.Request, rep *chatexport.Report) error {
		got = r.Header.Clone()
		body = string(rep.XML)
		return nil
	}))
	srv := newHTTPServer(t, mux)
	cfg := chatexport.Config{
		ReportPost:  chatexport.Post{URL: srv + "/in", Headers: "Content-Type: application/json\nX-Account: $ClientsID", Body: chatexport.DefaultReportBody},
		XMLTemplate: "<s>$pdata.email</s>",
	}
	res, err := newExporter(t, cfg).Export(context.Background(), session())
	require.NoError(t, err)
	assert.Zero(t, res.TokenStatus)
	assert.Nil(t, res.Token)
	assert.Equal(t, "1001", got.Get("X-Account"))
	assert.Equal(t, "<s>john.doe@example.com</s>", body)
}

func TestConfigErrorsBeforeAnythingIsSent(t *testing.T) {
	srv := chatexporttest.NewServer()
	defer srv.Close()
	good := srv.Config()
	cases := map[string]func(c *chatexport.Config){
		"export disabled":              func(c *chatexport.Config) { c.ReportPost.URL = " " },
		"token response without token": func(c *chatexport.Config) { c.TokenPost = nil },
		"token response in phase 1":    func(c *chatexport.Config) { c.TokenPost.Body = "$tokenResponse.body.JSON.x" },
		"unknown variable":             func(c *chatexport.Config) { c.ReportPost.Body = `{"a":"$report.size"}` },
		"bad header line":              func(c *chatexport.Config) { c.ReportPost.Headers = "Content-Type application/json" },
		"xml contains itself":          func(c *chatexport.Config) { c.XMLTemplate = "<x>$xmlTemplate.encoded.base64</x>" },
		"token url missing":            func(c *chatexport.Config) { c.TokenPost = &chatexport.Post{} },
	}
	for name, mutate := range cases {
		c := good
		tp := *good.TokenPost
		c.TokenPost = &tp
		mutate(&c)
		_, err := chatexport.NewExporter(c)
		require.Error(t, err, name)
	}
	_, err := chatexport.NewExporter(chatexport.Config{})
	require.ErrorIs(t, err, chatexport.ErrExportDisabled)
	_, err = chatexport.NewExporter(good, chatexport.WithRetry(contactkit.RetryPolicy{}))
	require.Error(t, err)
	_, err = chatexport.NewExporter(good, chatexport.WithClock(nil))
	require.Error(t, err)
	var te *chatexport.TemplateError
	c := good
	c.ReportPost.Body = `{"a":"$report.size"}`
	_, err = chatexport.NewExporter(c)
	require.ErrorAs(t, err, &te)
	assert.Equal(t, "report post body", te.Template)
	assert.Empty(t, srv.Requests())
}

func TestPhaseErrors(t *testing.T) {
	srv := chatexporttest.NewServer()
	defer srv.Close()
	e := newExporter(t, srv.Config())

	srv.Inject(1, chatexporttest.Fault{Status: 401, Body: `{"error":"invalid_client"}`})
	_, err := e.Export(context.Background(), session())
	var pe *chatexport.PhaseError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "token", pe.Phase)
	assert.Equal(t, 401, pe.StatusCode)
	assert.Contains(t, string(pe.Body), "invalid_client")
	assert.ErrorIs(t, err, contactkit.ErrUnauthorized)

	srv.ResetRequests()
	srv.Inject(1, chatexporttest.Fault{})
	srv.Inject(1, chatexporttest.Fault{Status: 503})
	_, err = e.Export(context.Background(), session())
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "report", pe.Phase)
	assert.Equal(t, 503, pe.StatusCode)
	assert.Len(t, srv.Requests(), 2, "the report post is not repeated once sent")

	srv.Inject(1, chatexporttest.Fault{Status: 200, Body: "<html>not json</html>"})
	_, err = e.Export(context.Background(), session())
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "token", pe.Phase)
	var de *contactkit.DecodeError
	assert.ErrorAs(t, err, &de)

	s := session()
	s.PData = map[string]string{"name": "x"} // the body asks for $pdata.email
	_, err = e.Export(context.Background(), s)
	require.ErrorAs(t, err, &pe)
	var te *chatexport.TemplateError
	assert.ErrorAs(t, err, &te)
}

func TestRetryPostsOptIn(t *testing.T) {
	srv := chatexporttest.NewServer()
	defer srv.Close()
	fast := chatexport.WithRetry(contactkit.RetryPolicy{MaxAttempts: 3, MinWait: time.Millisecond, MaxWait: 5 * time.Millisecond})
	e := newExporter(t, srv.Config(), fast, chatexport.WithRetryPosts())
	srv.Inject(1, chatexporttest.Fault{})
	srv.Inject(1, chatexporttest.Fault{Status: 503})
	_, err := e.Export(context.Background(), session())
	require.NoError(t, err)
	assert.Len(t, srv.Reports(), 1)
	assert.Len(t, srv.Requests(), 3)
}

func TestBackEndRejectsTamperedReports(t *testing.T) {
	srv := chatexporttest.NewServer()
	defer srv.Close()
	c := srv.Config()
	c.ReportPost.Body = strings.Replace(c.ReportPost.Body, `"bytes":"$report.bytes"`, `"bytes":"1"`, 1)
	_, err := newExporter(t, c).Export(context.Background(), session())
	var pe *chatexport.PhaseError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, 400, pe.StatusCode)
	assert.Contains(t, string(pe.Body), "does not match")

	c = srv.Config()
	c.ReportPost.Headers = "Content-Type: application/json\nAuthorization: Bearer forged"
	_, err = newExporter(t, c).Export(context.Background(), session())
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, 401, pe.StatusCode)
	assert.Empty(t, srv.Reports())
}

func TestDecodeReport(t *testing.T) {
	pdf := base64.StdEncoding.EncodeToString([]byte("%PDF-1.3 tiny"))
	r, err := chatexport.DecodeReport([]byte(`{"report":"`+pdf+`","bytes":13,"xml":"PHgvPg=="}`), chatexport.DefaultBodyFields)
	require.NoError(t, err)
	assert.Equal(t, "<x/>", string(r.XML))
	for body, want := range map[string]error{
		`{"report":"` + base64.StdEncoding.EncodeToString([]byte("GIF89a")) + `"}`: chatexport.ErrNotPDF,
		`{"report":"` + pdf + `","bytes":"12"}`:                                    chatexport.ErrSizeMismatch,
	} {
		_, err := chatexport.DecodeReport([]byte(body), chatexport.DefaultBodyFields)
		assert.ErrorIs(t, err, want, body)
	}
	for _, bad := range []string{`[]`, `{"report":"!!"}`, `{"report":"` + pdf + `","bytes":"x"}`, `{"report":"` + pdf + `","bytes":13,"xml":"%%"}`} {
		_, err := chatexport.DecodeReport([]byte(bad), chatexport.DefaultBodyFields)
		assert.Error(t, err, bad)
	}
	assert.False(t, errors.Is(err, chatexport.ErrNotPDF))
}
