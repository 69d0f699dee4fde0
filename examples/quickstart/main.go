// Command quickstart is a tour of contactkit: every package, one step
// each, against the in-process fake servers. It needs no account and no
// network.
//
//	go run ./examples/quickstart
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/acd"
	"github.com/contactkit/contactkit/acd/acdtest"
	"github.com/contactkit/contactkit/avaya"
	"github.com/contactkit/contactkit/avaya/avayatest"
	"github.com/contactkit/contactkit/chatexport"
	"github.com/contactkit/contactkit/chatexport/chatexporttest"
	"github.com/contactkit/contactkit/salesforce"
	"github.com/contactkit/contactkit/salesforce/salesforcetest"
	"github.com/contactkit/contactkit/salesforce/sqlstore"
	"github.com/contactkit/contactkit/thulium"
	"github.com/contactkit/contactkit/thulium/thuliumtest"
	"github.com/contactkit/contactkit/webchat"
	"github.com/contactkit/contactkit/webchat/webchattest"
)

// step is one package's part of the tour.
type step struct {
	name string
	run  func(ctx context.Context, out io.Writer) error
}

func main() {
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: go run ./examples/quickstart\n\n"+
			"A tour of every contactkit package against in-process fakes: no account,\n"+
			"no network, no flags. Each package's own example (go run ./examples/<name> -h)\n"+
			"talks to a real system with -base-url and credentials from the environment.")
	}
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	err := tour(ctx, os.Stdout)
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

func tour(ctx context.Context, out io.Writer) error {
	steps := []step{
		{"acd: jtel ACD events", tourACD},
		{"thulium: Thulium chat report summary", tourThulium},
		{"salesforce: jtel writeCallStatistics", tourSalesforce},
		{"chatexport: jtel chat report export", tourChatExport},
		{"avaya: Avaya Call Reporting recordings, reports and agents", tourAvaya},
		{"avaya: realtime metrics over the websocket", tourRealtime},
		{"avaya/wallboard: realtime metrics in the browser", tourWallboard},
		{"webchat: Xima web chat as an end user", tourWebchat},
		{"storing call data: writeCallStatistics into SQLite, exactly once", tourStore},
		{"avaya: recordings into another system, paced, with a manifest", tourArchive},
		{"avaya/webservice: a finished call becomes a listen link for the CRM", tourWebService},
		{"webchat/bridge: a custom chat widget for your own pages", tourWidget},
	}
	for i, s := range steps {
		fmt.Fprintf(out, "== %d/%d %s\n", i+1, len(steps), s.name)
		if err := s.run(ctx, out); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	fmt.Fprintln(out, "== done: every step ran against the in-process fakes")
	fmt.Fprintln(out, "   more: go run ./examples/callstats-store (-dsn postgres://...), go run ./examples/avaya-export -every 1h")
	return nil
}

// tourACD lists the events of a jtel account, creates a callback request
// and reads it back.
func tourACD(ctx context.Context, out io.Writer) error {
	srv := acdtest.NewServer()
	defer srv.Close()
	c, err := acd.NewClient(srv.URL(), contactkit.StaticToken(srv.Token))
	if err != nil {
		return err
	}
	n := 0
	for ev, err := range c.AllEvents(ctx) {
		if err != nil {
			return err
		}
		n++
		fmt.Fprintf(out, "   event %d %-9s %s\n", ev.ID, ev.Type, ev.Subject)
	}
	ev, err := c.CreateEvent(ctx, &acd.NewEvent{
		Type: acd.Callback, GroupID: 235, Sender: "49199123456789", Receiver: "4919900112233",
		Subject: "Callback request from 49199123456789", Body: "Please call back after 9.",
	})
	if err != nil {
		return err
	}
	back, err := c.GetEvent(ctx, ev.ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "   listed %d events, created callback %d, read back %q\n", n, ev.ID, back.Subject)
	return nil
}

// tourThulium reads a week of daily chat figures, summed over all users,
// page by page.
func tourThulium(ctx context.Context, out io.Writer) error {
	srv := thuliumtest.NewServer()
	defer srv.Close()
	c, err := thulium.NewClient(srv.URL(), srv.Credentials(), thulium.WithLocation(time.UTC))
	if err != nil {
		return err
	}
	from := time.Date(2024, 12, 16, 0, 0, 0, 0, time.UTC)
	q := thulium.SummaryQuery{From: from, To: from.AddDate(0, 0, 6), AggregateBy: thulium.ByDay, SumUsers: true, Limit: 3}
	incoming, answered := 0, 0
	for r, err := range c.AllChatReportSummary(ctx, q) {
		if err != nil {
			return err
		}
		day, err := r.SeriesStart(thulium.ByDay, c.Location())
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "   %s  %3d chats in, %3d answered, average chat %s\n", day.Format("Mon 02 Jan"), r.Incoming, r.Answered, r.ChatTime.Avg)
		incoming += r.Incoming
		answered += r.Answered
	}
	fmt.Fprintf(out, "   week total: %d in, %d answered, read in %d pages of 3\n", incoming, answered, len(srv.Requests()))
	return nil
}

