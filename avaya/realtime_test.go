package avaya_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/avaya"
	"github.com/contactkit/contactkit/avaya/avayatest"
)

var quick = avaya.SubscribeOptions{PingInterval: 100 * time.Millisecond, PingTimeout: 150 * time.Millisecond}

func TestMetricsAndPartialValues(t *testing.T) {
	for _, as400 := range []bool{false, true} {
		srv, c := newFake(t)
		srv.PartialAs400(as400)
		ctx := context.Background()
		ms, err := c.Metrics(ctx)
		require.NoError(t, err)
		assert.Len(t, ms, 7)

		v, err := c.MetricValues(ctx, avayatest.MetricCallsInQueue, avayatest.MetricAgentAvailable)
		require.NoError(t, err, "a partial answer is not an error (400 form: %v)", as400)
		assert.True(t, v.Partial())
		assert.Len(t, v.Initializing, 3, "one key for the metric without category, two for the agents")
		assert.Empty(t, v.Results)
		assert.Equal(t, "id=K0FLAEB6,K13CJXHV", srv.Requests()[len(srv.Requests())-1].Query)

		v, err = c.WaitForMetricValues(ctx, avayatest.MetricCallsInQueue, avayatest.MetricAgentAvailable)
		require.NoError(t, err)
		assert.False(t, v.Partial())
		require.Len(t, v.Results, 3)
		assert.Equal(t, avaya.CountValue, v.Results[0].Value.Type)
		assert.Equal(t, avaya.BooleanValue, v.Results[1].Value.Type)
	}
}

func TestMetricValuesErrors(t *testing.T) {
	srv, c := newFake(t)
	ctx := context.Background()
	_, err := c.MetricValues(ctx, "NOPE")
	require.ErrorIs(t, err, contactkit.ErrNotFound)
	srv.Inject(1, avayatest.Fault{Status: 400, Body: `{"message":"Malformed"}`})
	_, err = c.MetricValues(ctx, avayatest.MetricCallsInQueue)
	require.ErrorIs(t, err, contactkit.ErrBadRequest, "a 400 without results is an error")
	var ve *contactkit.ValidationError
	_, err = c.MetricValues(ctx)
	require.ErrorAs(t, err, &ve)
	_, err = c.MetricValues(ctx, "a,b")
	require.ErrorAs(t, err, &ve)
	srv.InitDelay(time.Hour)
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	v, err := c.WaitForMetricValues(short, avayatest.MetricAvgTalkTime)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.True(t, v.Partial(), "the last partial values come with the error")
}

// collect runs a subscription until stop says so, recording states.
func collect(t *testing.T, ctx context.Context, c *avaya.Client, ids []string, opts avaya.SubscribeOptions, stop func([]avaya.Update) bool) ([]avaya.Update, []avaya.ConnState, error) {
	t.Helper()
	var mu sync.Mutex
	var states []avaya.ConnState
	user := opts.OnState
	opts.OnState = func(s avaya.ConnState, err error) {
		mu.Lock()
		states = append(states, s)
		mu.Unlock()
		if user != nil {
			user(s, err)
		}
	}
	var got []avaya.Update
	var last error
	for u, err := range c.Subscribe(ctx, ids, opts) {
		if err != nil {
			last = err
			break
		}
		got = append(got, u)
		if stop(got) {
			break
		}
	}
	mu.Lock()
	defer mu.Unlock()
	return got, append([]avaya.ConnState(nil), states...), last
}

func TestSubscribeSnapshotThenUpdates(t *testing.T) {
	srv, c := newFake(t)
	srv.InitDelay(0)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ids := []string{avayatest.MetricCallsInQueue, avayatest.MetricAgentTalkTime, avayatest.MetricAgentState}
	got, states, err := collect(t, ctx, c, ids, quick, func(u []avaya.Update) bool { return len(u) >= 12 })
	require.NoError(t, err)
	assert.Equal(t, []avaya.ConnState{avaya.Connecting, avaya.Connected}, states)
	assert.True(t, got[0].Snapshot, "the snapshot comes first")
	live := 0
	for _, u := range got {
		if !u.Snapshot {
			live++
		}
	}
	assert.Positive(t, live, "pushed updates follow")
	assertNoStale(t, got)
	require.Eventually(t, func() bool { return srv.Subscribers() == 0 }, 2*time.Second, 10*time.Millisecond, "breaking out closes the socket")
}

