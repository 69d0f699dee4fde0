package chatexport

import "github.com/contactkit/contactkit/internal/transport"

// Errors. A rejected post is a *PhaseError wrapping an *APIError, which
// errors.Is matches against the sentinels by status code.
type (
	APIError        = transport.APIError
	ValidationError = transport.ValidationError
	DecodeError     = transport.DecodeError
)

// Sentinels for errors.Is.
var (
	ErrBadRequest   = transport.ErrBadRequest
	ErrUnauthorized = transport.ErrUnauthorized
	ErrForbidden    = transport.ErrForbidden
	ErrNotFound     = transport.ErrNotFound
	ErrConflict     = transport.ErrConflict
	ErrRateLimited  = transport.ErrRateLimited
	ErrServer       = transport.ErrServer
	ErrTooLarge     = transport.ErrTooLarge
	ErrNotJSON      = transport.ErrNotJSON
)
