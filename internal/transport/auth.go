package transport

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Auth adds credentials to an outgoing request.
type Auth interface {
	// Apply sets the credentials on req. It is called once per call, before
	// the first attempt.
	Apply(ctx context.Context, req *http.Request) error
}

// TokenFunc returns a bearer token for one call, so that callers can refresh
// expiring tokens.
type TokenFunc func(ctx context.Context) (string, error)

type noAuth struct{}

func (noAuth) Apply(context.Context, *http.Request) error { return nil }

// NoAuth sends no credentials.
func NoAuth() Auth { return noAuth{} }

type bearer struct{ token TokenFunc }

func (b bearer) Apply(ctx context.Context, req *http.Request) error {
	tok, err := b.token(ctx)
	if err != nil {
		return fmt.Errorf("contactkit: getting bearer token: %w", err)
	}
	if err := checkCredential(tok); err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	return nil
}

// BearerToken sends "Authorization: Bearer <token>". An empty token is
// reported by ValidateToken before use.
func BearerToken(token string) Auth {
	return bearer{token: func(context.Context) (string, error) { return token, nil }}
}

// BearerFunc sends "Authorization: Bearer <token>" with a token fetched from
// fn for every call.
func BearerFunc(fn TokenFunc) Auth { return bearer{token: fn} }

type basic struct{ user, password string }

func (b basic) Apply(_ context.Context, req *http.Request) error {
	req.SetBasicAuth(b.user, b.password)
	return nil
}

// Basic sends HTTP Basic credentials.
func Basic(user, password string) Auth { return basic{user: user, password: password} }

// checkCredential rejects credentials that cannot be sent in a header. The
// error never repeats the credential.
func checkCredential(c string) error {
	if c == "" {
		return errors.New("contactkit: empty credential")
	}
	if strings.ContainsAny(c, "\r\n") {
		return errors.New("contactkit: credential holds CR or LF")
	}
	return nil
}

// TokenOption builds the Bearer option of a package, refusing an empty
// token at NewClient time.
func TokenOption(name, token string) Option {
	return func(s *Settings) error {
		if err := checkCredential(token); err != nil {
			return optionError(name, "token must be non-empty and hold no CR or LF")
		}
		s.Auth = BearerToken(token)
		return nil
	}
}

// TokenFuncOption builds the refreshing Bearer option of a package.
func TokenFuncOption(name string, fn TokenFunc) Option {
	return func(s *Settings) error {
		if fn == nil {
			return optionError(name, "token function is nil")
		}
		s.Auth = BearerFunc(fn)
		return nil
	}
}

// BasicOption builds the HTTP Basic option of a package.
func BasicOption(name, user, password string) Option {
	return func(s *Settings) error {
		if user == "" || strings.ContainsAny(user, ":\r\n") {
			return optionError(name, "user must be non-empty and hold no colon, CR or LF")
		}
		s.Auth = Basic(user, password)
		return nil
	}
}

// BearerTokenOf returns the token a bearer Auth would send, for protocols
// that carry it elsewhere (a websocket's auth_token query parameter). ok is
// false for other kinds of Auth.
func BearerTokenOf(ctx context.Context, a Auth) (token string, ok bool, err error) {
	b, isBearer := a.(bearer)
	if !isBearer {
		return "", false, nil
	}
	tok, err := b.token(ctx)
	if err != nil {
		return "", true, fmt.Errorf("contactkit: getting bearer token: %w", err)
	}
	if err := checkCredential(tok); err != nil {
		return "", true, err
	}
	return tok, true, nil
}
