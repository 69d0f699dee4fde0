// Command webchat starts a web chat as an end user, prints the agent's
// messages as they arrive, answers them (a question, a screenshot the
// agent asks for, a goodbye) and ends when the agent ends the chat.
//
// Without -base-url it chats with an in-process fake service and its
// scripted agent. With -base-url it uses WEBCHAT_API_KEY and
// WEBCHAT_INSTALLATION_ID. Either way it reads the agent's messages from
// the session's SQS queue. Ctrl-C ends the chat on the service before the
// program exits, so the agent is not left with an orphaned chat.
package main

import (
	"context"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"github.com/contactkit/contactkit/webchat"
	"github.com/contactkit/contactkit/webchat/webchattest"
)

// tinyPNG is a 1×1 PNG to upload when the agent asks for a screenshot.
var tinyPNG, _ = base64.StdEncoding.DecodeString(webchattest.AgentImage)

func main() {
	baseURL := flag.String("base-url", "", "web chat service, e.g. "+webchat.DefaultBaseURL+" (empty: in-process fake)")
	skill := flag.String("skill", "SkillName", "skill to queue for")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: webchat [-base-url URL] [-skill NAME]\n\nenvironment (with -base-url):\n  WEBCHAT_API_KEY          API key from Xima\n  WEBCHAT_INSTALLATION_ID  chat installation id\n\nflags:\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Stdout, *baseURL, os.Getenv("WEBCHAT_API_KEY"), os.Getenv("WEBCHAT_INSTALLATION_ID"), *skill)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "webchat:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer, baseURL, apiKey, installation, skill string) error {
	var fake *webchattest.Server
	if baseURL == "" {
		fake = webchattest.NewServer()
		defer fake.Close()
		baseURL, apiKey, installation = fake.URL(), fake.APIKey, fake.InstallationID
		fmt.Fprintf(out, "chatting with the in-process fake service at %s\n", baseURL)
	}
	c, err := webchat.NewClient(baseURL)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	chat, err := c.StartAPISession(ctx, webchat.StartRequest{
		InstallationID: installation, Email: "endUserEmail@test.com", Name: "End User", Skill: skill, APIKey: apiKey,
		CustomChatInfo: []webchat.CustomInfo{{Name: "Order", Value: "24601"}},
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "session %s started, queued for %s\n", chat.Session.ID, skill)
	// The agent's messages arrive on the session's SQS queue (the fake
	// serves its queues over SQS's protocol too).
	source, err := c.NewSessionSource(&chat.Session, webchat.SQSOptions{})
	if err != nil {
		endCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), webchat.DefaultEndGrace)
		defer cancel()
		return errors.Join(err, chat.End(endCtx)) // do not leave the agent an orphaned chat
	}

	texts := 0
	conv := &webchat.Conversation{Chat: chat, Source: source, Handlers: webchat.Handlers{
		EstimatedWaitTime: func(_ context.Context, wait string) error {
			fmt.Fprintf(out, "  (estimated wait: %s)\n", wait)
			return nil
		},
		ChatStarted: func(_ context.Context, agent string, m webchat.AgentMessage) error {
			img, _ := m.Image()
			fmt.Fprintf(out, "  %s joined (picture: %d bytes)\n", agent, len(img))
			return nil
		},
		ChatTransferred: func(_ context.Context, agent string, _ webchat.AgentMessage) error {
			fmt.Fprintf(out, "  transferred to %s\n", agent)
			return nil
		},
		AgentTyping: func(context.Context, bool) error { return nil },
		ChatText: func(ctx context.Context, text string) error {
			fmt.Fprintf(out, "agent: %s\n", text)
			texts++
			var reply string
			switch texts {
			case 1:
				reply = "I have a question about model no. 24601."
			case 2:
				reply = "Shall I send you a screenshot?"
			case 3:
				reply = "Thanks, bye!"
			default:
				return nil
			}
			fmt.Fprintf(out, "me:    %s\n", reply)
			_ = chat.Typing(ctx, false)
			return chat.Send(ctx, reply)
		},
		TakeScreenshot: func(ctx context.Context) error {
			uuid, err := chat.UploadScreenshot(ctx, tinyPNG)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "  screenshot %s uploaded and shared\n", uuid)
			return chat.AcceptScreenshot(ctx, uuid)
		},
		Ended: func(_ context.Context, m webchat.AgentMessage) error {
			fmt.Fprintf(out, "  chat ended (%s)\n", m.Type)
			return nil
		},
	}}
	// Run ends the chat on the service (POST /chat/end) when it stops
	// early, as on Ctrl-C, so the agent is not left with an orphaned chat.
	err = conv.Run(ctx)
	if ctx.Err() != nil {
		fmt.Fprintf(out, "  stopped early: %v\n", err)
	}
	if fake != nil {
		s, _ := fake.Session(chat.Session.ID)
		fmt.Fprintf(out, "the service got %d messages from me and %d screenshot(s)\n", len(s.Messages), len(s.Screenshots))
		if ctx.Err() != nil {
			fmt.Fprintf(out, "the service ended the chat on my request: %v\n", s.Ended)
		}
	}
	return err
}
