package webchat

import (
	"bytes"
	"fmt"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestStartRequestNeverPrintsItsSecrets(t *testing.T) {
	r := StartRequest{InstallationID: "inst-1", Name: "End User", APIKey: "api-key-secret", RecaptchaToken: "captcha-secret"}
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("start", "req", r)
	for _, s := range []string{fmt.Sprint(r), fmt.Sprintf("%v %+v %#v", r, r, r), fmt.Sprintf("%v", &r), logs.String()} {
		assert.NotContains(t, s, "api-key-secret")
		assert.NotContains(t, s, "captcha-secret")
		assert.Contains(t, s, "inst-1")
	}
}
