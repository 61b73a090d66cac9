package commands

import "testing"

func TestHistogramPercentiles(t *testing.T) {
	var h Histogram
	if _, ok := h.Percentile(50); ok {
		t.Fatal("empty histogram has a percentile")
	}
	for i := 0; i < 990; i++ {
		h.Record(1000) // 1 µs
	}
	for i := 0; i < 10; i++ {
		h.Record(1_000_000) // 1 ms
	}
	p50, _ := h.Percentile(50)
	p99, _ := h.Percentile(99)
	p999, _ := h.Percentile(99.9)
	if p50 < 1000 || p50 > 1130 || p99 < 1000 || p99 > 1130 {
		t.Fatalf("p50 = %d, p99 = %d, want about 1000 ns", p50, p99)
	}
	if p999 < 1_000_000 || p999 > 1_130_000 {
		t.Fatalf("p99.9 = %d, want about 1 ms", p999)
	}
	for ns := int64(0); ns < 1<<36; ns = ns*3/2 + 1 {
		if i := HistIndex(ns); HistUpper(i) < ns || (i > 0 && HistUpper(i-1) >= ns) {
			t.Fatalf("%d ns lands in bucket %d (upper %d)", ns, i, HistUpper(i))
		}
	}
}
