package engine

import (
	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/keyspace"
)

// ApplyBatch is Apply for effects that arrived together (one read of a
// peer's stream), in their order; it returns how many were new. Consecutive
// effects on one key are delivered under one hold of its shard lock, and
// when they need a merge (they are concurrent with effects already here)
// the key's history is evaluated once for the run instead of once per
// effect: a hot key written on several nodes at once costs one O(live)
// merge per burst, not one per effect. Nobody sees the key between the
// effects of a run; the change hook is told about each of them at the end
// of the run, and when the run needed a merge, "existed" and "exists" are
// those before the run and after it (the states in between were never
// computed). The effects' memory may be reused once ApplyBatch returns.
func (en *Engine) ApplyBatch(es []effect.Effect) int {
	if !en.cluster {
		n := 0
		for i := range es {
			if en.Apply(&es[i]) {
				n++
			}
		}
		return n
	}
	en.deliverMu.Lock()
	defer en.deliverMu.Unlock()
	var r keyRun
	fresh := 0
	for i := range es {
		e := &es[i]
		en.emitMu.Lock()
		applied := en.appliedOfLocked(e.ID.Node)
		ready := e.ID.Seq == applied+1 && len(en.pending[e.ID.Node]) == 0 && en.coveredLocked(e.Frontier)
		en.emitMu.Unlock()
		if e.ID.Seq <= applied {
			continue
		}
		fresh++
		keyed := e.Op != effect.OpFlushDB && e.Op != effect.OpSwapDB && int(e.DB) < len(en.dbs)
		if ready && keyed {
			if !r.holds(e) {
				r.end(en)
				r.begin(en, e)
			}
			r.add(en, e)
			continue
		}
		r.end(en)
		if ready {
			en.deliver(e)
			continue
		}
		q := en.pending[e.ID.Node]
		if q == nil {
			q = map[uint64]effect.Effect{}
			en.pending[e.ID.Node] = q
		}
		if _, dup := q[e.ID.Seq]; !dup {
			q[e.ID.Seq] = e.Clone()
		} else {
			fresh--
		}
	}
	r.end(en)
	if len(en.pending) > 0 {
		en.drain()
	}
	return fresh
}

// keyRun is a run of remote effects on one key being delivered.
type keyRun struct {
	tx      *Tx
	sh      *keyspace.Shard
	db      int
	key     []byte
	ent     *keyspace.Entry
	h       *history
	existed bool // the key existed before the run
	stale   bool // the value waits for a merge at the end of the run
	staleAt int  // the first effect after which it did
	effs    []*effect.Effect
	exists  []bool // after each effect, while the value was kept current
}

func (r *keyRun) holds(e *effect.Effect) bool {
	return r.tx != nil && int(e.DB) == r.db && string(e.Key) == string(r.key)
}

func (r *keyRun) begin(en *Engine, e *effect.Effect) {
	r.db, r.key = int(e.DB), e.Key
	r.tx = en.Begin1(r.db, r.key)
	r.sh = r.tx.shard(r.db, r.key)
	ent := r.sh.Get(r.key)
	r.existed = ent != nil && ent.Exists()
	r.ent, r.h = en.withHistory(r.sh, r.key, ent)
	r.stale = false
	r.effs, r.exists = r.effs[:0], r.exists[:0]
}

func (r *keyRun) add(en *Engine, e *effect.Effect) {
	en.clock.Update(e.HLC)
	if en.insertLive(r.sh, r.ent, r.h, e, r.stale) && !r.stale {
		r.stale, r.staleAt = true, len(r.effs)
	}
	r.effs = append(r.effs, e)
	r.exists = append(r.exists, r.ent.Exists())
	en.delivered(e)
	en.stats.RemoteApplied.Add(1)
}

// end merges the key's value if it waits for it, tells the hook, and lets
// the key go.
func (r *keyRun) end(en *Engine) {
	if r.tx == nil {
		return
	}
	if r.stale {
		en.stats.Merges.Add(1)
		eval(r.ent, r.h, en.ctx())
	}
	r.sh.Reindex(r.ent)
	if en.hook != nil {
		prev := r.existed
		for i, e := range r.effs {
			now := r.exists[i]
			if r.stale && i >= r.staleAt {
				now = r.ent.Exists()
			}
			en.hook(r.db, r.key, e, prev, now)
			prev = now
		}
	}
	r.tx.End()
	r.tx, r.sh, r.ent, r.h, r.key = nil, nil, nil, nil, nil
	clear(r.effs)
}
