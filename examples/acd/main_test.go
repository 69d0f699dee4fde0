package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/contactkit/contactkit"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRunAgainstFake(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, "", "", 235))
	s := out.String()
	assert.Contains(t, s, "4 events listed")
	assert.Contains(t, s, "created callback")
	assert.Contains(t, s, "created ticket")
	assert.Contains(t, s, "fetched")
}

func TestRunReportsBadToken(t *testing.T) {
	var out bytes.Buffer
	err := run(context.Background(), &out, "http://127.0.0.1:1/rest/v1.0/1", "", 235)
	var ve *contactkit.ValidationError
	require.ErrorAs(t, err, &ve, "an empty JTEL_TOKEN is refused before any request")
	assert.Equal(t, "token", ve.Field)
}
