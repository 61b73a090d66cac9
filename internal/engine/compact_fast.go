package engine

import (
	"math"

	"github.com/lightconedb/lightcone/internal/effect"
)

// CompactFast is Compact (the name the cluster layer calls): the prefix
// to fold is chosen in linear time (foldPrefix), not O(live³) as it once
// was, which made a hot key's compaction stall its shard for seconds.
func (en *Engine) CompactFast() int { return en.Compact() }

// observedSeq is the highest Seq of node that x had observed.
func observedSeq(x *effect.Effect, node effect.NodeID) uint64 {
	if x.ID.Node == node {
		return x.ID.Seq - 1
	}
	return effect.FrontierOf(x.Frontier, node)
}

// foldPrefix returns how many leading live effects may be folded: n such
// that live[:n] are all stable and every live[j], j >= n, observed every
// one of them. Observation is monotone in Seq per origin, so live[j]
// observed live[:n] iff, for every origin o in live[:n], it observed the
// highest Seq of o there; suffix minima of what each effect observed of each
// origin answer that for every n at once.
func (en *Engine) foldPrefix(live []effect.Effect) int {
	if len(live) == 1 { // the common case: one unacknowledged write
		en.emitMu.Lock()
		ok := en.stableLocked(live[0].ID)
		en.emitMu.Unlock()
		if ok {
			return 1
		}
		return 0
	}
	en.emitMu.Lock()
	stable := 0
	for stable < len(live) && en.stableLocked(live[stable].ID) {
		stable++
	}
	en.emitMu.Unlock()
	if stable == 0 {
		return 0
	}
	var origins []effect.NodeID
	for i := 0; i < stable; i++ {
		o := live[i].ID.Node
		found := false
		for _, x := range origins {
			if x == o {
				found = true
				break
			}
		}
		if !found {
			origins = append(origins, o)
		}
	}
	L := len(live)
	// sufMin[k][j] = min over j' >= j of observedSeq(live[j'], origins[k]); sufMin[k][L] = +inf
	sufMin := make([][]uint64, len(origins))
	for k, o := range origins {
		m := make([]uint64, L+1)
		m[L] = math.MaxUint64
		for j := L - 1; j >= 0; j-- {
			m[j] = min(m[j+1], observedSeq(&live[j], o))
		}
		sufMin[k] = m
	}
	need := make([]uint64, len(origins))
	best := 0
	for n := 1; n <= stable; n++ {
		x := &live[n-1]
		for k, o := range origins {
			if o == x.ID.Node && x.ID.Seq > need[k] {
				need[k] = x.ID.Seq
			}
		}
		ok := true
		for k := range origins {
			if need[k] > 0 && need[k] > sufMin[k][n] {
				ok = false
				break
			}
		}
		if ok {
			best = n
		}
	}
	return best
}
