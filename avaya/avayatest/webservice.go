package avayatest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/avaya"
	"github.com/contactkit/contactkit/internal/transport"
)

// WebServiceProfile is a Web Service Integration Profile (section 7.1 of
// the document) as an admin configures it, and the sender that acts as
// the Call Reporting server does when a call finishes: one request to
// TargetURL with Method, the URL Parameters filled with the call's data,
// and the HTTP Headers (the shared secret among them).
type WebServiceProfile struct {
	// Name identifies the profile (it is not sent).
	Name string
	// TargetURL is the base URL of the request; a query it already has is
	// kept, and the parameters follow it.
	TargetURL string
	// Method is GET (the default) or POST.
	Method string
	// Params are the URL Parameters, sent in this order.
	Params []WebServiceParam
	// Headers are the custom HTTP Headers, sent as they are.
	Headers http.Header
	// ParamsInQuery sends a POST's parameters in the URL with an empty
	// body, the other reading of "URL Parameters"; by default a POST
	// carries them as an application/x-www-form-urlencoded body.
	ParamsInQuery bool
	// TimeLayout writes {startTime} and {endTime}: "" writes epoch
	// milliseconds, as every time in the Call Reporting API is; otherwise
	// a Go layout such as time.RFC3339.
	TimeLayout string
	// Client sends the requests (default: one with a 10 s timeout).
	Client *http.Client
	// Retry resends a request answered 429 or 503, or that failed to
	// connect, honouring Retry-After within [MinWait, MaxWait]. The zero
	// value sends once: the document mentions no retry by Avaya.
	Retry contactkit.RetryPolicy
}

// WebServiceParam is one URL Parameter: a name and its value, literal
// text in which the placeholders {callKey}, {recordingKey}, {startTime},
// {endTime}, {duration} (milliseconds), {extension}, {agent}, {caller},
// {callee} and {direction} are replaced by the call's data.
type WebServiceParam struct {
	Name, Value string
}

// DefaultWebServiceParams sends every placeholder under its own name: the
// names the document prints for the call data it has (callKey,
// recordingKey, startTime, endTime, duration) and the receiver's default
// names for the rest.
func DefaultWebServiceParams() []WebServiceParam {
	var ps []WebServiceParam
	for _, n := range []string{"callKey", "recordingKey", "startTime", "endTime", "duration", "extension", "agent", "caller", "callee", "direction"} {
		ps = append(ps, WebServiceParam{Name: n, Value: "{" + n + "}"})
	}
	return ps
}

// FinishedCall is the data of a call the profile can send.
type FinishedCall struct {
	CallKey      avaya.Key
	RecordingKey avaya.Key
	StartTime    time.Time
	EndTime      time.Time
	Duration     time.Duration
	Extension    string
	Agent        string
	Caller       string
	Callee       string
	Direction    string
}

// FinishedCall returns the data of a call the server holds: its key, its
// first recording, its start (the first recording's) and end (the last
// recording's end), and the first agent as the party.
func (s *Server) FinishedCall(call avaya.Key) (FinishedCall, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := s.calls[call]
	if len(keys) == 0 {
		return FinishedCall{}, false
	}
	fc := FinishedCall{CallKey: call, RecordingKey: keys[0], Direction: "Inbound", Caller: "+18015550123"}
	for i, k := range keys {
		r := s.recordings[k]
		if i == 0 || r.StartTime.Before(fc.StartTime) {
			fc.StartTime = r.StartTime
		}
		if end := r.StartTime.Add(r.Duration); end.After(fc.EndTime) {
			fc.EndTime = end
		}
	}
	fc.Duration = fc.EndTime.Sub(fc.StartTime)
	if len(s.agents) > 0 {
		fc.Extension, fc.Agent, fc.Callee = s.agents[0].Extension, s.agents[0].Name, s.agents[0].Extension
	}
	return fc, true
}

// Values fills the profile's parameters with c's data.
func (p *WebServiceProfile) Values(c FinishedCall) url.Values {
	at := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		if p.TimeLayout == "" {
			return strconv.FormatInt(t.UnixMilli(), 10)
		}
		return t.Format(p.TimeLayout)
	}
	rep := strings.NewReplacer(
		"{callKey}", string(c.CallKey), "{recordingKey}", string(c.RecordingKey),
		"{startTime}", at(c.StartTime), "{endTime}", at(c.EndTime),
		"{duration}", strconv.FormatInt(c.Duration.Milliseconds(), 10),
		"{extension}", c.Extension, "{agent}", c.Agent, "{caller}", c.Caller, "{callee}", c.Callee,
		"{direction}", c.Direction,
	)
	v := url.Values{}
	for _, ps := range p.Params {
		v.Add(ps.Name, rep.Replace(ps.Value))
	}
	return v
}

// ErrWebServiceBusy is matched (errors.Is) by a Send error whose last
// answer was 503 or 429: the request was not accepted.
var ErrWebServiceBusy = errors.New("web service busy")

