// Package fakeserver is what every fake API server of contactkit shares:
// a log of the requests it got and knobs that make it misbehave (fail with
// a status, delay, drop the connection, truncate the body).
package fakeserver

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"time"
)

// Request is one request as a fake received it.
type Request struct {
	Method string
	Path   string // escaped, as sent
	Query  string // raw query, as sent
	Header http.Header
	Body   []byte
}

// Fault is a misbehaviour applied to the next requests.
type Fault struct {
	// Status answers with this status and Body (or the API's error body
	// when Body is empty) instead of serving the request.
	Status     int
	Body       string
	RetryAfter string // the Retry-After header to send with Status
	// Drop closes the connection without any answer.
	Drop bool
	// Truncate serves the real answer but cuts the body in half.
	Truncate bool
	// Cut serves the first half of the real answer as if it were all of
	// it (no Content-Length of the full size, connection closed): a body
	// cut short that a client can only notice by checking its size.
	Cut bool
	// Delay waits before answering (or until the client gives up).
	Delay time.Duration
}

// Faults records requests and applies injected faults. Embed it in a fake
// server and wrap the fake's handler with Handler.
type Faults struct {
	mu       sync.Mutex
	requests []Request
	queue    []Fault
	delay    time.Duration
	// ErrorBody renders an API-style error body for a status.
	ErrorBody func(status int) string
}

// Inject makes the next n requests misbehave as f says.
func (f *Faults) Inject(n int, fault Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for range n {
		f.queue = append(f.queue, fault)
	}
}

// FailNext answers the next n requests with status.
func (f *Faults) FailNext(n, status int) { f.Inject(n, Fault{Status: status}) }

// SetDelay delays every answer by d (0 to stop).
func (f *Faults) SetDelay(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.delay = d
}

// Requests returns a copy of the requests received so far.
func (f *Faults) Requests() []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Request(nil), f.requests...)
}

// ResetRequests forgets the recorded requests.
func (f *Faults) ResetRequests() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = nil
}

func (f *Faults) next(r *http.Request, body []byte) (Fault, time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, Request{
		Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.RawQuery, Header: r.Header.Clone(), Body: body,
	})
	var fault Fault
	if len(f.queue) > 0 {
		fault = f.queue[0]
		f.queue = f.queue[1:]
	}
	return fault, f.delay
}

// Handler records every request and applies the faults before (or, for
// Truncate, after) next serves it.
func (f *Faults) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<20))
		r.Body = io.NopCloser(bytes.NewReader(body))
		fault, delay := f.next(r, body)
		if d := max(fault.Delay, delay); d > 0 {
			select {
			case <-time.After(d):
			case <-r.Context().Done():
				return
			}
		}
		switch {
		case fault.Drop:
			panic(http.ErrAbortHandler) // net/http closes the connection, no answer
		case fault.Status != 0:
			writeFault(w, fault, f.ErrorBody)
		case fault.Truncate || fault.Cut:
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			full := rec.Body.Bytes()
			if fault.Cut {
				w.Header().Del("Content-Length")
				w.Header().Set("Connection", "close")
				w.WriteHeader(rec.Code)
				_, _ = w.Write(full[:len(full)/2])
				return // net/http ends the unsized body by closing the connection
			}
			w.Header().Set("Content-Length", strconv.Itoa(len(full)))
			w.WriteHeader(rec.Code)
			_, _ = w.Write(full[:len(full)/2])
			if fl, ok := w.(http.Flusher); ok {
				fl.Flush()
			}
			panic(http.ErrAbortHandler)
		default:
			next.ServeHTTP(w, r)
		}
	})
}

func writeFault(w http.ResponseWriter, fault Fault, errorBody func(int) string) {
	body := fault.Body
	if body == "" && errorBody != nil {
		body = errorBody(fault.Status)
	}
	if fault.RetryAfter != "" {
		w.Header().Set("Retry-After", fault.RetryAfter)
	}
	if body != "" && (body[0] == '{' || body[0] == '[') {
		w.Header().Set("Content-Type", "application/json")
	} else if body != "" {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
	}
	w.WriteHeader(fault.Status)
	_, _ = io.WriteString(w, body)
}

// WriteJSON answers status with v as JSON, as every fake does.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
