package avayatest

import (
	_ "embed" // the documented report
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"

	"github.com/contactkit/contactkit/avaya"
)

// agentTalkingSummary is the JSON report of the document, assembled from
// its fragments.
//
//go:embed reports/agent_talking_summary.json
var agentTalkingSummary []byte

// historic serves the documented Agent Talking Summary: JSON as printed,
// CSV as its table; 202 while CacheNextReports says so.
func (s *Server) historic(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("key") != AgentTalkingSummary {
		writeMessage(w, http.StatusNotFound, "No API-enabled report with this key.")
		return
	}
	var req avaya.ReportRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeMessage(w, http.StatusBadRequest, "Malformed JSON request body.")
		return
	}
	for _, p := range req.Parameters {
		if p.ValueType == "PBX_USERS" && json.Valid(p.Value) {
			var users struct {
				PBXUsers []struct{ Key string } `json:"pbxUsers"`
			}
			_ = json.Unmarshal(p.Value, &users)
			for _, u := range users.PBXUsers {
				if u.Key == "Forbidden(999)" {
					writeMessage(w, http.StatusForbidden, "No access to data for one or more of the requested agents.")
					return
				}
			}
		}
	}
	s.mu.Lock()
	cached := s.cacheNext > 0
	if cached {
		s.cacheNext--
	}
	s.mu.Unlock()
	if cached {
		w.WriteHeader(http.StatusAccepted)
		return
	}
	switch req.Format {
	case avaya.JSONFormat:
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(agentTalkingSummary)
	case "csv":
		var rep avaya.Report
		_ = json.Unmarshal(agentTalkingSummary, &rep)
		w.Header().Set("Content-Type", "text/csv")
		writeCSV(w, rep.Table())
	default:
		writeMessage(w, http.StatusBadRequest, "Unsupported format.")
	}
}

func writeCSV(w io.Writer, table [][]string) {
	cw := csv.NewWriter(w)
	_ = cw.WriteAll(table)
}
