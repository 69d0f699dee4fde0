package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit/chatexport/chatexporttest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRunAgainstFake(t *testing.T) {
	pdf := filepath.Join(t.TempDir(), "chat.pdf")
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, "", pdf))
	b, err := os.ReadFile(pdf)
	require.NoError(t, err)
	assert.True(t, bytes.HasPrefix(b, []byte("%PDF-")))
	s := out.String()
	assert.Contains(t, s, "token post: 200, report post: 200")
	assert.Contains(t, s, "for Agnieszka Wójcik <a.wojcik@example.pl>")
	assert.Contains(t, s, "arrived XML: <?xml")
}

// With -base-url the token post carries the client credentials from the
// environment (a '$' in the secret is sent as it is).
func TestRunAgainstBackEnd(t *testing.T) {
	srv := chatexporttest.NewServer()
	defer srv.Close()
	pdf := filepath.Join(t.TempDir(), "chat.pdf")
	var out bytes.Buffer
	t.Setenv("CHATEXPORT_CLIENT_ID", "")
	require.ErrorContains(t, run(context.Background(), &out, srv.URL(), pdf), "CHATEXPORT_CLIENT_ID")

	t.Setenv("CHATEXPORT_CLIENT_ID", chatexporttest.ClientID)
	t.Setenv("CHATEXPORT_CLIENT_SECRET", chatexporttest.ClientSecret)
	require.NoError(t, run(context.Background(), &out, srv.URL(), pdf))
	assert.Contains(t, out.String(), "token post: 200, report post: 200")
	require.Len(t, srv.Reports(), 1)

	cfg := backendConfig("http://h", "jtel", `pa$$"word`)
	assert.Contains(t, cfg.TokenPost.Body, `pa$$$$\"word`, "escaped for the template and for JSON")
}
