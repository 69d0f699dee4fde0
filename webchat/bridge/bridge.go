package bridge

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/mail"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/time/rate"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/internal/receive"
	"github.com/contactkit/contactkit/webchat"
)

// Config configures a Handler. Client, InstallationID and CookieKeys are
// required; the rest have defaults.
type Config struct {
	// Client reaches the chat service (and, through its HTTP stack, the
	// session queues).
	Client *webchat.Client
	// InstallationID is the chat installation's id.
	InstallationID string
	// APIKey, when set, starts chats with POST /chat/apiqueue; when
	// empty, the browser must send a captcha token (from the page's
	// captcha widget, _ximachat.setCaptchaToken) and chats start with
	// POST /chat/queue. It never leaves the server.
	APIKey string
	// VerifyCaptcha, if set, checks the browser's captcha token on the
	// server (with your captcha secret) before a chat starts; an error
	// refuses the start with 403.
	VerifyCaptcha func(ctx context.Context, token string, r *http.Request) error
	// CookieKeys seal the chat cookie (AES-256-GCM, each key stretched
	// with HKDF-SHA256; at least MinKeyBytes of secret each). The first
	// seals; all open, so a new key goes first and an old one stays
	// listed until the cookies it sealed have expired (MaxAge). Every
	// instance behind one site needs the same keys.
	CookieKeys [][]byte
	// CookieName is the cookie's name ("ximachat").
	CookieName string
	// CookiePath is the cookie's path ("/"): set it to where the
	// handler is mounted.
	CookiePath string
	// SecureCookie marks the cookie Secure even on a plain-HTTP
	// request (behind a TLS-terminating proxy). It is always Secure on
	// a TLS request.
	SecureCookie bool
	// MaxAge is how long a browser's cookie (and so its chat) is
	// accepted after it was issued (12 h).
	MaxAge time.Duration
	// AllowedOrigins lists the origins ("https://shop.example") allowed
	// to POST besides the request's own host (r.Host). Behind a proxy
	// that rewrites the Host header, list the site's public origin.
	AllowedOrigins []string
	// SQS configures reading the session queues: credentials, endpoint
	// and long-poll wait. MaxMessages is always 1 and DeleteLater always
	// set: a message is deleted when the browser acknowledges it, and one
	// that is not comes again after the queue's visibility timeout, which
	// should be well above a browser's reconnect time (SQS's default
	// 30 s is).
	SQS webchat.SQSOptions
	// QueueStatus serves GET /queue-status (getQueueStatus and
	// subscribeToQueueStatus in the browser); nil answers 404. See
	// webchat.QueueStatusSource for what is and is not documented.
	QueueStatus webchat.QueueStatusSource
	// QueueStatusInterval is how long one fetched QueueStates is served
	// to every viewer before the next fetch, and how often the browser
	// asks again for subscribeToQueueStatus (5 s).
	QueueStatusInterval time.Duration
	// KeepAlive is the still-here interval while a stream is open
	// (webchat.DefaultKeepAlive, 30 s).
	KeepAlive time.Duration
	// Heartbeat is how often an idle stream gets an SSE comment, so a
	// dead connection is noticed and proxies keep it open (15 s).
	Heartbeat time.Duration
	// LeaveAfter: a chat whose stream closed and was not reopened at
	// this instance within it is ended (60 s); negative never ends a
	// chat for a missing stream.
	LeaveAfter time.Duration
	// Skills, if set, are the only skills a browser may choose.
	Skills []string
	// MaxMessageBytes caps one message's text (4096).
	MaxMessageBytes int
	// MaxUploadBytes caps a screenshot upload (and is capped by
	// webchat.MaxScreenshotBytes).
	MaxUploadBytes int64
	// RateLimit and RateBurst limit one browser's requests at one
	// instance (10/s, burst 40); StartLimit and StartBurst its chat
	// starts (one per 10 s, burst 3). Requests without a cookie are
	// limited by address; and since a new cookie is only a GET away,
	// all browsers of one address together start at most
	// StartsPerAddress times as many chats as one browser.
	RateLimit  rate.Limit
	RateBurst  int
	StartLimit rate.Limit
	StartBurst int
	// ClientAddr returns the client's address, which the limits of
	// requests without a cookie and of chat starts are keyed by. The
	// default is the connection's remote address (IPv6 by its /64):
	// no header is trusted. Behind a reverse proxy every browser would
	// share the proxy's address: return the client address your proxy
	// sets (its own header, or the last X-Forwarded-For entry it added),
	// never a value the client can choose.
	ClientAddr func(r *http.Request) string
	// RequestTimeout bounds one call to the service (15 s).
	RequestTimeout time.Duration
	// Logger gets what fails on the server side (nothing secret).
	Logger *slog.Logger
}

