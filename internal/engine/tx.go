package engine

import (
	"runtime"
	"sort"
	"sync"
	"unsafe"

	"github.com/lightconedb/lightcone/internal/crdt"
	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/keyspace"
	"github.com/lightconedb/lightcone/internal/notify"
)

// A Tx is one command's hold on the keyspace: the locks of every shard it
// touches, taken in a fixed order so commands never deadlock, and a fixed
// "now" for expiry decisions within the command. Reads go through Get; writes
// through the typed write methods, each of which is exactly one effect.
type Tx struct {
	en    *Engine
	locks []lockRef
	buf   [16]lockRef
	Now   int64 // Unix ms at Begin; expiry is judged against it
	all   bool

	eff effect.Effect // the effect being written (no allocation per write)
	// Event, when set, is the keyspace event the next write raises (a code
	// of internal/notify); it is reset by every write.
	Event uint8
	pay   crdt.Enc // collection payload being built (see Payload)
	// the last key looked up, so a write right after a read skips a lookup
	lastKey   []byte
	lastDB    int
	lastEnt   *keyspace.Entry
	lastValid bool

	grp Group // this command's effects, for a GroupSink (persist.go)

	keep bool // made by a Loop engine: End may keep its one shard lock

	// Begin1's key (by address and length) and its hash, so that Get and
	// the write of a single-key command do not hash it again. Begin1's key
	// is the one the Tx locked: its bytes must not change until End (they
	// are a command argument), or its lock would not be the right one.
	hKey unsafe.Pointer
	hLen int
	h    uint64
}

// hash is keyspace.HashKey(key), taken from Begin1 for its key.
func (tx *Tx) hash(key []byte) uint64 {
	if p := unsafe.Pointer(unsafe.SliceData(key)); p == tx.hKey && len(key) == tx.hLen && p != nil {
		return tx.h
	}
	return keyspace.HashKey(key)
}

// A Loop engine (Engine.Loop) belongs to one goroutine that runs commands one
// after another, an event loop. When a command's Tx held exactly one shard,
// End keeps that lock instead of releasing it, and the next Begin1 on the
// same shard takes it over: a pipeline of commands on one hot key locks once
// per batch instead of once per command, and the key's memory stays in this
// core's cache while the batch runs, instead of moving between the cores of
// two loops at every command. The goroutine calls Release before it does
// anything else that may wait: blocking I/O (an event loop's non-blocking
// socket reads and writes wait for nothing), waiting for another lock that a
// holder of shard locks may want, or running a command that is not a plain
// single-key command (see Release).
type sticky struct {
	armed  bool // the running command may keep its lock (Arm)
	waited bool // a Tx had to wait for a lock (Contended)
	held   bool
	db     int
	shard  int
	ptr    *keyspace.DB
	uses   int // commands that took the kept lock over in a row (maxKeptUses)
	// keyspace hits and misses not yet in the engine's Stats (FlushStats)
	hits, misses int64
	spare        *Tx // a finished Tx for the next one (no sync.Pool round trip)
}

// maxKeptUses bounds how many commands in a row run under one kept lock
// before it is given back once: a client pipelining thousands of commands
// on one key must not keep the other loops, expiry, snapshots and peers'
// effects waiting for the whole pipeline.
const maxKeptUses = 256

// Loop returns an engine on the same keyspace for one event loop's
// goroutine, whose Tx may keep their lock between commands (see sticky).
// It must be used by one goroutine at a time.
func (en *Engine) Loop() *Engine { return &Engine{core: en.core, st: &sticky{}} }

// Release gives back the lock a Loop engine kept after its last command, if
// any. A no-op on other engines.
func (en *Engine) Release() {
	if st := en.st; st != nil && st.held {
		st.held = false
		st.uses = 0
		st.ptr.Shards[st.shard].Unlock()
	}
}

// Arm lets the command about to run keep its lock at End, if its Tx holds
// exactly one shard; Disarm after it. Only for a command that waits for
// nothing while it runs (commands.Command.KeepLock). No-op on other engines.
func (en *Engine) Arm() {
	if st := en.st; st != nil {
		st.armed = true
	}
}

// Disarm ends Arm; a lock already kept stays kept until Release.
func (en *Engine) Disarm() {
	if st := en.st; st != nil {
		st.armed = false
	}
}

// Contended reports whether a Tx of this Loop engine had to wait for a lock
// another goroutine held since the last call: the loops are taking turns on
// a hot key.
func (en *Engine) Contended() bool {
	st := en.st
	if st == nil || !st.waited {
		return false
	}
	st.waited = false
	return true
}

