package contactkit

import "context"

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