// tourSalesforce sends the five records of jtel's documented example call
// to a scripted endpoint that is busy at first (423), and folds what it
// wrote back into one call.
func tourSalesforce(ctx context.Context, out io.Writer) error {
	srv := salesforcetest.NewServer()
	defer srv.Close()
	srv.Script(423, 423) // "locked": jtel, and the Sender, send again
	s, err := salesforce.NewSender(srv.URL(), contactkit.StaticToken(srv.Token),
		salesforce.WithRetry(contactkit.RetryPolicy{MaxAttempts: 10, MinWait: 10 * time.Millisecond, MaxWait: 100 * time.Millisecond}))
	if err != nil {
		return err
	}
	for _, r := range salesforcetest.DocumentedCall(4711, time.Date(2024, 5, 6, 9, 30, 0, 0, time.UTC)) {
		if err := s.Send(ctx, &r); err != nil {
			return err
		}
	}
	for _, c := range salesforce.GroupCalls(srv.Written()) {
		fmt.Fprintf(out, "   call %d: tried %s; answered by %s; codes %s; talk %s\n", c.StatisticsPartAID,
			strings.Join(c.AgentsTried, ", "), c.AnsweredBy, strings.Join(c.TransactionCodes, ","), c.TalkDuration)
	}
	fmt.Fprintf(out, "   %d deliveries for %d records: the 423s were sent again, nothing lost\n", len(srv.Deliveries()), len(srv.Written()))
	return nil
}

// tourChatExport renders a short multilingual chat as a PDF and exports it
// in jtel's two phases (token post, report post) to a fake back end.
func tourChatExport(ctx context.Context, out io.Writer) error {
	srv := chatexporttest.NewServer()
	defer srv.Close()
	now := time.Date(2024, 5, 6, 9, 45, 0, 0, time.UTC)
	s := &chatexport.Session{
		ID: "chat-42", ClientsID: "1001", ChatConnectorID: "7", ChatConnectorName: "Webshop",
		Start: now.Add(-3 * time.Minute), End: now,
		PData: map[string]string{"name": "Agnieszka Wójcik", "email": "a.wojcik@example.pl"},
		Messages: []chatexport.Message{
			{Time: now.Add(-2 * time.Minute), Sender: "Agnieszka Wójcik", Role: chatexport.Customer, Text: "Dzień dobry! Gdzie jest moja paczka? 😀"},
			{Time: now.Add(-time.Minute), Sender: "Jürgen Weiß", Role: chatexport.Agent, Text: "Guten Tag! Sie kommt morgen früh."},
		},
	}
	exp, err := chatexport.NewExporter(srv.Config(), chatexport.WithClock(func() time.Time { return now }))
	if err != nil {
		return err
	}
	res, err := exp.Export(ctx, s)
	if err != nil {
		return err
	}
	for _, r := range srv.Reports() {
		fmt.Fprintf(out, "   token post %d, report post %d: the back end stored a %d-byte PDF for %v\n", res.TokenStatus, res.ReportStatus, len(r.PDF), r.Fields["customer"])
	}
	return nil
}

// tourAvaya streams a recording, runs the documented Agent Talking Summary
// report and pauses an agent's recording while a card number is read out.
func tourAvaya(ctx context.Context, out io.Writer) error {
	srv := avayatest.NewServer()
	defer srv.Close()
	c, err := avaya.NewClient(srv.URL(), contactkit.StaticToken(srv.Token))
	if err != nil {
		return err
	}
	audio, err := c.RecordingAudio(ctx, avayatest.DocumentedRecording1, avaya.WAV)
	if err != nil {
		return err
	}
	n, err := io.Copy(io.Discard, audio.Body)
	_ = audio.Body.Close()
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "   streamed %d bytes of %s audio\n", n, audio.ContentType)
	from := time.Date(2019, 9, 9, 0, 0, 0, 0, time.FixedZone("MDT", -6*60*60))
	rep, err := c.RunReport(ctx, avayatest.AgentTalkingSummary, avaya.TimeframeParam("Report Timeframe", from, from.Add(48*time.Hour-time.Second)))
	if err != nil {
		return err
	}
	table := rep.Table()
	fmt.Fprintf(out, "   %s: %s made %s calls, talked %s\n", rep.Title, table[1][0], table[1][4], table[1][5])
	paused, err := c.PauseRecording(ctx, "Nate Thatcher(123)")
	if err != nil {
		return err
	}
	resumed, err := c.ResumeRecording(ctx, "Nate Thatcher(123)")
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "   Nate Thatcher's recording: %s, then %s again\n", paused, resumed)
	return nil
}

