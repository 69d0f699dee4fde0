package webchat_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit/internal/testtool"
	"github.com/contactkit/contactkit/webchat"
)

// fakeSQS speaks the two calls of SQS's JSON protocol that SQSSource
// makes (ReceiveMessage with long polling, DeleteMessage), with knobs to
// fail deletes and to echo the request's credentials in an error.
type fakeSQS struct {
	srv *httptest.Server

	mu          sync.Mutex
	msgs        []*fakeMsg
	seq         int
	failDeletes int // the next deletes answer 500
	deletes     int // DeleteMessage requests received
	receives    int // ReceiveMessage requests received
	echoCreds   bool
	visibility  time.Duration
}

type fakeMsg struct {
	body      string
	receipt   string
	visibleAt time.Time
}

func newFakeSQS(t *testing.T) *fakeSQS {
	t.Helper()
	f := &fakeSQS{visibility: 200 * time.Millisecond}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeSQS) queueURL() string { return f.srv.URL + "/123456789012/mm-queue-fake" }

func (f *fakeSQS) send(body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.msgs = append(f.msgs, &fakeMsg{body: body})
}

func (f *fakeSQS) pending() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.msgs)
}

func (f *fakeSQS) counts() (receives, deletes int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.receives, f.deletes
}

func sqsError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]string{"__type": "com.amazonaws.sqs#" + code, "message": msg})
	_, _ = w.Write(b)
}

func (f *fakeSQS) serve(w http.ResponseWriter, r *http.Request) {
	if f.echoCreds {
		sqsError(w, http.StatusForbidden, "InvalidClientTokenId",
			fmt.Sprintf("The security token %q included in the request is invalid (%s)", r.Header.Get("X-Amz-Security-Token"), r.Header.Get("Authorization")))
		return
	}
	var in struct {
		WaitTimeSeconds int
		ReceiptHandle   string
	}
	_ = json.NewDecoder(r.Body).Decode(&in)
	switch r.Header.Get("X-Amz-Target") {
	case "AmazonSQS.ReceiveMessage":
		f.mu.Lock()
		f.receives++
		f.mu.Unlock()
		deadline := time.Now().Add(time.Duration(in.WaitTimeSeconds) * time.Second)
		for {
			if out := f.receive(); len(out) > 0 || !time.Now().Before(deadline) {
				w.Header().Set("Content-Type", "application/x-amz-json-1.0")
				_ = json.NewEncoder(w).Encode(map[string]any{"Messages": out})
				return
			}
			select {
			case <-r.Context().Done():
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	case "AmazonSQS.DeleteMessage":
		f.mu.Lock()
		f.deletes++
		fail := f.failDeletes > 0
		if fail {
			f.failDeletes--
		} else {
			for i, m := range f.msgs {
				if m.receipt == in.ReceiptHandle {
					f.msgs = append(f.msgs[:i], f.msgs[i+1:]...)
					break
				}
			}
		}
		f.mu.Unlock()
		if fail {
			sqsError(w, http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again.")
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		_, _ = w.Write([]byte("{}"))
	default:
		sqsError(w, http.StatusBadRequest, "InvalidAction", "unsupported "+r.Header.Get("X-Amz-Target"))
	}
}

func (f *fakeSQS) receive() []map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := time.Now()
	var out []map[string]string
	for _, m := range f.msgs {
		if m.visibleAt.After(now) {
			continue
		}
		f.seq++
		m.receipt = fmt.Sprintf("receipt-%d", f.seq)
		m.visibleAt = now.Add(f.visibility)
		out = append(out, map[string]string{"MessageId": m.receipt, "ReceiptHandle": m.receipt, "Body": m.body})
	}
	return out
}

// silentServer accepts connections and never answers.
func silentServer(t *testing.T) string { return testtool.SilentServer(t) }

// newSQSClient is a web chat client for SQS tests (its base URL is not
// called) with a short retry policy.
func newSQSClient(t *testing.T, opts ...webchat.Option) *webchat.Client {
	t.Helper()
	c, err := webchat.NewClient("http://127.0.0.1:1", append([]webchat.Option{webchat.WithRetry(shortRetry)}, opts...)...)
	require.NoError(t, err)
	return c
}
