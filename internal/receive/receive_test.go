package receive

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestError(t *testing.T) {
	w := httptest.NewRecorder()
	Error(w, 423, "try again")
	assert.Equal(t, 423, w.Code)
	assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
	assert.JSONEq(t, `{"status":423,"error":"try again"}`, w.Body.String())
}

func TestReadBody(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("12345"))
	b, err := ReadBody(r, 5)
	require.NoError(t, err)
	assert.Equal(t, "12345", string(b))

	r = httptest.NewRequest(http.MethodPost, "/", strings.NewReader("123456"))
	_, err = ReadBody(r, 5)
	assert.ErrorIs(t, err, ErrTooLarge)

	r = httptest.NewRequest(http.MethodPost, "/", strings.NewReader("x"))
	r.ContentLength = 99
	_, err = ReadBody(r, 5)
	assert.ErrorIs(t, err, ErrTooLarge, "a declared length over the limit is refused unread")

	boom := errors.New("connection reset")
	r = httptest.NewRequest(http.MethodPost, "/", io.NopCloser(iotest.ErrReader(boom)))
	_, err = ReadBody(r, 5)
	assert.ErrorIs(t, err, boom)
	assert.NotErrorIs(t, err, ErrTooLarge, "a read error is not a 413")
}

func TestCallRecovers(t *testing.T) {
	err := Call(func() error { panic("store exploded") })
	assert.ErrorContains(t, err, "store exploded")
	assert.ErrorIs(t, err, ErrPanic)
	assert.NotErrorIs(t, Call(func() error { return errors.New("refused") }), ErrPanic)
	assert.NoError(t, Call(func() error { return nil }))
}

func TestBearerToken(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	_, ok := BearerToken(r)
	assert.False(t, ok)
	r.Header.Set("Authorization", "bearer abc")
	tok, ok := BearerToken(r)
	assert.True(t, ok)
	assert.Equal(t, "abc", tok)
}
