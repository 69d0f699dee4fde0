package salesforcetest

import (
	"time"

	"github.com/contactkit/contactkit/salesforce"
)

// DocumentedCall returns the five records of the example call in jtel's
// writeCallStatistics document: routed to ACD group 1, where agents W and X
// are tried without success; then to group 2, where agent Y answers
// (transaction code AAA) and transfers to agent Z (BBB); and a last line
// for transaction code CCC.
func DocumentedCall(partAID int64, start time.Time) []salesforce.Record {
	at := func(seconds int) salesforce.Time {
		return salesforce.NewTime(start.Add(time.Duration(seconds) * time.Second))
	}
	base := salesforce.Record{
		SalesForceID: "0035g00000ABCDeAAF", StatisticsPartAID: partAID, CallerID: "49199123456789",
		ServiceNumber: "4919900112233", ServiceName: "Hotline", CallStart: at(0),
	}
	line := func(agent, group string, alert, connect, end, duration int, result salesforce.ConnectionResult, cause salesforce.Cause, code string) salesforce.Record {
		r := base
		r.AgentUID, r.AgentGroupName, r.ConfigurationGroupName = agent, group, group
		if alert >= 0 {
			r.CallAlert = at(alert)
		}
		if connect >= 0 {
			r.CallConnect = at(connect)
		}
		r.CallEnd = at(end)
		r.DurationSeconds, r.Result, r.Cause, r.TransactionCodeExportKey = duration, result, cause, code
		return r
	}
	return []salesforce.Record{
		line("agent.w", "ACD Group 1", 5, -1, 25, salesforce.NoConnection, salesforce.NoAnswer, salesforce.CauseNoAnswer, ""),
		line("agent.x", "ACD Group 1", 26, -1, 30, salesforce.NoConnection, salesforce.AgentRefused, salesforce.CauseCallRejected, ""),
		line("agent.y", "ACD Group 2", 32, 36, 216, 180, salesforce.ConnectedWithAgent, salesforce.CauseNormalClearing, "AAA"),
		line("agent.z", "ACD Group 2", 217, 220, 400, 180, salesforce.ConnectedWithAgent, salesforce.CauseNormalClearing, "BBB"),
		line("agent.z", "ACD Group 2", 217, 220, 400, 180, salesforce.ConnectedWithAgent, salesforce.CauseNormalClearing, "CCC"),
	}
}
