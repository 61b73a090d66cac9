package engine

import (
	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/keyspace"
)

// The questions asked of a key's live (unstable) history on every write and
// merge — which effects are tips, which ones a delete removed — answered in
// O(live × origins) instead of comparing every pair of effects. Both rest on
// one fact: what an effect x observed of an origin o is a prefix of o's
// effects, up to observedSeq(x, o) (its own origin: everything before it;
// another: its frontier's entry), because each origin applies its own
// effects in order and delivery is causal.

// originSeq is one origin's entry in a small per-key table.
type originSeq struct {
	node effect.NodeID
	seq  uint64
}

// seqTable is a tiny map from origin to a sequence number: a cluster has a
// handful of origins, so a slice searched linearly beats a map.
type seqTable []originSeq

func (t seqTable) get(n effect.NodeID) (uint64, bool) {
	for i := range t {
		if t[i].node == n {
			return t[i].seq, true
		}
	}
	return 0, false
}

// raise sets n's entry to at least s.
func (t *seqTable) raise(n effect.NodeID, s uint64) {
	for i := range *t {
		if (*t)[i].node == n {
			if s > (*t)[i].seq {
				(*t)[i].seq = s
			}
			return
		}
	}
	*t = append(*t, originSeq{n, s})
}

// summary is a history's live effects seen per origin, kept up to date as
// effects are added so that the common write — one that observed the whole
// history, a local write or a remote one made after everything here —
// costs O(origins), not O(live): the latest Seq of each origin among live,
// the number of effects that are not string writes, and the tips. The tips
// are recomputed (O(live × origins)) after a concurrent effect arrives,
// everything after a fold, when next asked.
type summary struct {
	ok     bool // last and other are valid
	last   seqTable
	other  int // live effects that are neither string writes nor TTLs
	deltas int // live string writes other than assignments (INCR, APPEND, ...)
	tipsOK bool
	tips   []effect.ID
}

func (h *history) summarise() {
	h.counts()
	if !h.sum.tipsOK {
		h.sum.tips = appendTips(h.sum.tips[:0], h.live, h.sum.last)
		h.sum.tipsOK = true
	}
}

// counts makes last and other valid (not the tips).
func (h *history) counts() {
	if !h.sum.ok {
		h.sum.last = h.sum.last[:0]
		h.sum.other, h.sum.deltas = 0, 0
		for i := range h.live {
			h.sum.last.raise(h.live[i].ID.Node, h.live[i].ID.Seq)
			h.count(h.live[i])
		}
		h.sum.ok, h.sum.tipsOK = true, false
	}
}

func (h *history) count(x *effect.Effect) {
	switch {
	case !stringWrite(x):
		h.sum.other++
	case x.Op != effect.OpAssign && x.Op != effect.OpExpire:
		h.sum.deltas++
	}
}

// stringWrite: an effect that writes a string value or a TTL.
func stringWrite(x *effect.Effect) bool {
	return x.Op == effect.OpExpire || (opKind(x) == keyspace.KindString && x.Flags&effect.FlagReplace == 0)
}

// observedBy reports whether x observed every live effect.
func (h *history) observedBy(x *effect.Effect) bool {
	h.counts()
	for _, o := range h.sum.last {
		if observedSeq(x, o.node) < o.seq {
			return false
		}
	}
	return true
}

// added updates the summary after x joined live; all says that x observed
// every other live effect (it is then the only tip).
func (h *history) added(x *effect.Effect, all bool) {
	if !h.sum.ok {
		return
	}
	h.sum.last.raise(x.ID.Node, x.ID.Seq)
	h.count(x)
	if all && h.sum.tipsOK {
		h.sum.tips = append(h.sum.tips[:0], x.ID)
	} else {
		h.sum.tipsOK = false
	}
}

