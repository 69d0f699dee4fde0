// Command chatexport-backend is what a customer implements for jtel's
// chat report export: a token endpoint and a report endpoint that checks
// the token, decodes the base64 PDF, checks its declared size and stores
// it in a directory.
//
//	go run ./examples/chatexport-backend -addr 127.0.0.1:8089 -dir reports
//	go run ./examples/chatexport -base-url http://127.0.0.1:8089
//
// On the jtel Chat Connector's REST tab, point the token post at
// /oauth/token and the report post at /chat-reports with the header
// "Authorization: Bearer $tokenResponse.body.JSON.access_token" and the
// body chatexport.DefaultReportBody.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/contactkit/contactkit/chatexport"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8089", "address to listen on")
	dir := flag.String("dir", "chat-reports", "directory the PDFs are stored in")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := serve(ctx, os.Stdout, *addr, *dir, nil)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "chatexport-backend:", err)
		os.Exit(1)
	}
}

// backend keeps the issued tokens and stores reports as files.
type backend struct {
	dir    string
	out    io.Writer
	mu     sync.Mutex
	tokens map[string]time.Time // token → expiry
	stored int
}

func (b *backend) issue(*http.Request) (string, error) {
	tok := chatexport.NewToken()
	b.mu.Lock()
	defer b.mu.Unlock()
	b.tokens[tok] = time.Now().Add(time.Hour)
	return tok, nil
}

var errBadToken = errors.New("unknown or expired token")

func (b *backend) authorize(r *http.Request) error {
	tok, ok := chatexport.BearerToken(r)
	b.mu.Lock()
	defer b.mu.Unlock()
	if exp, known := b.tokens[tok]; !ok || !known || time.Now().After(exp) {
		return errBadToken
	}
	return nil
}

// store writes the PDF atomically: a temporary file, then a rename.
func (b *backend) store(_ *http.Request, rep *chatexport.Report) error {
	b.mu.Lock()
	b.stored++
	n := b.stored
	b.mu.Unlock()
	connector := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '-'
	}, fmt.Sprint(rep.Fields["connectorId"]))
	name := filepath.Join(b.dir, fmt.Sprintf("%s-%s-%03d.pdf", time.Now().UTC().Format("20060102T150405"), connector, n))
	tmp, err := os.CreateTemp(b.dir, ".report-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(rep.PDF); err != nil {
		_ = tmp.Close()
		_ = os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		return err
	}
	fmt.Fprintf(b.out, "stored %s (%d bytes, connector %v, created %v)\n", name, len(rep.PDF), rep.Fields["connector"], rep.Fields["created"])
	return nil
}

// serve runs the back end until ctx ends. ready, if not nil, receives the
// base URL once listening.
func serve(ctx context.Context, out io.Writer, addr, dir string, ready chan<- string) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	b := &backend{dir: dir, out: out, tokens: map[string]time.Time{}}
	mux := http.NewServeMux()
	mux.Handle("/oauth/token", chatexport.TokenHandler(b.issue))
	mux.Handle("/chat-reports", chatexport.ReportHandler(chatexport.DefaultBodyFields, b.authorize, b.store))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(out, "listening on http://%s, storing reports in %s\n", ln.Addr(), dir)
	if ready != nil {
		ready <- "http://" + ln.Addr().String()
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(shutdown)
	case err := <-errc:
		return err
	}
}
