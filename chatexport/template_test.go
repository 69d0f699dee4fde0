package chatexport

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func sampleValues() *Values {
	var tok any
	dec := json.NewDecoder(strings.NewReader(`{"access_token":"eyJhbGciOi.abc","expires_in":3600,"data":{"tokens":[{"value":"t0"},{"value":"t1"}],"ok":true},"0":"zero"}`))
	dec.UseNumber()
	_ = dec.Decode(&tok)
	return &Values{
		ClientsID: "1001", ChatConnectorID: "7", ChatConnectorName: "Webshop chat",
		TokenResponse: tok, ReportBase64: "JVBERi0xLjM=", ReportBytes: 1234,
		DateTime:          time.Date(2024, 5, 6, 9, 30, 5, 0, time.UTC),
		XMLTemplateBase64: "PGNoYXQvPg==",
		PData:             map[string]string{"name": "John Doe", "email": "john.doe@example.com", "address.city": "Köln"},
	}
}

func expand(t *testing.T, src string, ctx Context) string {
	t.Helper()
	tpl, err := ParseTemplate(src)
	require.NoError(t, err, src)
	out, err := tpl.Expand(sampleValues(), ctx)
	require.NoError(t, err, src)
	return out
}

// Golden expansions of every documented variable.
func TestEveryDocumentedVariable(t *testing.T) {
	cases := map[string]string{
		"$ClientsID":                                    "1001",
		"$chatConnector.id":                             "7",
		"$chatConnector.name":                           "Webshop chat",
		"$tokenResponse.body.JSON.access_token":         "eyJhbGciOi.abc",
		"$report.encoded.base64":                        "JVBERi0xLjM=",
		"$report.bytes":                                 "1234",
		"$dateTime":                                     "2024-05-06 09:30:05",
		"$xmlTemplate.encoded.base64":                   "PGNoYXQvPg==",
		"$pdata.name":                                   "John Doe",
		"$pdata.email":                                  "john.doe@example.com",
		"$pdata.address.city":                           "Köln",
		"$tokenResponse.body.JSON.expires_in":           "3600",
		"$tokenResponse.body.JSON.data.tokens[1].value": "t1",
		"$tokenResponse.body.JSON.data.tokens.0.value":  "t0",
		"$tokenResponse.body.JSON.data.ok":              "true",
		"$tokenResponse.body.JSON.data.tokens[0]":       `{"value":"t0"}`,
	}
	for src, want := range cases {
		assert.Equal(t, want, expand(t, src, InText), src)
	}
}

func TestLongestMatchLiteralsAndPunctuation(t *testing.T) {
	assert.Equal(t, "1234 bytes, JVBERi0xLjM=", expand(t, "$report.bytes bytes, $report.encoded.base64", InText))
	assert.Equal(t, "1234KB", expand(t, "$report.bytesKB", InText), "longest known variable, then literal text")
	assert.Equal(t, "at 2024-05-06 09:30:05.", expand(t, "at $dateTime.", InText))
	assert.Equal(t, "costs 5 $ or $5 or $ClientsID", expand(t, "costs 5 $ or $5 or $$ClientsID", InText))
	assert.Equal(t, "$", expand(t, "$", InText))
	assert.Equal(t, "id=1001&x", expand(t, "id=$ClientsID&x", InText))
}

func TestUnknownVariableNamedWithPosition(t *testing.T) {
	_, err := ParseTemplate(`{"a":"$ClientID"}`)
	var te *TemplateError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, "$ClientID", te.Variable)
	assert.Equal(t, 6, te.Pos)
	assert.Contains(t, err.Error(), "$ClientID at offset 6")
	for _, bad := range []string{
		"$pdata", "$pdata.", "$report.size", "$tokenResponse.body.JSON.", "$tokenResponse.body.JSON.a[x]", "$tokenResponse.body.JSON.a..b",
		"$tokenResponse.access_token", "$chatConector.id", "$chatconnector.id", "$ChatConnector.name", "$Pdata.name", "$reportbytes",
		"$report", "$xmlTemplate", "$xmlTemplate.encoded", "$tokenRespnse.body.JSON.x", "$tokenResponse.body.json.access_token",
		"$datetime", "$dateTme", "$clientsid", "$ClientID", "$CleintsID", "$chatConnectr.name", "$report.encoded.base46x",
	} {
		_, err := ParseTemplate(bad)
		assert.ErrorAs(t, err, &te, bad)
	}
}

