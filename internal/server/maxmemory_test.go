package server

import (
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lightconedb/lightcone/internal/resp"
)

// The eviction policies are refused by name, at runtime and at startup,
// rather than accepted and ignored.
func TestMaxmemoryPolicies(t *testing.T) {
	_, addr := adminTestServer(t)
	c := dialTest(t, addr)
	for _, p := range evictionPolicies {
		r := c.do("CONFIG", "SET", "maxmemory-policy", p)
		if p == "noeviction" {
			if r.Kind == resp.KindError {
				t.Fatalf("noeviction refused: %s", r.Str)
			}
			continue
		}
		if r.Kind != resp.KindError || !strings.Contains(string(r.Str), "'"+p+"' is not supported by Lightcone yet") {
			t.Fatalf("CONFIG SET maxmemory-policy %s: %v %q", p, r.Kind, r.Str)
		}
	}
	if got := c.do("CONFIG", "GET", "maxmemory-policy"); len(got.Elems) != 2 || string(got.Elems[1].Str) != "noeviction" {
		t.Fatalf("CONFIG GET maxmemory-policy: %v", got)
	}
	set := NewSettings()
	if err := set.Set("maxmemory-policy", "allkeys-lru"); err == nil || !strings.Contains(err.Error(), "not supported") {
		t.Fatalf("--maxmemory-policy allkeys-lru at startup: %v", err)
	}
}

// Garbage the collector has not reclaimed yet does not count against
// maxmemory, and deleting keys above the limit lets writes resume.
func TestMaxmemoryMakeRoom(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(-1)) // garbage stays until a collection is asked for
	_, addr := adminTestServer(t)
	c := dialTest(t, addr)
	big := strings.Repeat("v", 100<<10)
	fill := func(prefix string, n int) {
		for i := 0; i < n; i++ {
			if r := c.do("SET", prefix+strconv.Itoa(i), big); r.Kind == resp.KindError {
				t.Fatalf("SET: %s", r.Str)
			}
		}
	}
	fill("gone:", 300) // 30 MB, then garbage
	c.do("FLUSHALL")
	runtime.GC()
	live := heapBytes()
	fill("garbage:", 200) // 20 MB more garbage, uncollected
	c.do("FLUSHALL")
	if heapBytes() < live+15<<20 {
		t.Fatalf("no garbage to test with: heap %d, live %d", heapBytes(), live)
	}
	limit := live + 10<<20
	c.want(resp.KindSimple, "OK", "CONFIG", "SET", "maxmemory", strconv.FormatUint(limit, 10))
	c.want(resp.KindSimple, "OK", "SET", "a", "1") // the garbage was collected, not counted

	c.want(resp.KindSimple, "OK", "CONFIG", "SET", "maxmemory", "0")
	fill("kept:", 150) // 15 MB of live data: above the limit
	c.want(resp.KindSimple, "OK", "CONFIG", "SET", "maxmemory", strconv.FormatUint(limit, 10))
	c.want(resp.KindError, oomError, "SET", "b", "1")
	c.want(resp.KindError, oomError, "LPUSH", "l", "x")
	if got := c.str("GET", "a"); got != "1" {
		t.Fatalf("GET under OOM: %q", got)
	}
	c.do("FLUSHALL") // make room: the cron sees it within a second or so
	deadline := time.Now().Add(5 * time.Second)
	for {
		r := c.do("SET", "b", "1")
		if r.Kind != resp.KindError {
			break
		}
		if string(r.Str) != oomError || time.Now().After(deadline) {
			t.Fatalf("after deleting the data: %q", r.Str)
		}
		time.Sleep(50 * time.Millisecond)
	}
	c.want(resp.KindSimple, "OK", "CONFIG", "SET", "maxmemory", "0")
}