// Holding reports whether a Loop engine kept a lock after its last command.
func (en *Engine) Holding() bool { return en.st != nil && en.st.held }

type lockRef struct {
	db    int
	shard int
	ptr   *keyspace.DB
}

var txPool = sync.Pool{New: func() any { t := &Tx{}; t.locks = t.buf[:0]; return t }}

func (en *Engine) newTx() *Tx {
	var tx *Tx
	if st := en.st; st != nil && st.spare != nil {
		tx, st.spare = st.spare, nil
	} else {
		tx = txPool.Get().(*Tx)
	}
	tx.en = en
	tx.hKey, tx.hLen = nil, 0
	tx.locks = tx.buf[:0]
	tx.all = false
	tx.lastValid = false
	tx.Event = 0
	tx.keep = false
	if en.st != nil && en.st.held {
		en.Release() // Begin1 took over a kept lock before calling newTx
	}
	return tx
}

// Begin locks the shards holding keys of database db.
func (en *Engine) Begin(db int, keys ...[]byte) *Tx {
	tx := en.newTx()
	for _, k := range keys {
		tx.locks = append(tx.locks, lockRef{db: db, shard: keyspace.ShardIndex(k)})
	}
	tx.lock()
	return tx
}

// Begin1 is Begin for one key, without the variadic slice.
func (en *Engine) Begin1(db int, key []byte) *Tx {
	h := keyspace.HashKey(key)
	s := keyspace.ShardOf(h)
	tx := en.begin1(db, s)
	tx.hKey, tx.hLen, tx.h = unsafe.Pointer(unsafe.SliceData(key)), len(key), h
	return tx
}

func (en *Engine) begin1(db, s int) *Tx {
	if st := en.st; st != nil {
		if st.held && st.uses >= maxKeptUses {
			en.Release() // let the goroutines waiting for it have it now and then
		}
		if st.held && st.db == db && st.shard == s && en.db(db) == st.ptr {
			// the lock kept after the last command is this one: no SWAPDB
			// can have run meanwhile (it needs every lock)
			st.held = false
			st.uses++
			tx := en.newTx()
			tx.locks = append(tx.locks, lockRef{db: db, shard: s, ptr: st.ptr})
			tx.keep = st.armed
			tx.Now = en.now()
			return tx
		}
		tx := en.newTx()
		tx.locks = append(tx.locks, lockRef{db: db, shard: s})
		tx.keep = st.armed
		tx.lock()
		return tx
	}
	tx := en.newTx()
	tx.locks = append(tx.locks, lockRef{db: db, shard: s})
	tx.lock()
	return tx
}

// BeginKeys locks the shards of (db, key) pairs across databases.
func (en *Engine) BeginKeys(dbs []int, keys [][]byte) *Tx {
	tx := en.newTx()
	for i, k := range keys {
		tx.locks = append(tx.locks, lockRef{db: dbs[i], shard: keyspace.ShardIndex(k)})
	}
	tx.lock()
	return tx
}

// BeginDBs locks every shard of the given databases.
func (en *Engine) BeginDBs(dbs ...int) *Tx {
	tx := en.newTx()
	for _, d := range dbs {
		for s := 0; s < keyspace.NumShards; s++ {
			tx.locks = append(tx.locks, lockRef{db: d, shard: s})
		}
	}
	tx.lock()
	return tx
}

// BeginAll locks the whole keyspace.
func (en *Engine) BeginAll() *Tx {
	tx := en.newTx()
	for d := range en.dbs {
		for s := 0; s < keyspace.NumShards; s++ {
			tx.locks = append(tx.locks, lockRef{db: d, shard: s})
		}
	}
	tx.all = true
	tx.lock()
	return tx
}

