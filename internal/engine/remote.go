package engine

import (
	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/keyspace"
)

// Apply accepts an effect from another node. Duplicates are dropped; an effect
// whose causal past is not yet here (an earlier effect of its origin, or
// anything its origin's frontier names) waits in a buffer and is delivered as
// soon as that past arrives. It reports whether e was new.
//
// An effect of this node's own origin is accepted too when its Seq is beyond
// the node's last: after a crash a peer may hold effects this node stamped
// but never made durable, and a restarting node takes them back (in Seq
// order) before it stamps new ones, so that no Seq is used twice. The
// caller (the cluster layer) must do this only before the node serves
// writes.
func (en *Engine) Apply(e *effect.Effect) bool {
	en.deliverMu.Lock()
	defer en.deliverMu.Unlock()
	en.emitMu.Lock()
	applied := en.appliedOfLocked(e.ID.Node)
	// the usual case: the next effect of its origin, its past all here
	ready := e.ID.Seq == applied+1 && len(en.pending[e.ID.Node]) == 0 && en.coveredLocked(e.Frontier)
	en.emitMu.Unlock()
	if e.ID.Seq <= applied {
		return false
	}
	if ready {
		en.deliver(e) // keeps nothing of e (history keeps a copy)
		if len(en.pending) > 0 {
			en.drain()
		}
		return true
	}
	q := en.pending[e.ID.Node]
	if q == nil {
		q = map[uint64]effect.Effect{}
		en.pending[e.ID.Node] = q
	}
	if _, dup := q[e.ID.Seq]; dup {
		return false
	}
	q[e.ID.Seq] = e.Clone()
	en.drain()
	return true
}

func (en *Engine) appliedOf(n effect.NodeID) uint64 {
	en.emitMu.Lock()
	defer en.emitMu.Unlock()
	return en.appliedOfLocked(n)
}

func (en *Engine) appliedOfLocked(n effect.NodeID) uint64 {
	if n == en.node {
		return en.seq
	}
	return en.applied[n]
}

// drain delivers every buffered effect whose causal past is complete.
func (en *Engine) drain() {
	for progress := true; progress; {
		progress = false
		for node, q := range en.pending {
			for {
				next := en.appliedOf(node) + 1
				e, ok := q[next]
				if !ok || !en.covered(e.Frontier) {
					break
				}
				delete(q, next)
				en.deliver(&e)
				progress = true
			}
			if len(q) == 0 {
				delete(en.pending, node)
			}
		}
	}
}

func (en *Engine) covered(f []effect.ID) bool {
	en.emitMu.Lock()
	defer en.emitMu.Unlock()
	return en.coveredLocked(f)
}

func (en *Engine) coveredLocked(f []effect.ID) bool {
	for _, id := range f {
		if id.Node == en.node {
			continue
		}
		if en.appliedOfLocked(id.Node) < id.Seq {
			return false
		}
	}
	return true
}

// Pending is the number of received effects waiting for their causal past.
func (en *Engine) Pending() int {
	en.deliverMu.Lock()
	defer en.deliverMu.Unlock()
	n := 0
	for _, q := range en.pending {
		n += len(q)
	}
	return n
}

func (en *Engine) deliver(e *effect.Effect) {
	en.clock.Update(e.HLC)
	var tx *Tx
	switch e.Op {
	case effect.OpFlushDB:
		tx = en.BeginDBs(int(e.DB))
		en.applyFlush(tx.DB(int(e.DB)), e)
	case effect.OpSwapDB:
		tx = en.BeginDBs(int(e.DB), int(e.Int))
		en.applySwap(int(e.DB), int(e.Int), e)
	default:
		if int(e.DB) >= len(en.dbs) {
			break
		}
		tx = en.Begin1(int(e.DB), e.Key)
		en.applyKey(tx.shard(int(e.DB), e.Key), e, true, nil, false, 0, false)
	}
	en.delivered(e)
	if tx != nil {
		tx.End()
	}
	en.stats.RemoteApplied.Add(1)
}

// delivered records a remote effect as applied (its origin's frontier
// advances) and hands it to the sink. The caller holds its shard locks.
func (en *Engine) delivered(e *effect.Effect) {
	en.emitMu.Lock()
	if e.ID.Node == en.node {
		en.seq = e.ID.Seq // reclaimed (Apply): the node continues after it
	} else {
		en.applied[e.ID.Node] = e.ID.Seq
		en.noteKnown(e.ID.Node, e.Frontier, e.ID.Seq)
	}
	if en.sink != nil {
		en.sink.Emit(e, false)
	}
	en.emitMu.Unlock()
}

