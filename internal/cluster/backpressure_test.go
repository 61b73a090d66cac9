package cluster

import (
	"strconv"
	"testing"
	"time"

	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/engine"
)

// stalledEngine is a peer's engine that stops applying what it receives
// until released, so that the stream to it backs up.
type stalledEngine struct {
	*engine.Engine
	release chan struct{}
}

func (s *stalledEngine) ApplyBatch(es []effect.Effect) int {
	<-s.release
	return s.Engine.ApplyBatch(es)
}

// A node reports Behind once a connected peer that stopped consuming lags
// by half the retained window of its own effects — before that peer falls
// out of the window — and stops reporting it once the peer caught up.
func TestBehindBeforePeerFallsOutOfWindow(t *testing.T) {
	old := minSlack
	minSlack = 64
	defer func() { minSlack = old }()
	pa, pb := listenUDP(t), listenUDP(t)
	addrs := []string{pa.LocalAddr().String(), pb.LocalAddr().String()}
	start := func(id effect.NodeID, en Engine, e *engine.Engine) *Node {
		ident, err := NewIdentity(testPass, id)
		if err != nil {
			t.Fatal(err)
		}
		c := pa
		if id == 0xb {
			c = pb
		}
		n, err := Start(Config{Engine: en, Identity: ident, Conn: NewFaultConn(c, 1), Advertise: c.LocalAddr().String(), Peers: addrs,
			Heartbeat: 20 * time.Millisecond, RetainBytes: 1 << 20})
		if err != nil {
			t.Fatal(err)
		}
		e.SetSink(n)
		t.Cleanup(n.Close)
		return n
	}
	ea := engine.New(engine.Config{Node: 0xa})
	ea.EnableCluster()
	eb := engine.New(engine.Config{Node: 0xb})
	eb.EnableCluster()
	sb := &stalledEngine{Engine: eb, release: make(chan struct{})}
	a := start(0xa, ea, ea)
	start(0xb, sb, eb)
	deadline := time.Now().Add(10 * time.Second)
	for len(a.Links()) == 0 || a.Links()[0].State != "up" {
		if time.Now().After(deadline) {
			t.Fatal("the nodes did not link")
		}
		time.Sleep(10 * time.Millisecond)
	}
	val := make([]byte, 200)
	behind := false
	for i := 0; i < 400000 && !behind; i++ {
		k := []byte("k" + strconv.Itoa(i%5000))
		tx := ea.Begin1(0, k)
		tx.Assign(0, k, val, 0, false)
		tx.End()
		behind = a.Behind()
	}
	if !behind {
		t.Fatal("the node never reported its stalled peer as behind")
	}
	if n := a.Evicted.Load(); n != 0 {
		t.Fatalf("the peer fell out of the window (%d) before the node reported it behind", n)
	}
	close(sb.release)
	for a.Behind() {
		if time.Now().After(deadline.Add(20 * time.Second)) {
			t.Fatal("the peer caught up but the node still reports it behind")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := a.Evicted.Load(); n != 0 {
		t.Fatalf("the peer fell out of the window (%d)", n)
	}
	for eb.AppliedOf(0xa) != ea.Seq() {
		if time.Now().After(deadline.Add(30 * time.Second)) {
			t.Fatalf("the peer applied %d of %d effects", eb.AppliedOf(0xa), ea.Seq())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Once every member has applied them (and retainStable has passed), effects
// leave the retained windows: a quiet, stable cluster holds its data, not
// its history.
func TestStableEffectsLeaveRetainedWindows(t *testing.T) {
	old := retainStable
	retainStable = 200 * time.Millisecond
	defer func() { retainStable = old }()
	nodes := startCluster(t, 2, Faults{})
	for i := 0; i < 2000; i++ {
		set(nodes[i%2].en, "k"+strconv.Itoa(i%300), strconv.Itoa(i))
	}
	full := nodes[0].n.RetainedBytes()
	if full < 1000*20 {
		t.Fatalf("retained %d bytes for 2,000 effects", full)
	}
	waitFor(t, "the retained windows to empty", 20*time.Second, func() bool {
		for _, n := range nodes {
			if n.n.RetainedBytes() > 1000 { // the latest effect of each origin stays
				return false
			}
		}
		return true
	})
	for _, n := range nodes {
		if got := get(n.en, "k299"); got != "1799" {
			t.Fatalf("k299 = %q", got)
		}
	}
}

// A member that went away keeps its last effects in its peers' retained
// windows however long it stays away: it may need them back (Reclaim).
func TestDownMembersEffectsStayRetained(t *testing.T) {
	old := retainStable
	retainStable = 200 * time.Millisecond
	defer func() { retainStable = old }()
	nodes := startCluster(t, 2, Faults{})
	a, b := nodes[0], nodes[1]
	for i := 0; i < 500; i++ {
		set(a.en, "k"+strconv.Itoa(i), "v")
	}
	waitFor(t, "b to apply a's effects", 20*time.Second, func() bool { return b.en.AppliedOf(a.en.Node()) == a.en.Seq() })
	a.n.Close()
	time.Sleep(10 * retainStable)
	if first, last := b.n.ret.Span(a.en.Node()); first != 1 || last != 500 {
		t.Fatalf("b retains a's effects %d..%d, want 1..500", first, last)
	}
}
