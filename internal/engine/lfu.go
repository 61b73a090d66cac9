package engine

import (
	"math/rand/v2"
	"time"

	"github.com/lightconedb/lightcone/internal/keyspace"
)

// A key's access clock (keyspace.Entry.Access) holds, as Redis' lru field
// does, either the LRU clock (seconds since the engine started; OBJECT
// IDLETIME) or, under an LFU maxmemory policy, the LFU pair: the minute of
// the last decrement in the high 16 bits and a logarithmic access counter
// in the low 8 (OBJECT FREQ). Switching policies leaves the old meaning in
// place until keys are touched again, as in Redis ("LRU and LFU data will
// take some time to adjust"). Like the LRU clock it is this node's cache
// metadata, never replicated.

// lfuInitVal is a new key's counter (Redis' LFU_INIT_VAL), so that a key
// just written is not the first one evicted.
const lfuInitVal = 5

// SetLFU switches the access clock between LRU (false) and LFU (true)
// with Redis' lfu-log-factor and lfu-decay-time (minutes).
func (en *Engine) SetLFU(on bool, logFactor, decayMinutes int) {
	en.lfuLogFactor.Store(int32(logFactor))
	en.lfuDecay.Store(int32(decayMinutes))
	en.lfu.Store(on)
}

// LFU reports whether the access clock counts frequency (SetLFU).
func (en *Engine) LFU() bool { return en.lfu.Load() }

func lfuMinutes(nowMs int64) uint32 { return uint32(nowMs/60000) & 0xFFFF }

// lfuDecayed is the pair's counter less one per lfu-decay-time minutes
// since its last decrement.
func (en *Engine) lfuDecayed(access uint32, nowMs int64) int {
	ldt, counter := access>>8, int(access&0xFF)
	now := lfuMinutes(nowMs)
	elapsed := now - ldt
	if now < ldt {
		elapsed = 0xFFFF - ldt + now
	}
	if d := uint32(en.lfuDecay.Load()); d > 0 {
		counter -= int(min(elapsed/d, 255))
	}
	return max(counter, 0)
}

// touchLFU records an access to ent at nowMs in its LFU pair (Tx.Get
// sets the LRU clock itself).
func (en *Engine) touchLFU(ent *keyspace.Entry, nowMs int64) {
	counter := en.lfuDecayed(ent.Access, nowMs)
	if counter < 255 {
		base := max(counter-lfuInitVal, 0)
		if rand.Float64() < 1/float64(base*int(en.lfuLogFactor.Load())+1) {
			counter++
		}
	}
	ent.Access = lfuMinutes(nowMs)<<8 | uint32(counter)
}

// born sets a new key's access clock.
func (en *Engine) born(ent *keyspace.Entry, nowMs int64) {
	if en.lfu.Load() {
		ent.Access = lfuMinutes(nowMs)<<8 | lfuInitVal
		return
	}
	ent.Access = en.lruAt(nowMs)
}

// Freq is OBJECT FREQ: the entry's decayed access counter (meaningful under
// an LFU policy).
func (en *Engine) Freq(e *keyspace.Entry) int { return en.lfuDecayed(e.Access, time.Now().UnixMilli()) }

// EvictionRank orders candidates for the LRU and LFU policies: the higher,
// the sooner evicted (seconds idle, or 255 less the decayed counter).
func (en *Engine) EvictionRank(access uint32) int64 {
	now := time.Now().UnixMilli()
	if en.lfu.Load() {
		return int64(255 - en.lfuDecayed(access, now))
	}
	lru := en.lruAt(now)
	if lru < access {
		return 0
	}
	return int64(lru - access)
}

// SetFreq sets key's access counter (RESTORE ... FREQ under an LFU policy).
func (tx *Tx) SetFreq(db int, key []byte, freq int) {
	if ent := tx.shard(db, key).Get(key); ent != nil {
		ent.Access = lfuMinutes(tx.Now)<<8 | uint32(min(max(freq, 0), 255))
	}
}
