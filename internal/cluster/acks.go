package cluster

import (
	"sync"
	"time"

	"github.com/lightconedb/lightcone/internal/effect"
)

// Acknowledgements for WAIT: how many peers have applied this node's own
// effects up to a Seq, as their heartbeats (and hello replies) report their
// applied frontier (onFrontier).

// ackWatch wakes waiters when a peer reports a new frontier.
type ackWatch struct {
	mu sync.Mutex
	ch chan struct{} // closed at the next report; nil when nobody asked
}

// frontierReported is called by onFrontier after it stored a peer's frontier.
func (n *Node) frontierReported() {
	w := &n.acks
	w.mu.Lock()
	if w.ch != nil {
		close(w.ch)
		w.ch = nil
	}
	w.mu.Unlock()
}

// AckNotify returns a channel that is closed when the next peer frontier
// report arrives (a waiter checks Acked again then).
func (n *Node) AckNotify() <-chan struct{} {
	w := &n.acks
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ch == nil {
		w.ch = make(chan struct{})
	}
	return w.ch
}

// OwnSeq is the Seq of the last effect this node stamped and applied.
func (n *Node) OwnSeq() uint64 { return n.eng.AppliedOf(n.self) }

// Acked counts the live (not retired) members other than this node whose
// last reported applied frontier covers this node's effects up to seq: the
// peers known to hold every effect this node had stamped at seq. A peer
// that is down counts with what it reported before it went away.
func (n *Node) Acked(seq uint64) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	count := 0
	for id, in := range n.inbound {
		if id == n.self || id == 0 || !in.heard {
			continue
		}
		if m := n.members[id]; m != nil && m.Retired {
			continue
		}
		if effect.FrontierOf(in.frontier, n.self) >= seq {
			count++
		}
	}
	return count
}

// ackSpacing is the least time between two heartbeats on one link when
// they are sent early to acknowledge effects (ackSoon).
const ackSpacing = 2 * time.Millisecond

// ackSoon asks for a heartbeat to peer m soon, after a burst of m's effects
// was applied: its frontier tells m at once that they arrived, instead of
// at the next regular heartbeat (up to Heartbeat later). WAIT on m then
// answers in about a round trip, and the effects become stable, and leave
// memory, sooner. At most one early heartbeat per ackSpacing.
func (n *Node) ackSoon(m effect.NodeID) {
	n.mu.Lock()
	p := n.byNode[m]
	n.mu.Unlock()
	if p == nil {
		return
	}
	select {
	case p.ack <- struct{}{}:
	default:
	}
}
