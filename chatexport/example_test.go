package chatexport_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/contactkit/contactkit/chatexport"
	"github.com/contactkit/contactkit/chatexport/chatexporttest"
)

func ExampleRenderPDF() {
	s := &chatexport.Session{
		ID: "chat-1", ChatConnectorName: "Webshop",
		Messages: []chatexport.Message{{Sender: "Anna", Role: chatexport.Customer, Text: "Dzień dobry 😀"}},
	}
	var pdf bytes.Buffer
	err := chatexport.RenderPDF(&pdf, s, chatexport.RenderOptions{CreationDate: time.Date(2024, 5, 6, 0, 0, 0, 0, time.UTC)})
	fmt.Println(err, strings.HasPrefix(pdf.String(), "%PDF-"))
	// Output: <nil> true
}

func ExampleParseTemplate() {
	t, err := chatexport.ParseTemplate(`{"customer":"$pdata.name","size":$report.bytes,"price":"5 $$","note":"$amount stays text"}`)
	if err != nil {
		fmt.Println(err)
		return
	}
	out, _ := t.Expand(&chatexport.Values{ReportBytes: 41457, PData: map[string]string{"name": `John "JD" Doe`}}, chatexport.InJSON)
	fmt.Println(out)

	_, err = chatexport.ParseTemplate(`Bearer $tokenResponse.body.JSON.access_token for $ClientID`)
	fmt.Println(err)
	// Output:
	// {"customer":"John \"JD\" Doe","size":41457,"price":"5 $","note":"$amount stays text"}
	// contactkit: chatexport: $ClientID at offset 49: unknown variable; did you mean $ClientsID? (write $$ for a literal $)
}

func ExampleParsePData() {
	pdata, _ := chatexport.ParsePData(`{name:'John Doe', email:'john.doe@example.com'}`)
	fmt.Println(pdata["name"], pdata["email"])
	// Output: John Doe john.doe@example.com
}

func ExampleNewExporter() {
	srv := chatexporttest.NewServer()
	defer srv.Close()

	exp, err := chatexport.NewExporter(chatexport.Config{
		TokenPost: &chatexport.Post{
			URL:     srv.URL() + chatexporttest.TokenPath,
			Headers: "Content-Type: application/json",
			Body: `{"grant_type":"client_credentials","client_id":"` + chatexporttest.ClientID +
				`","client_secret":"` + chatexporttest.ClientSecret + `"}`,
		},
		ReportPost: chatexport.Post{
			URL:     srv.URL() + chatexporttest.ReportPath,
			Headers: "Content-Type: application/json\nAuthorization: Bearer $tokenResponse.body.JSON.access_token",
			Body:    chatexport.DefaultReportBody,
		},
		XMLTemplate: `<chat connector="$chatConnector.id"/>`,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := exp.Export(context.Background(), &chatexport.Session{ID: "chat-1", ChatConnectorID: "7"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.TokenStatus, res.ReportStatus, string(srv.Reports()[0].XML))
	// Output: 200 200 <chat connector="7"/>
}

func ExampleReportHandler() {
	h := chatexport.ReportHandler(chatexport.DefaultBodyFields,
		func(r *http.Request) error { return nil }, // check the bearer token here
		func(r *http.Request, rep *chatexport.Report) error {
			fmt.Println("storing", len(rep.PDF), "bytes of PDF")
			return nil
		})
	body := `{"report":"JVBERi0xLjMK","bytes":"9"}` // "%PDF-1.3\n"
	req := httptest.NewRequest(http.MethodPost, "/chat-reports", strings.NewReader(body))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Println(rec.Code)
	// Output:
	// storing 9 bytes of PDF
	// 200
}