func (tx *Tx) lock() {
	ls := tx.locks
	if len(ls) > 1 {
		if len(ls) <= 32 {
			// insertion sort: no allocation for the usual handful of keys
			for i := 1; i < len(ls); i++ {
				for j := i; j > 0 && lockLess(ls[j], ls[j-1]); j-- {
					ls[j], ls[j-1] = ls[j-1], ls[j]
				}
			}
		} else {
			sort.Slice(ls, func(i, j int) bool { return lockLess(ls[i], ls[j]) })
		}
		out := ls[:1]
		for _, l := range ls[1:] {
			if l.db != out[len(out)-1].db || l.shard != out[len(out)-1].shard {
				out = append(out, l)
			}
		}
		tx.locks = out
	}
	for {
		// Resolve every database first: in the middle of a SWAPDB two
		// indexes can briefly name the same database, and locking its
		// shards twice would wait on ourselves; wait for the swap instead.
		same := false
		for i := range tx.locks {
			l := &tx.locks[i]
			l.ptr = tx.en.db(l.db)
			if i > 0 && tx.locks[i-1].db != l.db {
				for j := 0; j < i && !same; j++ {
					same = tx.locks[j].db != l.db && tx.locks[j].ptr == l.ptr
				}
			}
		}
		if same {
			runtime.Gosched()
			continue
		}
		st := tx.en.st
		for i := range tx.locks {
			l := &tx.locks[i]
			sh := &l.ptr.Shards[l.shard]
			if st == nil {
				sh.Lock()
			} else if !sh.TryLock() {
				st.waited = true // another goroutine had it (Contended)
				sh.Lock()
			}
		}
		// SWAPDB may have swapped a database while we waited: retry then.
		ok := true
		for i := range tx.locks {
			if tx.en.db(tx.locks[i].db) != tx.locks[i].ptr {
				ok = false
				break
			}
		}
		if ok {
			break
		}
		tx.unlock()
	}
	tx.Now = tx.en.now()
	tx.lastValid = false
}

func lockLess(a, b lockRef) bool {
	if a.db != b.db {
		return a.db < b.db
	}
	return a.shard < b.shard
}

func (tx *Tx) unlock() {
	for i := len(tx.locks) - 1; i >= 0; i-- {
		l := &tx.locks[i]
		l.ptr.Shards[l.shard].Unlock()
	}
}

// End releases the locks. The Tx must not be used afterwards.
func (tx *Tx) End() {
	if tx.grp.Open {
		tx.endGroup()
	}
	if tx.keep && len(tx.locks) == 1 && !tx.all {
		l := &tx.locks[0]
		st := tx.en.st
		st.held, st.db, st.shard, st.ptr = true, l.db, l.shard, l.ptr
	} else {
		tx.unlock()
	}
	if cap(tx.locks) > 64 {
		tx.locks = nil
	}
	st := tx.en.st
	tx.en = nil
	tx.lastKey, tx.lastEnt, tx.lastValid = nil, nil, false
	tx.hKey = nil
	tx.eff = effect.Effect{}
	if cap(tx.pay.B) > 64<<10 {
		tx.pay.B = nil
	}
	if st != nil && st.spare == nil {
		st.spare = tx
		return
	}
	txPool.Put(tx)
}

// shard returns the locked shard holding key; using a key the Tx did not lock
// is a programming error.
func (tx *Tx) shard(db int, key []byte) *keyspace.Shard {
	return tx.shardOf(db, keyspace.ShardOf(tx.hash(key)))
}

func (tx *Tx) shardOf(db, s int) *keyspace.Shard {
	for i := range tx.locks {
		if tx.locks[i].db == db && tx.locks[i].shard == s {
			return &tx.locks[i].ptr.Shards[s]
		}
	}
	panic("engine: key used outside its transaction's locks")
}

// DB returns a locked database (only valid with BeginDBs/BeginAll).
func (tx *Tx) DB(db int) *keyspace.DB {
	for i := range tx.locks {
		if tx.locks[i].db == db {
			return tx.locks[i].ptr
		}
	}
	panic("engine: database used outside its transaction's locks")
}

// Get returns key's live entry, or nil when it does not exist. An expired key
// is deleted (one effect) and reported missing. It counts as an access.
func (tx *Tx) Get(db int, key []byte) *keyspace.Entry {
	h := tx.hash(key)
	sh := tx.shardOf(db, keyspace.ShardOf(h))
	ent := sh.GetHashed(key, h)
	tx.lastKey, tx.lastDB, tx.lastEnt, tx.lastValid = key, db, ent, true
	if ent == nil || !ent.Exists() {
		return nil
	}
	if ent.Expire != 0 && ent.Expire <= tx.Now {
		tx.expire(db, key)
		return nil
	}
	if tx.en.lfu.Load() {
		tx.en.touchLFU(ent, tx.Now)
	} else {
		ent.Access = tx.en.lruAt(tx.Now)
	}
	return ent
}

// Read is Get for a read-only lookup: it also counts a keyspace hit or miss.
func (tx *Tx) Read(db int, key []byte) *keyspace.Entry {
	e := tx.Get(db, key)
	if e == nil {
		tx.en.CountRead(false)
		if h := tx.en.miss; h != nil {
			h(db, key)
		}
	} else {
		tx.en.CountRead(true)
	}
	return e
}

