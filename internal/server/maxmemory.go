package server

import (
	"math/rand/v2"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lightconedb/lightcone/internal/commands"
	"github.com/lightconedb/lightcone/internal/engine"
)

// maxmemory, as Redis: once used_memory (INFO memory's: the Go heap's live
// and not yet collected objects plus stacks) is above maxmemory, the
// policy decides. noeviction (the default) refuses commands that may grow
// the data (flag denyoom) with Redis' OOM error, as well as commands
// queued in MULTI and a script's first write; reads, deletes and
// everything else go on, so a client can make room. The other policies
// first evict keys, chosen from random samples of maxmemory-samples keys
// per database as Redis does (*-lru the longest idle, *-lfu the least used
// by Redis' logarithmic, decaying counter (engine/lfu.go), *-random any,
// volatile-ttl the nearest expiry; volatile-* only among keys with a time
// to live), until the estimate is under the limit; only when there is
// nothing left to evict are writes refused.
//
// Redis measures its allocator before every command; the Go heap cannot be
// read that cheaply, so the cron samples it (every 1/hz s, and at once when
// maxmemory changes), and the bytes of the keys evicted since (as MEMORY
// USAGE estimates them) are taken off until a collection makes the heap
// show them gone. The heap counts garbage the collector has not reclaimed
// yet: before refusing writes or evicting, the node collects (at most once
// a second) and measures again, so deleted data does not count.

const oomError = "OOM command not allowed when used memory > 'maxmemory'."

// evictionPolicies are Redis' maxmemory-policy values, in Redis' order.
var evictionPolicies = []string{"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl",
	"allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"}

func init() {
	Params = append(Params,
		&Param{Name: "maxmemory", Kind: KindMemory, Default: "0", Min: 0, Max: 1<<63 - 1, Mutable: true,
			Help: "limit of used_memory: above it maxmemory-policy applies; 0 = no limit",
			OnSet: func(s *Server, v string) error {
				s.mem.check(s, true)
				return nil
			}},
		&Param{Name: "maxmemory-policy", Kind: KindEnum, Default: "noeviction", Mutable: true,
			Help: "at maxmemory: noeviction (refuse commands that add data), or evict keys first: allkeys-lru, volatile-lru, allkeys-lfu, volatile-lfu, allkeys-random, volatile-random, volatile-ttl",
			Enum: evictionPolicies,
			OnSet: func(s *Server, v string) error {
				s.applyLFU()
				s.mem.check(s, true)
				return nil
			}},
		&Param{Name: "lfu-log-factor", Kind: KindInt, Default: "10", Min: 0, Max: 1<<31 - 1, Mutable: true,
			Help:  "how slowly the LFU access counter grows: it takes about factor x 10^k accesses to reach 10^k (Redis' meaning)",
			OnSet: func(s *Server, v string) error { s.applyLFU(); return nil }},
		&Param{Name: "lfu-decay-time", Kind: KindInt, Default: "1", Min: 0, Max: 1<<31 - 1, Mutable: true,
			Help:  "minutes after which an idle key's LFU counter drops by one (0 = never)",
			OnSet: func(s *Server, v string) error { s.applyLFU(); return nil }},
		&Param{Name: "maxmemory-samples", Kind: KindInt, Default: "5", Min: 1, Max: 1<<31 - 1, Mutable: true,
			Help: "keys sampled per database for each eviction (more: closer to true LRU, slower)"},
		&Param{Name: "maxmemory-eviction-tenacity", Kind: KindInt, Default: "10", Min: 0, Max: 100, Mutable: true,
			Help: "how many keys one command may evict before it goes on (10: 160, 100: unbounded), as Redis' effort bound"},
	)
}

// memState is the server's side of maxmemory.
type memState struct {
	over    atomic.Bool  // the estimate was above maxmemory at the last look
	used    atomic.Int64 // used_memory at the last measurement
	freed   atomic.Int64 // bytes of keys evicted since, not yet collected
	cycles  uint64       // GC cycles completed at the last measurement (under mu)
	mu      sync.Mutex   // one measurement at a time
	lastGC  time.Time    // the last collection a measurement forced (under mu)
	evictMu sync.Mutex   // one evictor at a time
}

var gcCyclesSample = []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}}

func gcCycles() uint64 {
	s := make([]metrics.Sample, 1)
	copy(s, gcCyclesSample)
	metrics.Read(s)
	if s[0].Value.Kind() == metrics.KindUint64 {
		return s[0].Value.Uint64()
	}
	return 0
}

// estimate is used_memory as last measured, less what eviction freed since.
func (m *memState) estimate() int64 { return m.used.Load() - m.freed.Load() }

// check measures used_memory against maxmemory (the cron; CONFIG SET with
// now). Above it, it collects garbage first unless it did less than a
// second ago (or now is set: a new limit is judged on live data at once).
func (m *memState) check(s *Server, now bool) {
	limit, _ := ParseMemory(s.Settings.Get("maxmemory"))
	if limit <= 0 {
		m.over.Store(false)
		return
	}
	m.mu.Lock()
	used := int64(heapBytes())
	if c := gcCycles(); c != m.cycles {
		m.cycles = c
		m.freed.Store(0) // a collection ran: the evicted keys are gone from the heap
	}
	if used-m.freed.Load() > limit && (now || time.Since(m.lastGC) >= time.Second) {
		runtime.GC()
		m.lastGC = time.Now()
		used = int64(heapBytes())
		m.cycles = gcCycles()
		m.freed.Store(0)
	}
	m.used.Store(used)
	over := used-m.freed.Load() > limit
	was := m.over.Swap(over)
	m.mu.Unlock()
	if over && !was {
		s.Log.Warn("used memory is above maxmemory", "used_memory", used, "maxmemory", limit,
			"maxmemory-policy", s.Settings.Get("maxmemory-policy"))
	}
}

