package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
