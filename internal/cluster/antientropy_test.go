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

// fastAntiEntropy makes nodes compare digests within a second; call it
// before starting them (the old values come back after they are closed).
func fastAntiEntropy(t *testing.T) {
	oq, or := aeQuiet, aeRecheck
	aeQuiet, aeRecheck = 200*time.Millisecond, 500*time.Millisecond
	t.Cleanup(func() { aeQuiet, aeRecheck = oq, or })
}

// Quiet nodes at the same frontier compare key-range digests: equal data
// gives no divergence; a key changed on one node without an effect (as
// corruption would) is found, on both sides, in its range.
func TestAntiEntropyFindsDivergentRange(t *testing.T) {
	fastAntiEntropy(t)
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

// Of three quiet nodes at one frontier, the one whose data differs from two
// peers that agree with each other takes a state transfer from one of them
// and holds the same data again; the two others only report.
func TestAntiEntropyRepairsTheOddOneOut(t *testing.T) {
	fastAntiEntropy(t)
	pcs, addrs := listenAll(t, 3)
	xs := make([]*xnode, 3)
	nodes := make([]*tnode, 3)
	for i := range xs {
		xs[i] = openXNode(t, effect.NodeID(0xa0+i))
		xs[i].start(t, xs[i].en, pcs[i], NewFaultConn(pcs[i], int64(i+1)), addrs, 0)
		nodes[i] = &tnode{en: xs[i].en, n: xs[i].n}
	}
	for i := 0; i < 100; i++ {
		set(xs[0].en, fmt.Sprint("k", i), fmt.Sprint(i))
		set(xs[1].en, fmt.Sprint("j", i), fmt.Sprint(i))
	}
	waitConverged(t, nodes, 10*time.Second, nil)
	waitFor(t, "digest comparisons", 10*time.Second, func() bool {
		for _, x := range xs {
			if x.n.AntiEntropy().Compared.Load() < 2 {
				return false
			}
		}
		return true
	})
	ent := keyspace.NewEntry([]byte("k5"))
	ent.Kind = keyspace.KindString
	ent.SetStr([]byte("corrupt"))
	if _, err := xs[2].en.LoadEntry(0, engine.AppendEntry(nil, ent, &crdt.Enc{})); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the odd node to be repaired", 15*time.Second, func() bool {
		return xs[2].n.Transfers().Installed.Load() > 0 && get(xs[2].en, "k5") == "5"
	})
	waitConverged(t, nodes, 10*time.Second, nil)
	for i, x := range xs {
		ae := x.n.AntiEntropy()
		want := int64(0)
		if i == 2 {
			want = 1
		}
		if ae.Repairs.Load() != want {
			t.Fatalf("node %d started %d repairs, want %d", i, ae.Repairs.Load(), want)
		}
		t.Logf("node %d: %d comparisons, %d divergent ranges, %d transfers installed", i, ae.Compared.Load(), ae.Divergent.Load(), x.n.Transfers().Installed.Load())
	}
	if n := xs[0].n.Transfers().Installed.Load() + xs[1].n.Transfers().Installed.Load(); n != 0 {
		t.Fatalf("the nodes that agreed took %d transfers", n)
	}
}