// "Any data can be specified in the body": a $word that is not a near
// miss of a documented variable is sent as it is written.
func TestUndocumentedDollarWordsAreText(t *testing.T) {
	for _, src := range []string{
		"$amount", "Total: $total (EUR)", `{"price":"$price","cur":"$USD"}`, "$data", "$name and $email", "$token", "$date",
		"$port", "$id.value", "$x", "$reports_url", "$ClientsIdentity", "jQuery $(x)", "$_SERVER", "$2y$10$hash",
	} {
		assert.Equal(t, src, expand(t, src, InText), src)
	}
	assert.Equal(t, "$amount 1001 $ $$", expand(t, "$amount $ClientsID $$ $$$$", InText), "$$ still escapes")
	assert.Equal(t, "$ClientsID", expand(t, "$$ClientsID", InText))
}

func TestEditDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		d    int
	}{{"", "", 0}, {"a", "", 1}, {"chatConector", "chatConnector", 1}, {"ab", "ba", 1}, {"kitten", "sitting", 3}, {"ClientID", "ClientsID", 1}} {
		assert.Equal(t, c.d, editDistance(c.a, c.b), c.a+"/"+c.b)
	}
}

func TestMissingValues(t *testing.T) {
	for _, src := range []string{"$pdata.phone", "$tokenResponse.body.JSON.refresh_token", "$tokenResponse.body.JSON.data.tokens[5].value", "$tokenResponse.body.JSON.access_token.x"} {
		tpl, err := ParseTemplate(src)
		require.NoError(t, err)
		_, err = tpl.Expand(sampleValues(), InText)
		var te *TemplateError
		assert.ErrorAs(t, err, &te, src)
	}
	tpl, _ := ParseTemplate("$tokenResponse.body.JSON.access_token")
	_, err := tpl.Expand(&Values{}, InText)
	assert.ErrorContains(t, err, "no token response")
}

func TestEscapingByContext(t *testing.T) {
	v := sampleValues()
	v.PData["tricky"] = "He said \"hi\"\n<b>&</b> \\ é/ ?"
	tpl, err := ParseTemplate(`{"note":"$pdata.tricky"}`)
	require.NoError(t, err)
	js, err := tpl.Expand(v, InJSON)
	require.NoError(t, err)
	var back map[string]string
	require.NoError(t, json.Unmarshal([]byte(js), &back), js)
	assert.Equal(t, v.PData["tricky"], back["note"])

	tpl, _ = ParseTemplate(`<n>$pdata.tricky</n>`)
	x, err := tpl.Expand(v, InXML)
	require.NoError(t, err)
	assert.Equal(t, "<n>He said &#34;hi&#34;&#xA;&lt;b&gt;&amp;&lt;/b&gt; \\ é/ ?</n>", x)

	tpl, _ = ParseTemplate(`X-Note: $pdata.tricky`)
	_, err = tpl.Expand(v, InHeader)
	var te *TemplateError
	require.ErrorAs(t, err, &te, "CR/LF must not reach a header")

	tpl, _ = ParseTemplate(`https://h/reports/$chatConnector.name/x?who=$pdata.name&b=$report.encoded.base64`)
	u, err := tpl.Expand(v, InURL)
	require.NoError(t, err)
	assert.Equal(t, "https://h/reports/Webshop%20chat/x?who=John+Doe&b=JVBERi0xLjM%3D", u)

	tpl, _ = ParseTemplate(`name=$pdata.name&ok=1`)
	f, err := tpl.Expand(v, InForm)
	require.NoError(t, err)
	assert.Equal(t, "name=John+Doe&ok=1", f)
}

// FuzzJSONTemplate: a template that is valid JSON stays valid JSON, with
// the same shape, for any pdata value; and the parser never panics.
func FuzzJSONTemplate(f *testing.F) {
	f.Add(`{"customer":"$pdata.name","size":"$report.bytes"}`, "John \"J\" Doe\n")
	f.Add(`["$pdata.name", {"k$$":"$ClientsID $dateTime."}]`, "\x00\u2028</script>")
	f.Add(`{"a":"$$pdata.name"}`, `\`)
	f.Fuzz(func(t *testing.T, src, pdata string) {
		tpl, err := ParseTemplate(src)
		if err != nil {
			return
		}
		vals := sampleValues()
		vals.PData["name"] = pdata
		var shape any
		if json.Unmarshal([]byte(src), &shape) != nil {
			_, _ = tpl.Expand(vals, InJSON) // must not panic
			return
		}
		out, err := tpl.Expand(vals, InJSON)
		if err != nil {
			return // e.g. a pdata name the template asks for is missing
		}
		var got any
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("template %s with pdata %q gave invalid JSON %s: %v", src, pdata, out, err)
		}
	})
}