// Handler is the bridge. Mount it with http.StripPrefix.
type Handler struct {
	cfg    Config
	seal   *sealer
	mux    *http.ServeMux
	limits *limiter
	starts *limiter
	// addrStarts limits the starts of all browsers at one address.
	addrStarts *limiter
	status     *statusCache
	streams    *streams
	log        *slog.Logger
	ctx        context.Context
	cancel     context.CancelFunc
	wg         sync.WaitGroup
}

// New checks cfg and returns the bridge.
func New(cfg Config) (*Handler, error) {
	switch {
	case cfg.Client == nil:
		return nil, &contactkit.ValidationError{Field: "Client", Reason: "is required"}
	case strings.TrimSpace(cfg.InstallationID) == "":
		return nil, &contactkit.ValidationError{Field: "InstallationID", Reason: "is required"}
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	if cfg.CookieName == "" {
		cfg.CookieName = "ximachat"
	}
	if cfg.CookiePath == "" {
		cfg.CookiePath = "/"
	}
	def(&cfg.MaxAge, 12*time.Hour)
	def(&cfg.QueueStatusInterval, 5*time.Second)
	def(&cfg.KeepAlive, webchat.DefaultKeepAlive)
	def(&cfg.Heartbeat, 15*time.Second)
	def(&cfg.LeaveAfter, time.Minute)
	def(&cfg.RequestTimeout, 15*time.Second)
	if cfg.MaxMessageBytes <= 0 {
		cfg.MaxMessageBytes = 4096
	}
	if cfg.MaxUploadBytes <= 0 || cfg.MaxUploadBytes > webchat.MaxScreenshotBytes {
		cfg.MaxUploadBytes = webchat.MaxScreenshotBytes
	}
	if cfg.RateLimit <= 0 {
		cfg.RateLimit = 10
	}
	if cfg.RateBurst <= 0 {
		cfg.RateBurst = 40
	}
	if cfg.StartLimit <= 0 {
		cfg.StartLimit = rate.Every(10 * time.Second)
	}
	if cfg.StartBurst <= 0 {
		cfg.StartBurst = 3
	}
	cfg.SQS.MaxMessages = 1
	cfg.SQS.DeleteLater = true // the browser's acknowledgement deletes
	for i, o := range cfg.AllowedOrigins {
		if u, err := url.Parse(o); err != nil || u.Scheme == "" || u.Host == "" || u.Path != "" {
			return nil, &contactkit.ValidationError{Field: fmt.Sprintf("AllowedOrigins[%d]", i), Reason: "must be scheme://host[:port]"}
		}
	}
	s, err := newSealer(cfg.CookieName, cfg.CookieKeys)
	if err != nil {
		return nil, &contactkit.ValidationError{Field: "CookieKeys", Reason: err.Error()}
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &Handler{
		cfg: cfg, seal: s, log: log,
		limits:     newLimiter(cfg.RateLimit, cfg.RateBurst),
		starts:     newLimiter(cfg.StartLimit, cfg.StartBurst),
		addrStarts: newLimiter(cfg.StartLimit*StartsPerAddress, cfg.StartBurst*StartsPerAddress),
	}
	h.ctx, h.cancel = context.WithCancel(context.Background())
	h.status = newStatusCache(h.ctx, cfg.QueueStatus, cfg.QueueStatusInterval)
	h.streams = newStreams(h)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ximachat.js", serveAsset("ximachat.js", "text/javascript; charset=utf-8"))
	mux.HandleFunc("GET /ximachat.css", serveAsset("ximachat.css", "text/css; charset=utf-8"))
	mux.HandleFunc("GET /state", h.getState)
	mux.HandleFunc("GET /queue-status", h.getQueueStatus)
	mux.HandleFunc("GET /events", h.events)
	mux.HandleFunc("POST /start", h.post(h.start))
	mux.HandleFunc("POST /send", h.post(h.send))
	mux.HandleFunc("POST /typing", h.post(h.typing))
	mux.HandleFunc("POST /focus", h.post(h.focus))
	mux.HandleFunc("POST /screenshot", h.post(h.screenshot))
	mux.HandleFunc("POST /screenshot/reject", h.post(h.reject))
	mux.HandleFunc("POST /end", h.post(h.end))
	mux.HandleFunc("POST /ack", h.post(h.acks))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		receive.Error(w, http.StatusNotFound, "no such bridge route: "+r.Method+" "+r.URL.Path)
	})
	h.mux = mux
	return h, nil
}

