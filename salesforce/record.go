package salesforce

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/contactkit/contactkit/internal/phone"
	"github.com/contactkit/contactkit/internal/wiretime"
)

// LocalTime is a jtel timestamp in YYYY-MM-DDThh:mm:ss, the jtel server's
// local time without a zone; the zero value stands for an empty field. It
// embeds time.Time and encodes back to the text it was decoded from.
type LocalTime = wiretime.LocalTime

// NewTime makes a LocalTime written as YYYY-MM-DDThh:mm:ss in t's zone.
func NewTime(t time.Time) LocalTime { return wiretime.NewLocalTimeLayout(t, wiretime.SecondsLayout) }

// NoConnection is the nDuration of a call that never connected.
const NoConnection = -1

// Record is one writeCallStatistics record: one line of data about a
// call. A call produces several (see GroupCalls).
type Record struct {
	// SalesForceID is the id of the record in Salesforce.
	SalesForceID string `json:"SalesForceID"`
	// StatisticsPartAID identifies the call in jtel (jtelStatisticsPartAID);
	// every record of one call carries the same value.
	StatisticsPartAID int64 `json:"jtelStatisticsPartAID"`
	// AgentUID is the agent's login in jtel.
	AgentUID string `json:"AgentUID"`
	// Outbound is bOutbound: 0 inbound, 1 outbound on the wire.
	Outbound bool `json:"bOutbound"`
	// CallerID is the caller or called party in E.164 without '+'.
	CallerID string `json:"CallerID"`
	// ServiceNumber and ServiceName are the jtel service used.
	ServiceNumber string `json:"ServiceNumber"`
	ServiceName   string `json:"ServiceName"`
	// AgentGroupName and ConfigurationGroupName are the ACD groups; for a
	// standalone group both are the same.
	AgentGroupName         string `json:"AcdAgentGroupsName"`
	ConfigurationGroupName string `json:"AcdConfigurationGroupsName"`
	// Call times, jtel-local; Alert, Connect and End may be empty (zero).
	CallStart   LocalTime `json:"dtCallStart"`
	CallAlert   LocalTime `json:"dtCallAlert"`
	CallConnect LocalTime `json:"dtCallConnect"`
	CallEnd     LocalTime `json:"dtCallEnd"`
	// DurationSeconds is nDuration: -1 (NoConnection) when the call did not
	// connect; 0 can be a connection under 500 ms.
	DurationSeconds int `json:"nDuration"`
	// Result is CONNRES, the outcome of this line.
	Result ConnectionResult `json:"CONNRES"`
	// Cause is the Q.850 cause that ended the call.
	Cause Cause `json:"Cause"`
	// TransactionCodeExportKey is the export key of a transaction code
	// recorded for the call, if any.
	TransactionCodeExportKey string `json:"TransactionCodeExportKey"`
}

// Connected reports whether the call connected (nDuration is not -1).
func (r *Record) Connected() bool { return r.DurationSeconds != NoConnection }

// Duration is the connected time, 0 when the call did not connect.
func (r *Record) Duration() time.Duration {
	if !r.Connected() || r.DurationSeconds < 0 {
		return 0
	}
	return time.Duration(r.DurationSeconds) * time.Second
}

// Validate reports the first field that makes the record unusable, as a
// *ValidationError.
func (r *Record) Validate() error {
	switch {
	case r.StatisticsPartAID <= 0:
		return &ValidationError{Field: "jtelStatisticsPartAID", Reason: "must be a positive id"}
	case r.DurationSeconds < NoConnection:
		return &ValidationError{Field: "nDuration", Reason: "must be -1 (no connection) or a number of seconds"}
	case r.CallStart.IsZero():
		return &ValidationError{Field: "dtCallStart", Reason: "is required"}
	}
	if r.CallerID != "" {
		if err := phone.ValidateE164(r.CallerID); err != nil {
			return &ValidationError{Field: "CallerID", Reason: err.Error()}
		}
	}
	return nil
}

// inLocation reads the record's times in the jtel server's zone.
func (r *Record) inLocation(loc *time.Location) {
	if loc == nil || loc == time.UTC {
		return
	}
	r.CallStart = r.CallStart.WallClockIn(loc)
	r.CallAlert = r.CallAlert.WallClockIn(loc)
	r.CallConnect = r.CallConnect.WallClockIn(loc)
	r.CallEnd = r.CallEnd.WallClockIn(loc)
}

// recordFields is Record without its methods, so that MarshalJSON and
// UnmarshalJSON can reuse the tags without recursing.
type recordFields Record

// MarshalJSON writes bOutbound as 0 or 1.
func (r Record) MarshalJSON() ([]byte, error) {
	out := 0
	if r.Outbound {
		out = 1
	}
	return json.Marshal(struct {
		recordFields
		Outbound int `json:"bOutbound"`
	}{recordFields(r), out})
}

// UnmarshalJSON reads bOutbound as 0/1 (or true/false), and the numeric
// fields as numbers or numeric strings, so that a record jtel formats a
// little differently is still written rather than lost.
func (r *Record) UnmarshalJSON(b []byte) error {
	var w struct {
		*recordFields
		Outbound json.RawMessage `json:"bOutbound"`
		PartAID  json.RawMessage `json:"jtelStatisticsPartAID"`
		Duration json.RawMessage `json:"nDuration"`
		Result   json.RawMessage `json:"CONNRES"`
		Cause    json.RawMessage `json:"Cause"`
	}
	w.recordFields = (*recordFields)(r)
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	if err := readFlag(w.Outbound, &r.Outbound); err != nil {
		return fmt.Errorf("bOutbound: %w", err)
	}
	for _, f := range []struct {
		name string
		raw  json.RawMessage
		dst  func(int64)
	}{
		{"jtelStatisticsPartAID", w.PartAID, func(n int64) { r.StatisticsPartAID = n }},
		{"nDuration", w.Duration, func(n int64) { r.DurationSeconds = int(n) }},
		{"CONNRES", w.Result, func(n int64) { r.Result = ConnectionResult(n) }},
		{"Cause", w.Cause, func(n int64) { r.Cause = Cause(n) }},
	} {
		if err := readInt(f.raw, f.dst); err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
	}
	return nil
}

