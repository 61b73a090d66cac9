package cluster

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lightconedb/lightcone/internal/effect"
)

// Anti-entropy digests.
//
// Effects repair what a stream lost (frontiers and fetches); digests check
// that what was applied is the same. While a node is quiet — its applied
// frontier unchanged for aeQuiet and no unfolded history in memory — it
// computes one digest per key range (engine RangeDigests: DigestRanges
// ranges by a hash of the key name, each the XOR of its keys' DEBUG DIGEST
// digests) and sends them, with the frontier they were computed at, on its
// control stream to every peer that reports that same frontier. A peer at
// the same frontier compares them with its own: two nodes that applied the
// same effects hold the same data, so a range that differs is a divergence
// no effect explains (a bug, memory or disk corruption). It is counted
// (Divergent) and logged with the ranges. Repair: a node that differs from
// at least two peers at its frontier, which all agree with each other, is
// the odd one out and takes a state transfer (xfer.go) of the whole state
// from one of them (Repairs). Two nodes alone cannot tell which is right:
// they only report. A transfer of the differing ranges alone is not built.
//
// Digests are computed again when the frontier changes (after it has been
// quiet again for aeQuiet) or aeRecheck after the last computation.

var (
	aeQuiet   = time.Second
	aeRecheck = time.Minute
)

// digestRanges is engine.DigestRanges.
const digestRanges = 256

type rangeSums = [digestRanges][20]byte

type aeState struct {
	mu    sync.Mutex
	lastF []effect.ID // frontier at the last look
	tried time.Time   // last attempt to compute own
	since time.Time   // when it last changed
	own   *rangeSums  // digests at ownF
	ownF  []effect.ID
	ownAt time.Time
	gen   uint64                         // bumped at every computation of own
	sent  map[effect.NodeID]uint64       // gen sent to each peer
	peer  map[effect.NodeID]*peerDigests // latest digests from each peer
	last  []int                          // ranges that differed at the last comparison that found any

	Compared  atomic.Int64 // comparisons made (one per peer digest at this node's frontier)
	Divergent atomic.Int64 // ranges found differing, summed over comparisons
	Repairs   atomic.Int64 // state transfers started because this node was the odd one out
}

type peerDigests struct {
	f    []effect.ID
	sums rangeSums
	done bool
}

// AntiEntropy is the node's digest comparison counters.
func (n *Node) AntiEntropy() *aeState { return &n.ae }

// LastDivergentRanges lists the ranges that differed at the last
// comparison that found a difference.
func (n *Node) LastDivergentRanges() []int {
	n.ae.mu.Lock()
	defer n.ae.mu.Unlock()
	return slices.Clone(n.ae.last)
}