// ContentSecurityPolicy is a policy for pages that embed the widget from
// their own origin: scripts and styles only from the site (no inline
// script), images from the site and data: URLs (agent pictures), and
// fetches only to the site.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// ServeHTTP serves the bridge's routes.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "same-origin")
	if err := receive.Call(func() error { h.mux.ServeHTTP(w, r); return nil }); err != nil {
		h.log.Error("webchat bridge: handler panicked", "path", r.URL.Path, "err", err)
		receive.Error(w, http.StatusInternalServerError, "internal error")
	}
}

// Close stops every stream this instance holds and its leave timers, and
// waits for them. It does not end the chats: their browsers reconnect to
// another instance (a rolling restart). Requests after Close fail with 503.
func (h *Handler) Close() error {
	h.cancel()
	h.streams.closeAll()
	h.wg.Wait()
	return nil
}

// StartsPerAddress is how many times one browser's chat starts
// (Config.StartLimit, StartBurst) all browsers at one address may start
// together.
const StartsPerAddress = 10

// clientAddr is the key of the client's address: Config.ClientAddr, or
// the remote address without its port, an IPv6 address by its /64 (a
// host gets a whole /64: one attacker, many addresses).
func (h *Handler) clientAddr(r *http.Request) string {
	if h.cfg.ClientAddr != nil {
		if a := h.cfg.ClientAddr(r); a != "" {
			return a
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}

// originOK: the Origin header names the request's own host or an allowed
// origin. Browsers send Origin on every POST made with fetch.
func (h *Handler) originOK(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" || o == "null" {
		return false
	}
	if slices.Contains(h.cfg.AllowedOrigins, o) {
		return true
	}
	u, err := url.Parse(o)
	return err == nil && u.Host != "" && strings.EqualFold(u.Host, r.Host)
}

// crossSite: a browser says the request comes from another site.
func (h *Handler) crossSite(r *http.Request) bool {
	if r.Header.Get("Sec-Fetch-Site") != "cross-site" {
		return false
	}
	return !slices.Contains(h.cfg.AllowedOrigins, r.Header.Get("Origin"))
}

// allow applies the per-browser rate limit.
func (h *Handler) allow(w http.ResponseWriter, r *http.Request, st *state) bool {
	key := "ip:" + h.clientAddr(r)
	if st != nil {
		key = "b:" + st.Browser
	}
	if h.limits.allow(key) {
		return true
	}
	w.Header().Set("Retry-After", "1")
	receive.Error(w, http.StatusTooManyRequests, "too many requests from this browser: slow down")
	return false
}

// postFunc handles a POST whose CSRF token, origin and rate were checked.
type postFunc func(w http.ResponseWriter, r *http.Request, st *state)

// post checks what every state-changing request needs: the sealed
// cookie, the double-submit CSRF token that goes with it, the origin, and
// the browser's rate.
func (h *Handler) post(f postFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if h.ctx.Err() != nil {
			receive.Error(w, http.StatusServiceUnavailable, "the bridge is shutting down")
			return
		}
		if !h.originOK(r) {
			receive.Error(w, http.StatusForbidden, "cross-origin request refused (Origin missing or not allowed)")
			return
		}
		st, ok, _ := h.load(r)
		if !ok {
			receive.Error(w, http.StatusForbidden, "no valid chat cookie: GET state first")
			return
		}
		tok := r.Header.Get("X-Ximachat-Csrf")
		if tok == "" || subtle.ConstantTimeCompare([]byte(tok), []byte(st.CSRF)) != 1 {
			receive.Error(w, http.StatusForbidden, "missing or wrong CSRF token (X-Ximachat-Csrf)")
			return
		}
		if !h.allow(w, r, st) {
			return
		}
		f(w, r, st)
	}
}