// NotifyMiss tells the miss hook that a read lookup made without Read found
// no key (EXISTS, TYPE, TTL: Redis' read lookups that raise "keymiss").
func (tx *Tx) NotifyMiss(db int, key []byte) {
	if h := tx.en.miss; h != nil {
		h(db, key)
	}
}

// Peek is Get without touching the access clock (OBJECT, DEBUG).
func (tx *Tx) Peek(db int, key []byte) *keyspace.Entry {
	sh := tx.shard(db, key)
	ent := sh.Get(key)
	if ent == nil || !ent.Exists() {
		return nil
	}
	if ent.Expire != 0 && ent.Expire <= tx.Now {
		tx.expire(db, key)
		return nil
	}
	return ent
}

func (tx *Tx) expire(db int, key []byte) {
	tx.en.stats.ExpiredKeys.Add(1)
	ev := tx.Event // the command's own write keeps its event
	tx.Event = notify.ExpiredKey
	tx.write(db, key, effect.Effect{Op: effect.OpDelete})
	tx.Event = ev
}

// write stamps and applies one local effect on key.
func (tx *Tx) write(db int, key []byte, op effect.Effect) {
	sh := tx.shard(db, key)
	e := &tx.eff
	*e = op
	e.Event, tx.Event = tx.Event, 0
	e.DB = uint32(db)
	e.Key = key
	en := tx.en
	if en.cluster {
		e.Deps = liveTips(sh.Get(key))
	}
	tx.stamp(e)
	var ent *keyspace.Entry
	known := tx.lastValid && tx.lastDB == db && string(tx.lastKey) == string(key)
	if known {
		ent = tx.lastEnt
	}
	ent = en.applyKey(sh, e, true, ent, known, tx.Now, true)
	tx.lastKey, tx.lastDB, tx.lastEnt, tx.lastValid = key, db, ent, true
}

// Assign sets key to a string value. With keepTTL the TTL stays; otherwise it
// becomes expireAt (0 = none). raw marks a value built in place (encoding).
func (tx *Tx) Assign(db int, key, val []byte, expireAt int64, keepTTL bool) {
	var fl uint8
	if keepTTL {
		fl |= effect.FlagKeepTTL
		expireAt = 0
	}
	if val == nil {
		val = []byte{}
	}
	tx.write(db, key, effect.Effect{Op: effect.OpAssign, Flags: fl, Int: expireAt, Value: val})
}

// AssignRaw is Assign of a value Redis would hold "raw" (built by BITOP etc).
func (tx *Tx) AssignRaw(db int, key, val []byte, expireAt int64, keepTTL bool) {
	fl := effect.FlagEncRaw
	if keepTTL {
		fl |= effect.FlagKeepTTL
		expireAt = 0
	}
	if val == nil {
		val = []byte{}
	}
	tx.write(db, key, effect.Effect{Op: effect.OpAssign, Flags: fl, Int: expireAt, Value: val})
}

// AssignEnc is Assign that keeps a value's Redis encoding (RENAME, COPY,
// MOVE carry the source's encoding along).
func (tx *Tx) AssignEnc(db int, key, val []byte, enc uint8, expireAt int64) {
	var fl uint8
	switch enc {
	case keyspace.EncRaw:
		fl = effect.FlagEncRaw
	case keyspace.EncEmbstr:
		fl = effect.FlagEncEmbstr
	}
	if val == nil {
		val = []byte{}
	}
	tx.write(db, key, effect.Effect{Op: effect.OpAssign, Flags: fl, Int: expireAt, Value: val})
}

// Payload returns the Tx's payload buffer, emptied, to build one collection
// effect with the crdt package's encoders; it is reused by the next call.
func (tx *Tx) Payload() *crdt.Enc {
	tx.pay.Reset()
	return &tx.pay
}

// Coll writes one collection effect on key: op (effect.OpList, OpSet, ...)
// with a payload built in Payload. The key must be missing or hold op's kind
// (the caller checked: WRONGTYPE).
func (tx *Tx) Coll(db int, key []byte, op effect.Op, p *crdt.Enc) {
	tx.write(db, key, effect.Effect{Op: op, Value: p.B})
}

