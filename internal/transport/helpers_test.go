package transport

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit"
)

// Short names for the shared public types in this package's tests.
type RetryPolicy = contactkit.RetryPolicy

var (
	ErrBadRequest   = contactkit.ErrBadRequest
	ErrUnauthorized = contactkit.ErrUnauthorized
	ErrForbidden    = contactkit.ErrForbidden
	ErrNotFound     = contactkit.ErrNotFound
	ErrConflict     = contactkit.ErrConflict
	ErrLocked       = contactkit.ErrLocked
	ErrRateLimited  = contactkit.ErrRateLimited
	ErrServer       = contactkit.ErrServer
	ErrEgressLimit  = contactkit.ErrEgressLimit
)

func same(o Option) Option { return o }

func settings(t *testing.T, opts ...Option) *Settings {
	t.Helper()
	s, err := NewSettings(opts, same)
	require.NoError(t, err)
	return s
}

// newAuthClient is newClient with credentials.
func newAuthClient(t *testing.T, base string, auth Auth, opts ...Option) *Client {
	t.Helper()
	c, err := New(base, auth, settings(t, append([]Option{WithRetry(fastRetry)}, opts...)...))
	require.NoError(t, err)
	return c
}

func bearerToken(t *testing.T, tok string) Auth {
	t.Helper()
	a, err := BearerAuth("token", contactkit.StaticToken(tok))
	require.NoError(t, err)
	return a
}

func bearerFunc(t *testing.T, fn func(context.Context) (string, error)) Auth {
	t.Helper()
	a, err := BearerAuth("token", contactkit.TokenFunc(fn))
	require.NoError(t, err)
	return a
}

func basicAuth(t *testing.T, user, pass string) Auth {
	t.Helper()
	a, err := BasicAuth("credentials", contactkit.BasicAuth{User: user, Password: pass})
	require.NoError(t, err)
	return a
}
