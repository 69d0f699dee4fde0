package bridge

import (
	"net/http"
	"time"
)

// Timeouts of NewHTTPServer.
const (
	// ReadHeaderTimeout: a client that has not sent its headers by then
	// is cut off, so slow clients cannot pin connections.
	ReadHeaderTimeout = 5 * time.Second
	// ReadTimeout bounds reading a whole request, a screenshot upload
	// of up to webchat.MaxScreenshotBytes included.
	ReadTimeout = time.Minute
	// IdleTimeout closes a keep-alive connection with no request.
	IdleTimeout = 2 * time.Minute
	// MaxHeaderBytes caps a request's headers.
	MaxHeaderBytes = 32 << 10
)

// NewHTTPServer returns an *http.Server for h with the timeouts above. It
// has no WriteTimeout, which would cut the event streams: each event's
// write has a deadline of its own instead, so a browser that stops
// reading is dropped.
func NewHTTPServer(addr string, h http.Handler) *http.Server {
	return &http.Server{
		Addr: addr, Handler: h,
		ReadHeaderTimeout: ReadHeaderTimeout, ReadTimeout: ReadTimeout,
		IdleTimeout: IdleTimeout, MaxHeaderBytes: MaxHeaderBytes,
	}
}