// antiEntropy runs from background: it (re)computes this node's digests
// once it is quiet, and compares them with the peers' waiting.
func (n *Node) antiEntropy() {
	now := time.Now()
	f := n.eng.Frontier()
	a := &n.ae
	a.mu.Lock()
	if !sameFrontier(f, a.lastF) {
		a.lastF, a.since = f, now
		a.mu.Unlock()
		return
	}
	fresh := a.own != nil && sameFrontier(a.ownF, f) && now.Sub(a.ownAt) < aeRecheck
	quiet := now.Sub(a.since) >= aeQuiet
	// counting live effects visits every shard: at most once per aeQuiet
	try := !fresh && quiet && now.Sub(a.tried) >= aeQuiet
	if try {
		a.tried = now
	}
	a.mu.Unlock()
	if !quiet || n.xs.running.Load() {
		return
	}
	if try {
		if n.eng.LiveEffects() != 0 {
			return
		}
		sums := n.eng.RangeDigests()
		if !sameFrontier(n.eng.Frontier(), f) {
			return // something was applied meanwhile
		}
		a.mu.Lock()
		a.own, a.ownF, a.ownAt = sums, f, time.Now()
		a.gen++
		a.mu.Unlock()
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for m, pd := range a.peer {
		if !pd.done && sameFrontier(pd.f, a.ownF) {
			n.compareLocked(m, pd)
		}
	}
}

// digestFor returns the digest frame payload to send to peer m, or nil:
// this node has digests it has not sent m yet, and m reports the frontier
// they were computed at.
func (n *Node) digestFor(m effect.NodeID) []byte {
	if m == 0 {
		return nil
	}
	n.mu.Lock()
	var pf []effect.ID
	if in := n.inbound[m]; in != nil {
		pf = in.frontier
	}
	n.mu.Unlock()
	a := &n.ae
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.own == nil || a.sent[m] == a.gen || !sameFrontier(pf, a.ownF) {
		return nil
	}
	if a.sent == nil {
		a.sent = map[effect.NodeID]uint64{}
	}
	a.sent[m] = a.gen
	var b msg
	b.ids(a.ownF)
	for i := range a.own {
		b.b = append(b.b, a.own[i][:]...)
	}
	return b.b
}

// onDigest takes a peer's digests (from its control stream).
func (n *Node) onDigest(m effect.NodeID, payload []byte) {
	mm := msg{b: payload}
	f := mm.getIDs()
	if mm.err || len(mm.b) != digestRanges*20 {
		return
	}
	pd := &peerDigests{f: f}
	for i := range pd.sums {
		copy(pd.sums[i][:], mm.b[i*20:])
	}
	a := &n.ae
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.peer == nil {
		a.peer = map[effect.NodeID]*peerDigests{}
	}
	a.peer[m] = pd
	if a.own != nil && sameFrontier(a.ownF, f) {
		n.compareLocked(m, pd)
	}
}

// compareLocked compares a peer's digests with this node's, both at the
// same frontier. a.mu held.
func (n *Node) compareLocked(m effect.NodeID, pd *peerDigests) {
	a := &n.ae
	pd.done = true
	var diff []int
	for i := range pd.sums {
		if pd.sums[i] != a.own[i] {
			diff = append(diff, i)
		}
	}
	a.Compared.Add(1)
	if len(diff) == 0 {
		return
	}
	a.Divergent.Add(int64(len(diff)))
	a.last = diff
	shown := diff
	if len(shown) > 32 {
		shown = shown[:32]
	}
	n.log.Error("cluster: anti-entropy: key ranges differ from a peer's at the same applied frontier (a divergence no effect explains)",
		"peer", fmt.Sprintf("%016x", uint64(m)), "ranges", len(diff), "first_ranges", fmt.Sprint(shown), "of", digestRanges)
	// the odd one out: at least two peers at this frontier, all agreeing
	// with each other, and this node differs
	var ref *rangeSums
	var agree []effect.NodeID
	for m2, pd2 := range a.peer {
		if !sameFrontier(pd2.f, a.ownF) {
			continue
		}
		if ref == nil {
			ref = &pd2.sums
		} else if pd2.sums != *ref {
			return // the peers disagree among themselves: report only
		}
		agree = append(agree, m2)
	}
	if len(agree) < 2 || *ref == *a.own || n.xs.running.Load() {
		return
	}
	slices.Sort(agree)
	if n.wantTransfer(agree[0], "anti-entropy: this node's data differs from its peers', which agree with each other at the same applied frontier",
		"peers", len(agree), "ranges", len(diff)) {
		a.Repairs.Add(1)
	}
}

// forget drops this node's digests and the peers' (after a state transfer
// replaced the state they describe).
func (a *aeState) forget() {
	a.mu.Lock()
	a.own, a.ownF, a.lastF = nil, nil, nil
	clear(a.peer)
	a.mu.Unlock()
}

// sameFrontier compares two sorted frontiers, an origin at Seq 0 being the
// same as one not named (a node names itself before it has written).
func sameFrontier(a, b []effect.ID) bool {
	i, j := 0, 0
	for {
		for i < len(a) && a[i].Seq == 0 {
			i++
		}
		for j < len(b) && b[j].Seq == 0 {
			j++
		}
		if i == len(a) || j == len(b) {
			return i == len(a) && j == len(b)
		}
		if a[i] != b[j] {
			return false
		}
		i++
		j++
	}
}
