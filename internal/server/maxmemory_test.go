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

// Every Redis policy is taken, at runtime and at startup; the LFU ones
// switch the access clock (OBJECT FREQ answers, OBJECT IDLETIME refuses).
func TestMaxmemoryPolicies(t *testing.T) {
	s, addr := adminTestServer(t)
	c := dialTest(t, addr)
	for _, p := range evictionPolicies {
		if r := c.do("CONFIG", "SET", "maxmemory-policy", p); r.Kind == resp.KindError {
			t.Fatalf("%s refused: %s", p, r.Str)
		}
		if got := s.Eng.LFU(); got != strings.HasSuffix(p, "-lfu") {
			t.Fatalf("%s: LFU clock %v", p, got)
		}
	}
	if got := c.do("CONFIG", "GET", "maxmemory-policy"); len(got.Elems) != 2 || string(got.Elems[1].Str) != "noeviction" { // the last taken
		t.Fatalf("CONFIG GET maxmemory-policy: %v", got)
	}
	set := NewSettings()
	if err := set.Set("maxmemory-policy", "allkeys-lfu"); err != nil {
		t.Fatalf("--maxmemory-policy allkeys-lfu at startup: %v", err)
	}
	if err := set.Set("maxmemory-policy", "allkeys-fifo"); err == nil {
		t.Fatal("an unknown policy was taken")
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

// bigValue is the 20 KB value the eviction tests fill the keyspace with.
var bigValue = strings.Repeat("v", 20<<10)

// limitBelow collects garbage, sets maxmemory that many bytes below the
// heap the data now takes (so the next command must evict or refuse), and
// returns the limit.
func limitBelow(t *testing.T, c *tconn, below uint64) uint64 {
	t.Helper()
	runtime.GC()
	limit := heapBytes() - below
	c.want(resp.KindSimple, "OK", "CONFIG", "SET", "maxmemory", strconv.FormatUint(limit, 10))
	return limit
}

// keyNames is prefix0 .. prefix<n-1>.
func keyNames(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = prefix + strconv.Itoa(i)
	}
	return out
}

// infoInt reads one integer field of INFO.
func infoInt(t *testing.T, c *tconn, field string) int64 {
	t.Helper()
	for _, l := range strings.Split(c.str("INFO", "everything"), "\r\n") {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				t.Fatalf("INFO %s: %q", field, v)
			}
			return n
		}
	}
	t.Fatalf("INFO has no %s", field)
	return 0
}

// allkeys-lru: above the limit the next command evicts, the keys idle the
// longest first, until the data fits; the heap then holds about maxmemory.
func TestMaxmemoryEvictsLRU(t *testing.T) {
	_, addr := adminTestServer(t)
	c := dialTest(t, addr)
	val := bigValue
	for i := 0; i < 300; i++ {
		c.do("SET", "cold:"+strconv.Itoa(i), val)
	}
	for i := 0; i < 50; i++ {
		c.do("SET", "hot:"+strconv.Itoa(i), val)
	}
	time.Sleep(1100 * time.Millisecond) // the LRU clock counts seconds, as Redis'
	for i := 0; i < 50; i++ {
		c.do("GET", "hot:"+strconv.Itoa(i))
	}
	c.want(resp.KindSimple, "OK", "CONFIG", "SET", "maxmemory-samples", "10")
	c.want(resp.KindSimple, "OK", "CONFIG", "SET", "maxmemory-policy", "allkeys-lru")
	limit := limitBelow(t, c, 2<<20)                 // ~100 keys must go
	c.want(resp.KindSimple, "OK", "SET", "new", "1") // evicts first, then writes
	evicted := infoInt(t, c, "evicted_keys")
	if evicted < 50 || evicted > 300 {
		t.Fatalf("evicted %d keys to free 2 MB of 20 KB values", evicted)
	}
	c.wantInt(50, append([]string{"EXISTS"}, keyNames("hot:", 50)...)...) // touched a second later: none evicted
	runtime.GC()
	if used := heapBytes(); used > limit+1<<20 {
		t.Errorf("heap %d after eviction, maxmemory %d", used, limit)
	}
	c.want(resp.KindSimple, "OK", "CONFIG", "SET", "maxmemory", "0")
}

