package salesforce

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/internal/phone"
	"github.com/contactkit/contactkit/internal/wirejson"
)

// NoConnection is the nDuration of a call that never connected.
const NoConnection = -1

// Record is one writeCallStatistics record: one line of data about a
// call. A call produces several (see GroupCalls).
//
// Decoding is lenient wherever the document leaves room, so that a record
// jtel formats a little differently is written rather than lost: numbers
// may come as JSON numbers in any notation (12, 12.0, 1.2e1) or as
// numeric strings; bOutbound as 0/1, true/false or their strings; the
// text fields as strings or numbers (a CallerID sent as a number keeps
// its digits); times with or without a zone (see Time). Bytes that are
// not UTF-8 are read as Windows-1252, the code page of the Windows
// systems the jtel daemon runs on, so "M\xfcller" arrives as "Müller".
// Fields the document does not list are kept in Unknown and written back
// unchanged.
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
	// Call times, jtel-local unless sent with a zone; Alert, Connect and
	// End may be empty (zero).
	CallStart   Time `json:"dtCallStart"`
	CallAlert   Time `json:"dtCallAlert"`
	CallConnect Time `json:"dtCallConnect"`
	CallEnd     Time `json:"dtCallEnd"`
	// DurationSeconds is nDuration: -1 (NoConnection) when the call did not
	// connect; 0 can be a connection under 500 ms. A fraction sent by jtel
	// is rounded to the nearest second.
	DurationSeconds int `json:"nDuration"`
	// Result is CONNRES, the outcome of this line.
	Result ConnectionResult `json:"CONNRES"`
	// Cause is the Q.850 cause that ended the call.
	Cause Cause `json:"Cause"`
	// TransactionCodeExportKey is the export key of a transaction code
	// recorded for the call, if any.
	TransactionCodeExportKey string `json:"TransactionCodeExportKey"`
	// Unknown holds the fields the document does not list, by name, as
	// they were received (raw JSON), so that what a newer jtel adds
	// reaches your function and is encoded again unchanged.
	Unknown contactkit.UnknownFields `json:"-"`
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
// *contactkit.ValidationError.
func (r *Record) Validate() error {
	switch {
	case r.StatisticsPartAID <= 0:
		return &contactkit.ValidationError{Field: "jtelStatisticsPartAID", Reason: "must be a positive id"}
	case r.DurationSeconds < NoConnection:
		return &contactkit.ValidationError{Field: "nDuration", Reason: "must be -1 (no connection) or a number of seconds"}
	case r.CallStart.IsZero():
		return &contactkit.ValidationError{Field: "dtCallStart", Reason: "is required"}
	}
	if r.CallerID != "" {
		if err := phone.ValidateE164(r.CallerID); err != nil {
			return &contactkit.ValidationError{Field: "CallerID", Reason: err.Error()}
		}
	}
	return nil
}

// inLocation reads the record's zone-less times in the jtel server's zone.
func (r *Record) inLocation(loc *time.Location) {
	if loc == nil || loc == time.UTC {
		return
	}
	r.CallStart = r.CallStart.WallClockIn(loc)
	r.CallAlert = r.CallAlert.WallClockIn(loc)
	r.CallConnect = r.CallConnect.WallClockIn(loc)
	r.CallEnd = r.CallEnd.WallClockIn(loc)
}

// recordOut is the wire form written by MarshalJSON, in document order.
type recordOut struct {
	SalesForceID             string           `json:"SalesForceID"`
	StatisticsPartAID        int64            `json:"jtelStatisticsPartAID"`
	AgentUID                 string           `json:"AgentUID"`
	Outbound                 int              `json:"bOutbound"`
	CallerID                 string           `json:"CallerID"`
	ServiceNumber            string           `json:"ServiceNumber"`
	ServiceName              string           `json:"ServiceName"`
	AgentGroupName           string           `json:"AcdAgentGroupsName"`
	ConfigurationGroupName   string           `json:"AcdConfigurationGroupsName"`
	CallStart                Time             `json:"dtCallStart"`
	CallAlert                Time             `json:"dtCallAlert"`
	CallConnect              Time             `json:"dtCallConnect"`
	CallEnd                  Time             `json:"dtCallEnd"`
	DurationSeconds          int              `json:"nDuration"`
	Result                   ConnectionResult `json:"CONNRES"`
	Cause                    Cause            `json:"Cause"`
	TransactionCodeExportKey string           `json:"TransactionCodeExportKey"`
}

