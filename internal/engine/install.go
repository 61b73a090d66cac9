package engine

import (
	"github.com/lightconedb/lightcone/internal/effect"
)

// State transfer: a cluster node that cannot catch up from its peers'
// retained effects takes a peer's snapshot instead (internal/cluster
// xfer.go, internal/wal InstallSnapshot). The engine's part is to empty
// itself, take the snapshot's entries (LoadEntry, Replay), and then set its
// position to the snapshot's cut exactly. The caller guarantees that
// nothing else uses the engine meanwhile: no command runs and no remote
// effect is applied.

// ResetForInstall empties every database (entries, expiry and fold
// indexes), drops the effects waiting for their causal past and forgets
// the applied frontier of every other origin. The node's own Seq, the
// members and what each member is known to have applied stay.
func (en *Engine) ResetForInstall() {
	en.deliverMu.Lock()
	defer en.deliverMu.Unlock()
	tx := en.lockEverything()
	for i := range tx.locks {
		l := &tx.locks[i]
		l.ptr.Shards[l.shard].Clear()
	}
	en.emitMu.Lock()
	clear(en.applied)
	en.emitMu.Unlock()
	clear(en.pending)
	tx.End()
	en.compactMu.Lock()
	en.lastCut = nil // the loaded histories are folded at the next pass
	en.compactMu.Unlock()
}

// FinishInstall ends an install: it drops the buffered effects the new
// frontier covers, delivers those whose causal past is now complete, and
// tells the change hook that every database changed (as a FLUSHALL does:
// WATCHed keys, tracked keys).
func (en *Engine) FinishInstall() {
	en.deliverMu.Lock()
	for node, q := range en.pending {
		have := en.appliedOf(node)
		for seq := range q {
			if seq <= have {
				delete(q, seq)
			}
		}
		if len(q) == 0 {
			delete(en.pending, node)
		}
	}
	en.drain()
	en.deliverMu.Unlock()
	if en.hook != nil {
		for d := range en.dbs {
			e := effect.Effect{Op: effect.OpFlushDB, DB: uint32(d)}
			tx := en.BeginDBs(d)
			en.hook(d, nil, &e, false, false)
			tx.End()
		}
	}
}

// Covers reports whether this node has applied every effect of other
// origins that frontier f names (its own entry is not looked at).
func (en *Engine) Covers(f []effect.ID) bool { return en.covered(f) }
