// Package benchutil holds what every package's benchmarks share: the plain
// loop, the interleaved SDK-versus-baseline ratio, and peak heap growth.
// It is imported by _test files only.
package benchutil

import (
	"runtime"
	"testing"
	"time"
)

// Loop runs call b.N times with allocations reported.
func Loop(b *testing.B, call func() error) {
	b.Helper()
	b.ReportAllocs()
	for b.Loop() {
		if err := call(); err != nil {
			b.Fatal(err)
		}
	}
}

// Ratio runs the SDK call and the hand-written baseline in turn, switching
// which goes first every iteration so that neither pays for the other's
// garbage, and reports both ns/op and sdk ÷ baseline.
func Ratio(b *testing.B, sdk, baseline func() error) {
	b.Helper()
	var tSDK, tBase time.Duration
	n := 0
	timed := func(call func() error, total *time.Duration) {
		start := time.Now()
		if err := call(); err != nil {
			b.Fatal(err)
		}
		*total += time.Since(start)
	}
	for b.Loop() {
		if n%2 == 0 {
			timed(baseline, &tBase)
			timed(sdk, &tSDK)
		} else {
			timed(sdk, &tSDK)
			timed(baseline, &tBase)
		}
		n++
	}
	b.ReportMetric(float64(tSDK.Nanoseconds())/float64(n), "sdk-ns/op")
	b.ReportMetric(float64(tBase.Nanoseconds())/float64(n), "baseline-ns/op")
	b.ReportMetric(float64(tSDK)/float64(tBase), "sdk/baseline")
}

// HeapPeak runs fn and returns the largest heap growth over the heap after
// a GC that the samples fn takes (by calling sample now and then) saw.
func HeapPeak(fn func(sample func())) uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	start, peak := ms.HeapAlloc, ms.HeapAlloc
	fn(func() {
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapAlloc)
	})
	if peak < start {
		return 0
	}
	return peak - start
}

// Peak runs fn once per iteration (see HeapPeak) and reports the largest
// heap growth any iteration saw, in MiB, as peak-heap-MiB.
func Peak(b *testing.B, fn func(sample func())) {
	b.Helper()
	var peak uint64
	for b.Loop() {
		peak = max(peak, HeapPeak(fn))
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
}

// PeakRatio is Ratio for calls that also report memory, such as listing a
// whole collection: it runs the SDK call and the baseline in turn,
// switching which goes first every iteration, and reports the time of
// each, sdk ÷ baseline, and the peak heap growth of each (see HeapPeak)
// in MiB.
func PeakRatio(b *testing.B, sdk, baseline func(sample func()) error) {
	b.Helper()
	var tSDK, tBase time.Duration
	var peakSDK, peakBase uint64
	n := 0
	run := func(call func(sample func()) error, total *time.Duration, peak *uint64) {
		var err error
		p := HeapPeak(func(sample func()) {
			start := time.Now() // the GC that HeapPeak runs first is not timed
			err = call(sample)
			*total += time.Since(start)
		})
		if err != nil {
			b.Fatal(err)
		}
		*peak = max(*peak, p)
	}
	for b.Loop() {
		if n%2 == 0 {
			run(baseline, &tBase, &peakBase)
			run(sdk, &tSDK, &peakSDK)
		} else {
			run(sdk, &tSDK, &peakSDK)
			run(baseline, &tBase, &peakBase)
		}
		n++
	}
	b.ReportMetric(float64(tSDK.Nanoseconds())/float64(n), "sdk-ns/op")
	b.ReportMetric(float64(tBase.Nanoseconds())/float64(n), "baseline-ns/op")
	b.ReportMetric(float64(tSDK)/float64(tBase), "sdk/baseline")
	b.ReportMetric(float64(peakSDK)/(1<<20), "sdk-peak-heap-MiB")
	b.ReportMetric(float64(peakBase)/(1<<20), "baseline-peak-heap-MiB")
}
