package webservice

import (
	"log/slog"
	"net/http"
	"time"
)

// Recommended http.Server limits for a receiver reachable by Avaya. A
// Web Service Integration request is a few hundred bytes sent at once by
// a server on a good network, so every bound can be tight.
const (
	// ReadHeaderTimeout closes a connection that has not sent its headers
	// (a slowloris) after 5 s.
	ReadHeaderTimeout = 5 * time.Second
	// ReadTimeout bounds reading a whole request, body included.
	ReadTimeout = 10 * time.Second
	// WriteTimeout bounds the answer; the receiver answers before any
	// work is done, so this is never the Func's time.
	WriteTimeout = 10 * time.Second
	// IdleTimeout closes a kept-alive connection that sends no next
	// request.
	IdleTimeout = 60 * time.Second
	// MaxHeaderBytes holds a URL of DefaultMaxURL plus the admin's
	// headers.
	MaxHeaderBytes = DefaultMaxURL + 8<<10
)

// NewServer returns an *http.Server for addr serving h with the
// recommended limits above, logging its own errors (TLS handshakes,
// oversized headers) to log at warn level; nil log means slog.Default().
// Start it with ListenAndServe or ListenAndServeTLS, stop it with
// Shutdown and then the Receiver's Shutdown.
func NewServer(addr string, h http.Handler, log *slog.Logger) *http.Server {
	if log == nil {
		log = slog.Default()
	}
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}