// readJSON reads a bounded JSON body into v, strictly.
func (h *Handler) readJSON(w http.ResponseWriter, r *http.Request, limit int64, v any) bool {
	b, err := receive.ReadBody(r, limit)
	switch {
	case errors.Is(err, receive.ErrTooLarge):
		receive.Error(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body over %d bytes", limit))
		return false
	case err != nil:
		receive.Error(w, http.StatusBadRequest, "request body incomplete: "+err.Error())
		return false
	}
	if len(bytes.TrimSpace(b)) == 0 {
		b = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		receive.Error(w, http.StatusBadRequest, "malformed JSON body: "+err.Error())
		return false
	}
	if dec.More() {
		receive.Error(w, http.StatusBadRequest, "malformed JSON body: more than one value")
		return false
	}
	return true
}

const jsonLimit = 64 << 10

// stateView is GET /state's answer.
type stateView struct {
	CSRF                string    `json:"csrf"`
	Chat                *chatView `json:"chat"`
	Captcha             bool      `json:"captcha"`
	QueueStatus         bool      `json:"queueStatus"`
	QueueStatusInterval int64     `json:"queueStatusIntervalMs"`
	MaxMessageBytes     int       `json:"maxMessageBytes"`
	MaxUploadBytes      int64     `json:"maxUploadBytes"`
}

type chatView struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Skill string `json:"skill,omitempty"`
}

func viewOf(c *chatState) *chatView {
	if c == nil {
		return nil
	}
	return &chatView{ID: c.ID, Name: c.Name, Skill: c.Skill}
}

// getState issues the cookie (and so the CSRF token) to a new browser and
// tells a returning one about its chat.
func (h *Handler) getState(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if h.crossSite(r) {
		receive.Error(w, http.StatusForbidden, "cross-site request refused")
		return
	}
	st, ok, reseal := h.load(r)
	if !h.allow(w, r, st) {
		return
	}
	if !ok {
		st = newState()
	}
	if st.Chat != nil && h.chatGone(r, st.Chat) {
		st.Chat, reseal = nil, true // ended while the browser was away
	}
	if !ok || reseal {
		if err := h.save(w, r, st); err != nil {
			h.log.Error("webchat bridge: sealing the cookie", "err", err)
			receive.Error(w, http.StatusInternalServerError, "internal error")
			return
		}
	}
	receive.JSON(w, http.StatusOK, stateView{
		CSRF: st.CSRF, Chat: viewOf(st.Chat), Captcha: h.cfg.APIKey == "",
		QueueStatus: h.cfg.QueueStatus != nil, QueueStatusInterval: h.cfg.QueueStatusInterval.Milliseconds(),
		MaxMessageBytes: h.cfg.MaxMessageBytes, MaxUploadBytes: h.cfg.MaxUploadBytes,
	})
}

