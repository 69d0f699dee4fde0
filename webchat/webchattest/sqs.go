package webchattest

import (
	"crypto/md5" //nolint:gosec // SQS's MD5OfBody, a checksum, not security
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The fake serves its in-memory queues over the two calls of SQS's JSON
// protocol that webchat.SQSSource makes, at its own URL (the session's
// serverToClientQueue.url points there): ReceiveMessage, with long
// polling, and DeleteMessage. So webchat.Client.NewSessionSource reads a
// fake session's queue through the AWS SDK exactly as it reads a real
// one. Injected faults apply to these requests too.

const sqsQueuePath = "/memory-queue/"

type sqsRequest struct {
	QueueURL            string `json:"QueueUrl"`
	MaxNumberOfMessages int    `json:"MaxNumberOfMessages"`
	WaitTimeSeconds     int    `json:"WaitTimeSeconds"`
	ReceiptHandle       string `json:"ReceiptHandle"`
}

type sqsMessage struct {
	MessageID     string `json:"MessageId"`
	ReceiptHandle string `json:"ReceiptHandle"`
	MD5OfBody     string `json:"MD5OfBody"`
	Body          string `json:"Body"`
}

// writeSQS answers as SQS does, in application/x-amz-json-1.0.
func writeSQS(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func sqsError(w http.ResponseWriter, status int, code, msg string) {
	writeSQS(w, status, map[string]string{"__type": "com.amazonaws.sqs#" + code, "message": msg})
}

func (s *Server) serveSQS(w http.ResponseWriter, r *http.Request) {
	var in sqsRequest
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		sqsError(w, http.StatusBadRequest, "InvalidParameterValue", "malformed JSON body")
		return
	}
	id := in.QueueURL[strings.LastIndex(in.QueueURL, sqsQueuePath)+len(sqsQueuePath):]
	s.mu.Lock()
	q := s.queues[id]
	s.mu.Unlock()
	if !strings.Contains(in.QueueURL, sqsQueuePath) || q == nil {
		sqsError(w, http.StatusBadRequest, "QueueDoesNotExist", "The specified queue does not exist.")
		return
	}
	switch target := r.Header.Get("X-Amz-Target"); target {
	case "AmazonSQS.ReceiveMessage":
		msgs := q.receiveSQS(r, in)
		if msgs == nil {
			return // the client went away
		}
		writeSQS(w, http.StatusOK, map[string][]sqsMessage{"Messages": msgs})
	case "AmazonSQS.DeleteMessage":
		q.deleteSQS(in.ReceiptHandle)
		writeSQS(w, http.StatusOK, struct{}{})
	default:
		sqsError(w, http.StatusBadRequest, "InvalidAction", "the fake does not serve "+target)
	}
}

// receiveSQS waits up to WaitTimeSeconds for visible messages; nil when
// the request's context ended first.
func (q *memQueue) receiveSQS(r *http.Request, in sqsRequest) []sqsMessage {
	maxN := min(max(in.MaxNumberOfMessages, 1), 10)
	deadline := time.Now().Add(time.Duration(min(max(in.WaitTimeSeconds, 0), 20)) * time.Second)
	out := []sqsMessage{}
	for {
		for len(out) < maxN {
			m, _ := q.next(time.Now())
			if m == nil {
				break
			}
			q.mu.Lock()
			m.receipt = strconv.Itoa(m.deliveries) + "-" + newID()
			out = append(out, sqsMessage{MessageID: m.id, ReceiptHandle: m.receipt, MD5OfBody: md5Hex(m.body), Body: m.body})
			q.mu.Unlock()
		}
		wait := time.Until(deadline)
		if len(out) > 0 || wait <= 0 {
			return out
		}
		t := time.NewTimer(min(wait, RedeliverAfter))
		select {
		case <-r.Context().Done():
			t.Stop()
			return nil
		case <-q.signal:
		case <-t.C:
		}
		t.Stop()
	}
}

func (q *memQueue) deleteSQS(receipt string) {
	q.mu.Lock()
	var found *memMsg
	for _, m := range q.msgs {
		if receipt != "" && m.receipt == receipt {
			found = m
		}
	}
	q.mu.Unlock()
	if found != nil {
		q.remove(found)
	}
}

func md5Hex(s string) string {
	sum := md5.Sum([]byte(s)) //nolint:gosec // SQS's checksum
	return hex.EncodeToString(sum[:])
}
