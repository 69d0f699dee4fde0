// Command webchat-widget serves a demo shop page with a custom web chat
// widget on localhost: the page loads the widget from the webchat/bridge
// handler at /chat/, which talks to the chat service on the server's side
// (the API key never reaches the browser).
//
// Without -base-url the chat goes to an in-process fake service and its
// scripted agent (ask it for a "screenshot", say "bye" to end). With
// -base-url it uses the real cloud service with WEBCHAT_API_KEY and
// WEBCHAT_INSTALLATION_ID. WEBCHAT_COOKIE_KEY (32 bytes or more) seals
// the chat cookie; without it a random key is used, which is fine for one
// process but not for several behind a load balancer.
//
//	go run ./examples/webchat-widget            # then open http://127.0.0.1:8080/
package main

import (
	"context"
	"crypto/rand"
	"embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/signal"
	"time"

	"github.com/contactkit/contactkit/webchat"
	"github.com/contactkit/contactkit/webchat/bridge"
	"github.com/contactkit/contactkit/webchat/webchattest"
)

//go:embed static
var static embed.FS

// config is what run needs; main fills it from flags and the environment.
type config struct {
	BaseURL        string // empty: the in-process fake
	APIKey         string
	InstallationID string
	CookieKey      []byte
	Skills         []string
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to serve the demo shop on")
	baseURL := flag.String("base-url", "", "web chat service, e.g. "+webchat.DefaultBaseURL+" (empty: in-process fake)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: webchat-widget [-addr HOST:PORT] [-base-url URL]\n\nenvironment:\n"+
			"  WEBCHAT_API_KEY          API key from Xima (with -base-url)\n"+
			"  WEBCHAT_INSTALLATION_ID  chat installation id (with -base-url)\n"+
			"  WEBCHAT_COOKIE_KEY       at least 32 bytes sealing the chat cookie (default: random per run)\n\nflags:\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	cfg := config{BaseURL: *baseURL, APIKey: os.Getenv("WEBCHAT_API_KEY"), InstallationID: os.Getenv("WEBCHAT_INSTALLATION_ID"),
		CookieKey: []byte(os.Getenv("WEBCHAT_COOKIE_KEY")), Skills: []string{"Sales", "Support"}}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	ln, err := net.Listen("tcp", *addr)
	if err == nil {
		err = run(ctx, ln, os.Stdout, cfg)
	}
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "webchat-widget:", err)
		os.Exit(1)
	}
}

// run serves the shop on ln until ctx ends, then shuts down gracefully.
func run(ctx context.Context, ln net.Listener, out io.Writer, cfg config) error {
	var queueStatus webchat.QueueStatusSource
	if cfg.BaseURL == "" {
		fake := webchattest.NewServer()
		defer fake.Close()
		cfg.BaseURL, cfg.APIKey, cfg.InstallationID = fake.URL(), fake.APIKey, fake.InstallationID
		queueStatus = fake.QueueStatus() // the real service's queue status endpoint is not documented
		fmt.Fprintf(out, "chatting with the in-process fake service at %s\n", cfg.BaseURL)
	} else if cfg.APIKey == "" || cfg.InstallationID == "" {
		return errors.New("with -base-url, set WEBCHAT_API_KEY and WEBCHAT_INSTALLATION_ID")
	}
	if len(cfg.CookieKey) == 0 {
		cfg.CookieKey = []byte(rand.Text() + rand.Text())
	}
	client, err := webchat.NewClient(cfg.BaseURL, webchat.WithUserAgent("webchat-widget-example/1.0"))
	if err != nil {
		return err
	}
	h, err := bridge.New(bridge.Config{
		Client: client, InstallationID: cfg.InstallationID, APIKey: cfg.APIKey,
		CookieKeys: [][]byte{cfg.CookieKey}, CookiePath: "/chat/",
		QueueStatus: queueStatus, Skills: cfg.Skills,
	})
	if err != nil {
		return err
	}
	defer h.Close()

	files, err := fs.Sub(static, "static")
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/chat/", http.StripPrefix("/chat", h))
	mux.Handle("/", withCSP(http.FileServerFS(files)))
	srv := bridge.NewHTTPServer(ln.Addr().String(), mux)

	fmt.Fprintf(out, "demo shop on http://%s/\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// Streams never end by themselves: stop them first, then wait for the
	// rest of the requests.
	_ = h.Close()
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		_ = srv.Close()
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	fmt.Fprintln(out, "stopped")
	return nil
}

// withCSP serves the shop's pages with a policy that forbids inline
// script.
func withCSP(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", bridge.ContentSecurityPolicy)
		w.Header().Set("X-Content-Type-Options", "nosniff")
		next.ServeHTTP(w, r)
	})
}