// MarshalJSON writes the documented fields (bOutbound as 0 or 1), then
// the Unknown ones as they were received.
func (r Record) MarshalJSON() ([]byte, error) {
	out := recordOut{
		SalesForceID: r.SalesForceID, StatisticsPartAID: r.StatisticsPartAID, AgentUID: r.AgentUID,
		CallerID: r.CallerID, ServiceNumber: r.ServiceNumber, ServiceName: r.ServiceName,
		AgentGroupName: r.AgentGroupName, ConfigurationGroupName: r.ConfigurationGroupName,
		CallStart: r.CallStart, CallAlert: r.CallAlert, CallConnect: r.CallConnect, CallEnd: r.CallEnd,
		DurationSeconds: r.DurationSeconds, Result: r.Result, Cause: r.Cause,
		TransactionCodeExportKey: r.TransactionCodeExportKey,
	}
	if r.Outbound {
		out.Outbound = 1
	}
	return wirejson.Merge(out, r.Unknown)
}

// Field indexes of the documented fields, in document order.
const (
	fSalesForceID = iota
	fStatisticsPartAID
	fAgentUID
	fOutbound
	fCallerID
	fServiceNumber
	fServiceName
	fAgentGroupName
	fConfigurationGroupName
	fCallStart
	fCallAlert
	fCallConnect
	fCallEnd
	fDuration
	fResult
	fCause
	fTransactionCode
	nFields
)

// fieldNames are the documented JSON names, by field index.
var fieldNames = [nFields]string{
	"SalesForceID", "jtelStatisticsPartAID", "AgentUID", "bOutbound", "CallerID", "ServiceNumber", "ServiceName",
	"AcdAgentGroupsName", "AcdConfigurationGroupsName", "dtCallStart", "dtCallAlert", "dtCallConnect", "dtCallEnd",
	"nDuration", "CONNRES", "Cause", "TransactionCodeExportKey",
}

var fieldIndex = func() map[string]int {
	m := make(map[string]int, nFields)
	for i, n := range fieldNames {
		m[n] = i
	}
	return m
}()

// lookupField finds a documented field by name as encoding/json does:
// the exact name, else any case.
func lookupField(key string) (i int, exact, ok bool) {
	if i, ok := fieldIndex[key]; ok {
		return i, true, true
	}
	for i, n := range fieldNames {
		if strings.EqualFold(n, key) {
			return i, false, true
		}
	}
	return 0, false, false
}

// fieldError names the field of a record that could not be read.
func fieldError(i int, err error) error {
	return &contactkit.ValidationError{Field: fieldNames[i], Reason: err.Error()}
}

// splitFields decodes a JSON object in one pass into the raw values of
// the documented fields and the others (wirejson.Unknown, nil when there
// are none). Names match as in encoding/json, ignoring case; an exact
// name wins over another spelling, and among other spellings the first
// in byte order, so the result does not depend on map order.
func splitFields(b []byte) (raw [nFields]json.RawMessage, unknown wirejson.Unknown, err error) {
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return raw, nil, err
	}
	var exactSet [nFields]bool
	var foldKey [nFields]string
	for k, v := range all {
		i, exact, ok := lookupField(k)
		switch {
		case !ok:
			if unknown == nil {
				unknown = wirejson.Unknown{}
			}
			unknown[k] = v
		case exact:
			raw[i], exactSet[i] = v, true
		case !exactSet[i] && (raw[i] == nil || k < foldKey[i]):
			raw[i], foldKey[i] = v, k
		}
	}
	return raw, unknown, nil
}

// UnmarshalJSON reads a record leniently (see Record). A field that has
// no reasonable reading is a *contactkit.ValidationError naming it; null
// leaves a field as it is.
func (r *Record) UnmarshalJSON(b []byte) error {
	if !utf8.Valid(b) {
		b = fromWindows1252(b)
	}
	w, unknown, err := splitFields(b)
	if err != nil {
		return err
	}
	r.Unknown = unknown
	texts := [...]struct {
		i   int
		dst *string
	}{
		{fSalesForceID, &r.SalesForceID}, {fAgentUID, &r.AgentUID}, {fCallerID, &r.CallerID},
		{fServiceNumber, &r.ServiceNumber}, {fServiceName, &r.ServiceName}, {fAgentGroupName, &r.AgentGroupName},
		{fConfigurationGroupName, &r.ConfigurationGroupName}, {fTransactionCode, &r.TransactionCodeExportKey},
	}
	for _, f := range texts {
		if isAbsent(w[f.i]) {
			continue
		}
		s, err := readString(w[f.i])
		if err != nil {
			return fieldError(f.i, err)
		}
		*f.dst = s
	}
	times := [...]struct {
		i   int
		dst *Time
	}{{fCallStart, &r.CallStart}, {fCallAlert, &r.CallAlert}, {fCallConnect, &r.CallConnect}, {fCallEnd, &r.CallEnd}}
	for _, f := range times {
		if isAbsent(w[f.i]) {
			continue
		}
		if err := f.dst.UnmarshalJSON(w[f.i]); err != nil {
			return fieldError(f.i, err)
		}
	}
	if err := readFlag(w[fOutbound], &r.Outbound); err != nil {
		return fieldError(fOutbound, err)
	}
	if n, ok, err := readInt(w[fStatisticsPartAID], false); err != nil {
		return fieldError(fStatisticsPartAID, err)
	} else if ok {
		r.StatisticsPartAID = n
	}
	ints := [...]struct {
		i     int
		round bool
		dst   *int
	}{{fDuration, true, &r.DurationSeconds}, {fResult, false, (*int)(&r.Result)}, {fCause, false, (*int)(&r.Cause)}}
	for _, f := range ints {
		n, ok, err := readInt(w[f.i], f.round)
		switch {
		case err != nil:
			return fieldError(f.i, err)
		case ok && (n < math.MinInt32 || n > math.MaxInt32):
			return fieldError(f.i, errRange)
		case ok:
			*f.dst = int(n)
		}
	}
	return nil
}

