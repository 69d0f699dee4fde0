package wallboard

import (
	"bufio"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit/avaya"
)

// TestEveryViewerEndsWithTheLatest: updates pushed far faster than
// viewers with a two-event buffer take them; whatever each viewer skipped
// (snapshots instead of backlogs), every one ends with the last value.
func TestEveryViewerEndsWithTheLatest(t *testing.T) {
	h := testHandler(t, Config{Metrics: []Metric{{ID: "A"}}, ViewerBuffer: 2})
	srv := httptest.NewServer(h)
	defer srv.Close()
	const viewers, updates = 100, 3000
	last := make([]atomic.Value, viewers)
	var wg, ready sync.WaitGroup
	ready.Add(viewers)
	var bodies []interface{ Close() error }
	defer func() { // before srv.Close, which waits for the open streams
		for _, b := range bodies {
			_ = b.Close()
		}
		wg.Wait()
	}()
	for i := range viewers {
		resp, err := http.Get(srv.URL + "/events")
		require.NoError(t, err)
		bodies = append(bodies, resp.Body)
		wg.Go(func() {
			sc := bufio.NewScanner(resp.Body)
			first := true
			for sc.Scan() {
				l := sc.Text()
				if !strings.HasPrefix(l, "data: ") {
					continue
				}
				if first {
					first = false
					ready.Done()
				}
				if j := strings.Index(l, `"count":`); j >= 0 {
					last[i].Store(l[j:])
				}
			}
		})
	}
	ready.Wait()
	base := time.Now()
	for i := 1; i <= updates; i++ {
		h.apply(avaya.MetricResult{Key: avaya.MetricKey{MetricID: "A"},
			Value: avaya.MetricValue{Type: avaya.CountValue, LastUpdateTime: base.Add(time.Duration(i) * time.Millisecond), Count: int64(i)}})
	}
	require.Eventually(t, func() bool {
		for i := range viewers {
			if v, _ := last[i].Load().(string); !strings.HasPrefix(v, `"count":3000}`) {
				return false
			}
		}
		return true
	}, 10*time.Second, 10*time.Millisecond, "a viewer was left behind")
}
