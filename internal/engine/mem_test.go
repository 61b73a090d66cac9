package engine

import (
	"fmt"
	"os"
	"runtime"
	"testing"
)

// TestMemoryPerKey reports the live heap per key for 1,000,000 string keys
// with 10-byte values (a measurement, printed; run with LIGHTCONE_MEMTEST=1).
func TestMemoryPerKey(t *testing.T) {
	if os.Getenv("LIGHTCONE_MEMTEST") == "" {
		t.Skip("set LIGHTCONE_MEMTEST=1 to measure memory per key")
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	en := New(Config{Node: 1})
	val := []byte("0123456789")
	const n = 1_000_000
	for i := 0; i < n; i++ {
		k := []byte(fmt.Sprintf("key:%07d", i))
		tx := en.Begin1(0, k)
		tx.Assign(0, k, val, 0, false)
		tx.End()
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	fmt.Printf("live heap per key: %.1f bytes, objects per key %.2f\n",
		float64(after.HeapAlloc-before.HeapAlloc)/n, float64(after.HeapObjects-before.HeapObjects)/n)
	runtime.KeepAlive(en)
}