var errNotFlag = errors.New("want 0 or 1")

func readFlag(raw json.RawMessage, dst *bool) error {
	switch string(bytes.Trim(raw, `"`)) {
	case "", "null":
		return nil
	case "0", "false":
		*dst = false
	case "1", "true":
		*dst = true
	default:
		return errNotFlag
	}
	return nil
}

func readInt(raw json.RawMessage, set func(int64)) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	text := string(raw)
	if raw[0] == '"' {
		if err := json.Unmarshal(raw, &text); err != nil {
			return err
		}
		if text == "" {
			return nil
		}
	}
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		return errors.New("want an integer")
	}
	set(n)
	return nil
}

// ConnectionResult is CONNRES, the result of one line of a call. Values
// the document does not list are kept.
type ConnectionResult int

// The documented results.
const (
	ConnectedWithAgent ConnectionResult = 1 // connection with agent
	NoAnswer           ConnectionResult = 2 // inbound: from the agent; outbound: from the dialled number
	Busy               ConnectionResult = 3 // inbound: the agent; outbound: the dialled number
	AgentRefused       ConnectionResult = 4 // during the whisper announcement or while ringing
	ISDNCause          ConnectionResult = 5 // see Cause for the reason
	CallError          ConnectionResult = 7 // error
)

var resultNames = map[ConnectionResult]string{
	ConnectedWithAgent: "ConnectedWithAgent", NoAnswer: "NoAnswer", Busy: "Busy",
	AgentRefused: "AgentRefused", ISDNCause: "ISDNCause", CallError: "Error",
}

func (c ConnectionResult) String() string {
	if n, ok := resultNames[c]; ok {
		return n
	}
	return "ConnectionResult(" + strconv.Itoa(int(c)) + ")"
}

// Cause is the ITU-T Q.850 cause value that ended the call. Values without
// a name here are kept.
type Cause int

// Common Q.850 causes.
const (
	CauseUnallocatedNumber           Cause = 1
	CauseNoRouteToDestination        Cause = 3
	CauseNormalClearing              Cause = 16
	CauseUserBusy                    Cause = 17
	CauseNoUserResponding            Cause = 18
	CauseNoAnswer                    Cause = 19
	CauseSubscriberAbsent            Cause = 20
	CauseCallRejected                Cause = 21
	CauseNumberChanged               Cause = 22
	CauseDestinationOutOfOrder       Cause = 27
	CauseInvalidNumberFormat         Cause = 28
	CauseFacilityRejected            Cause = 29
	CauseNormalUnspecified           Cause = 31
	CauseNoCircuitAvailable          Cause = 34
	CauseNetworkOutOfOrder           Cause = 38
	CauseTemporaryFailure            Cause = 41
	CauseSwitchingCongestion         Cause = 42
	CauseRequestedCircuitUnavailable Cause = 44
	CauseResourceUnavailable         Cause = 47
	CauseBearerCapabilityUnavailable Cause = 58
	CauseServiceUnavailable          Cause = 63
	CauseIncompatibleDestination     Cause = 88
	CauseRecoveryOnTimerExpiry       Cause = 102
	CauseProtocolError               Cause = 111
	CauseInterworking                Cause = 127
)

var causeNames = map[Cause]string{
	CauseUnallocatedNumber:           "unallocated (invalid) number",
	CauseNoRouteToDestination:        "no route to destination",
	CauseNormalClearing:              "normal call clearing",
	CauseUserBusy:                    "user busy",
	CauseNoUserResponding:            "no user responding",
	CauseNoAnswer:                    "no answer from user (user alerted)",
	CauseSubscriberAbsent:            "subscriber absent",
	CauseCallRejected:                "call rejected",
	CauseNumberChanged:               "number changed",
	CauseDestinationOutOfOrder:       "destination out of order",
	CauseInvalidNumberFormat:         "invalid number format (incomplete number)",
	CauseFacilityRejected:            "facility rejected",
	CauseNormalUnspecified:           "normal, unspecified",
	CauseNoCircuitAvailable:          "no circuit/channel available",
	CauseNetworkOutOfOrder:           "network out of order",
	CauseTemporaryFailure:            "temporary failure",
	CauseSwitchingCongestion:         "switching equipment congestion",
	CauseRequestedCircuitUnavailable: "requested circuit/channel not available",
	CauseResourceUnavailable:         "resource unavailable, unspecified",
	CauseBearerCapabilityUnavailable: "bearer capability not presently available",
	CauseServiceUnavailable:          "service or option not available, unspecified",
	CauseIncompatibleDestination:     "incompatible destination",
	CauseRecoveryOnTimerExpiry:       "recovery on timer expiry",
	CauseProtocolError:               "protocol error, unspecified",
	CauseInterworking:                "interworking, unspecified",
}

// String is the Q.850 name, or "Q.850 cause N" for a value without one.
func (c Cause) String() string {
	if n, ok := causeNames[c]; ok {
		return n
	}
	return "Q.850 cause " + strconv.Itoa(int(c))
}