func (h *Handler) getQueueStatus(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	st, _, _ := h.load(r)
	if !h.allow(w, r, st) {
		return
	}
	if h.cfg.QueueStatus == nil {
		receive.Error(w, http.StatusNotFound, "queue status is not configured on this bridge")
		return
	}
	b, err := h.status.get(r.Context())
	if err != nil {
		h.log.Warn("webchat bridge: queue status", "err", err)
		receive.Error(w, http.StatusServiceUnavailable, "queue status is unavailable")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}

// startBody is POST /start.
type startBody struct {
	Name             string        `json:"name"`
	Email            string        `json:"email"`
	Skill            string        `json:"skill"`
	CustomParameters []customParam `json:"customParameters"`
	CaptchaToken     string        `json:"captchaToken"`
}

// customParam is section 8.3's CustomParameter: {"Name": ..., "Value": ...}.
type customParam struct {
	Name  string `json:"Name"`
	Value string `json:"Value"`
}

// Limits of the start form.
const (
	maxNameBytes   = 200
	maxParams      = 30
	maxParamName   = 200
	maxParamValue  = 2000
	maxCaptchaSize = 4096
)

func badField(w http.ResponseWriter, field, reason string) {
	receive.Error(w, http.StatusBadRequest, field+" "+reason)
}

func (h *Handler) start(w http.ResponseWriter, r *http.Request, st *state) {
	var b startBody
	if !h.readJSON(w, r, jsonLimit, &b) {
		return
	}
	b.Name, b.Email, b.Skill = strings.TrimSpace(b.Name), strings.TrimSpace(b.Email), strings.TrimSpace(b.Skill)
	switch {
	case b.Name == "" || len(b.Name) > maxNameBytes || !utf8.ValidString(b.Name):
		badField(w, "name", fmt.Sprintf("is required (up to %d bytes)", maxNameBytes))
		return
	case len(b.Email) > 254 || !validEmail(b.Email):
		badField(w, "email", "must be an e-mail address")
		return
	case len(b.Skill) > maxNameBytes:
		badField(w, "skill", "is too long")
		return
	case len(h.cfg.Skills) > 0 && b.Skill != "" && !slices.Contains(h.cfg.Skills, b.Skill):
		badField(w, "skill", "is not one of this site's skills")
		return
	case len(b.CustomParameters) > maxParams:
		badField(w, "customParameters", fmt.Sprintf("has more than %d entries", maxParams))
		return
	case h.cfg.APIKey == "" && (b.CaptchaToken == "" || len(b.CaptchaToken) > maxCaptchaSize):
		badField(w, "captchaToken", "is required")
		return
	}
	info := make([]webchat.CustomInfo, 0, len(b.CustomParameters))
	for i, p := range b.CustomParameters {
		if strings.TrimSpace(p.Name) == "" || len(p.Name) > maxParamName || len(p.Value) > maxParamValue {
			badField(w, fmt.Sprintf("customParameters[%d]", i), fmt.Sprintf("needs a Name (up to %d bytes) and a Value up to %d bytes", maxParamName, maxParamValue))
			return
		}
		info = append(info, webchat.CustomInfo{Name: p.Name, Value: p.Value})
	}
	if st.Chat != nil {
		receive.Error(w, http.StatusConflict, "a chat is already running in this browser: end it first")
		return
	}
	if !h.starts.allow("b:"+st.Browser) || !h.addrStarts.allow("ip:"+h.clientAddr(r)) {
		w.Header().Set("Retry-After", "10")
		receive.Error(w, http.StatusTooManyRequests, "too many chats started from this browser: wait a little")
		return
	}
	ctx, cancel := h.callContext(r)
	defer cancel()
	req := webchat.StartRequest{InstallationID: h.cfg.InstallationID, Email: b.Email, Name: b.Name, Skill: b.Skill, CustomChatInfo: info}
	var chat *webchat.Chat
	var err error
	if h.cfg.APIKey != "" {
		req.APIKey = h.cfg.APIKey
		chat, err = h.cfg.Client.StartAPISession(ctx, req)
	} else {
		if h.cfg.VerifyCaptcha != nil {
			if verr := h.cfg.VerifyCaptcha(ctx, b.CaptchaToken, r); verr != nil {
				receive.Error(w, http.StatusForbidden, "the captcha was not accepted")
				return
			}
		}
		req.RecaptchaToken = b.CaptchaToken
		chat, err = h.cfg.Client.StartSession(ctx, req)
	}
	if err != nil {
		h.fail(w, "start", err, true)
		return
	}
	cs := &chatState{ID: chat.Session.ID, Name: b.Name, Skill: b.Skill}
	if q := chat.Session.ServerToClientQueue; q != nil {
		cs.QueueURL, cs.ARN = q.URL, q.ARN
	}
	for _, c := range chat.Cookies() {
		cs.Cookies = append(cs.Cookies, [2]string{c.Name, c.Value})
	}
	st.Chat = cs
	st.Issued = time.Now().Unix() // the chat gets the cookie's whole MaxAge
	if err := h.save(w, r, st); err != nil {
		h.log.Error("webchat bridge: sealing the cookie", "err", err)
		endCtx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), h.cfg.RequestTimeout)
		defer cancel()
		_ = chat.End(endCtx) // the browser could not keep it: do not leave it to the agent
		receive.Error(w, http.StatusInternalServerError, "the chat could not be kept in the cookie")
		return
	}
	receive.JSON(w, http.StatusOK, struct {
		Chat *chatView `json:"chat"`
	}{viewOf(cs)})
}

