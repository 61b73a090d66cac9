package cluster

import (
	"errors"
	"fmt"
	"time"

	"github.com/lightconedb/lightcone/internal/effect"
)

// Forgetting a member. An effect is folded into the state (and dropped
// from memory) once every member has applied it, so a member that is gone
// for good — its machine lost, its data directory with it — would hold
// back stability for ever: every key written since keeps its unstable
// history, and memory grows with the writes. An operator who knows the
// member will not come back with its data tells one node to forget it
// (LIGHTCONE FORGET): the member is marked retired, which stops it
// counting for stability, and the mark spreads to every node with the
// membership that heartbeats carry. From then on every node refuses it:
// a node that was forgotten and starts again with its old data directory
// is turned away (its effects not yet replicated are lost, as they would
// be with its disk), and it must join again with an empty directory, as a
// new member. The retired identities are kept by the server in the data
// directory, so that a restart remembers them.
//
// Only a member whose link is down, or that has been silent for
// forgetSilence, may be forgotten here, so that a live node is not cut off
// by mistake. This is an operator's decision, not a
// failure detector: no node forgets a member by itself.

// forgetSilence is how long a member must have been silent to be
// forgotten while its link still looks up.
const forgetSilence = 2 * time.Second

// Errors of Forget.
var (
	ErrForgetSelf      = errors.New("a node cannot forget itself")
	ErrForgetUnknown   = errors.New("no such member")
	ErrForgetConnected = errors.New("the member is connected: stop it before forgetting it")
	errRetired         = errors.New("the peer is a forgotten member")
)

// Forget marks member id retired (see above). It reports whether the
// member was not retired already.
func (n *Node) Forget(id effect.NodeID) (bool, error) {
	if id == n.self {
		return false, ErrForgetSelf
	}
	n.mu.Lock()
	m := n.members[id]
	if m == nil {
		n.mu.Unlock()
		return false, ErrForgetUnknown
	}
	if m.Retired {
		n.mu.Unlock()
		return false, nil
	}
	// connected: a link to it is up and it was heard from lately (a link
	// to a dead node stays up until QUIC's idle timeout)
	in := n.inbound[id]
	heard := in != nil && time.Since(in.at) < forgetSilence
	if (n.byNode[id] != nil || (in != nil && in.streams > 0)) && (heard || in == nil) {
		n.mu.Unlock()
		return false, ErrForgetConnected
	}
	n.mu.Unlock()
	n.learn([]Member{{ID: id, Addr: m.Addr, Retired: true}})
	n.log.Warn("cluster: member forgotten by an operator: it no longer counts for stability and will be refused", "node", fmt.Sprintf("%016x", uint64(id)), "addr", m.Addr)
	return true, nil
}

// retiredLocked reports whether id is a retired member (n.mu held).
func (n *Node) retiredLocked(id effect.NodeID) bool {
	m := n.members[id]
	return m != nil && m.Retired
}

func (n *Node) isRetired(id effect.NodeID) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.retiredLocked(id)
}

// retiredAddrLocked reports whether addr is the address of a retired
// member (n.mu held): a seed at that address that never answered does not
// hold back compaction.
func (n *Node) retiredAddrLocked(addr string) bool {
	for _, m := range n.members {
		if m.Retired && m.Addr == addr {
			return true
		}
	}
	return false
}

// Removed reports whether this node learned that the cluster forgot it:
// its peers refuse it, and it must join again with an empty data
// directory.
func (n *Node) Removed() bool { return n.removed.Load() }

// learnedSelfRetired handles gossip saying that this node was forgotten.
func (n *Node) learnedSelfRetired() {
	if n.removed.CompareAndSwap(false, true) {
		n.log.Error("cluster: THIS NODE WAS FORGOTTEN BY THE CLUSTER (LIGHTCONE FORGET on a peer): its peers refuse it and its writes no longer replicate; start it again with an empty --dir to join as a new member")
	}
}
