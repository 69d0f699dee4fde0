package webservice_test

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/contactkit/contactkit/avaya/avayatest"
	"github.com/contactkit/contactkit/avaya/webservice"
	"github.com/contactkit/contactkit/internal/benchutil"
)

// handWritten is what a Go developer would write by hand for the same
// job: the secret compared in constant time, the parameters parsed with
// net/http's ParseForm under a body cap, a non-blocking send to a
// bounded queue drained by a fixed pool, 200 or 503.
type handWritten struct {
	secret [sha256.Size]byte
	queue  chan url.Values
	wg     sync.WaitGroup
	nextID atomic.Uint64
}

func newHandWritten(workers, size int, fn func(url.Values)) *handWritten {
	h := &handWritten{secret: sha256.Sum256([]byte(secret)), queue: make(chan url.Values, size)}
	for range workers {
		h.wg.Go(func() {
			for v := range h.queue {
				fn(v)
			}
		})
	}
	return h
}

func (h *handWritten) close() { close(h.queue); h.wg.Wait() }

func (h *handWritten) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	got := sha256.Sum256([]byte(r.Header.Get(secretHeader)))
	if subtle.ConstantTimeCompare(got[:], h.secret[:]) != 1 {
		http.Error(w, `{"status":401}`, http.StatusUnauthorized)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, webservice.DefaultMaxBody)
	if err := r.ParseForm(); err != nil {
		http.Error(w, `{"status":400}`, http.StatusBadRequest)
		return
	}
	select {
	case h.queue <- r.Form:
	default:
		w.Header().Set("Retry-After", "5")
		http.Error(w, `{"status":503}`, http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, `{"status":200,"id":"%d"}`+"\n", h.nextID.Add(1))
}

// benchPair builds the receiver and the hand-written handler, both with
// 8 workers and a queue that a benchmark does not fill, each handing the
// call key to a function that reads it.
func benchPair(b *testing.B) (sdk, base http.Handler, cleanup func()) {
	b.Helper()
	rc, err := webservice.New(secretHeader, secret, func(_ context.Context, r *webservice.Request) error {
		_, err := r.CallKey()
		return err
	}, webservice.WithLogger(quiet), webservice.WithQueue(1<<16))
	if err != nil {
		b.Fatal(err)
	}
	hw := newHandWritten(webservice.DefaultWorkers, 1<<16, func(v url.Values) { _ = v.Get("callKey") })
	return rc, hw, func() {
		_ = rc.Shutdown(context.Background())
		hw.close()
	}
}

func documentedValues() url.Values {
	p := &avayatest.WebServiceProfile{Params: avayatest.DefaultWebServiceParams()}
	return p.Values(avayatest.FinishedCall{
		CallKey: avayatest.DocumentedCall, RecordingKey: avayatest.DocumentedRecording1, Extension: "203",
		Agent: "Ada Lovelace", Caller: "+18015550123", Callee: "203", Direction: "Inbound",
	})
}

// inProcess calls h as the server would, without the network.
func inProcess(h http.Handler, method, query string) func() error {
	return func() error {
		var req *http.Request
		if method == http.MethodGet {
			req = httptest.NewRequest(method, "/avaya?"+query, nil)
		} else {
			req = httptest.NewRequest(method, "/avaya", strings.NewReader(query))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		req.Header.Set(secretHeader, secret)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			return fmt.Errorf("answered %d", w.Code)
		}
		return nil
	}
}

// In process: the handler's own cost per request (parse, check, enqueue,
// answer), without the network.
func BenchmarkHandlerVsHandWritten(b *testing.B) {
	sdk, base, cleanup := benchPair(b)
	defer cleanup()
	query := documentedValues().Encode()
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		b.Run(method, func(b *testing.B) {
			benchutil.Ratio(b, inProcess(sdk, method, query), inProcess(base, method, query))
		})
	}
}

// Allocations per request of each, in process (POST form).
func BenchmarkHandlerAllocs(b *testing.B) {
	sdk, base, cleanup := benchPair(b)
	defer cleanup()
	query := documentedValues().Encode()
	b.Run("sdk", func(b *testing.B) { benchutil.Loop(b, inProcess(sdk, http.MethodPost, query)) })
	b.Run("baseline", func(b *testing.B) { benchutil.Loop(b, inProcess(base, http.MethodPost, query)) })
}

// Over loopback HTTP with keep-alive, as Avaya reaches the receiver:
// requests per second end to end.
func BenchmarkLoopbackVsHandWritten(b *testing.B) {
	sdk, base, cleanup := benchPair(b)
	defer cleanup()
	sdkSrv, baseSrv := httptest.NewServer(sdk), httptest.NewServer(base)
	defer sdkSrv.Close()
	defer baseSrv.Close()
	body := documentedValues().Encode()
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	defer hc.CloseIdleConnections()
	call := func(u string) func() error {
		return func() error {
			req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set(secretHeader, secret)
			resp, err := hc.Do(req)
			if err != nil {
				return err
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("answered %s", strconv.Itoa(resp.StatusCode))
			}
			return nil
		}
	}
	benchutil.Ratio(b, call(sdkSrv.URL), call(baseSrv.URL))
}
