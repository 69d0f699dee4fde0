package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/contactkit/contactkit/salesforce"
)

// receiverConfig is what makes the receiver safe to expose: every
// connection and every request is bounded in time and memory, and the
// number of records handled at once is bounded too.
type receiverConfig struct {
	// Path is where jtel posts (the URL configured in the jtel daemon).
	Path string
	// ReadHeaderTimeout bounds the wait for a request's headers: a
	// connection that sends nothing is closed after it.
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds reading a whole request, body included: a client
	// that trickles its body is cut off after it.
	ReadTimeout time.Duration
	// WriteTimeout bounds the time from the end of the headers to the end
	// of the answer, the record's write included.
	WriteTimeout time.Duration
	// IdleTimeout closes a kept-alive connection that sends no next request.
	IdleTimeout time.Duration
	// HandlerTimeout is the deadline of the context the record is written
	// with; a write that takes longer fails and is answered 423 (jtel sends
	// the record again). Keep it below WriteTimeout.
	HandlerTimeout time.Duration
	// MaxConcurrent bounds the records handled at once; QueueWait is how
	// long a request waits for a free slot before it is answered 423 with
	// Retry-After (jtel sends it again).
	MaxConcurrent int
	QueueWait     time.Duration
	// MaxBodyBytes and MaxHeaderBytes bound the memory of one request.
	MaxBodyBytes   int64
	MaxHeaderBytes int
	// ShutdownGrace is how long a SIGINT or SIGTERM waits for requests in
	// flight before connections are closed.
	ShutdownGrace time.Duration
}

func defaultReceiverConfig() receiverConfig {
	return receiverConfig{
		Path:              "/services/apexrest/jtel/writeCallStatistics",
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      20 * time.Second,
		IdleTimeout:       60 * time.Second,
		HandlerTimeout:    15 * time.Second,
		MaxConcurrent:     64,
		QueueWait:         2 * time.Second,
		MaxBodyBytes:      salesforce.DefaultMaxBodyBytes,
		MaxHeaderBytes:    16 << 10,
		ShutdownGrace:     20 * time.Second,
	}
}

// register adds the receiver's flags to fs, with c's values as defaults.
func (c *receiverConfig) register(fs *flag.FlagSet) {
	fs.StringVar(&c.Path, "path", c.Path, "path the receiver answers on")
	fs.DurationVar(&c.ReadHeaderTimeout, "read-header-timeout", c.ReadHeaderTimeout, "close a connection that sends no headers within this")
	fs.DurationVar(&c.ReadTimeout, "read-timeout", c.ReadTimeout, "bound on reading a whole request, body included")
	fs.DurationVar(&c.WriteTimeout, "write-timeout", c.WriteTimeout, "bound from the end of the headers to the end of the answer")
	fs.DurationVar(&c.IdleTimeout, "idle-timeout", c.IdleTimeout, "close a kept-alive connection idle this long")
	fs.DurationVar(&c.HandlerTimeout, "handler-timeout", c.HandlerTimeout, "deadline for writing one record (below -write-timeout)")
	fs.IntVar(&c.MaxConcurrent, "max-concurrent", c.MaxConcurrent, "records handled at once")
	fs.DurationVar(&c.QueueWait, "queue-wait", c.QueueWait, "wait for a free slot before answering 423")
	fs.Int64Var(&c.MaxBodyBytes, "max-body", c.MaxBodyBytes, "largest request body in bytes (413 beyond)")
	fs.IntVar(&c.MaxHeaderBytes, "max-header-bytes", c.MaxHeaderBytes, "largest request header block in bytes")
	fs.DurationVar(&c.ShutdownGrace, "shutdown-grace", c.ShutdownGrace, "wait for requests in flight on SIGINT/SIGTERM")
}

func (c *receiverConfig) check() error {
	for name, d := range map[string]time.Duration{
		"read-header-timeout": c.ReadHeaderTimeout, "read-timeout": c.ReadTimeout, "write-timeout": c.WriteTimeout,
		"idle-timeout": c.IdleTimeout, "handler-timeout": c.HandlerTimeout, "queue-wait": c.QueueWait, "shutdown-grace": c.ShutdownGrace,
	} {
		if d <= 0 {
			return fmt.Errorf("-%s must be positive", name)
		}
	}
	switch {
	case c.MaxConcurrent < 1:
		return errors.New("-max-concurrent must be at least 1")
	case c.MaxBodyBytes < 1 || c.MaxHeaderBytes < 1:
		return errors.New("-max-body and -max-header-bytes must be positive")
	case c.HandlerTimeout >= c.WriteTimeout:
		return errors.New("-handler-timeout must be below -write-timeout, so that the answer can still be written")
	}
	return nil
}

// receiver is the production-shaped writeCallStatistics endpoint.
type receiver struct {
	srv  *http.Server
	cfg  receiverConfig
	open atomic.Int64 // connections held now
	peak atomic.Int64
}

// newReceiver builds the server around write; jtel must send
// "Authorization: Bearer <token>".
func newReceiver(cfg receiverConfig, token string, write salesforce.RecordFunc, log *slog.Logger) (*receiver, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	h, err := salesforce.NewHandler(write, salesforce.RequireBearer(token),
		salesforce.HandlerMaxBody(cfg.MaxBodyBytes), salesforce.HandlerLogger(log))
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle(cfg.Path, limit(cfg.MaxConcurrent, cfg.QueueWait, withDeadline(cfg.HandlerTimeout, h)))
	rc := &receiver{cfg: cfg}
	rc.srv = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		MaxHeaderBytes:    cfg.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		ConnState:         rc.track,
	}
	return rc, nil
}

func (rc *receiver) track(_ net.Conn, s http.ConnState) {
	switch s {
	case http.StateNew:
		n := rc.open.Add(1)
		for p := rc.peak.Load(); n > p && !rc.peak.CompareAndSwap(p, n); p = rc.peak.Load() {
		}
	case http.StateClosed, http.StateHijacked:
		rc.open.Add(-1)
	}
}

// serve answers on ln until ctx ends, then shuts down gracefully: no new
// connections, requests in flight finish within ShutdownGrace, the rest
// are closed.
func (rc *receiver) serve(ctx context.Context, ln net.Listener) error {
	done := make(chan error, 1)
	go func() { done <- rc.srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rc.cfg.ShutdownGrace)
	defer cancel()
	err := rc.srv.Shutdown(sctx)
	if err != nil {
		_ = rc.srv.Close()
	}
	if serveErr := <-done; err == nil && !errors.Is(serveErr, http.ErrServerClosed) {
		err = serveErr
	}
	return err
}

// limit lets n requests in at once; a request that finds no free slot
// within wait is answered 423 with Retry-After, the one answer after which
// jtel sends the record again (503 is not in jtel's table). Requests
// waiting hold only their headers: the body is read once a slot is free.
func limit(n int, wait time.Duration, next http.Handler) http.Handler {
	slots := make(chan struct{}, n)
	retryAfter := strconv.Itoa(max(1, int(wait/time.Second)))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case slots <- struct{}{}:
		default:
			t := time.NewTimer(wait)
			select {
			case slots <- struct{}{}:
				t.Stop()
			case <-t.C:
				w.Header().Set("Retry-After", retryAfter)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusLocked)
				_, _ = w.Write([]byte(`{"status":423,"error":"busy: send again later"}` + "\n"))
				return
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		defer func() { <-slots }()
		next.ServeHTTP(w, r)
	})
}

// withDeadline gives the record's write a deadline, so that a stuck store
// is answered 423 before the server's WriteTimeout cuts the connection.
func withDeadline(d time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}
