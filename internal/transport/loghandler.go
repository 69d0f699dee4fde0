package transport

import (
	"context"
	"fmt"
	"log/slog"
)

// RedactingHandler wraps h so that every record loses r's secrets (in
// every form the Redactor knows) and secret-named values from its message,
// attribute keys, and string, error and other non-numeric values before h
// sees it: for a server (a receiver) that logs what strangers sent it.
func RedactingHandler(h slog.Handler, r *Redactor) slog.Handler {
	return &redactingHandler{h: h, r: r}
}

// redactingHandler is RedactingHandler's slog.Handler.
type redactingHandler struct {
	h slog.Handler
	r *Redactor
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
