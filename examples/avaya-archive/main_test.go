package main

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/contactkit/contactkit/avaya"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestArchiveAgainstFake(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, "", "", dir, "", "", avaya.WAV, 3))
	assert.Contains(t, out.String(), "[12/12] 12 downloaded, 0 skipped, 0 failed")
	files, _ := filepath.Glob(filepath.Join(dir, "*.wav"))
	assert.Len(t, files, 12)
	require.Error(t, run(context.Background(), &out, "", "", dir, "yesterday", "", avaya.WAV, 1))
}
