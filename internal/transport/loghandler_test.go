package transport

import (
	"bytes"
	"errors"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
)

// A receiver's log passes what strangers sent through the redactor: the
// secret goes from the message, string and error values, groups and
// attributes bound with With, in every form the Redactor knows.
func TestRedactingHandler(t *testing.T) {
	r := &Redactor{}
	r.AddFixed("s3cr3t-value-123")
	var buf bytes.Buffer
	log := slog.New(RedactingHandler(slog.NewJSONHandler(&buf, nil), r))
	log.With("bound", "x s3cr3t-value-123").WithGroup("g").Info("got s3cr3t-value-123",
		"plain", "s3cr3t-value-123", "err", errors.New(`{"apiKey":"s3cr3t-value-123"}`),
		slog.Group("inner", "v", "Bearer s3cr3t-value-123"), "n", 42, "any", []string{"s3cr3t-value-123"})
	out := buf.String()
	assert.NotContains(t, out, "s3cr3t-value-123")
	assert.Contains(t, out, `"n":42`)
	assert.Contains(t, out, `"msg":"got `)
}
