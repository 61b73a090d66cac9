package cluster_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func infoField(t *testing.T, p *proc, field string) string {
	t.Helper()
	c, err := dial(p.port)
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	info := must(t, c, "INFO", "cluster")
	for _, l := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			return v
		}
	}
	t.Fatalf("no %s in INFO cluster:\n%s", field, info)
	return ""
}

// addUntilDown SADDs unique members on p until the node stops answering,
// recording only the acknowledged ones (the write in flight when the node
// dies may or may not have been applied: set membership tolerates that).
func addUntilDown(p *proc, a *acked, stop <-chan struct{}) {
	c, err := dial(p.port)
	if err != nil {
		return
	}
	defer c.close()
	for j := 0; ; j++ {
		select {
		case <-stop:
			return
		default:
		}
		k := fmt.Sprint("kset", j%3)
		m := fmt.Sprintf("k%d-%d", p.i, j)
		if _, err := c.do("SADD", k, m); err != nil {
			return
		}
		a.addMember(k, m)
	}
}

// A node killed with SIGKILL while every node is writing comes back with
// the same NodeID, its own acknowledged writes and the others', and the
// cluster converges.
func TestKillNineUnderWritesKeepsIdentity(t *testing.T) {
	n := 400
	if testing.Short() {
		n = 150
	}
	ps := startProcs(t, 3, pass)
	id := infoField(t, ps[2], "lightcone_node_id")
	a := newAcked()

	stop := make(chan struct{})
	var kwg sync.WaitGroup
	kwg.Add(1)
	go func() { defer kwg.Done(); addUntilDown(ps[2], a, stop) }()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); runWorkloads(t, ps[:2], n, 7, a) }()
	time.Sleep(300 * time.Millisecond)
	ps[2].kill()
	kwg.Wait()
	wg.Wait()

	ps[2].start()
	if got := infoField(t, ps[2], "lightcone_node_id"); got != id {
		t.Fatalf("NodeID after restart %s, want %s", got, id)
	}
	runWorkloads(t, ps, n/2, 8, a)
	waitConverged(t, ps, a, 20*time.Second)

	for _, p := range ps[:2] {
		c, err := dial(p.port)
		if err != nil {
			t.Fatal(err)
		}
		ms := must(t, c, "HGETALL", "__lightcone:members")
		c.close()
		fields := strings.Split(ms, "\n")
		if len(fields) != 6 || !strings.Contains(ms, id+"\n") {
			t.Fatalf("node %d: HGETALL __lightcone:members = %q, want 3 members with %s", p.i, fields, id)
		}
	}
	if got := infoField(t, ps[2], "lightcone_members"); got != "3" {
		t.Fatalf("restarted node sees %s members", got)
	}
	t.Logf("restarted node took back %s of its own effects from peers", infoField(t, ps[2], "lightcone_effects_reclaimed"))
	if got := infoField(t, ps[2], "lightcone_seq_reuse_detected"); got != "0" {
		t.Fatalf("Seq reuse detected: %s", got)
	}
	for _, p := range ps[:2] {
		if got := infoField(t, p, "lightcone_seq_reuse_detected"); got != "0" {
			t.Fatalf("node %d: Seq reuse detected: %s", p.i, got)
		}
	}
	if m, _ := filepath.Glob(filepath.Join(ps[2].dir, "retired-*")); len(m) != 0 {
		t.Fatalf("restart set aside %v", m)
	}
	if _, err := os.Stat(filepath.Join(ps[2].dir, "log")); err != nil {
		t.Fatalf("no log kept: %v", err)
	}
}

// A node whose log lost its tail (a power cut with appendfsync everysec,
// simulated by cutting the log after a SIGKILL) while its peers hold those
// effects: on restart it takes them back before stamping, so its new writes
// get fresh Seqs and reach the peers (were a Seq used twice, the peers would
// drop the new write as a duplicate and never converge).
func TestLostLogTailReclaimedFromPeers(t *testing.T) {
	ps := startProcs(t, 3, pass)
	a := newAcked()
	runWorkloads(t, ps, 200, 21, a)
	// then writes of node 2 alone, so that the end of its log (which also
	// holds the peers' effects it applied) is its own effects
	runWorkloads(t, ps[2:], 100, 23, a)
	waitConverged(t, ps, a, 20*time.Second) // every effect of node 2 is on its peers
	ps[2].kill()
	segs, _ := filepath.Glob(filepath.Join(ps[2].dir, "log", "*.seg"))
	if len(segs) == 0 {
		t.Fatal("no log segment")
	}
	last := segs[len(segs)-1]
	st, err := os.Stat(last)
	if err != nil {
		t.Fatal(err)
	}
	const header = 40
	if st.Size() < header+1000 {
		t.Fatalf("log segment too small to cut: %d bytes", st.Size())
	}
	if err := os.Truncate(last, header+(st.Size()-header)/2); err != nil {
		t.Fatal(err)
	}
	ps[2].start()
	if got := infoField(t, ps[2], "lightcone_effects_reclaimed"); got == "0" {
		t.Fatal("nothing reclaimed though the log lost its tail")
	}
	runWorkloads(t, ps, 100, 22, a)
	waitConverged(t, ps, a, 20*time.Second)
	for _, p := range ps {
		if got := infoField(t, p, "lightcone_seq_reuse_detected"); got != "0" {
			t.Fatalf("node %d: Seq reuse detected: %s", p.i, got)
		}
	}
}

// A peer that missed a node's writes gets them after that node restarted:
// the node serves them from its recovered log tail, not only from memory
// it had before the restart.
func TestRestartedNodeServesItsLogTail(t *testing.T) {
	ps := startProcs(t, 2, pass)
	a := newAcked()
	runWorkloads(t, ps, 50, 31, a)
	waitConverged(t, ps, a, 20*time.Second)
	ps[0].kill()
	runWorkloads(t, ps[1:], 200, 32, a) // node 0 misses these
	ps[1].kill()
	ps[1].start() // alone: node 0 is down (it waits for it, then serves)
	ps[0].start()
	waitConverged(t, ps, a, 20*time.Second)
}