// assertNoStale checks no key was yielded with a time not after the last.
func assertNoStale(t *testing.T, got []avaya.Update) {
	t.Helper()
	last := map[avaya.MetricKey]time.Time{}
	for _, u := range got {
		if prev, ok := last[u.Key]; ok {
			require.True(t, u.Value.LastUpdateTime.After(prev), "stale or duplicate update for %s", u.Key)
		}
		last[u.Key] = u.Value.LastUpdateTime
	}
}

func TestSubscribeRedialsAfterDrop(t *testing.T) {
	srv, c := newFake(t)
	srv.InitDelay(0)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	key := avaya.MetricKey{MetricID: avayatest.MetricLongestWait}
	dropped := false
	var marker time.Time
	got, states, err := collect(t, ctx, c, []string{avayatest.MetricLongestWait, avayatest.MetricCallsInQueue}, quick, func(u []avaya.Update) bool {
		if !dropped && len(u) >= 3 {
			dropped = true
			srv.RejectSubscriptions(503) // stay away a moment: 503 is redialled
			srv.DropSubscribers()
			// A change while disconnected: it must come back by the snapshot.
			marker = time.Now().Add(time.Hour).Truncate(time.Millisecond)
			srv.SetMetricValue(key, avaya.MetricValue{Type: avaya.DurationValue, LastUpdateTime: marker, FinishedDuration: 4242})
			time.AfterFunc(150*time.Millisecond, func() { srv.RejectSubscriptions(0) })
		}
		last := u[len(u)-1]
		return dropped && last.Key == key && last.Value.LastUpdateTime.Equal(marker)
	})
	require.NoError(t, err)
	last := got[len(got)-1]
	assert.True(t, last.Snapshot, "the change made while disconnected arrived with the snapshot")
	assert.EqualValues(t, 4242, last.Value.FinishedDuration)
	assert.Contains(t, states, avaya.Disconnected)
	assert.GreaterOrEqual(t, strings.Count(statesString(states), "connected"), 2, "connected again")
	assertNoStale(t, got)
}

func statesString(s []avaya.ConnState) string {
	var b strings.Builder
	for _, x := range s {
		b.WriteString(x.String() + " ")
	}
	return b.String()
}

