package acd_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/acd"
	"github.com/contactkit/contactkit/acd/acdtest"
)

// The examples run against the in-process fake; with a real jtel server,
// pass its account base URL and your API token instead.

func ExampleNewClient() {
	srv := acdtest.NewServer()
	defer srv.Close()

	c, err := acd.NewClient(srv.URL(), contactkit.StaticToken(srv.Token))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.BaseURL().Path)
	// Output: /rest/v1.0/1001
}

func ExampleNewAccountClient() {
	srv := acdtest.NewServer()
	defer srv.Close()

	berlin := time.FixedZone("CEST", 2*60*60)
	c, err := acd.NewAccountClient(srv.ServerURL(), "1001", contactkit.StaticToken(srv.Token), acd.WithLocation(berlin))
	if err != nil {
		fmt.Println(err)
		return
	}
	ev, err := c.GetEvent(context.Background(), 2039)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ev.Created.String(), "is", ev.Created.UTC().Format(time.RFC3339Nano))
	// Output: 2020-09-15T02:59:32.794 is 2020-09-15T00:59:32.794Z
}

func ExampleClient_ListEvents() {
	srv := acdtest.NewServer()
	defer srv.Close()
	c, _ := acd.NewClient(srv.URL(), contactkit.StaticToken(srv.Token))

	list, err := c.ListEvents(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(list.Count, "events, ordered by", list.OrderBy)
	for _, ev := range list.Records {
		fmt.Println(ev.ID, ev.Type)
	}
	// Output:
	// 4 events, ordered by dtCreated
	// 2001 VoiceMail
	// 2002 Callback
	// 2003 Email
	// 2039 Ticket
}

func ExampleClient_AllEvents() {
	srv := acdtest.NewServer()
	defer srv.Close()
	c, _ := acd.NewClient(srv.URL(), contactkit.StaticToken(srv.Token))

	callbacks := 0
	for ev, err := range c.AllEvents(context.Background()) {
		if err != nil {
			fmt.Println(err)
			return
		}
		if ev.Type == acd.Callback {
			callbacks++
		}
	}
	fmt.Println(callbacks, "open callback request")
	// Output: 1 open callback request
}

func ExampleClient_GetEvent() {
	srv := acdtest.NewServer()
	defer srv.Close()
	c, _ := acd.NewClient(srv.URL(), contactkit.StaticToken(srv.Token))

	ev, err := c.GetEvent(context.Background(), 2039)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ev.Type, ev.ForeignSystemNumber, ev.Subject)

	_, err = c.GetEvent(context.Background(), 1)
	var apiErr *contactkit.APIError
	if errors.Is(err, contactkit.ErrNotFound) && errors.As(err, &apiErr) {
		fmt.Println("404:", apiErr.Message)
	}
	// Output:
	// Ticket 123456 A new ticket 123456 has been created via the REST API. Congratulations!
	// 404: Event not found
}

func ExampleClient_CreateEvent() {
	srv := acdtest.NewServer()
	defer srv.Close()
	c, _ := acd.NewClient(srv.URL(), contactkit.StaticToken(srv.Token))

	ev, err := c.CreateEvent(context.Background(), &acd.NewEvent{
		Type:     acd.Callback,
		GroupID:  235,
		Sender:   "49199123456789",
		Receiver: "4919900112233",
		Subject:  "Callback request from 49199123456789",
		Body:     "Please call back after 9.",
		CrmURL:   "https://crm.example.com/customers/987654",
		UserData: "987654",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("created", ev.Type, ev.ID, "for group", ev.GroupID)
	// Output: created Callback 2040 for group 235
}

func ExampleNewEvent_Validate() {
	e := &acd.NewEvent{Type: acd.VoiceMail, GroupID: 235, Sender: "+49 199 123456", Subject: "Voice mail"}
	fmt.Println(e.Validate())
	// Output: contactkit: invalid Sender: must be E.164 digits without '+', such as 49199123456789
}

func ExampleValidateE164() {
	fmt.Println(acd.ValidateE164("49199123456789"))
	fmt.Println(acd.ValidateE164("0199123456789"))
	// Output:
	// <nil>
	// must start with the country code, not 0
}

func ExampleParseEventData() {
	d, err := acd.ParseEventData(`<eventData><urls><url><urlPath>https://www.jtel.de</urlPath><displayName>123456</displayName></url></urls><body html="true"></body></eventData>`)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(d.URLs[0].DisplayName, d.URLs[0].Path, d.Body.HTML)
	// Output: 123456 https://www.jtel.de true
}

func ExampleEventType_String() {
	fmt.Println(acd.Callback, acd.Ticket, acd.EventType(9))
	// Output: Callback Ticket EventType(9)
}
