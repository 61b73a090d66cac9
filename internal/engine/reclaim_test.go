package engine

import (
	"strconv"
	"testing"

	"github.com/lightconedb/lightcone/internal/effect"
)

type recSink struct{ all []effect.Effect }

func (r *recSink) Emit(e *effect.Effect, local bool) { r.all = append(r.all, e.Clone()) }

func setKey(en *Engine, key, val string) {
	tx := en.Begin1(0, []byte(key))
	tx.Assign(0, []byte(key), []byte(val), 0, false)
	tx.End()
}

func ofNode(all []effect.Effect, n effect.NodeID) []effect.Effect {
	var out []effect.Effect
	for _, e := range all {
		if e.ID.Node == n {
			out = append(out, e)
		}
	}
	return out
}

// A restarted node takes back its own effects that its log lost (from a
// peer): Apply accepts its own origin beyond its last Seq, in Seq order and
// after their causal past, hands them to its sink (the log) and the node
// continues after them.
func TestApplyReclaimsOwnEffects(t *testing.T) {
	const self, other = effect.NodeID(0xa1), effect.NodeID(0xb2)
	aLog, bLog := &recSink{}, &recSink{}
	a := New(Config{Node: self, Sink: aLog})
	a.EnableCluster()
	b := New(Config{Node: other, Sink: bLog})
	b.EnableCluster()
	setKey(b, "fromb1", "1")
	setKey(b, "fromb2", "2")
	bEff := ofNode(bLog.all, other)
	for i := 1; i <= 6; i++ {
		if i == 4 { // a's effects 4.. depend on b's 1 and 2
			a.Apply(&bEff[0])
			a.Apply(&bEff[1])
		}
		setKey(a, "k"+strconv.Itoa(i), "v"+strconv.Itoa(i))
	}
	own := ofNode(aLog.all, self)
	if len(own) != 6 {
		t.Fatalf("recorded %d own effects", len(own))
	}

	// restart with only its first two effects in the log
	rLog := &recSink{}
	r := New(Config{Node: self, Sink: rLog})
	r.EnableCluster()
	r.Replay(&own[0])
	r.Replay(&own[1])
	if r.Apply(&own[1]) {
		t.Fatal("an own effect already recovered was accepted")
	}
	// out of order; 4.. also wait for b's effects
	for _, i := range []int{5, 3, 4, 2} {
		if !r.Apply(&own[i]) {
			t.Fatalf("own effect %v refused", own[i].ID)
		}
	}
	if got := r.AppliedOf(self); got != 3 {
		t.Fatalf("Seq %d before the causal past arrived, want 3", got)
	}
	r.Apply(&bEff[1])
	if got := r.AppliedOf(self); got != 3 {
		t.Fatalf("Seq %d before b's first effect arrived, want 3", got)
	}
	r.Apply(&bEff[0])
	if got := r.AppliedOf(self); got != 6 {
		t.Fatalf("Seq %d after everything arrived, want 6", got)
	}
	if r.Digest() != a.Digest() {
		t.Fatal("state after reclaiming differs from the original node's")
	}
	var logged []effect.ID
	for _, e := range rLog.all {
		logged = append(logged, e.ID)
	}
	if len(logged) != 6 || logged[0] != own[2].ID || logged[5] != own[5].ID {
		t.Fatalf("logged %v", logged)
	}
	// the next effect continues after the reclaimed ones
	setKey(r, "after", "1")
	if last := rLog.all[len(rLog.all)-1]; last.ID != (effect.ID{Node: self, Seq: 7}) {
		t.Fatalf("new effect stamped %v, want Seq 7", last.ID)
	}
}
