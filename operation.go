package contactkit

import (
	"context"

	"github.com/contactkit/contactkit/internal/ctxkey"
)

// OperationName returns the name of the SDK call that a request belongs
// to, such as "GET /acd/events" or "SQS ReceiveMessage", or "" for a
// request the SDK did not make. Every request carries it in its context,
// so a RoundTripper wrapper (see each package's WithTransportWrapper) can
// name its spans or metrics after the call:
//
//	otelhttp.NewTransport(rt, otelhttp.WithSpanNameFormatter(
//		func(_ string, r *http.Request) string { return contactkit.OperationName(r.Context()) }))
func OperationName(ctx context.Context) string {
	s, _ := ctx.Value(ctxkey.Operation{}).(string)
	return s
}

// WithOperationName returns ctx carrying the operation name. The SDK sets
// it on every request; it is exported for code that sends its own
// requests through an SDK client's HTTP stack.
func WithOperationName(ctx context.Context, name string) context.Context {
	return context.WithValue(ctx, ctxkey.Operation{}, name)
}

// Version is the SDK version sent in the User-Agent header.
const Version = "0.3.0"
