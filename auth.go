package contactkit

import (
	"context"
	"fmt"
	"log/slog"
)

// TokenSource supplies the bearer token (a jtel API token, an Avaya
// service user key, an OAuth access token). A client asks it once per
// attempt, so a token rotated while a record is being resent is picked up
// by the next attempt. Every token it returns is removed by value from the
// client's logs and errors.
type TokenSource interface {
	Token(ctx context.Context) (string, error)
}

// StaticToken is a TokenSource that always returns the same token:
// acd.NewClient(url, contactkit.StaticToken(os.Getenv("JTEL_TOKEN"))).
type StaticToken string

// Token returns t.
func (t StaticToken) Token(context.Context) (string, error) { return string(t), nil }

// TokenFunc adapts a function to TokenSource, for tokens that are
// refreshed while the program runs.
type TokenFunc func(ctx context.Context) (string, error)

// Token calls f.
func (f TokenFunc) Token(ctx context.Context) (string, error) { return f(ctx) }

// BasicAuth is an HTTP Basic user and password (Thulium's API user). The
// password and the encoded credential are removed by value from logs and
// errors.
type BasicAuth struct {
	User     string
	Password string
}

// String, GoString and LogValue keep a token out of fmt's %v, %s, %#v
// and out of slog: a credential printed by accident is still not shown.
func (t StaticToken) String() string { return redacted }

// GoString is used by %#v.
func (t StaticToken) GoString() string { return "contactkit.StaticToken(" + redacted + ")" }

// LogValue is used by log/slog.
func (t StaticToken) LogValue() slog.Value { return slog.StringValue(redacted) }

// String shows the user, never the password.
func (b BasicAuth) String() string {
	return "BasicAuth{User: " + b.User + ", Password: " + redacted + "}"
}

// GoString is used by %#v.
func (b BasicAuth) GoString() string {
	return fmt.Sprintf("contactkit.BasicAuth{User: %q, Password: %q}", b.User, redacted)
}

// LogValue is used by log/slog.
func (b BasicAuth) LogValue() slog.Value {
	return slog.GroupValue(slog.String("user", b.User), slog.String("password", redacted))
}

const redacted = "REDACTED"
