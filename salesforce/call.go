package salesforce

import (
	"slices"
	"time"
)

// CallSummary folds the records of one call (one jtelStatisticsPartAID).
// jtel sends one record per line of call data: one per agent tried, per
// ACD group routed through, and per transaction code, so a call that rang
// two agents in group 1 and was answered and transferred in group 2 comes
// as five records.
type CallSummary struct {
	StatisticsPartAID int64
	SalesForceID      string
	CallerID          string
	Outbound          bool
	// AgentsTried lists every agent the call was offered to, in order.
	AgentsTried []string
	// AnsweredBy is the first agent connected to the call, "" if none.
	AnsweredBy string
	// Groups lists the ACD agent groups the call was routed through.
	Groups []string
	// TransactionCodes lists the transaction code export keys recorded.
	TransactionCodes []string
	// Start is the earliest call start; Connected the first connect time
	// (zero when the call never connected); End the latest call end.
	Start, Connected, End time.Time
	// TalkDuration sums the connected time of the distinct connected lines.
	TalkDuration time.Duration
	// Records counts the records folded in.
	Records int
}

// GroupCalls folds records into one CallSummary per call, in the order in
// which each call's first record appears.
func GroupCalls(records []Record) []CallSummary {
	var order []int64
	byCall := map[int64][]Record{}
	for _, r := range records {
		if _, seen := byCall[r.StatisticsPartAID]; !seen {
			order = append(order, r.StatisticsPartAID)
		}
		byCall[r.StatisticsPartAID] = append(byCall[r.StatisticsPartAID], r)
	}
	out := make([]CallSummary, 0, len(order))
	for _, id := range order {
		out = append(out, Summarize(byCall[id]))
	}
	return out
}

// Summarize folds the records of one call into a CallSummary.
func Summarize(records []Record) CallSummary {
	var s CallSummary
	type leg struct {
		agent    string
		connect  time.Time
		duration int
	}
	counted := map[leg]bool{}
	addOnce := func(list []string, v string) []string {
		if v == "" || slices.Contains(list, v) {
			return list
		}
		return append(list, v)
	}
	for i := range records {
		r := &records[i]
		s.Records++
		if s.StatisticsPartAID == 0 {
			s.StatisticsPartAID, s.Outbound = r.StatisticsPartAID, r.Outbound
		}
		if s.SalesForceID == "" {
			s.SalesForceID = r.SalesForceID
		}
		if s.CallerID == "" {
			s.CallerID = r.CallerID
		}
		s.AgentsTried = addOnce(s.AgentsTried, r.AgentUID)
		s.Groups = addOnce(s.Groups, r.AgentGroupName)
		s.TransactionCodes = addOnce(s.TransactionCodes, r.TransactionCodeExportKey)
		if !r.CallStart.IsZero() && (s.Start.IsZero() || r.CallStart.Before(s.Start)) {
			s.Start = r.CallStart.Time
		}
		if !r.CallEnd.IsZero() && r.CallEnd.After(s.End) {
			s.End = r.CallEnd.Time
		}
		if r.Result != ConnectedWithAgent || !r.Connected() {
			continue
		}
		if s.AnsweredBy == "" {
			s.AnsweredBy = r.AgentUID
		}
		if !r.CallConnect.IsZero() && (s.Connected.IsZero() || r.CallConnect.Before(s.Connected)) {
			s.Connected = r.CallConnect.Time
		}
		// A transaction-code line repeats its connected line: count each once.
		l := leg{r.AgentUID, r.CallConnect.Time, r.DurationSeconds}
		if !counted[l] {
			counted[l] = true
			s.TalkDuration += r.Duration()
		}
	}
	return s
}
