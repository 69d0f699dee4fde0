package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/contactkit/contactkit/chatexport"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// The back end stores what a real exporter sends it.
func TestBackendStoresExports(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	var out syncBuffer
	done := make(chan error, 1)
	go func() { done <- serve(ctx, &out, "127.0.0.1:0", dir, ready) }()
	base := <-ready

	exp, err := chatexport.NewExporter(chatexport.Config{
		TokenPost: &chatexport.Post{URL: base + "/oauth/token", Headers: "Content-Type: application/json", Body: `{}`},
		ReportPost: chatexport.Post{URL: base + "/chat-reports",
			Headers: "Content-Type: application/json\nAuthorization: Bearer $tokenResponse.body.JSON.access_token",
			Body:    chatexport.DefaultReportBody},
	})
	require.NoError(t, err)
	s := &chatexport.Session{ID: "c1", ChatConnectorID: "7", ChatConnectorName: "Shop", Messages: []chatexport.Message{{Sender: "a", Role: chatexport.Customer, Text: "hej"}}}
	res, err := exp.Export(ctx, s)
	require.NoError(t, err)
	assert.Equal(t, 200, res.ReportStatus)

	files, err := filepath.Glob(filepath.Join(dir, "*.pdf"))
	require.NoError(t, err)
	require.Len(t, files, 1)
	stored, err := os.ReadFile(files[0])
	require.NoError(t, err)
	assert.Equal(t, res.PDF, stored)
	assert.Contains(t, files[0], "-7-001.pdf")

	bad, err := chatexport.NewExporter(chatexport.Config{ReportPost: chatexport.Post{URL: base + "/chat-reports",
		Headers: "Content-Type: application/json\nAuthorization: Bearer guessed", Body: chatexport.DefaultReportBody}})
	require.NoError(t, err)
	_, err = bad.Export(ctx, s)
	require.ErrorIs(t, err, chatexport.ErrUnauthorized)

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("server did not stop")
	}
	assert.True(t, strings.Contains(out.String(), "stored "))
}
