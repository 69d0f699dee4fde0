package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit/internal/testtool"
)

// Caller numbers and names come from the telephone network, where anyone
// can set them: the CRM stand-in printed them to the operator's terminal
// as sent, so a caller ID carrying escape sequences could retitle the
// window, clear the screen or rewrite earlier lines. It now prints only
// printable characters.
func TestStandInPrintsNoTerminalControls(t *testing.T) {
	var out testtool.SyncBuffer
	crm, err := startStandIn(func(f string, a ...any) { fmt.Fprintf(&out, f, a...) }, quiet)
	require.NoError(t, err)
	defer crm.close()
	rec := crmRecord{CallKey: "k\x1b[2J", ListenLink: "http://x/\x1b]0;pwned\x07", Agent: "Nate\u202eevil",
		Extension: "1\r23", Caller: "+1801\x1b[1A\x1b[2Kfake line"}
	body, err := json.Marshal(rec)
	require.NoError(t, err)
	resp, err := http.Post(crm.url, "application/json", bytes.NewReader(body))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	s := out.String()
	t.Logf("%q", s)
	for _, r := range s {
		assert.True(t, r == '\n' || unicode.IsGraphic(r), "%U printed", r)
	}
	assert.Contains(t, s, "fake line", "the text itself is kept")
	assert.Equal(t, 2, strings.Count(s, "\n"), "one record, two lines")
}
