// Package engine is the one place where state changes. Every write — a
// command's, an expiry's, a remote node's — is an effect that goes through
// this package: local writes are stamped (ID, HLC, deps, frontier), handed to
// the sink (log, replication) and applied; remote effects arrive through Apply
// and are delivered in causal order. The engine does no I/O.
package engine

import (
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lightconedb/lightcone/internal/crdt"
	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/hlc"
	"github.com/lightconedb/lightcone/internal/keyspace"
)

// Sink receives every effect the engine applies, in apply order per origin:
// local effects (local=true) in Seq order, remote ones as they are delivered.
// It is called with engine locks held and must not call back into the engine;
// the effect is valid only during the call.
type Sink interface {
	Emit(e *effect.Effect, local bool)
}

// Hook is told about every key an applied effect touched (after the change),
// for keyspace notifications and waking blocked clients. Same rules as Sink.
// existed and exists say whether the key held a value before and after the
// effect (keyspace events "new" and "del"); for FLUSHDB and SWAPDB the key
// is nil and both are false.
type Hook func(db int, key []byte, e *effect.Effect, existed, exists bool)

// MissHook is told about every read lookup (Tx.Read) that found no key, for
// the "keymiss" keyspace event. It runs with the key's shard locked.
type MissHook func(db int, key []byte)

// Config sets up an engine.
type Config struct {
	Node      effect.NodeID
	Members   []effect.NodeID // every member including Node; empty = standalone
	Databases int             // default 16
	Clock     *hlc.Clock      // default wall clock
	Sink      Sink
	StartSeq  uint64 // last Seq this node used before (from its log)
}

// Engine owns the keyspace. Engines made by Loop share one keyspace (the
// core) and differ only in the lock they may keep between commands.
type Engine struct {
	*core
	st *sticky // Loop engines only
}

type core struct {
	node    effect.NodeID
	clock   *hlc.Clock
	dbs     []atomic.Pointer[keyspace.DB]
	sink    Sink
	hook    Hook
	miss    MissHook
	cluster bool
	members []effect.NodeID

	emitMu       sync.Mutex
	seq          uint64
	localEffects int64                                      // effects stamped since the engine started (guarded by emitMu)
	txnOpen      bool                                       // a MULTI/EXEC or script batch is being written (txn.go)
	txnID        effect.ID                                  // its first effect
	applied      map[effect.NodeID]uint64                   // applied frontier of other origins (guarded by emitMu)
	known        map[effect.NodeID]map[effect.NodeID]uint64 // what each member has applied, as last heard

	compactMu sync.Mutex
	lastCut   stableCut // the stable cut of the last Compact pass

	deliverMu sync.Mutex
	pending   map[effect.NodeID]map[uint64]effect.Effect

	start   time.Time
	startMs int64
	nowHint atomic.Int64 // latest command start time seen (Unix ms), see Tick
	// the access clock counts frequency (an LFU maxmemory policy), with
	// Redis' lfu-log-factor and lfu-decay-time (lfu.go)
	lfu                    atomic.Bool
	lfuLogFactor, lfuDecay atomic.Int32
	stats                  Stats
}

// Stats counts what the engine did.
type Stats struct {
	ExpiredKeys    atomic.Int64
	RemoteApplied  atomic.Int64
	Merges         atomic.Int64 // recomputations from history (concurrent branches met)
	KeyspaceHits   atomic.Int64
	KeyspaceMisses atomic.Int64
}

// New builds an engine.
func New(cfg Config) *Engine {
	if cfg.Databases <= 0 {
		cfg.Databases = 16
	}
	if cfg.Clock == nil {
		cfg.Clock = hlc.New(nil)
	}
	en := &Engine{core: &core{
		node:    cfg.Node,
		clock:   cfg.Clock,
		dbs:     make([]atomic.Pointer[keyspace.DB], cfg.Databases),
		sink:    cfg.Sink,
		seq:     cfg.StartSeq,
		applied: map[effect.NodeID]uint64{},
		known:   map[effect.NodeID]map[effect.NodeID]uint64{},
		pending: map[effect.NodeID]map[uint64]effect.Effect{},
		start:   time.Now(),
	}}
	en.startMs = en.start.UnixMilli()
	en.lfuLogFactor.Store(10) // Redis' defaults (SetLFU)
	en.lfuDecay.Store(1)
	for i := range en.dbs {
		en.dbs[i].Store(keyspace.NewDB())
	}
	for _, m := range cfg.Members {
		if m != cfg.Node {
			en.members = append(en.members, m)
		}
	}
	sort.Slice(en.members, func(i, j int) bool { return en.members[i] < en.members[j] })
	en.cluster = len(en.members) > 0
	return en
}

// SetHook installs the change hook (call before serving).
func (en *Engine) SetHook(h Hook) { en.hook = h }

// SetMissHook installs the read-miss hook (call before serving).
func (en *Engine) SetMissHook(h MissHook) { en.miss = h }