var (
	errNotFlag   = errors.New("want 0 or 1")
	errNotNumber = errors.New("want a number")
	errNotInt    = errors.New("want a whole number")
	errRange     = errors.New("number out of range")
	errNotText   = errors.New("want a string")
)

func isAbsent(raw json.RawMessage) bool { return len(raw) == 0 || string(raw) == "null" }

// readString reads a JSON string, or a number as its literal text.
func readString(raw []byte) (string, error) {
	switch {
	case len(raw) >= 2 && raw[0] == '"':
		body := raw[1 : len(raw)-1]
		if bytes.IndexByte(body, '\\') < 0 && utf8.Valid(body) {
			return string(body), nil
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", err
		}
		return s, nil
	case len(raw) > 0 && (raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9'):
		return string(raw), nil
	}
	return "", errNotText
}

// numberText returns the text of a number sent as a JSON number or a
// string; ok is false for an absent value (missing, null or "").
func numberText(raw json.RawMessage) (text string, ok bool, err error) {
	if isAbsent(raw) {
		return "", false, nil
	}
	switch c := raw[0]; {
	case c == '"':
		s, err := readString(raw)
		if err != nil {
			return "", false, err
		}
		s = strings.TrimSpace(s)
		return s, s != "", nil
	case c == '-' || c >= '0' && c <= '9':
		return string(raw), true, nil
	}
	return "", false, errNotNumber
}

// readInt reads a whole number in any notation (12, "12", 12.0, 1.2e1);
// a fraction is rounded when round is set and an error otherwise.
func readInt(raw json.RawMessage, round bool) (int64, bool, error) {
	text, ok, err := numberText(raw)
	if !ok || err != nil {
		return 0, false, err
	}
	if n, err := strconv.ParseInt(text, 10, 64); err == nil {
		return n, true, nil
	}
	f, err := strconv.ParseFloat(text, 64)
	switch {
	case err != nil && !errors.Is(err, strconv.ErrRange), math.IsNaN(f):
		return 0, false, errNotNumber
	case err != nil, math.IsInf(f, 0), f >= math.MaxInt64, f < math.MinInt64:
		return 0, false, errRange
	case f != math.Trunc(f) && !round:
		return 0, false, errNotInt
	}
	return int64(math.Round(f)), true, nil
}

// readFlag reads bOutbound: 0/1, true/false, as numbers, booleans or
// strings (any case).
func readFlag(raw json.RawMessage, dst *bool) error {
	if isAbsent(raw) {
		return nil
	}
	text := string(raw)
	if raw[0] == '"' {
		s, err := readString(raw)
		if err != nil {
			return err
		}
		text = strings.ToLower(strings.TrimSpace(s))
	}
	switch text {
	case "":
		return nil
	case "0", "false":
		*dst = false
		return nil
	case "1", "true":
		*dst = true
		return nil
	}
	if f, err := strconv.ParseFloat(text, 64); err == nil && (f == 0 || f == 1) {
		*dst = f == 1
		return nil
	}
	return errNotFlag
}

// windows1252 maps the bytes 0x80–0x9F of Windows-1252; the others of
// 0xA0–0xFF are the Latin-1 code points.
var windows1252 = [32]rune{
	'€', 0x81, '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', 0x8D, 'Ž', 0x8F,
	0x90, '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', 0x9D, 'ž', 'Ÿ',
}

// fromWindows1252 keeps the valid UTF-8 of b and reads every other byte
// as a Windows-1252 character.
func fromWindows1252(b []byte) []byte {
	out := make([]byte, 0, len(b)+len(b)/8)
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size <= 1 {
			c := b[0]
			r = rune(c)
			if c >= 0x80 && c < 0xA0 {
				r = windows1252[c-0x80]
			}
			out = utf8.AppendRune(out, r)
			b = b[1:]
			continue
		}
		out = append(out, b[:size]...)
		b = b[size:]
	}
	return out
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