// evict removes keys by maxmemory-policy until the estimate is under
// maxmemory, at most a tenacity-bounded number per call; it reports false
// only when the estimate is above the limit and nothing is left that the
// policy may evict (Redis' EVICT_FAIL): a call that ran out of budget still
// freed memory, and the next command goes on with it (EVICT_RUNNING). It runs before a command, as Redis
// evicts (the caller holds its gate slot and no shard lock: the deletes are
// effects like a command's). One evictor runs at a time: a command that
// finds another evicting goes on (the limit is soft, as in Redis).
func (s *Server) evict() bool {
	m := &s.mem
	limit, _ := ParseMemory(s.Settings.Get("maxmemory"))
	if limit <= 0 {
		m.over.Store(false)
		return true
	}
	policy := s.Settings.Get("maxmemory-policy")
	if policy == "noeviction" {
		return m.estimate() <= limit
	}
	if !m.evictMu.TryLock() {
		return true // another command is evicting: go on, as after a spent budget
	}
	defer m.evictMu.Unlock()
	volatile := strings.HasPrefix(policy, "volatile-")
	samples := max(1, int(s.Settings.Int("maxmemory-samples")))
	budget := 16 * int(s.Settings.Int("maxmemory-eviction-tenacity"))
	if s.Settings.Int("maxmemory-eviction-tenacity") >= 100 {
		budget = 1 << 62
	}
	// the databases holding keys the policy may take, counted once per
	// call (a count locks every shard) and dropped when a sample finds
	// nothing more in them
	var dbs []int
	if m.estimate() > limit {
		for db := 0; db < s.Eng.Databases(); db++ {
			if (volatile && s.Eng.Volatile(db) > 0) || (!volatile && s.Eng.DBSize(db) > 0) {
				dbs = append(dbs, db)
			}
		}
	}
	var cands []engine.EvictCandidate
	exhausted := len(dbs) == 0
	for n := 0; m.estimate() > limit && n < max(1, budget); n++ {
		cands = cands[:0]
		live := dbs[:0]
		for _, db := range dbs {
			k := len(cands)
			if cands = s.Eng.EvictionSample(db, volatile, samples, cands); len(cands) > k {
				live = append(live, db)
			}
		}
		dbs = live
		if len(cands) == 0 {
			exhausted = true // nothing left that the policy may evict
			break
		}
		best := &cands[0]
		switch {
		case strings.HasSuffix(policy, "-random"):
			best = &cands[rand.IntN(len(cands))]
		case policy == "volatile-ttl":
			for i := range cands {
				if cands[i].Expire < best.Expire {
					best = &cands[i]
				}
			}
		default: // LRU and LFU: the longest idle, or the least used
			rank := s.Eng.EvictionRank(best.Access)
			for i := range cands {
				if r := s.Eng.EvictionRank(cands[i].Access); r > rank {
					best, rank = &cands[i], r
				}
			}
		}
		if freed, ok := s.Eng.Evict(best.DB, best.Key, entryUsage); ok {
			m.freed.Add(int64(freed))
			s.Stats.EvictedKeys.Add(1)
		}
	}
	under := m.estimate() <= limit
	m.over.Store(!under)
	return under || !exhausted
}

// oomRefuses reports whether cmd must be refused for memory, as Redis'
// processCommand decides: with an eviction policy, keys are evicted first;
// then, still above the limit, a denyoom command is refused, as is any
// command but EXEC, DISCARD, QUIT and RESET while a MULTI is open, and
// EXEC of a transaction that queued a denyoom command.
func (s *Server) oomRefuses(c *client, eng *engine.Engine, cmd *commands.Command) bool {
	if !s.mem.over.Load() {
		return false
	}
	eng.Release() // a shard lock the loop kept: eviction locks shards of its own
	if s.evict() {
		return false
	}
	if cmd.HasFlag("denyoom") {
		return true
	}
	if c.inMulti {
		switch cmd.Name {
		case "exec":
			return c.queuedDenyOOM()
		case "discard", "quit", "reset":
			return false
		}
		return true
	}
	return false
}

// queuedDenyOOM reports whether the open transaction queued a command that
// may add data.
func (c *client) queuedDenyOOM() bool {
	for _, q := range c.multiQueue {
		if q.cmd.HasFlag("denyoom") {
			return true
		}
	}
	return false
}

// applyLFU tells the engine whether the access clock counts frequency (an
// LFU policy) and with which lfu-log-factor and lfu-decay-time.
func (s *Server) applyLFU() {
	s.Eng.SetLFU(strings.HasSuffix(s.Settings.Get("maxmemory-policy"), "-lfu"),
		int(s.Settings.Int("lfu-log-factor")), int(s.Settings.Int("lfu-decay-time")))
}