func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && a.Name == ""
}

// callContext bounds one call to the service; it ends with the request or
// when the bridge closes.
func (h *Handler) callContext(r *http.Request) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(r.Context(), h.cfg.RequestTimeout)
	stop := context.AfterFunc(h.ctx, cancel)
	return ctx, func() { stop(); cancel() }
}

// chatOf resumes the browser's chat, or answers 409.
func (h *Handler) chatOf(w http.ResponseWriter, st *state) (*webchat.Chat, bool) {
	if st.Chat == nil {
		receive.Error(w, http.StatusConflict, "no chat is running in this browser")
		return nil, false
	}
	chat, err := h.cfg.Client.ResumeChat(sessionOf(st.Chat), cookiesOf(st.Chat))
	if err != nil {
		receive.Error(w, http.StatusBadRequest, "the chat cookie is unusable")
		return nil, false
	}
	return chat, true
}

func sessionOf(c *chatState) webchat.Session {
	s := webchat.Session{ID: c.ID, Name: c.Name, Skill: c.Skill}
	if c.QueueURL != "" {
		s.ServerToClientQueue = &webchat.Queue{URL: c.QueueURL, ARN: c.ARN, Type: webchat.ServerToClient}
	}
	return s
}

func cookiesOf(c *chatState) []*http.Cookie {
	out := make([]*http.Cookie, 0, len(c.Cookies))
	for _, kv := range c.Cookies {
		out = append(out, &http.Cookie{Name: kv[0], Value: kv[1]})
	}
	return out
}