// CollReplace writes a collection effect that replaces key's whole value,
// whatever kind it held (SUNIONSTORE, SORT STORE, RESTORE, COPY): the
// payload describes the new value from empty. The TTL becomes expireAt
// (0 = none) unless keepTTL.
func (tx *Tx) CollReplace(db int, key []byte, op effect.Op, p *crdt.Enc, expireAt int64, keepTTL bool) {
	fl := effect.FlagReplace
	if keepTTL {
		fl |= effect.FlagKeepTTL
		expireAt = 0
	}
	tx.write(db, key, effect.Effect{Op: op, Flags: fl, Int: expireAt, Value: p.B})
}

// HLL writes a HyperLogLog effect (register-wise max) on the string at key.
func (tx *Tx) HLL(db int, key []byte, p *crdt.Enc) {
	tx.write(db, key, effect.Effect{Op: effect.OpHLL, Value: p.B})
}

// SetIdle backdates key's access clock by secs (RESTORE ... IDLETIME). The
// access clock is this node's cache metadata, not replicated data.
func (tx *Tx) SetIdle(db int, key []byte, secs int64) {
	ent := tx.shard(db, key).Get(key)
	if ent == nil {
		return
	}
	now := int64(tx.en.lruAt(tx.Now))
	if secs > now {
		secs = now
	}
	ent.Access = uint32(now - secs)
}

// AddInt adds delta to the integer at key (0 if missing). The caller has
// checked that the value is an integer and that the sum does not overflow.
func (tx *Tx) AddInt(db int, key []byte, delta int64) {
	tx.write(db, key, effect.Effect{Op: effect.OpAddInt, Int: delta})
}

// AddFloat adds the decimal increment incr (already validated) to key.
func (tx *Tx) AddFloat(db int, key []byte, incr []byte) {
	tx.write(db, key, effect.Effect{Op: effect.OpAddFloat, Value: incr})
}

// Append appends val to the string at key (creating it).
func (tx *Tx) Append(db int, key, val []byte) {
	if val == nil {
		val = []byte{}
	}
	tx.write(db, key, effect.Effect{Op: effect.OpAppend, Value: val})
}

// SetRange overwrites the string at key from byte offset, zero-padding.
func (tx *Tx) SetRange(db int, key []byte, offset int64, val []byte) {
	tx.write(db, key, effect.Effect{Op: effect.OpSetRange, Int: offset, Value: val})
}

// SetBit sets bit number bit of the string at key.
func (tx *Tx) SetBit(db int, key []byte, bit int64, on bool) {
	var fl uint8
	if on {
		fl = effect.FlagBit
	}
	tx.write(db, key, effect.Effect{Op: effect.OpSetBit, Flags: fl, Int: bit})
}

// SetExpire sets key's TTL to the absolute Unix ms at (0 = persist).
func (tx *Tx) SetExpire(db int, key []byte, at int64) {
	tx.write(db, key, effect.Effect{Op: effect.OpExpire, Int: at})
}

// Delete removes key (observed-remove: what this node has seen of it).
func (tx *Tx) Delete(db int, key []byte) {
	tx.write(db, key, effect.Effect{Op: effect.OpDelete})
}

// FlushDB removes every key of db this node has seen. The Tx holds db whole.
func (tx *Tx) FlushDB(db int) {
	e := effect.Effect{Op: effect.OpFlushDB, DB: uint32(db), Event: tx.Event}
	tx.Event = 0
	en := tx.en
	tx.stamp(&e)
	en.applyFlush(tx.DB(db), &e)
	tx.lastValid = false
}

// SwapDB swaps two databases. The Tx holds both whole.
func (tx *Tx) SwapDB(a, b int) {
	e := effect.Effect{Op: effect.OpSwapDB, DB: uint32(a), Int: int64(b)}
	tx.stamp(&e)
	tx.en.applySwap(a, b, &e)
	tx.lastValid = false
	for i := range tx.locks {
		tx.locks[i].ptr = tx.en.db(tx.locks[i].db)
	}
}

// ForEach calls fn for every live key of db (db must be held whole). Expired
// keys are skipped, not deleted.
func (tx *Tx) ForEach(db int, fn func(key string, e *keyspace.Entry) bool) {
	d := tx.DB(db)
	for i := range d.Shards {
		stop := false
		d.Shards[i].Range(func(e *keyspace.Entry) bool {
			if !e.Exists() || (e.Expire != 0 && e.Expire <= tx.Now) {
				return true
			}
			if !fn(string(e.Key()), e) {
				stop = true
			}
			return !stop
		})
		if stop {
			return
		}
	}
}
