// Command chatexport builds a chat session in Polish, German and French
// with an emoji, writes its PDF transcript to a file, exports it the way
// jtel does (token post, then report post) and prints what arrived.
//
// Without -base-url it exports to an in-process fake customer back end.
// With -base-url it exports to a back end that serves the same paths as
// examples/chatexport-backend (/oauth/token and /chat-reports),
// authenticating the token post with CHATEXPORT_CLIENT_ID and
// CHATEXPORT_CLIENT_SECRET from the environment.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/contactkit/contactkit/chatexport"
	"github.com/contactkit/contactkit/chatexport/chatexporttest"
)

func main() {
	baseURL := flag.String("base-url", "", "customer back end, e.g. http://127.0.0.1:8089 from examples/chatexport-backend (empty: in-process fake)")
	out := flag.String("out", "chat-transcript.pdf", "where to write the PDF")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: chatexport [flags]\n\nenvironment (with -base-url):\n"+
			"  CHATEXPORT_CLIENT_ID, CHATEXPORT_CLIENT_SECRET  the token post's client credentials\n\nflags:\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Stdout, *baseURL, *out)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "chatexport:", err)
		os.Exit(1)
	}
}

// demoSession is a short chat with Polish, German and French text and an
// emoji (rendered as a placeholder: no font has emoji glyphs).
func demoSession(now time.Time) *chatexport.Session {
	start := now.Add(-6 * time.Minute)
	msg := func(sec int, who string, role chatexport.Role, text string) chatexport.Message {
		return chatexport.Message{Time: start.Add(time.Duration(sec) * time.Second), Sender: who, Role: role, Text: text}
	}
	return &chatexport.Session{
		ID: "chat-20240506-0042", ClientsID: "1001", ChatConnectorID: "7", ChatConnectorName: "Webshop – Kundenservice",
		Start: start, End: now,
		Participants: []chatexport.Participant{{Name: "Agnieszka Wójcik", Role: chatexport.Customer}, {Name: "Jürgen Weiß", Role: chatexport.Agent}},
		PData:        map[string]string{"name": "Agnieszka Wójcik", "email": "a.wojcik@example.pl", "order": "4711"},
		Messages: []chatexport.Message{
			msg(0, "System", chatexport.System, "Chat gestartet."),
			msg(5, "Agnieszka Wójcik", chatexport.Customer, "Dzień dobry! Gdzie jest moja przesyłka? Zamówienie 4711 😀"),
			msg(31, "Jürgen Weiß", chatexport.Agent, "Guten Tag, Frau Wójcik! Ihre Bestellung ist unterwegs – Zustellung morgen früh."),
			msg(64, "Agnieszka Wójcik", chatexport.Customer, "Merci beaucoup ! Très bien. 👍"),
			msg(90, "Jürgen Weiß", chatexport.Agent, "Gern geschehen. Schönen Tag noch!"),
		},
	}
}

func run(ctx context.Context, out io.Writer, baseURL, pdfPath string) error {
	var cfg chatexport.Config
	var fake *chatexporttest.Server
	if baseURL == "" {
		fake = chatexporttest.NewServer()
		defer fake.Close()
		cfg = fake.Config()
		fmt.Fprintf(out, "exporting to the in-process fake back end at %s\n", fake.URL())
	} else {
		id, secret := os.Getenv("CHATEXPORT_CLIENT_ID"), os.Getenv("CHATEXPORT_CLIENT_SECRET")
		if id == "" || secret == "" {
			return errors.New("with -base-url, set CHATEXPORT_CLIENT_ID and CHATEXPORT_CLIENT_SECRET for the token post")
		}
		cfg = backendConfig(baseURL, id, secret)
	}
	s := demoSession(time.Now())

	f, err := os.Create(pdfPath)
	if err != nil {
		return err
	}
	if err := chatexport.RenderPDF(f, s, chatexport.RenderOptions{}); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(out, "wrote the transcript to %s\n", pdfPath)

	exp, err := chatexport.NewExporter(cfg)
	if err != nil {
		return err
	}
	res, err := exp.Export(ctx, s)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "token post: %d, report post: %d, %d bytes of PDF sent\n", res.TokenStatus, res.ReportStatus, len(res.PDF))
	if fake == nil {
		fmt.Fprintf(out, "back end answered: %s", res.ReportBody)
		return nil
	}
	for _, r := range fake.Reports() {
		fmt.Fprintf(out, "arrived: %d bytes of PDF for %v <%v>, connector %q\n", len(r.PDF), r.Fields["customer"], r.Fields["email"], r.Fields["connector"])
		fmt.Fprintf(out, "arrived XML: %s\n", r.XML)
	}
	return nil
}

// backendConfig is the connector configuration for
// examples/chatexport-backend at base, whose token post authenticates
// with the client id and secret.
func backendConfig(base, clientID, clientSecret string) chatexport.Config {
	body, _ := json.Marshal(map[string]string{"grant_type": "client_credentials", "client_id": clientID, "client_secret": clientSecret})
	return chatexport.Config{
		TokenPost: &chatexport.Post{
			URL: base + "/oauth/token", Headers: "Content-Type: application/json",
			Body: strings.ReplaceAll(string(body), "$", "$$"), // a literal $ in a template is $$
		},
		ReportPost: chatexport.Post{
			URL:     base + "/chat-reports",
			Headers: "Content-Type: application/json\nAuthorization: Bearer $tokenResponse.body.JSON.access_token",
			Body:    chatexport.DefaultReportBody,
		},
		XMLTemplate: `<chatReport><connector>$chatConnector.name</connector><customer>$pdata.name</customer></chatReport>`,
	}
}
