package commands

import (
	"math/bits"
	"sync/atomic"
)

// Latency histograms (INFO latencystats, LATENCY HISTOGRAM): log-linear
// buckets over nanoseconds, 8 per power of two (about 12 % wide), exact
// below 16 ns, up to about 18 minutes.
const HistBuckets = 16 + 36*8

// Histogram counts durations.
type Histogram [HistBuckets]atomic.Int64

// HistIndex is the bucket of a duration (ns).
func HistIndex(ns int64) int {
	if ns < 16 {
		if ns < 0 {
			return 0
		}
		return int(ns)
	}
	l := bits.Len64(uint64(ns))
	i := 16 + (l-5)*8 + int(uint64(ns)>>(l-4)&7)
	if i >= HistBuckets {
		return HistBuckets - 1
	}
	return i
}

// HistUpper is the largest duration (ns) counted in bucket i.
func HistUpper(i int) int64 {
	if i < 16 {
		return int64(i)
	}
	l := (i-16)/8 + 5
	minor := int64((i - 16) % 8)
	return (9+minor)<<(l-4) - 1
}

// Record counts one duration.
func (h *Histogram) Record(ns int64) { h[HistIndex(ns)].Add(1) }

// Reset empties the histogram.
func (h *Histogram) Reset() {
	for i := range h {
		h[i].Store(0)
	}
}

// Percentile returns the duration (ns) below which p percent of the
// recorded durations fall, and false when nothing was recorded.
func (h *Histogram) Percentile(p float64) (int64, bool) {
	var counts [HistBuckets]int64
	total := int64(0)
	for i := range h {
		counts[i] = h[i].Load()
		total += counts[i]
	}
	if total == 0 {
		return 0, false
	}
	target := int64(p / 100 * float64(total))
	if float64(target) < p/100*float64(total) {
		target++
	}
	if target < 1 {
		target = 1
	}
	seen := int64(0)
	for i, c := range counts {
		seen += c
		if seen >= target {
			return HistUpper(i), true
		}
	}
	return HistUpper(HistBuckets - 1), true
}
