package webservice

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/contactkit/contactkit/internal/transport"
)

// redactingHandler removes the shared secrets (in every form the
// Redactor knows) and secret-named values from each record's message and
// string, error and other non-numeric attributes before the user's
// handler sees it.
type redactingHandler struct {
	h slog.Handler
	r *transport.Redactor
}

func (h *redactingHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.h.Enabled(ctx, l)
}

func (h *redactingHandler) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, h.r.Text(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.h.Handle(ctx, out)
}

func (h *redactingHandler) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(h.r.Text(a.Key), h.r.Text(v.String()))
	case slog.KindGroup:
		g := v.Group()
		out := make([]any, len(g))
		for i, ga := range g {
			out[i] = h.attr(ga)
		}
		return slog.Group(h.r.Text(a.Key), out...)
	case slog.KindAny:
		if err, ok := v.Any().(error); ok {
			return slog.String(h.r.Text(a.Key), h.r.Text(err.Error()))
		}
		return slog.String(h.r.Text(a.Key), h.r.Text(fmt.Sprint(v.Any())))
	default:
		return slog.Attr{Key: h.r.Text(a.Key), Value: v}
	}
}

func (h *redactingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	red := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		red[i] = h.attr(a)
	}
	return &redactingHandler{h: h.h.WithAttrs(red), r: h.r}
}

func (h *redactingHandler) WithGroup(name string) slog.Handler {
	return &redactingHandler{h: h.h.WithGroup(h.r.Text(name)), r: h.r}
}
