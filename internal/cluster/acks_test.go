package cluster

import (
	"testing"
	"time"
)

// waitAcked waits until n.Acked(seq) == want, through AckNotify, at most d.
func waitAcked(t *testing.T, n *Node, seq uint64, want int, d time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		ch := n.AckNotify()
		if got := n.Acked(seq); got == want {
			return time.Since(start)
		}
		select {
		case <-ch:
		case <-time.After(time.Until(start.Add(d))):
			t.Fatalf("Acked(%d) = %d after %v, want %d", seq, n.Acked(seq), d, want)
		}
	}
}

// TestAckedCountsPeersThatApplied: Acked(seq) counts the peers whose
// reported applied frontier holds this node's effects up to seq; the peer
// has the write once it is counted; a partitioned peer stops counting for
// later writes and counts again once healed. AckNotify wakes the waiter.
func TestAckedCountsPeersThatApplied(t *testing.T) {
	nodes := startCluster(t, 3, Faults{})
	a := nodes[0]
	set(a.en, "k", "1")
	seq := a.n.OwnSeq()
	if seq == 0 {
		t.Fatal("OwnSeq is 0 after a write")
	}
	took := waitAcked(t, a.n, seq, 2, 10*time.Second)
	t.Logf("both peers acknowledged in %v", took)
	for i, x := range nodes[1:] {
		if got := get(x.en, "k"); got != "1" {
			t.Fatalf("peer %d counted in Acked but GET k = %q", i+1, got)
		}
	}
	if got := a.n.Acked(seq + 1); got != 0 {
		t.Fatalf("Acked of a Seq not stamped yet = %d", got)
	}

	nodes[2].fc.Partition()
	time.Sleep(100 * time.Millisecond) // heartbeats in flight land
	set(a.en, "k", "2")
	seq2 := a.n.OwnSeq()
	waitAcked(t, a.n, seq2, 1, 10*time.Second)
	time.Sleep(200 * time.Millisecond) // ten heartbeat intervals: the partitioned peer must not count
	if got := a.n.Acked(seq2); got != 1 {
		t.Fatalf("Acked with a peer partitioned = %d, want 1", got)
	}
	if got := a.n.Acked(seq); got != 2 {
		t.Fatalf("Acked of the earlier write = %d, want 2 (the partitioned peer had it)", got)
	}
	nodes[2].fc.Heal()
	waitAcked(t, a.n, seq2, 2, 20*time.Second)
	if got := get(nodes[2].en, "k"); got != "2" {
		t.Fatalf("healed peer counted but GET k = %q", got)
	}
}