// fail answers a failed call to the service with a JSON error that says
// what the browser can do, without the service's details (those go to
// the log, redacted).
func (h *Handler) fail(w http.ResponseWriter, what string, err error, starting bool) {
	var ve *contactkit.ValidationError
	var ae *contactkit.APIError
	switch {
	case errors.As(err, &ve):
		receive.Error(w, http.StatusBadRequest, ve.Field+" "+ve.Reason)
		return
	case errors.Is(err, webchat.ErrChatEnded):
		receive.Error(w, http.StatusConflict, "the chat has ended")
		return
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, contactkit.ErrTimeout):
		h.log.Warn("webchat bridge: "+what, "err", err)
		receive.Error(w, http.StatusGatewayTimeout, "the chat service did not answer in time")
		return
	case errors.As(err, &ae) && !starting && (ae.StatusCode == http.StatusNotFound || ae.StatusCode == http.StatusUnauthorized || ae.StatusCode == http.StatusGone):
		receive.Error(w, http.StatusConflict, "the chat has ended")
		return
	case errors.As(err, &ae) && ae.StatusCode == http.StatusTooManyRequests:
		w.Header().Set("Retry-After", "5")
		receive.Error(w, http.StatusServiceUnavailable, "the chat service is busy: try again shortly")
		return
	}
	h.log.Warn("webchat bridge: "+what, "err", err)
	receive.Error(w, http.StatusBadGateway, "the chat service failed to "+what)
}

type textBody struct {
	Text string `json:"text"`
}

func (h *Handler) send(w http.ResponseWriter, r *http.Request, st *state) {
	var b textBody
	if !h.readJSON(w, r, jsonLimit, &b) {
		return
	}
	switch {
	case strings.TrimSpace(b.Text) == "":
		badField(w, "text", "is empty")
		return
	case len(b.Text) > h.cfg.MaxMessageBytes:
		receive.Error(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("text is over %d bytes", h.cfg.MaxMessageBytes))
		return
	case !utf8.ValidString(b.Text):
		badField(w, "text", "is not UTF-8")
		return
	}
	h.call(w, r, st, "send the message", func(ctx context.Context, chat *webchat.Chat) error { return chat.Send(ctx, b.Text) })
}

func (h *Handler) typing(w http.ResponseWriter, r *http.Request, st *state) {
	var b struct {
		Typing bool `json:"typing"`
	}
	if !h.readJSON(w, r, jsonLimit, &b) {
		return
	}
	h.call(w, r, st, "send typing", func(ctx context.Context, chat *webchat.Chat) error { return chat.Typing(ctx, b.Typing) })
}

func (h *Handler) focus(w http.ResponseWriter, r *http.Request, st *state) {
	var b struct{}
	if !h.readJSON(w, r, jsonLimit, &b) {
		return
	}
	h.call(w, r, st, "send focus", func(ctx context.Context, chat *webchat.Chat) error { return chat.Focus(ctx) })
}

func (h *Handler) reject(w http.ResponseWriter, r *http.Request, st *state) {
	var b struct{}
	if !h.readJSON(w, r, jsonLimit, &b) {
		return
	}
	h.call(w, r, st, "decline the screenshot", func(ctx context.Context, chat *webchat.Chat) error { return chat.RejectScreenshot(ctx) })
}

// screenshot uploads the PNG of the body and accepts the agent's request
// with it.
func (h *Handler) screenshot(w http.ResponseWriter, r *http.Request, st *state) {
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "image/png") {
		receive.Error(w, http.StatusUnsupportedMediaType, "a screenshot must be sent as image/png")
		return
	}
	png, err := receive.ReadBody(r, h.cfg.MaxUploadBytes)
	switch {
	case errors.Is(err, receive.ErrTooLarge):
		receive.Error(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("screenshot over %d bytes", h.cfg.MaxUploadBytes))
		return
	case err != nil:
		receive.Error(w, http.StatusBadRequest, "request body incomplete: "+err.Error())
		return
	}
	var uuid string
	h.callValue(w, r, st, "share the screenshot", func(ctx context.Context, chat *webchat.Chat) (any, error) {
		var err error
		if uuid, err = chat.UploadScreenshot(ctx, png); err != nil {
			return nil, err
		}
		return struct {
			UUID string `json:"uuid"`
		}{uuid}, chat.AcceptScreenshot(ctx, uuid)
	})
}

