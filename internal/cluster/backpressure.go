package cluster

import (
	"time"

	"github.com/lightconedb/lightcone/internal/effect"
)

// Back-pressure on local writes. A peer's effect stream reads this node's
// own effects from the retained store (ring.go), which keeps a bounded
// window of them. A peer that consumes more slowly than this node writes
// (it applies three nodes' writes on a slower or busier machine) would
// fall out of that window and need a state transfer; instead, once a
// streaming peer lags by more than half the window, the node reports Behind
// and the server holds back local writes until the peer has caught up to a
// quarter window. A peer whose link is down does not hold writes back: it
// catches up from the window, or needs a state transfer, when it returns.

// minSlack is the least lag, in effects, that counts as behind (the window
// is small while the store fills).
var minSlack uint64 = 1 << 16

// Behind reports whether a connected peer lags so far behind this node's
// own effects that it would soon need ones no longer retained.
func (n *Node) Behind() bool { return n.behind.Load() }

// checkBehind recomputes Behind against this node's last own effect.
func (n *Node) checkBehind(last uint64) {
	first, _ := n.ret.Span(n.self)
	if first == 0 {
		n.behind.Store(false)
		return
	}
	limit := max((last-first+1)/2, minSlack)
	was := n.behind.Load()
	behind := false
	for _, p := range *n.peers.Load() {
		if !p.streaming.Load() {
			continue
		}
		c := p.cursor.Load()
		if c < first {
			continue // already out of the window: back-pressure cannot help
		}
		lag := last + 1 - c
		if lag > limit || (was && lag > limit/2) {
			behind = true
			break
		}
	}
	n.behind.Store(behind)
}

// noteOwn is called for every local effect: every 64th recomputes Behind.
func (n *Node) noteOwn(id effect.ID) {
	if id.Seq&63 == 0 {
		n.checkBehind(id.Seq)
	}
}

// Effects every member has applied stay retained for retainStable more,
// then leave memory: once the cluster is quiet and stable the retained
// windows shrink to nothing instead of holding their whole budget. A
// member's own effects are trimmed only while its link is up: if it
// crashes, the peers keep at least its last retainStable of effects until
// it comes back, so that it can take back the ones its disk lost (Reclaim)
// however long it was away.
var retainStable = 30 * time.Second

type stableMark struct {
	at  time.Time
	cut []effect.ID
}

// trimStable drops from the retained store what was stable retainStable ago.
func (n *Node) trimStable() {
	now := time.Now()
	n.marks = append(n.marks, stableMark{at: now, cut: n.eng.StableCut()})
	i := 0
	keep := n.cfg.RetainStable
	if keep <= 0 {
		keep = retainStable
	}
	for i < len(n.marks) && now.Sub(n.marks[i].at) >= keep {
		i++
	}
	if i == 0 {
		return
	}
	up := map[effect.NodeID]bool{n.self: true}
	for _, l := range n.Links() {
		if l.State == "up" {
			up[l.Node] = true
		}
	}
	for _, id := range n.marks[i-1].cut {
		if up[id.Node] {
			n.ret.TrimTo(id.Node, id.Seq)
		}
	}
	n.marks = append(n.marks[:0], n.marks[i:]...)
}