// WebServiceError is a Send whose last answer was not 2xx.
type WebServiceError struct {
	Status     int
	Body       string // the first 1 KiB
	RetryAfter string
	Attempts   int
}

func (e *WebServiceError) Error() string {
	return fmt.Sprintf("avayatest: web service answered %d after %d attempt(s): %s", e.Status, e.Attempts, e.Body)
}

// Is matches ErrWebServiceBusy for 503 and 429.
func (e *WebServiceError) Is(target error) bool {
	return target == ErrWebServiceBusy && (e.Status == http.StatusServiceUnavailable || e.Status == http.StatusTooManyRequests)
}

// WebServiceResult is the answer to a sent request.
type WebServiceResult struct {
	Status   int
	Body     string // the first 1 KiB
	Attempts int
}

var defaultWebServiceClient = &http.Client{Timeout: 10 * time.Second}

// Send sends the request the profile makes for call c. A non-2xx answer
// is a *WebServiceError (errors.Is ErrWebServiceBusy for 503 and 429).
func (p *WebServiceProfile) Send(ctx context.Context, c FinishedCall) (WebServiceResult, error) {
	return p.SendValues(ctx, p.Values(c))
}

// SendValues sends the profile's request with these parameter values
// instead of the filled-in Params.
func (p *WebServiceProfile) SendValues(ctx context.Context, v url.Values) (WebServiceResult, error) {
	target, err := url.Parse(p.TargetURL)
	if err != nil || !target.IsAbs() {
		return WebServiceResult{}, &contactkit.ValidationError{Field: "TargetURL", Reason: "must be an absolute URL"}
	}
	method := strings.ToUpper(p.Method)
	if method == "" {
		method = http.MethodGet
	}
	if method != http.MethodGet && method != http.MethodPost {
		return WebServiceResult{}, &contactkit.ValidationError{Field: "Method", Reason: "must be GET or POST"}
	}
	var body string
	if method == http.MethodGet || p.ParamsInQuery {
		q := encodeOrdered(v, p.Params)
		switch {
		case target.RawQuery == "":
			target.RawQuery = q
		case q != "":
			target.RawQuery += "&" + q
		}
	} else {
		body = encodeOrdered(v, p.Params)
	}
	hc := p.Client
	if hc == nil {
		hc = defaultWebServiceClient
	}
	attempts := max(p.Retry.MaxAttempts, 1)
	var res WebServiceResult
	for attempt := range attempts {
		res, err = p.sendOnce(ctx, hc, method, target.String(), body, method == http.MethodPost && !p.ParamsInQuery)
		res.Attempts = attempt + 1
		var we *WebServiceError
		if errors.As(err, &we) {
			we.Attempts = attempt + 1
		}
		retryable := errors.Is(err, ErrWebServiceBusy) || (err != nil && we == nil && ctx.Err() == nil)
		if !retryable || attempt+1 == attempts {
			return res, err
		}
		wait := transport.Backoff(p.Retry.MinWait, p.Retry.MaxWait, attempt)
		if we != nil {
			if d, ok := transport.RetryAfter(we.RetryAfter, time.Now()); ok {
				wait = min(max(d, p.Retry.MinWait), p.Retry.MaxWait)
			}
		}
		if err := transport.Sleep(ctx, wait); err != nil {
			return res, err
		}
	}
	return res, err
}

func (p *WebServiceProfile) sendOnce(ctx context.Context, hc *http.Client, method, target, body string, form bool) (WebServiceResult, error) {
	var rd io.Reader
	if form {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return WebServiceResult{}, err
	}
	for k, vs := range p.Headers {
		req.Header[http.CanonicalHeaderKey(k)] = append([]string(nil), vs...)
	}
	if form {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8")
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", "avayatest-webservice/1 (Avaya Call Reporting Web Service Integration)")
	}
	resp, err := hc.Do(req)
	if err != nil {
		return WebServiceResult{}, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // let the connection be reused
	res := WebServiceResult{Status: resp.StatusCode, Body: string(b)}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return res, &WebServiceError{Status: resp.StatusCode, Body: string(b), RetryAfter: resp.Header.Get("Retry-After")}
	}
	return res, nil
}

// encodeOrdered encodes v with the profile's parameters first, in the
// profile's order, and any other names after them sorted, as Avaya sends
// the parameters in the order the admin listed them.
func encodeOrdered(v url.Values, params []WebServiceParam) string {
	var b strings.Builder
	done := map[string]bool{}
	write := func(k string) {
		if done[k] {
			return
		}
		done[k] = true
		for _, val := range v[k] {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(url.QueryEscape(k))
			b.WriteByte('=')
			b.WriteString(url.QueryEscape(val))
		}
	}
	for _, p := range params {
		write(p.Name)
	}
	rest := url.Values{}
	for k, vs := range v {
		if !done[k] {
			rest[k] = vs
		}
	}
	if s := rest.Encode(); s != "" {
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(s)
	}
	return b.String()
}
