// Package testtool lets a test use an external program (pdftotext, node):
// when it is missing the test is skipped locally but fails under CI=true,
// where .ci/run has installed it.
package testtool

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"testing"
)

// Require returns the path of the named program, skipping the test when it
// is missing, or failing it when CI=true.
func Require(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is required under CI=true (.ci/run installs it): %v", name, err)
	}
	t.Skipf("%s not installed; skipping (CI installs it)", name)
	return ""
}

// RequirePath returns path when it exists; otherwise it skips the test
// locally, or fails it under CI=true. what says what is missing and how
// it is installed.
func RequirePath(t testing.TB, path, what string) string {
	t.Helper()
	if _, err := os.Stat(path); err == nil {
		return path
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is required under CI=true: %s is missing", what, path)
	}
	t.Skipf("%s not installed (%s missing); skipping (CI installs it)", what, path)
	return ""
}

// SyncBuffer is a bytes.Buffer that a logger may write from several
// goroutines while the test reads it.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// SilentServer listens on 127.0.0.1, accepts every connection, reads what
// the client sends and never answers: the server that hangs a client
// without a deadline. It returns the base URL; the listener and every
// connection are closed when the test ends.
func SilentServer(t testing.TB) string {
	t.Helper()
	u, _ := SilentServerCounting(t)
	return u
}

// SilentServerCounting is SilentServer that also counts the connections
// it accepted (one per attempt of a client that does not reuse them).
func SilentServerCounting(t testing.TB) (url string, accepted *atomic.Int32) {
	t.Helper()
	accepted = &atomic.Int32{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _ = io.Copy(io.Discard, c) // read the request, answer nothing
			}()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		mu.Lock()
		for _, c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return "http://" + ln.Addr().String(), accepted
}

// StallServer answers 200 with a JSON content type, writes first, flushes
// and then sends nothing more until the client leaves: a body that stalls
// after its headers. It returns the server's URL.
func StallServer(t testing.TB, first string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, first)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}
