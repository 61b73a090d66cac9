package engine

import (
	"slices"

	"github.com/lightconedb/lightcone/internal/effect"
)

// Runtime membership, for nodes that learn their peers after New (the
// cluster layer). EnableCluster and SetSink must be called before the engine
// serves anything; AddMember and RemoveMember may be called at any time.

// EnableCluster makes the engine behave as a cluster member even before it
// knows any other member: local effects carry frontiers and collection types
// mint globally unique element identities. Call before serving.
func (en *Engine) EnableCluster() { en.cluster = true }

// SetSink adds a sink for applied effects (the cluster's, next to the
// effect log's): both get every effect; the first one keeps its group and
// transaction protocol. Call before serving.
func (en *Engine) SetSink(s Sink) {
	if en.sink == nil {
		en.sink = s
		return
	}
	if gs, ok := en.sink.(GroupSink); ok {
		en.sink = &teeGroupSink{GroupSink: gs, extra: s}
		return
	}
	en.sink = teeSink{first: en.sink, extra: s}
}

type teeSink struct{ first, extra Sink }

func (t teeSink) Emit(e *effect.Effect, local bool) {
	t.first.Emit(e, local)
	t.extra.Emit(e, local)
}

// teeGroupSink passes the group protocol to the log and every effect to
// the extra sink as it is stamped.
type teeGroupSink struct {
	GroupSink
	extra Sink
}

func (t *teeGroupSink) Emit(e *effect.Effect, local bool) {
	t.GroupSink.Emit(e, local)
	t.extra.Emit(e, local)
}

func (t *teeGroupSink) EmitIn(e *effect.Effect, g *Group) {
	t.GroupSink.EmitIn(e, g)
	t.extra.Emit(e, true)
}

func (t *teeGroupSink) EncodeIn(e *effect.Effect, g *Group) {
	if ge, ok := t.GroupSink.(GroupEncoder); ok {
		ge.EncodeIn(e, g)
	}
}

func (t *teeGroupSink) BeginTxn() {
	if ts, ok := t.GroupSink.(TxnSink); ok {
		ts.BeginTxn()
	}
}

func (t *teeGroupSink) EndTxn() {
	if ts, ok := t.GroupSink.(TxnSink); ok {
		ts.EndTxn()
	}
}

// AddMember adds m to the members whose acknowledgement makes an effect
// causally stable. It reports whether m was new.
func (en *Engine) AddMember(m effect.NodeID) bool {
	if m == en.node || m == 0 {
		return false
	}
	en.emitMu.Lock()
	defer en.emitMu.Unlock()
	i, found := slices.BinarySearch(en.members, m)
	if found {
		return false
	}
	en.members = slices.Insert(slices.Clone(en.members), i, m)
	return true
}

// RemoveMember forgets m (a retired identity that will never write or
// acknowledge again): stability no longer waits for it. It reports whether m
// was a member.
func (en *Engine) RemoveMember(m effect.NodeID) bool {
	en.emitMu.Lock()
	defer en.emitMu.Unlock()
	i, found := slices.BinarySearch(en.members, m)
	if !found {
		return false
	}
	en.members = slices.Delete(slices.Clone(en.members), i, i+1)
	delete(en.known, m)
	return true
}

// Members lists the other members, sorted.
func (en *Engine) Members() []effect.NodeID {
	en.emitMu.Lock()
	defer en.emitMu.Unlock()
	return slices.Clone(en.members)
}

// AppliedOf is the highest Seq of origin n applied here (this node's own
// last Seq for n == Node()).
func (en *Engine) AppliedOf(n effect.NodeID) uint64 { return en.appliedOf(n) }