// tourRealtime subscribes to two realtime metrics for a moment and shows
// the board it keeps, with the longest wait computed now.
func tourRealtime(ctx context.Context, out io.Writer) error {
	srv := avayatest.NewServer()
	defer srv.Close()
	srv.InitDelay(0)
	c, err := avaya.NewClient(srv.URL(), contactkit.StaticToken(srv.Token))
	if err != nil {
		return err
	}
	board := avaya.NewBoard()
	updates := 0
	ctx, cancel := context.WithTimeout(ctx, 1500*time.Millisecond)
	defer cancel()
	err = c.SubscribeFunc(ctx, []string{avayatest.MetricCallsInQueue, avayatest.MetricLongestWait}, avaya.SubscribeOptions{}, func(u avaya.Update) error {
		updates++
		board.Apply(u.MetricResult)
		return nil
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	queue, _ := board.Get(avaya.MetricKey{MetricID: avayatest.MetricCallsInQueue})
	wait := board.DurationsAt(time.Now())[avaya.MetricKey{MetricID: avayatest.MetricLongestWait}]
	fmt.Fprintf(out, "   %d updates in 1.5 s: %d calls in queue, longest wait %s\n", updates, queue.Count, wait.Round(time.Second))
	return nil
}

// tourWebchat starts a web chat, answers the scripted agent once and says
// goodbye; the agent ends the chat.
func tourWebchat(ctx context.Context, out io.Writer) error {
	srv := webchattest.NewServer()
	defer srv.Close()
	c, err := webchat.NewClient(srv.URL())
	if err != nil {
		return err
	}
	chat, err := c.StartAPISession(ctx, webchat.StartRequest{
		InstallationID: srv.InstallationID, Email: "end.user@example.com", Name: "End User", Skill: "Sales", APIKey: srv.APIKey,
	})
	if err != nil {
		return err
	}
	conv := &webchat.Conversation{Chat: chat, Source: srv.Source(chat.Session.ID), Handlers: webchat.Handlers{
		ChatStarted: func(_ context.Context, agent string, _ webchat.AgentMessage) error {
			fmt.Fprintf(out, "   %s joined the chat\n", agent)
			return nil
		},
		ChatText: func(ctx context.Context, text string) error {
			fmt.Fprintf(out, "   agent: %s\n", text)
			if strings.HasPrefix(text, "Hello") {
				fmt.Fprintln(out, "   me:    Just checking in, bye!")
				return chat.Send(ctx, "Just checking in, bye!")
			}
			return nil
		},
		Ended: func(_ context.Context, m webchat.AgentMessage) error {
			fmt.Fprintf(out, "   the agent ended the chat (%s)\n", m.Type)
			return nil
		},
	}}
	return conv.Run(ctx)
}

// tourStore runs the writeCallStatistics receiver on a SQLite file and
// has jtel's documented call delivered twice, as a resending jtel would:
// every record is stored once, and the call reads back folded.
func tourStore(ctx context.Context, out io.Writer) error {
	dir, err := os.MkdirTemp("", "contactkit-quickstart-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(dir) }()
	db, err := sqlstore.Open(ctx, filepath.Join(dir, "callstats.db")) // or postgres://...
	if err != nil {
		return err
	}
	defer func() { _ = db.Close() }()
	store, err := sqlstore.New(ctx, db)
	if err != nil {
		return err
	}
	h, err := salesforce.NewHandler(store.Write, salesforce.RequireBearer("wcs-token"))
	if err != nil {
		return err
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	s, err := salesforce.NewSender(srv.URL, contactkit.StaticToken("wcs-token"))
	if err != nil {
		return err
	}
	records := salesforcetest.DocumentedCall(4712, time.Date(2024, 5, 6, 10, 0, 0, 0, time.UTC))
	for range 2 { // the second delivery is what a resend after a lost answer looks like
		for _, r := range records {
			if err := s.Send(ctx, &r); err != nil {
				return err
			}
		}
	}
	n, err := store.Count(ctx)
	if err != nil {
		return err
	}
	call, _, err := store.Call(ctx, 4712)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "   %d deliveries, %d rows: every record stored once\n", 2*len(records), n)
	fmt.Fprintf(out, "   call %d read back: answered by %s, talk %s\n", call.StatisticsPartAID, call.AnsweredBy, call.TalkDuration)
	return nil
}