// Node is this node's ID.
func (en *Engine) Node() effect.NodeID { return en.node }

// Clock is the engine's HLC.
func (en *Engine) Clock() *hlc.Clock { return en.clock }

// Databases is the number of databases.
func (en *Engine) Databases() int { return len(en.dbs) }

// Stats returns the engine's counters.
func (en *Engine) Stats() *Stats { return &en.stats }

// LocalEffects is how many effects this engine stamped since it started.
func (en *Engine) LocalEffects() int64 {
	en.emitMu.Lock()
	defer en.emitMu.Unlock()
	return en.localEffects
}

// FlushStats adds the keyspace hits and misses a Loop engine counted to
// the engine's Stats (a no-op on other engines). An event loop counts them
// itself, without a locked add per read, and adds them up once a batch.
func (en *Engine) FlushStats() {
	if st := en.st; st != nil && st.hits|st.misses != 0 {
		en.stats.KeyspaceHits.Add(st.hits)
		en.stats.KeyspaceMisses.Add(st.misses)
		st.hits, st.misses = 0, 0
	}
}

// CountRead counts a keyspace hit or miss.
func (en *Engine) CountRead(hit bool) {
	if st := en.st; st != nil {
		if hit {
			st.hits++
		} else {
			st.misses++
		}
		return
	}
	if hit {
		en.stats.KeyspaceHits.Add(1)
	} else {
		en.stats.KeyspaceMisses.Add(1)
	}
}

// Seq is the last sequence number this node used.
func (en *Engine) Seq() uint64 {
	en.emitMu.Lock()
	defer en.emitMu.Unlock()
	return en.seq
}

// Frontier returns this node's applied frontier: its own Seq and, for every
// other origin, the highest Seq applied here.
func (en *Engine) Frontier() []effect.ID {
	en.emitMu.Lock()
	defer en.emitMu.Unlock()
	f := en.frontierLocked()
	f = append(f, effect.ID{Node: en.node, Seq: en.seq})
	sortIDs(f)
	return f
}

func (en *Engine) frontierLocked() []effect.ID {
	if len(en.applied) == 0 {
		return nil
	}
	f := make([]effect.ID, 0, len(en.applied)+1)
	for n, s := range en.applied {
		f = append(f, effect.ID{Node: n, Seq: s})
	}
	sortIDs(f)
	return f
}

func sortIDs(f []effect.ID) {
	sort.Slice(f, func(i, j int) bool {
		if f[i].Node != f[j].Node {
			return f[i].Node < f[j].Node
		}
		return f[i].Seq < f[j].Seq
	})
}

// Tick tells the engine the current time in Unix ms, read by the caller
// anyway (the server reads the clock once per command). Transactions begun
// afterwards use the largest time ticked instead of reading the clock again;
// the hint only moves forward.
func (en *Engine) Tick(ms int64) {
	for {
		cur := en.nowHint.Load()
		if ms <= cur || en.nowHint.CompareAndSwap(cur, ms) {
			return
		}
	}
}

// now is the engine's notion of the current time for a transaction: the
// latest tick, or the clock when nobody ticks (background work, tests).
func (en *Engine) now() int64 {
	if h := en.nowHint.Load(); h != 0 {
		if p := en.clock.Peek().Millis(); p > h {
			return p // never behind a stamp already handed out
		}
		return h
	}
	return en.clock.PhysicalNow()
}

// lruClock is seconds since start, for OBJECT IDLETIME.
func (en *Engine) lruClock() uint32 { return uint32(time.Since(en.start) / time.Second) }

// lruAt is lruClock for a time the caller already read (Unix ms).
func (en *Engine) lruAt(nowMs int64) uint32 {
	d := nowMs - en.startMs
	if d < 0 {
		return 0
	}
	return uint32(d / 1000)
}

// IdleSeconds converts an entry's access clock into idle seconds.
func (en *Engine) IdleSeconds(e *keyspace.Entry) int64 {
	now := en.lruClock()
	if now < e.Access {
		return 0
	}
	return int64(now - e.Access)
}

// ctx is what collection types need to know about this engine.
func (en *Engine) ctx() crdt.Ctx { return crdt.Ctx{IDs: en.cluster} }

// db returns database i.
func (en *Engine) db(i int) *keyspace.DB { return en.dbs[i].Load() }

// stamp gives a local effect its identity and causal context, and hands it to
// the sink. The caller holds the locks of every shard the effect touches.
func (en *Engine) stamp(e *effect.Effect, nowMs int64) {
	en.emitMu.Lock()
	en.seq++
	e.ID = effect.ID{Node: en.node, Seq: en.seq}
	e.HLC = en.clock.NowAt(nowMs)
	if en.txnOpen {
		if en.txnID.IsZero() {
			en.txnID = e.ID
		}
		e.Txn = en.txnID
	}
	if en.cluster {
		e.Frontier = en.frontierLocked()
	}
	if en.sink != nil {
		en.sink.Emit(e, true)
	}
	en.localEffects++
	en.emitMu.Unlock()
}
