package cluster

import (
	"fmt"
	"sort"
	"time"

	"github.com/lightconedb/lightcone/internal/effect"
)

// Restarting with the same NodeID.
//
// A node hands its effects to its peers before its log has made them
// durable, so after a kill -9 a peer may hold effects of this node with Seqs
// beyond what the node recovered. Were the node to stamp new effects with
// those Seqs, peers would drop them as duplicates of the lost ones and the
// cluster would diverge for good. Reclaim closes that window: before the
// node stamps anything, it learns every reachable peer's frontier for its
// own NodeID and fetches back (applies and logs) whatever a peer holds past
// its own last Seq, so that its next Seq follows the highest one any peer
// has seen.

// ReclaimResult says what Reclaim did.
type ReclaimResult struct {
	Before, After uint64   // this node's own last Seq before and after
	Unheard       []string // seed addresses that did not answer in time
	Behind        []string // peers that still reported more of this node's effects when time ran out (node ids)
}

// Reclaim takes back this node's own effects that peers hold beyond its
// last Seq. Call it after Start, once the engine hands its effects to this
// node (SetSink), and before the node stamps any effect. It waits at most
// reach for every seed to answer, and at most timeout in all; a seed that
// has not answered by then is listed in Unheard (the caller must log it:
// if it holds lost effects of this node, their Seqs will be used again).
// From its return on, a peer found holding this node's effects past its Seq
// is logged as an error and counted in SeqReuse.
func (n *Node) Reclaim(reach, timeout time.Duration) (res ReclaimResult) {
	start := time.Now()
	res.Before = n.eng.AppliedOf(n.self)
	defer func() {
		res.After = n.eng.AppliedOf(n.self)
		if res.After > res.Before {
			n.Reclaimed.Add(int64(res.After - res.Before))
			for _, p := range *n.peers.Load() { // their streams may wait for these
				select {
				case p.kick <- struct{}{}:
				default:
				}
			}
		}
		n.reclaimed.Store(true)
	}()
	for {
		unheard, ahead := n.reclaimState()
		elapsed := time.Since(start)
		if len(ahead) == 0 && (len(unheard) == 0 || elapsed >= reach) {
			res.Unheard = unheard
			return res
		}
		if elapsed >= timeout {
			res.Unheard = unheard
			for m := range ahead {
				res.Behind = append(res.Behind, fmt.Sprintf("%016x", uint64(m)))
			}
			sort.Strings(res.Behind)
			return res
		}
		own := n.eng.AppliedOf(n.self)
		n.mu.Lock()
		var m effect.NodeID
		var to uint64
		if !n.fetching[n.self] {
			for peer, seq := range ahead {
				if seq > to && n.byNode[peer] != nil {
					m, to = peer, seq
				}
			}
			if m != 0 {
				n.fetching[n.self] = true
			}
		}
		n.mu.Unlock()
		if m != 0 {
			go n.fetch(m, fetchReq{Origin: n.self, From: own + 1, To: to})
		}
		select {
		case <-n.ctx.Done():
			res.Unheard = unheard
			return res
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// reclaimState lists the seeds not heard from yet (no frontier received
// over this node's link to them) and, by peer, the highest Seq of this
// node's own effects a peer reported beyond this node's own.
func (n *Node) reclaimState() (unheard []string, ahead map[effect.NodeID]uint64) {
	own := n.eng.AppliedOf(n.self)
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, p := range n.dialers {
		p.mu.Lock()
		node, state, ever := p.node, p.state, p.ever
		p.mu.Unlock()
		if state == "self" || state == "duplicate" {
			continue
		}
		if in := n.inbound[node]; !ever || node == 0 || in == nil || !in.heard {
			unheard = append(unheard, p.addr)
		}
	}
	sort.Strings(unheard)
	for m, in := range n.inbound {
		if s := effect.FrontierOf(in.frontier, n.self); s > own {
			if ahead == nil {
				ahead = map[effect.NodeID]uint64{}
			}
			ahead[m] = s
		}
	}
	return unheard, ahead
}