// shadowed reports whether the string assignment live[i], just inserted
// out of stamp order (a concurrent write), leaves the value as it was: the
// key holds only string writes and TTLs (no delete, no collection, a string
// or nothing as base), and a later assignment without KEEPTTL follows it.
// eval then gives the same value (the last assignment wins and deltas are
// judged against it, an assignment is not a delta) and the same TTL (set
// again by the later assignment). The scan covers only the effects after
// i, a handful for a concurrent write that just arrived.
func (h *history) shadowed(i int) bool {
	x := h.live[i]
	if x.Op != effect.OpAssign || (h.base.Kind != keyspace.KindString && h.base.Kind != keyspace.KindNone) {
		return false
	}
	h.counts()
	if h.sum.other != 0 {
		return false
	}
	for j := len(h.live) - 1; j > i; j-- {
		if y := h.live[j]; y.Op == effect.OpAssign && y.Flags&effect.FlagKeepTTL == 0 {
			return true
		}
	}
	return false
}

// overrides reports whether the string assignment live[i], just added
// without having observed everything (a concurrent write), gives the key
// its value and TTL by itself: it is last in stamp order, has no KEEPTTL,
// and the key holds only assignments and TTLs (no delta it could have
// missed, no delete, no collection; a string or nothing as base). Applying
// it alone then gives what eval would.
func (h *history) overrides(i int) bool {
	x := h.live[i]
	if i != len(h.live)-1 || x.Op != effect.OpAssign || x.Flags&effect.FlagKeepTTL != 0 ||
		(h.base.Kind != keyspace.KindString && h.base.Kind != keyspace.KindNone) {
		return false
	}
	h.counts()
	return h.sum.other == 0 && h.sum.deltas == 0
}

// liveTips lists the key's live effects that no other live effect observed,
// in stamp order (a new slice).
func liveTips(ent *keyspace.Entry) []effect.ID {
	h := histOf(ent)
	if h == nil || len(h.live) == 0 {
		return nil
	}
	h.summarise()
	return append([]effect.ID(nil), h.sum.tips...)
}

// tipsOf lists the tips of live (see appendTips).
func tipsOf(live []*effect.Effect) []effect.ID {
	var last seqTable
	for i := range live {
		last.raise(live[i].ID.Node, live[i].ID.Seq)
	}
	return appendTips(nil, live, last)
}

// appendTips: x is a tip iff it is the latest live effect of its origin o
// (a later one of o observed it) and no effect of another origin observed
// o's Seq x.Seq, i.e. the largest frontier entry for o among the others is
// below x.Seq. last holds the latest Seq of each origin among live.
func appendTips(tips []effect.ID, live []*effect.Effect, last seqTable) []effect.ID {
	if len(live) == 1 {
		return append(tips, live[0].ID)
	}
	var obuf [8]originSeq
	seen := seqTable(obuf[:0]) // highest Seq of each origin observed by another origin's effect
	for i := range live {
		x := live[i]
		for _, o := range last {
			if o.node != x.ID.Node {
				if s := effect.FrontierOf(x.Frontier, o.node); s > 0 {
					seen.raise(o.node, s)
				}
			}
		}
	}
	for i := range live {
		id := live[i].ID
		if l, _ := last.get(id.Node); l != id.Seq {
			continue
		}
		if s, _ := seen.get(id.Node); s >= id.Seq {
			continue
		}
		tips = append(tips, id)
	}
	return tips
}

// removed is what the deletes among live effects removed: per origin, the
// highest Seq any of them observed (a delete removes exactly what it
// observed).
type removed struct {
	any  bool
	buf  [8]originSeq
	upTo seqTable
}

func (r *removed) collect(live []*effect.Effect) {
	r.upTo = r.buf[:0]
	for i := range live {
		d := live[i]
		if d.Op != effect.OpDelete {
			continue
		}
		r.any = true
		if d.ID.Seq > 1 {
			r.upTo.raise(d.ID.Node, d.ID.Seq-1)
		}
		for _, f := range d.Frontier {
			if f.Node != d.ID.Node && f.Seq > 0 {
				r.upTo.raise(f.Node, f.Seq)
			}
		}
	}
}

// covers reports whether some delete observed effect id.
func (r *removed) covers(id effect.ID) bool {
	if !r.any {
		return false
	}
	s, _ := r.upTo.get(id.Node)
	return id.Seq <= s
}
