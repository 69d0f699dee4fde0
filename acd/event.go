package acd

import (
	"encoding/xml"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/internal/wirejson"
)

// EventType is an AcdEventTypesID. Values the SDK does not know are kept.
type EventType int

// The documented AcdEventTypes.
const (
	VoiceMail EventType = 1
	Fax       EventType = 2
	Callback  EventType = 3
	SMS       EventType = 4
	Email     EventType = 5
	Ticket    EventType = 6 // Ticket / workflow
)

var eventTypeNames = map[EventType]string{
	VoiceMail: "VoiceMail", Fax: "Fax", Callback: "Callback", SMS: "SMS", Email: "Email", Ticket: "Ticket",
}

func (t EventType) String() string {
	if n, ok := eventTypeNames[t]; ok {
		return n
	}
	return "EventType(" + strconv.Itoa(int(t)) + ")"
}

// telephone reports whether Sender and Receiver must be E.164 numbers.
func (t EventType) telephone() bool { return t == VoiceMail || t == Callback }

// EventStatus is an AcdEventStatusID. jtel does not publish the values
// (the documents show 1 for a new event and 20), so it stays an open
// integer.
type EventStatus int

func (s EventStatus) String() string { return "EventStatus(" + strconv.Itoa(int(s)) + ")" }

// Event is one ACD event (voice mail, fax, callback, SMS, email or
// ticket) as jtel returns it. Nullable ids are pointers; timestamps are the
// jtel server's local time.
type Event struct {
	ID                     int64       `json:"ID"`
	Type                   EventType   `json:"AcdEventTypesID"`
	Status                 EventStatus `json:"AcdEventStatusID"`
	GroupID                int64       `json:"AcdGroupsID"`
	UserID                 *int64      `json:"UsersID"`
	Sender                 string      `json:"Sender"`
	Receiver               string      `json:"Receiver"`
	Subject                string      `json:"Subject"`
	CrmURL                 string      `json:"CrmURL"`
	UserData               string      `json:"UserData"`
	UserData2              *string     `json:"UserData2"`
	UserData3              *string     `json:"UserData3"`
	ForeignSystemNumber    string      `json:"ForeignSystemNumber"`
	CloseByForeignSystem   bool        `json:"bCloseByForeignSystem"`
	EventData              string      `json:"EventData"` // XML; see ParseEventData
	ChatConnectorID        *int64      `json:"ChatConnectorsID"`
	InboxID                *int64      `json:"AcdInboxesID"`
	WorkFlowConnectorID    *int64      `json:"AcdWorkFlowConnectorsID"`
	WorkFlowMonitorPointID *int64      `json:"WorkFlowMonitorPointsID"`
	ReplyingTypeID         *int64      `json:"AcdReplyingTypesID"`
	SkillID1               *int64      `json:"SkillsID1"`
	SkillID2               *int64      `json:"SkillsID2"`
	SkillID3               *int64      `json:"SkillsID3"`
	SkillValue1            *int64      `json:"SkillsValue1"`
	SkillValue2            *int64      `json:"SkillsValue2"`
	SkillValue3            *int64      `json:"SkillsValue3"`
	LastAgentTime          int64       `json:"LastAgentTime"`
	Created                LocalTime   `json:"dtCreated"`
	Modified               LocalTime   `json:"dtModified"`
	LastModified           LocalTime   `json:"dtLastModified"`
	Received               *LocalTime  `json:"dtReceived"`
	Remind                 *LocalTime  `json:"dtRemind"`
	// Unknown holds the fields of the event that this version of the SDK
	// does not know, as received, so that encoding the event again (a
	// proxy, a cache) keeps what a newer jtel added.
	Unknown contactkit.UnknownFields `json:"-"`
}

// eventFields is Event without its methods, for wirejson.
type eventFields Event

// UnmarshalJSON decodes an event, keeping unknown fields in Unknown.
func (e *Event) UnmarshalJSON(b []byte) error {
	u, err := wirejson.Split(b, (*eventFields)(e))
	e.Unknown = u
	return err
}

// MarshalJSON encodes an event with its Unknown fields after the known
// ones.
func (e Event) MarshalJSON() ([]byte, error) { return wirejson.Merge(eventFields(e), e.Unknown) }

// inLocation reads the event's timestamps in the jtel server's zone.
func (e *Event) inLocation(loc *time.Location) {
	if loc == time.UTC {
		return
	}
	e.Created = e.Created.WallClockIn(loc)
	e.Modified = e.Modified.WallClockIn(loc)
	e.LastModified = e.LastModified.WallClockIn(loc)
	if e.Received != nil {
		r := e.Received.WallClockIn(loc)
		e.Received = &r
	}
	if e.Remind != nil {
		r := e.Remind.WallClockIn(loc)
		e.Remind = &r
	}
}

// EventData is the parsed EventData XML of an event:
//
//	<eventData><urls><url><urlPath>…</urlPath><displayName>…</displayName></url></urls><body html="true">…</body></eventData>
type EventData struct {
	XMLName xml.Name   `xml:"eventData"`
	URLs    []EventURL `xml:"urls>url"`
	Body    EventBody  `xml:"body"`
}

// EventURL is one link of an event, shown to the agent as DisplayName.
type EventURL struct {
	Path        string `xml:"urlPath"`
	DisplayName string `xml:"displayName"`
}

// URL parses Path.
func (u EventURL) URL() (*url.URL, error) { return url.Parse(u.Path) }

// EventBody is the event body text; HTML says whether it is HTML.
type EventBody struct {
	HTML bool   `xml:"html,attr"`
	Text string `xml:",chardata"`
}

// ParseEventData parses the EventData XML. An empty EventData gives an
// empty result.
func (e *Event) ParseEventData() (*EventData, error) {
	return ParseEventData(e.EventData)
}

// ParseEventData parses EventData XML as jtel stores it.
func ParseEventData(s string) (*EventData, error) {
	d := &EventData{}
	if s == "" {
		return d, nil
	}
	if err := xml.Unmarshal([]byte(s), d); err != nil {
		return nil, fmt.Errorf("contactkit: acd: parsing EventData: %w", err)
	}
	return d, nil
}

// String renders the XML in jtel's form.
func (d *EventData) String() string {
	b, err := xml.Marshal(d)
	if err != nil {
		return ""
	}
	return string(b)
}