// noteKnown records that member m has applied everything in frontier f and
// its own effects up to own. Caller holds emitMu.
func (en *Engine) noteKnown(m effect.NodeID, f []effect.ID, own uint64) {
	k := en.known[m]
	if k == nil {
		k = map[effect.NodeID]uint64{}
		en.known[m] = k
	}
	for _, id := range f {
		if id.Seq > k[id.Node] {
			k[id.Node] = id.Seq
		}
	}
	if own > k[m] {
		k[m] = own
	}
}

// ObserveFrontier records a member's applied frontier heard from a heartbeat
// (it must have come after every effect of that member delivered here).
func (en *Engine) ObserveFrontier(m effect.NodeID, f []effect.ID) {
	en.emitMu.Lock()
	en.noteKnown(m, f, 0)
	en.emitMu.Unlock()
}

// stableLocked reports whether every member has applied id. Caller holds emitMu.
func (en *Engine) stableLocked(id effect.ID) bool {
	for _, m := range en.members {
		if m == id.Node {
			if en.applied[m] < id.Seq {
				return false
			}
			continue
		}
		if en.known[m][id.Node] < id.Seq {
			return false
		}
	}
	return true
}

// Compact folds causally stable history into the materialised base and drops
// it (and tombstones) from memory. It returns the number of effects folded.
func (en *Engine) Compact() int {
	if !en.cluster {
		return 0
	}
	en.compactMu.Lock()
	defer en.compactMu.Unlock()
	folded := 0
	cut := en.stableCut()
	if cut.equal(en.lastCut) {
		return 0 // nothing became stable since the last pass
	}
	en.lastCut = cut
	var todo []*keyspace.Entry
	seen := map[*keyspace.Entry]struct{}{}
	for d := range en.dbs {
		for s := 0; s < keyspace.NumShards; s++ {
			tx := en.newTx()
			tx.locks = append(tx.locks, lockRef{db: d, shard: s})
			tx.lock()
			sh := &tx.locks[0].ptr.Shards[s]
			// the entries that gained a stable effect, each folded once
			// (a hot key has many)
			todo = todo[:0]
			clear(seen)
			for i := range sh.Fold {
				q := &sh.Fold[i]
				n := 0
				for _, r := range q.Items[q.Head:] {
					if !cut.covers(effect.ID{Node: effect.NodeID(q.Node), Seq: r.Seq}) {
						break
					}
					n++
					if _, ok := seen[r.Ent]; !ok {
						seen[r.Ent] = struct{}{}
						todo = append(todo, r.Ent)
					}
				}
				q.Advance(n)
			}
			for _, ent := range todo {
				if _, ok := sh.Live[ent]; ok {
					folded += en.fold(sh, ent, cut)
				}
			}
			clear(todo)
			tx.End()
		}
	}
	return folded
}

// fold moves the longest stable prefix of a key's live history, that every
// remaining live effect has observed, into its base (foldPrefix finds it in
// O(live × origins)).
func (en *Engine) fold(sh *keyspace.Shard, ent *keyspace.Entry, cut stableCut) int {
	h := histOf(ent)
	if h == nil {
		return 0
	}
	k := foldPrefixAt(h.live, cut)
	if k == 0 {
		return 0
	}
	if k == len(h.live) {
		// the whole history is stable: the entry already holds what
		// folding it into the base would compute
		ent.SetAux(nil)
		if !ent.Exists() {
			sh.Delete(ent.Key())
			return k
		}
		sh.Reindex(ent)
		return k
	}
	prefix := &history{base: h.base, live: h.live[:k]}
	var b keyspace.Entry
	eval(&b, prefix, en.ctx())
	h.base = b
	n := copy(h.live, h.live[k:])
	clear(h.live[n:])
	h.live = h.live[:n]
	if cap(h.live) > 64 && n < cap(h.live)/4 {
		h.live = append([]*effect.Effect(nil), h.live...) // a hot key that cooled down
		h.meta, h.metaOK = nil, false
	}
	if h.metaOK {
		m := copy(h.meta, h.meta[k:])
		h.meta = h.meta[:m]
	}
	h.sum.ok, h.sum.tipsOK, h.ttlsOK = false, false, false
	if len(h.live) == 0 {
		ent.SetAux(nil)
		copyValue(ent, &b) // the entry must not share the base's collection
		if !ent.Exists() {
			sh.Delete(ent.Key())
			return k
		}
	}
	sh.Reindex(ent)
	return k
}

// LiveEffects is the number of unstable effects held in memory.
func (en *Engine) LiveEffects() int {
	n := 0
	for d := range en.dbs {
		for s := 0; s < keyspace.NumShards; s++ {
			tx := en.newTx()
			tx.locks = append(tx.locks, lockRef{db: d, shard: s})
			tx.lock()
			for ent := range tx.locks[0].ptr.Shards[s].Live {
				n += len(histOf(ent).live)
			}
			tx.End()
		}
	}
	return n
}
