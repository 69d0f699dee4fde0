package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/contactkit/contactkit"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRunAgainstFake(t *testing.T) {
	var out bytes.Buffer
	now := time.Date(2025, 1, 18, 12, 0, 0, 0, time.UTC)
	require.NoError(t, run(context.Background(), &out, "", "", "", []string{"jkowalski", "anowak"}, 30, now))
	s := out.String()
	assert.Contains(t, s, "60 rows for 2 users over 30 days")
	assert.Contains(t, s, "Sat 18 Jan")
	assert.Contains(t, s, "J. Kowalski")
	lines := strings.Split(strings.TrimSpace(s), "\n")
	assert.Len(t, lines, 1+1+60+1, "banner, header, 60 rows, total")
}

func TestRunRefusesMissingCredentials(t *testing.T) {
	var out bytes.Buffer
	err := run(context.Background(), &out, "http://127.0.0.1:1/api/", "", "", []string{"jkowalski"}, 1, time.Now())
	var ve *contactkit.ValidationError
	require.ErrorAs(t, err, &ve, "an empty THULIUM_USER is refused before any request")
	assert.Equal(t, "credentials.User", ve.Field)
}

func TestSplitLogins(t *testing.T) {
	assert.Equal(t, []string{"a", "b"}, splitLogins(" a, ,b,"))
}
