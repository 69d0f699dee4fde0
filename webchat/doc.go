// Package webchat is a client for the Xima web chat cloud service (section
// 9 of the Avaya Call Reporting API): a custom chat widget, in Go, that
// queues an end user for an agent and talks with them.
//
//   - Client starts a session (POST /chat/queue with a captcha token, or
//     POST /chat/apiqueue with a Xima API key) or checks one
//     (GET /chat/queue, 204 when it does not exist). Web chat has no
//     client-level credential: the key or token travels in the start
//     request's body and is kept out of logs and errors.
//   - Chat is one session: send text, still-here, focus, typing, the
//     screenshot handshake and upload, check, and end. Each Chat has its
//     own cookie jar on the client's one HTTP stack, since /chat/end
//     finds the session by its cookie.
//   - The agent's messages arrive on the session's serverToClientQueue, an
//     AWS SQS queue: Client.NewSessionSource reads it with the AWS SDK
//     through the client's HTTP stack (User-Agent, logger, retry policy,
//     timeouts, tracing wrapper), with long polling, and deletes a message
//     only after your handler succeeded (at-least-once). AWS credentials
//     and errors are redacted like every other secret.
//   - Conversation ties it together: keep-alive, receive, dispatch, and
//     stop on a terminal message (CHAT_ENDED, FORCE_CLOSE,
//     MULTIMEDIA_DOWN) or when the chat is ended. A conversation that
//     stops early (its context cancelled, say on Ctrl-C) ends the chat on
//     the service, so the agent is not left with an orphaned chat.
//
// Errors are the shared ones of package contactkit: errors.Is(err,
// contactkit.ErrUnauthorized), errors.As(err, &apiErr) with a
// *contactkit.APIError. ErrNoSession, ErrChatEnded and ErrChatClosed are
// this package's own.
//
// Client.ResumeChat rebuilds a Chat from its session and the cookies
// Chat.Cookies returned, in this process or another: what a stateless
// server needs. QueueStates is section 8.1's queue status shape, and
// QueueStatusSource the pluggable source of it (the document names no
// cloud endpoint for it).
//
// The browser half, section 8's window._ximachat.api and a widget, is
// package webchat/bridge: an http.Handler that keeps the API key and the
// SQS access on the server. Package webchattest provides a fake chat
// service that scripts an agent conversation and serves its queues over
// SQS's protocol.
package webchat
