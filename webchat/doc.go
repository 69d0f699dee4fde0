// Package webchat is a client for the Xima web chat cloud service (section
// 9 of the Avaya Call Reporting API): a custom chat widget, in Go, that
// queues an end user for an agent and talks with them.
//
//   - Client starts a session (POST /chat/queue with a captcha token, or
//     POST /chat/apiqueue with a Xima API key) or checks one
//     (GET /chat/queue, 204 when it does not exist).
//   - Chat is one session: send text, still-here, focus, typing, the
//     screenshot handshake and upload, and end. Each Chat has its own
//     cookie jar, since /chat/end finds the session by its cookie.
//   - The agent's messages arrive on the session's serverToClientQueue, an
//     AWS SQS queue: SQSSource reads it with long polling and deletes a
//     message only after your handler succeeded (at-least-once).
//   - Conversation ties it together: keep-alive, receive, dispatch, and
//     stop on a terminal message (CHAT_ENDED, FORCE_CLOSE,
//     MULTIMEDIA_DOWN) or when the chat is ended.
//
// The Web Chat JavaScript API (section 8) runs in the browser and is out
// of scope here. Package webchattest provides a fake chat service that
// scripts an agent conversation.
package webchat
