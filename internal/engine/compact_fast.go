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
func (en *Engine) foldPrefix(live []*effect.Effect) int {
	return foldPrefixAt(live, en.stableCut())
}

// stableCut is, per origin, the highest Seq every member has applied: the
// causally stable prefix of each origin's effects at one instant. It only
// grows, so a cut taken once serves a whole Compact pass.
type stableCut []effect.ID

// stableCut computes the cut, for every origin this node knows of; it
// agrees with stableLocked.
func (en *Engine) stableCut() stableCut {
	en.emitMu.Lock()
	defer en.emitMu.Unlock()
	cut := make(stableCut, 0, len(en.members)+1)
	add := func(o effect.NodeID) {
		for _, x := range cut {
			if x.Node == o {
				return
			}
		}
		s := uint64(math.MaxUint64)
		for _, m := range en.members {
			if m == o {
				s = min(s, en.applied[m])
			} else {
				s = min(s, en.known[m][o])
			}
		}
		cut = append(cut, effect.ID{Node: o, Seq: s})
	}
	add(en.node)
	for _, m := range en.members {
		add(m)
	}
	for o := range en.applied {
		add(o)
	}
	for _, k := range en.known {
		for o := range k {
			add(o)
		}
	}
	return cut
}

// equal reports whether two cuts are the same (in the same order, as
// stableCut builds them while membership stays).
func (c stableCut) equal(d stableCut) bool {
	if len(c) != len(d) {
		return false
	}
	for i := range c {
		if c[i] != d[i] {
			return false
		}
	}
	return true
}

// StableCut is, per origin, the highest Seq every member has applied.
func (en *Engine) StableCut() []effect.ID {
	if !en.cluster {
		return nil
	}
	return en.stableCut()
}

// covers reports whether id is stable at the cut.
func (c stableCut) covers(id effect.ID) bool {
	for _, x := range c {
		if x.Node == id.Node {
			return id.Seq <= x.Seq
		}
	}
	return false
}

// foldPrefixAt is foldPrefix against a stable cut taken earlier.
func foldPrefixAt(live []*effect.Effect, cut stableCut) int {
	stable := 0
	for stable < len(live) && cut.covers(live[stable].ID) {
		stable++
	}
	if stable == 0 {
		return 0
	}
	if stable == len(live) {
		return stable // no later effect is left to have observed them
	}
	var obuf [8]effect.NodeID
	origins := obuf[:0]
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
	// sufMin[k*(L+1)+j] = min over j' >= j of observedSeq(live[j'],
	// origins[k]); sufMin[k*(L+1)+L] = +inf. One buffer, on the stack for
	// the usual short histories.
	var sbuf [128]uint64
	var sufMin []uint64
	if w := len(origins) * (L + 1); w <= len(sbuf) {
		sufMin = sbuf[:w]
	} else {
		sufMin = make([]uint64, w)
	}
	for k, o := range origins {
		m := sufMin[k*(L+1) : (k+1)*(L+1)]
		m[L] = math.MaxUint64
		for j := L - 1; j >= 0; j-- {
			m[j] = min(m[j+1], observedSeq(live[j], o))
		}
	}
	var nbuf [8]uint64
	var need []uint64
	if len(origins) <= len(nbuf) {
		need = nbuf[:len(origins)]
	} else {
		need = make([]uint64, len(origins))
	}
	best := 0
	for n := 1; n <= stable; n++ {
		x := live[n-1]
		for k, o := range origins {
			if o == x.ID.Node && x.ID.Seq > need[k] {
				need[k] = x.ID.Seq
			}
		}
		ok := true
		for k := range origins {
			if need[k] > 0 && need[k] > sufMin[k*(L+1)+n] {
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