func (h *Handler) call(w http.ResponseWriter, r *http.Request, st *state, what string, f func(context.Context, *webchat.Chat) error) {
	h.callValue(w, r, st, what, func(ctx context.Context, chat *webchat.Chat) (any, error) { return nil, f(ctx, chat) })
}

func (h *Handler) callValue(w http.ResponseWriter, r *http.Request, st *state, what string, f func(context.Context, *webchat.Chat) (any, error)) {
	chat, ok := h.chatOf(w, st)
	if !ok {
		return
	}
	ctx, cancel := h.callContext(r)
	defer cancel()
	v, err := f(ctx, chat)
	if err != nil {
		h.fail(w, what, err, false)
		return
	}
	if v == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	receive.JSON(w, http.StatusOK, v)
}

// end ends the chat (unless the agent side already did: byAgent) and
// forgets it.
func (h *Handler) end(w http.ResponseWriter, r *http.Request, st *state) {
	var b struct {
		ByAgent bool `json:"byAgent"`
	}
	if !h.readJSON(w, r, jsonLimit, &b) {
		return
	}
	if st.Chat == nil {
		w.WriteHeader(http.StatusNoContent) // nothing to end: the same answer twice
		return
	}
	id := st.Chat.ID
	if !b.ByAgent {
		chat, ok := h.chatOf(w, st)
		if !ok {
			return
		}
		ctx, cancel := h.callContext(r)
		err := chat.End(ctx)
		cancel()
		if err != nil && !alreadyEnded(err) {
			h.fail(w, "end the chat", err, false)
			return
		}
	}
	h.streams.ended(id)
	st.Chat = nil
	if err := h.save(w, r, st); err != nil {
		receive.Error(w, http.StatusInternalServerError, "internal error")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// alreadyEnded: the service no longer knows the session (ended by the
// agent, or by another instance's leave timer).
func alreadyEnded(err error) bool {
	var ae *contactkit.APIError
	return errors.As(err, &ae) && (ae.StatusCode == http.StatusNotFound || ae.StatusCode == http.StatusUnauthorized)
}

// chatGone asks the service whether the browser's chat still exists
// (GET /chat/queue): a browser that comes back after the agent ended the
// chat, or after its leave timer did, starts afresh. Any other failure
// keeps the chat: the stream will tell.
func (h *Handler) chatGone(r *http.Request, c *chatState) bool {
	chat, err := h.cfg.Client.ResumeChat(sessionOf(c), cookiesOf(c))
	if err != nil {
		return true
	}
	ctx, cancel := h.callContext(r)
	defer cancel()
	_, err = chat.Check(ctx)
	return errors.Is(err, webchat.ErrNoSession)
}

// maxAcks caps the acknowledgements of one POST /ack.
const maxAcks = 50

// acks deletes the messages the browser acknowledges (the tokens of the
// events it has shown). A token not sealed for this browser is refused;
// a delete that fails is not an error for the browser: the message comes
// again and is acknowledged again.
func (h *Handler) acks(w http.ResponseWriter, r *http.Request, st *state) {
	var b struct {
		Acks []string `json:"acks"`
	}
	if !h.readJSON(w, r, jsonLimit, &b) {
		return
	}
	if len(b.Acks) == 0 || len(b.Acks) > maxAcks {
		badField(w, "acks", fmt.Sprintf("must list 1 to %d tokens", maxAcks))
		return
	}
	tokens := make([]ackToken, 0, len(b.Acks))
	for i, a := range b.Acks {
		t, ok := h.openAck(st, a)
		if !ok {
			badField(w, fmt.Sprintf("acks[%d]", i), "is not a token of this browser")
			return
		}
		if !slices.Contains(tokens, t) { // a repeat is one delete, not one SQS call per copy
			tokens = append(tokens, t)
		}
	}
	ctx, cancel := h.callContext(r)
	defer cancel()
	if err := h.ack(ctx, tokens); err != nil {
		h.log.Info("webchat bridge: acknowledging", "err", err)
	}
	w.WriteHeader(http.StatusNoContent)
}
