package transport

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/contactkit/contactkit"
)

// Auth adds credentials to one attempt of a request. The transport calls
// it for every attempt, so a rotating token is fetched fresh for each
// resend, and only for requests to the client's own host, so a redirect
// elsewhere never carries them.
type Auth interface {
	apply(ctx context.Context, req *http.Request, r *Redactor) error
}

type noAuth struct{}

func (noAuth) apply(context.Context, *http.Request, *Redactor) error { return nil }

// NoAuth sends no credentials (web chat, whose keys travel in bodies; the
// chat export, whose templates write their own headers).
func NoAuth() Auth { return noAuth{} }

type bearer struct {
	src    contactkit.TokenSource
	header string // "Bearer <token>" for a static token, built once
}

func (b bearer) apply(ctx context.Context, req *http.Request, r *Redactor) error {
	if b.header != "" {
		req.Header["Authorization"] = []string{b.header}
		return nil
	}
	tok, err := b.Token(ctx, r)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	return nil
}

// Token fetches a token from the source, registers it with r and checks
// that it can be sent.
func (b bearer) Token(ctx context.Context, r *Redactor) (string, error) {
	tok, err := b.src.Token(ctx)
	if err != nil {
		return "", fmt.Errorf("contactkit: getting bearer token: %w", r.Error(err))
	}
	r.Add(tok)
	if err := checkCredential(tok); err != nil {
		return "", err
	}
	return tok, nil
}

// BearerAuth sends "Authorization: Bearer <token>" with a token from src
// on every attempt. field names the constructor argument in a
// *ValidationError: a nil source or an empty or multi-line static token is
// refused here, before any request.
func BearerAuth(field string, src contactkit.TokenSource) (Auth, error) {
	switch s := src.(type) {
	case nil:
		return nil, Invalid(field, "is required")
	case contactkit.StaticToken:
		if checkCredential(string(s)) != nil {
			return nil, Invalid(field, "must be non-empty and hold no CR or LF")
		}
		return bearer{src: src, header: "Bearer " + string(s)}, nil
	case contactkit.TokenFunc:
		if s == nil {
			return nil, Invalid(field, "is a nil function")
		}
	}
	return bearer{src: src}, nil
}

type basic struct {
	user, password string
	header         string
}

func (b basic) apply(_ context.Context, req *http.Request, _ *Redactor) error {
	req.Header.Set("Authorization", b.header)
	return nil
}

// BasicAuth sends HTTP Basic credentials. field names the constructor
// argument in a *ValidationError.
func BasicAuth(field string, c contactkit.BasicAuth) (Auth, error) {
	if c.User == "" || strings.ContainsAny(c.User, ":\r\n") {
		return nil, Invalid(field+".User", "must be non-empty and hold no colon, CR or LF")
	}
	if strings.ContainsAny(c.Password, "\r\n") {
		return nil, Invalid(field+".Password", "must hold no CR or LF")
	}
	cred := base64.StdEncoding.EncodeToString([]byte(c.User + ":" + c.Password))
	return basic{user: c.User, password: c.Password, header: "Basic " + cred}, nil
}

// fixedSecrets are the secrets an Auth carries for its lifetime.
func fixedSecrets(a Auth) []string {
	switch a := a.(type) {
	case bearer:
		if s, ok := a.src.(contactkit.StaticToken); ok {
			return []string{string(s)}
		}
	case basic:
		return []string{a.password, strings.TrimPrefix(a.header, "Basic ")}
	}
	return nil
}

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

// BearerToken returns the token the client's bearer auth sends now, for a
// protocol that carries it elsewhere too (the Avaya websocket's auth_token
// query parameter). ok is false when the client has no bearer auth.
func (c *Client) BearerToken(ctx context.Context) (token string, ok bool, err error) {
	b, isBearer := c.auth.(bearer)
	if !isBearer {
		return "", false, nil
	}
	tok, err := b.Token(ctx, c.redact)
	return tok, true, err
}
