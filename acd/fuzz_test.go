package acd

import (
	"testing"
)

// FuzzValidateE164: never panics; whatever passes is 7 to 15 ASCII digits
// with no leading zero.
func FuzzValidateE164(f *testing.F) {
	for _, s := range []string{"49199123456789", "+49199123456789", "0199", "", "٤٩١٩٩١٢٣٤٥٦٧٨٩", "4919912345678901"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if ValidateE164(s) != nil {
			return
		}
		if len(s) < 7 || len(s) > 15 || s[0] == '0' {
			t.Fatalf("accepted %q", s)
		}
		for i := range len(s) {
			if s[i] < '0' || s[i] > '9' {
				t.Fatalf("accepted non-digit in %q", s)
			}
		}
	})
}

// FuzzParseEventData: never panics, and what parses renders to XML that
// parses to the same value.
func FuzzParseEventData(f *testing.F) {
	for _, s := range []string{
		`<eventData><urls><url><urlPath>https://www.jtel.de</urlPath><displayName>123456</displayName></url></urls><body html="true"></body></eventData>`,
		`<eventData><body html="false">Hallo &amp; tschüss</body></eventData>`,
		`<eventData><urls><url><urlPath>a</urlPath></url><url><displayName>b</displayName></url></urls></eventData>`,
		`<eventData>`, ``, `<x/>`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseEventData(s)
		if err != nil {
			return
		}
		again, err := ParseEventData(d.String())
		if err != nil {
			t.Fatalf("re-rendered EventData does not parse: %v\n%s", err, d.String())
		}
		if len(again.URLs) != len(d.URLs) || again.Body.HTML != d.Body.HTML {
			t.Fatalf("round trip changed %q", s)
		}
	})
}
