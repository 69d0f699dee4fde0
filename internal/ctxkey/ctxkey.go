// Package ctxkey holds the context key of the operation name, shared by
// the root package (contactkit.OperationName) and internal/transport, whose
// per-call state answers it itself: one context value per call instead of
// two on the request path.
package ctxkey

// Operation is the key under which a context carries the name of the SDK
// call ("GET /acd/events") as a string.
type Operation struct{}
