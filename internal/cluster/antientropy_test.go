package cluster

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/lightconedb/lightcone/internal/crdt"
	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/engine"
	"github.com/lightconedb/lightcone/internal/keyspace"
)

// Quiet nodes at the same frontier compare key-range digests: equal data
// gives no divergence; a key changed on one node without an effect (as
// corruption would) is found, on both sides, in its range.
func TestAntiEntropyFindsDivergentRange(t *testing.T) {
	oq, or := aeQuiet, aeRecheck
	aeQuiet, aeRecheck = 200*time.Millisecond, 500*time.Millisecond
	defer func() { aeQuiet, aeRecheck = oq, or }()
	nodes := startCluster(t, 2, Faults{})
	for i := 0; i < 200; i++ {
		set(nodes[0].en, fmt.Sprint("k", i), fmt.Sprint(i))
		set(nodes[1].en, fmt.Sprint("j", i), fmt.Sprint(i))
	}
	waitConverged(t, nodes, 10*time.Second, nil)
	waitFor(t, "digest comparisons", 10*time.Second, func() bool {
		return nodes[0].n.AntiEntropy().Compared.Load() > 0 && nodes[1].n.AntiEntropy().Compared.Load() > 0
	})
	for i, x := range nodes {
		if d := x.n.AntiEntropy().Divergent.Load(); d != 0 {
			t.Fatalf("node %d found %d divergent ranges between equal states (ranges %v)", i, d, x.n.LastDivergentRanges())
		}
	}

	// node 1's k5 changes under it, with no effect
	ent := keyspace.NewEntry([]byte("k5"))
	ent.Kind = keyspace.KindString
	ent.SetStr([]byte("corrupt"))
	if _, err := nodes[1].en.LoadEntry(0, engine.AppendEntry(nil, ent, &crdt.Enc{})); err != nil {
		t.Fatal(err)
	}
	if get(nodes[1].en, "k5") != "corrupt" {
		t.Fatal("the test could not change k5")
	}
	want := []int{engine.DigestRange([]byte("k5"))}
	waitFor(t, "the divergence to be found on both nodes", 10*time.Second, func() bool {
		return nodes[0].n.AntiEntropy().Divergent.Load() > 0 && nodes[1].n.AntiEntropy().Divergent.Load() > 0
	})
	for i, x := range nodes {
		if got := x.n.LastDivergentRanges(); !slices.Equal(got, want) {
			t.Fatalf("node %d reports ranges %v, want %v", i, got, want)
		}
	}
}

func TestSameFrontierIgnoresZeroSeqs(t *testing.T) {
	id := func(n, s uint64) effect.ID { return effect.ID{Node: effect.NodeID(n), Seq: s} }
	for _, c := range []struct {
		a, b []effect.ID
		same bool
	}{
		{nil, nil, true},
		{[]effect.ID{id(1, 0)}, nil, true},
		{[]effect.ID{id(1, 5), id(2, 0), id(3, 7)}, []effect.ID{id(1, 5), id(3, 7)}, true},
		{[]effect.ID{id(1, 5)}, []effect.ID{id(1, 6)}, false},
		{[]effect.ID{id(1, 5), id(2, 1)}, []effect.ID{id(1, 5)}, false},
		{[]effect.ID{id(1, 5)}, []effect.ID{id(1, 5), id(2, 1)}, false},
	} {
		if got := sameFrontier(c.a, c.b); got != c.same {
			t.Errorf("sameFrontier(%v, %v) = %v", c.a, c.b, got)
		}
	}
}
