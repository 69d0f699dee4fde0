package contactkit_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"go.uber.org/goleak"

	"github.com/contactkit/contactkit"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestAPIErrorMatchesSentinelsByStatus(t *testing.T) {
	cases := map[int]error{
		400: contactkit.ErrBadRequest, 401: contactkit.ErrUnauthorized, 403: contactkit.ErrForbidden,
		404: contactkit.ErrNotFound, 409: contactkit.ErrConflict, 423: contactkit.ErrLocked,
		429: contactkit.ErrRateLimited, 500: contactkit.ErrServer, 503: contactkit.ErrServer, 509: contactkit.ErrEgressLimit,
	}
	all := []error{contactkit.ErrBadRequest, contactkit.ErrUnauthorized, contactkit.ErrForbidden, contactkit.ErrNotFound,
		contactkit.ErrConflict, contactkit.ErrLocked, contactkit.ErrRateLimited, contactkit.ErrEgressLimit}
	for status, want := range cases {
		err := fmt.Errorf("wrapped: %w", &contactkit.APIError{StatusCode: status, Method: "GET", URL: "https://h/x"})
		assert.ErrorIs(t, err, want, "%d", status)
		for _, other := range all {
			if !errors.Is(other, want) {
				assert.NotErrorIs(t, err, other, "%d", status)
			}
		}
	}
	e := &contactkit.APIError{StatusCode: 404, Method: "GET", URL: "https://h/x", Message: "gone", RequestID: "r1"}
	assert.Equal(t, "contactkit: GET https://h/x: 404 Not Found: gone (request id r1)", e.Error())
}

func TestValidationAndDecodeErrors(t *testing.T) {
	ve := &contactkit.ValidationError{Field: "key", Reason: "is empty"}
	assert.Equal(t, "contactkit: invalid key: is empty", ve.Error())
	de := &contactkit.DecodeError{Endpoint: "GET /x", ContentType: "text/html", Err: contactkit.ErrNotJSON}
	assert.ErrorIs(t, de, contactkit.ErrNotJSON)
	assert.Contains(t, de.Error(), "GET /x")
}

func TestTokenSources(t *testing.T) {
	tok, err := contactkit.StaticToken("abc").Token(context.Background())
	assert.NoError(t, err)
	assert.Equal(t, "abc", tok)
	boom := errors.New("vault down")
	_, err = contactkit.TokenFunc(func(context.Context) (string, error) { return "", boom }).Token(context.Background())
	assert.ErrorIs(t, err, boom)
}

func ExampleAPIError() {
	// Any package's non-success answer matches the same sentinels.
	var err error = &contactkit.APIError{StatusCode: http.StatusNotFound, Method: "GET", URL: "https://jtel/rest/v1.0/1001/acd/events/event/7"}
	fmt.Println(errors.Is(err, contactkit.ErrNotFound))
	var ae *contactkit.APIError
	if errors.As(err, &ae) {
		fmt.Println(ae.StatusCode)
	}
	// Output:
	// true
	// 404
}

func ExampleTokenFunc() {
	n := 0
	src := contactkit.TokenFunc(func(context.Context) (string, error) {
		n++ // a real one would ask a vault or refresh an OAuth token
		return fmt.Sprintf("token-%d", n), nil
	})
	a, _ := src.Token(context.Background())
	b, _ := src.Token(context.Background())
	fmt.Println(a, b)
	// Output: token-1 token-2
}

func ExampleOperationName() {
	ctx := contactkit.WithOperationName(context.Background(), "GET /acd/events")
	fmt.Println(contactkit.OperationName(ctx))
	fmt.Printf("%q\n", contactkit.OperationName(context.Background()))
	// Output:
	// GET /acd/events
	// ""
}

func TestCredentialsNeverPrint(t *testing.T) {
	tok := contactkit.StaticToken("tok-secret-1")
	basic := contactkit.BasicAuth{User: "api-user", Password: "pw-secret-2"}
	var logs bytes.Buffer
	slog.New(slog.NewTextHandler(&logs, nil)).Info("creds", "token", tok, "basic", basic)
	for _, s := range []string{fmt.Sprint(tok), fmt.Sprintf("%v %s %#v %+v", tok, tok, tok, tok),
		fmt.Sprint(basic), fmt.Sprintf("%v %s %#v %+v", basic, basic, basic, basic), logs.String()} {
		assert.NotContains(t, s, "tok-secret-1")
		assert.NotContains(t, s, "pw-secret-2")
	}
	assert.Contains(t, fmt.Sprint(basic), "api-user")
	v, _ := tok.Token(context.Background())
	assert.Equal(t, "tok-secret-1", v, "the token itself is still the value")
}
