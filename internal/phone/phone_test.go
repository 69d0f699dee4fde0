package phone

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestValidateE164(t *testing.T) {
	for _, ok := range []string{"49199123456789", "4919900112233", "2901234"} {
		assert.NoError(t, ValidateE164(ok), ok)
	}
	for _, bad := range []string{"", "+49199123456789", "0199123456789", "49 199 123", "123456", "4919912345678901234", "49199x23456789"} {
		assert.Error(t, ValidateE164(bad), bad)
	}
}
