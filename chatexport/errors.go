package chatexport

import (
	"errors"
	"fmt"
)

// The shared errors (*contactkit.APIError, *contactkit.ValidationError,
// *contactkit.DecodeError) and status sentinels (contactkit.ErrUnauthorized
// and friends) live in the root package. A rejected post is a *PhaseError
// wrapping a *contactkit.APIError, which errors.Is matches against them.
// The errors below are chatexport's own.

// ErrExportDisabled: the report post URL is not set, so jtel shows no
// Report Export button.
var ErrExportDisabled = errors.New("contactkit: chatexport: the report post URL is not set: export disabled")

// PhaseError says which phase of an export failed ("render", "token" or
// "report"), with the answer's status and the first 4 KiB of its body when
// there was one. Body and the error text have had every secret removed,
// the token response's values included.
type PhaseError struct {
	Phase      string
	StatusCode int
	Body       []byte
	Err        error
}

func (e *PhaseError) Error() string {
	if e.StatusCode != 0 {
		return fmt.Sprintf("contactkit: chatexport: %s phase: status %d: %v", e.Phase, e.StatusCode, e.Err)
	}
	return fmt.Sprintf("contactkit: chatexport: %s phase: %v", e.Phase, e.Err)
}

func (e *PhaseError) Unwrap() error { return e.Err }