func TestSubscribeNoticesSilentServer(t *testing.T) {
	srv, c := newFake(t)
	srv.InitDelay(0)
	srv.RealtimeStep(20 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	silenced := false
	var afterSilence int
	var disconnects atomic.Int32
	opts := quick
	opts.OnState = func(s avaya.ConnState, _ error) {
		if s == avaya.Disconnected {
			disconnects.Add(1)
		}
	}
	got, states, err := collect(t, ctx, c, []string{avayatest.MetricCallsInQueue, avayatest.MetricAgentTalkTime}, opts, func(u []avaya.Update) bool {
		if !silenced && len(u) >= 2 {
			silenced = true
			srv.GoSilent(true)
			time.AfterFunc(600*time.Millisecond, func() { srv.GoSilent(false) })
			afterSilence = len(u)
		}
		// Updates already in flight may still arrive after the drop: wait
		// for the silent connection to be given up and for live ones.
		return silenced && disconnects.Load() >= 2 && len(u) >= afterSilence+3
	})
	require.NoError(t, err, "states %s; %d updates, %d after silence", statesString(states), len(got), len(got)-afterSilence)
	assert.GreaterOrEqual(t, strings.Count(statesString(states), "disconnected"), 2, "the silent connection was given up by ping: %v", statesString(states))
	assert.Greater(t, len(got), afterSilence)
}

func TestSubscribeHandshakeRejectionsAreTerminal(t *testing.T) {
	for status, sentinel := range map[int]error{400: contactkit.ErrBadRequest, 401: contactkit.ErrUnauthorized, 403: contactkit.ErrForbidden} {
		srv, c := newFake(t)
		srv.RejectSubscriptions(status)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, states, err := collect(t, ctx, c, []string{avayatest.MetricCallsInQueue}, quick, func([]avaya.Update) bool { return false })
		cancel()
		require.ErrorIs(t, err, sentinel, "status %d", status)
		assert.Equal(t, []avaya.ConnState{avaya.Connecting}, states, "status %d is not retried", status)
		assert.NotContains(t, err.Error(), srv.Token)
		assert.Contains(t, err.Error(), "auth_token=REDACTED")
	}
	srv := avayatest.NewServer()
	defer srv.Close()
	bad, err := avaya.NewClient(srv.URL(), contactkit.StaticToken("s3cret-wrong-key"))
	require.NoError(t, err)
	_, _, err = collect(t, context.Background(), bad, []string{avayatest.MetricCallsInQueue}, quick, func([]avaya.Update) bool { return false })
	require.ErrorIs(t, err, contactkit.ErrUnauthorized)
	assert.NotContains(t, err.Error(), "s3cret-wrong-key")
	var ve *contactkit.ValidationError
	_, _, err = collect(t, context.Background(), bad, nil, quick, func([]avaya.Update) bool { return false })
	require.ErrorAs(t, err, &ve)
}

func TestSubscribeTokenNeverInErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	c, err := avaya.NewClient("http://"+addr, contactkit.StaticToken("s3cret-service-key"))
	require.NoError(t, err)
	var errs []error
	opts := quick
	opts.OnState = func(_ avaya.ConnState, err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	for _, err := range c.Subscribe(ctx, []string{"M1"}, opts) {
		require.ErrorIs(t, err, context.DeadlineExceeded)
	}
	require.NotEmpty(t, errs, "the dial failures were reported")
	for _, e := range errs {
		assert.NotContains(t, e.Error(), "s3cret-service-key")
	}
}

func TestSubscribeCancelAndCallbackForm(t *testing.T) {
	srv, c := newFake(t)
	srv.InitDelay(0)
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	err := c.SubscribeFunc(ctx, []string{avayatest.MetricCallsInQueue}, quick, func(avaya.Update) error {
		if n++; n == 2 {
			cancel()
		}
		return nil
	})
	require.ErrorIs(t, err, context.Canceled)
	stopErr := errors.New("enough")
	err = c.SubscribeFunc(context.Background(), []string{avayatest.MetricCallsInQueue}, quick, func(avaya.Update) error { return stopErr })
	require.ErrorIs(t, err, stopErr)
	require.Eventually(t, func() bool { return srv.Subscribers() == 0 }, 2*time.Second, 10*time.Millisecond)
}

func TestBoardFedBySubscription(t *testing.T) {
	srv, c := newFake(t)
	srv.InitDelay(0)
	board := avaya.NewBoard()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ids := []string{avayatest.MetricAgentTalkTime, avayatest.MetricAvgTalkTime, avayatest.MetricCallsInQueue}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // a concurrent reader, as a dashboard would be
		defer wg.Done()
		for ctx.Err() == nil {
			_ = board.DurationsAt(time.Now())
			time.Sleep(5 * time.Millisecond)
		}
	}()
	_ = c.SubscribeFunc(ctx, ids, quick, func(u avaya.Update) error {
		board.Apply(u.MetricResult)
		if board.Len() == 5 {
			cancel()
		}
		return nil
	})
	wg.Wait()
	assert.Equal(t, 5, board.Len())
	assert.Len(t, board.DurationsAt(time.Now()), 4, "two agent talk times and two group averages")
}
