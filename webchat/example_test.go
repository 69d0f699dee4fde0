package webchat_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/contactkit/contactkit/webchat"
	"github.com/contactkit/contactkit/webchat/webchattest"
)

func ExampleClient_StartAPISession() {
	srv := webchattest.NewServer()
	defer srv.Close()
	c, _ := webchat.NewClient(srv.URL()) // webchat.DefaultBaseURL for the real service

	chat, err := c.StartAPISession(context.Background(), webchat.StartRequest{
		InstallationID: srv.InstallationID, Email: "end.user@example.com", Name: "End User", Skill: "Sales",
		APIKey:         srv.APIKey,
		CustomChatInfo: []webchat.CustomInfo{{Name: "Order", Value: "24601"}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(chat.Session.ServerToClientQueue.Type)
	fmt.Println(chat.End(context.Background()))
	// Output:
	// SERVERTOCLIENT
	// <nil>
}

func ExampleClient_CheckSession() {
	srv := webchattest.NewServer()
	defer srv.Close()
	c, _ := webchat.NewClient(srv.URL())

	_, err := c.CheckSession(context.Background(), "9c108bb3-8924-4234-a53c-be9ab284d4e3")
	fmt.Println(errors.Is(err, webchat.ErrNoSession))
	// Output: true
}

func ExampleConversation() {
	srv := webchattest.NewServer()
	defer srv.Close()
	c, _ := webchat.NewClient(srv.URL())
	ctx := context.Background()
	chat, _ := c.StartAPISession(ctx, webchat.StartRequest{
		InstallationID: srv.InstallationID, Email: "end.user@example.com", Name: "End User", Skill: "Sales", APIKey: srv.APIKey,
	})

	// With the real service: c.NewSessionSource(&chat.Session, webchat.SQSOptions{})
	conv := &webchat.Conversation{Chat: chat, Source: srv.Source(chat.Session.ID), Handlers: webchat.Handlers{
		ChatStarted: func(_ context.Context, agent string, _ webchat.AgentMessage) error {
			fmt.Println(agent, "joined")
			return nil
		},
		ChatText: func(ctx context.Context, text string) error {
			fmt.Println("agent:", text)
			if text == "Goodbye!" {
				return nil
			}
			return chat.Send(ctx, "Thanks, bye")
		},
		Ended: func(_ context.Context, m webchat.AgentMessage) error {
			fmt.Println(m.Type)
			return nil
		},
	}}
	fmt.Println(conv.Run(ctx))
	// Output:
	// Anna Agent joined
	// agent: Hello End User, how can I help?
	// agent: You wrote: Thanks, bye
	// agent: Goodbye!
	// CHAT_ENDED
	// <nil>
}

func ExampleDecodeMessage() {
	m, _ := webchat.DecodeMessage([]byte(`{"type":"AGENT_TYPING","isTyping":"True"}`))
	fmt.Println(m.Type, m.IsTyping, m.Terminal())
	// Output: AGENT_TYPING true false
}

func ExampleClient_NewSessionSource() {
	srv := webchattest.NewServer() // serves its queues over SQS's protocol too
	defer srv.Close()
	c, _ := webchat.NewClient(srv.URL())
	ctx := context.Background()
	chat, _ := c.StartAPISession(ctx, webchat.StartRequest{
		InstallationID: srv.InstallationID, Email: "end.user@example.com", Name: "End User", Skill: "Sales", APIKey: srv.APIKey,
	})

	// The session's serverToClientQueue, read with the AWS SDK through
	// the client's HTTP stack; with the real service, pass Credentials if
	// the queue needs them.
	src, err := c.NewSessionSource(&chat.Session, webchat.SQSOptions{WaitTime: time.Second})
	if err != nil {
		fmt.Println(err)
		return
	}
	conv := &webchat.Conversation{Chat: chat, Source: src, Handlers: webchat.Handlers{
		ChatText: func(ctx context.Context, text string) error {
			fmt.Println("agent:", text)
			if text == "Hello End User, how can I help?" {
				return chat.Send(ctx, "bye")
			}
			return nil
		},
	}}
	fmt.Println(conv.Run(ctx))
	// Output:
	// agent: Hello End User, how can I help?
	// agent: You wrote: bye
	// agent: Goodbye!
	// <nil>
}

func ExampleChat_Check() {
	srv := webchattest.NewServer()
	defer srv.Close()
	c, _ := webchat.NewClient(srv.URL())
	ctx := context.Background()
	chat, _ := c.StartAPISession(ctx, webchat.StartRequest{
		InstallationID: srv.InstallationID, Email: "end.user@example.com", Name: "End User", Skill: "Sales", APIKey: srv.APIKey,
	})
	s, _ := chat.Check(ctx)
	fmt.Println(s.ID == chat.Session.ID)
	_ = chat.End(ctx)
	_, err := chat.Check(ctx)
	fmt.Println(errors.Is(err, webchat.ErrNoSession))
	// Output:
	// true
	// true
}
