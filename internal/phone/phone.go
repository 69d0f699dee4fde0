// Package phone checks telephone numbers in the forms the APIs use.
package phone

import "errors"

// ValidateE164 checks a number in the E.164 digit form jtel uses: country
// code first, 7 to 15 digits, no '+', spaces or leading zero, as in
// 49199123456789. The error says what is wrong, never which API field.
func ValidateE164(number string) error {
	switch {
	case number == "":
		return errors.New("is empty")
	case number[0] == '+':
		return errors.New("must be E.164 digits without '+', such as 49199123456789")
	case number[0] == '0':
		return errors.New("must start with the country code, not 0")
	case len(number) < 7 || len(number) > 15:
		return errors.New("must be 7 to 15 digits (E.164)")
	}
	for i := range len(number) {
		if number[i] < '0' || number[i] > '9' {
			return errors.New("must hold digits only (E.164)")
		}
	}
	return nil
}
