// Package bridge is a browser bridge for the Xima web chat cloud service
// (section 9 of the Avaya Call Reporting document) with an embedded
// JavaScript client and widget that offers section 8's
// window._ximachat.api: getQueueStatus, subscribeToQueueStatus,
// setCustomParameters, setSkill, getSkill and manuallyStartChat.
//
// A Go service adds a custom chat to its pages in a few lines:
//
//	h, err := bridge.New(bridge.Config{Client: client, InstallationID: id, APIKey: key, CookieKeys: keys})
//	mux.Handle("/chat/", http.StripPrefix("/chat", h))
//	// in the page: <script src="/chat/ximachat.js" defer></script>
//
// What stays on the server: the Xima API key (or the check of a captcha
// token), the SQS credentials of the agent's queue, and every call to the
// cloud service. The browser talks only to the bridge.
//
// Stateless and horizontally scalable: a chat's identity (the Xima
// session id, its queue, the cookies the service set) lives in one
// AES-GCM encrypted, authenticated cookie sealed with the first of
// Config.CookieKeys (all of them are accepted, for key rotation), so any
// instance behind a load balancer serves any request; the session's SQS
// queue is the only shared queue.
//
// Agent messages reach the browser as Server-Sent Events (GET /events),
// read from the session's serverToClientQueue one at a time. A message is
// deleted from the queue only when the browser acknowledges it, so never
// before it was written to the stream and flushed: each event carries an
// acknowledgement token (the SQS receipt, sealed for that browser) that
// the client posts to /ack once it has shown the message, and that
// EventSource sends back as Last-Event-ID on a reconnect (a reloaded page
// sends it as ?last=). A message not acknowledged — received by an
// instance that died, flushed into a connection that broke — stays on
// the queue and comes again after its visibility timeout, to whichever
// instance the browser reconnects to; the browser drops repeats by
// message id. At-least-once end to end, shown exactly once.
//
// While a stream is open its instance sends the still-here keep-alive
// every Config.KeepAlive. When the stream closes and no new stream for
// the chat opens at that instance within Config.LeaveAfter, the browser
// has left and the instance ends the chat (POST /chat/end). With several
// instances, route one browser's GET /events to the same instance
// (sticky by cookie or address) for that rule to see a reconnect, or
// set LeaveAfter to a negative value and rely on the explicit end and on
// the service's own still-here timeout.
//
// Every state-changing request (POST) needs the CSRF token of GET /state
// in the X-Ximachat-Csrf header (a double-submit token bound to the
// sealed cookie) and an Origin of the page's own host or one of
// Config.AllowedOrigins. Requests are rate-limited per browser (per
// instance), chat starts per browser and per client address (a new
// cookie is only a GET away; behind a reverse proxy set
// Config.ClientAddr), bodies are size-limited, and every error is a JSON
// body {"status":413,"error":"..."}.
//
// The routes, relative to where the handler is mounted:
//
//	GET  /ximachat.js, /ximachat.css  the client and widget
//	GET  /state                        CSRF token and the running chat
//	GET  /queue-status                 QueueStates (polled once per interval, shared)
//	GET  /events                       the agent's messages (SSE)
//	POST /start                        {name, email, skill, customParameters, captchaToken}
//	POST /send                         {text}
//	POST /typing                       {typing}
//	POST /focus
//	POST /screenshot                   the PNG itself (image/png)
//	POST /screenshot/reject
//	POST /end                          {byAgent}
package bridge