// volatile-ttl evicts keys with a time to live, the nearest expiry first,
// never the others; when none is left, commands that add data are refused.
func TestMaxmemoryVolatileTTL(t *testing.T) {
	_, addr := adminTestServer(t)
	c := dialTest(t, addr)
	val := bigValue
	for i := 0; i < 100; i++ {
		c.do("SET", "keep:"+strconv.Itoa(i), val)
		c.do("SET", "ttl:"+strconv.Itoa(i), val, "EX", strconv.Itoa(1000+i))
	}
	c.want(resp.KindSimple, "OK", "CONFIG", "SET", "maxmemory-policy", "volatile-ttl")
	limitBelow(t, c, 1<<20) // ~50 keys must go
	c.want(resp.KindSimple, "PONG", "PING")
	evicted := infoInt(t, c, "evicted_keys")
	if evicted < 25 || evicted > 100 {
		t.Fatalf("evicted %d keys to free 1 MB of 20 KB values", evicted)
	}
	keep := keyNames("keep:", 100)
	c.wantInt(100, append([]string{"EXISTS"}, keep...)...)
	// the sample favours the nearest expiry: the survivors are mostly the later ones
	early, late := 0, 0
	for i := 0; i < 100; i++ {
		if c.do("EXISTS", "ttl:"+strconv.Itoa(i)).Int == 1 {
			if i < 50 {
				early++
			} else {
				late++
			}
		}
	}
	if early >= late {
		t.Errorf("survivors: %d of the 50 nearest expiries, %d of the 50 later", early, late)
	}
	c.want(resp.KindSimple, "OK", "CONFIG", "SET", "maxmemory", "1")
	c.want(resp.KindError, oomError, "SET", "more", "1") // every volatile key gone, still above
	c.wantInt(0, "EXISTS", "ttl:99")
	c.wantInt(100, append([]string{"EXISTS"}, keep...)...)
	c.want(resp.KindSimple, "OK", "CONFIG", "SET", "maxmemory", "0")
}

// allkeys-lfu keeps the keys used most: with lfu-log-factor 0 every access
// counts, so ten reads put a key well above one only written.
func TestMaxmemoryEvictsLFU(t *testing.T) {
	_, addr := adminTestServer(t)
	c := dialTest(t, addr)
	c.want(resp.KindSimple, "OK", "CONFIG", "SET", "maxmemory-policy", "allkeys-lfu")
	c.want(resp.KindSimple, "OK", "CONFIG", "SET", "lfu-log-factor", "0")
	c.want(resp.KindSimple, "OK", "CONFIG", "SET", "maxmemory-samples", "10")
	val := bigValue
	for i := 0; i < 300; i++ {
		c.do("SET", "cold:"+strconv.Itoa(i), val)
	}
	hot := keyNames("hot:", 50)
	for _, k := range hot {
		c.do("SET", k, val)
		for j := 0; j < 10; j++ {
			c.do("GET", k)
		}
	}
	if f := c.do("OBJECT", "FREQ", "hot:7"); f.Int != 15 {
		t.Fatalf("OBJECT FREQ after a write and 10 reads: %v", f)
	}
	limitBelow(t, c, 2<<20)
	c.want(resp.KindSimple, "OK", "SET", "new", "1")
	if evicted := infoInt(t, c, "evicted_keys"); evicted < 50 || evicted > 300 {
		t.Fatalf("evicted %d keys to free 2 MB of 20 KB values", evicted)
	}
	c.wantInt(50, append([]string{"EXISTS"}, hot...)...)
	c.want(resp.KindSimple, "OK", "CONFIG", "SET", "maxmemory", "0")
}

// A command whose eviction budget ran out before the data fit goes on (the
// next ones evict more), as Redis' EVICT_RUNNING: only a policy with
// nothing left to evict refuses writes.
func TestMaxmemoryBudgetIsNotOOM(t *testing.T) {
	_, addr := adminTestServer(t)
	c := dialTest(t, addr)
	val := bigValue
	for i := 0; i < 200; i++ {
		c.do("SET", "k:"+strconv.Itoa(i), val)
	}
	c.want(resp.KindSimple, "OK", "CONFIG", "SET", "maxmemory-eviction-tenacity", "0") // one key per command
	c.want(resp.KindSimple, "OK", "CONFIG", "SET", "maxmemory-policy", "allkeys-random")
	limitBelow(t, c, 2<<20)
	c.want(resp.KindSimple, "OK", "SET", "a", "1")
	c.want(resp.KindSimple, "OK", "SET", "b", "1")
	if n := infoInt(t, c, "evicted_keys"); n != 3 { // SET, SET and the INFO itself
		t.Fatalf("evicted %d keys in three commands with tenacity 0", n)
	}
	c.want(resp.KindSimple, "OK", "CONFIG", "SET", "maxmemory", "0")
}
