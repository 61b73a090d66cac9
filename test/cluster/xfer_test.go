package cluster_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// State transfer: a node that needs effects no peer retains any more takes
// a peer's snapshot.

// retainShort makes stable effects leave the retained windows quickly.
func retainShort(int) string { return "LIGHTCONE_RETAIN_STABLE=300ms" }

// joinProc starts node i (a fresh data directory) with the first k nodes'
// cluster addresses and its own as seeds.
func joinProc(t *testing.T, i, k int, env ...string) *proc {
	t.Helper()
	var seeds []string
	for j := 0; j < k; j++ {
		seeds = append(seeds, "127.0.0.1:"+strconv.Itoa(basePort+j+10000))
	}
	seeds = append(seeds, "127.0.0.1:"+strconv.Itoa(basePort+i+10000))
	p := &proc{t: t, i: i, port: basePort + i, dir: filepath.Join(t.TempDir(), fmt.Sprint("n", i))}
	p.log = p.dir + ".log"
	p.args = []string{"server", "--port", strconv.Itoa(p.port), "--dir", p.dir, "--cluster-passphrase", pass,
		"--peers", strings.Join(seeds, ","), "--logfile", p.log, "--loglevel", "debug"}
	p.env = env
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			b, _ := os.ReadFile(p.log)
			t.Logf("log of node %d:\n%s", p.i, tail(string(b), 60))
		}
	})
	p.start()
	return p
}

// loadKeys writes n plain keys on p in MSET batches (acknowledged: recorded
// as counters, which converged compares with GET).
func loadKeys(t *testing.T, p *proc, prefix string, n int, a *acked) {
	t.Helper()
	c, err := dial(p.port)
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	for i := 0; i < n; i += 100 {
		args := []string{"MSET"}
		for j := i; j < min(i+100, n); j++ {
			args = append(args, prefix+strconv.Itoa(j), strconv.Itoa(j))
		}
		must(t, c, args...)
		a.mu.Lock()
		for j := i; j < min(i+100, n); j++ {
			a.counters[prefix+strconv.Itoa(j)] = int64(j)
		}
		a.mu.Unlock()
	}
}

// waitTrimmed waits until every node's retained windows have let go of the
// stable history (each origin keeps its latest effect only).
func waitTrimmed(t *testing.T, ps []*proc) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for _, p := range ps {
		for {
			b, _ := strconv.Atoi(infoField(t, p, "lightcone_retained_bytes"))
			if b < 2048 {
				t.Logf("node %d retains %d bytes", p.i, b)
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("node %d still retains %d bytes", p.i, b)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// waitFolded waits until no node holds unfolded history.
func waitFolded(t *testing.T, ps []*proc) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for _, p := range ps {
		for infoField(t, p, "lightcone_live_effects") != "0" {
			if time.Now().After(deadline) {
				t.Fatalf("node %d still holds %s live effects", p.i, infoField(t, p, "lightcone_live_effects"))
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// A node added to a cluster whose history its peers no longer retain gets
// the data by a state transfer, then follows the cluster by effects.
func TestFreshNodeJoinsAfterHistoryTrimmed(t *testing.T) {
	ps := startProcs(t, 2, pass, retainShort)
	a := newAcked()
	runWorkloads(t, ps, 200, 51, a)
	loadKeys(t, ps[0], "old:", 3000, a)
	waitConverged(t, ps, a, 20*time.Second)
	waitTrimmed(t, ps)

	p3 := joinProc(t, 2, 2, retainShort(2))
	all := append(ps, p3)
	waitConverged(t, all, a, 30*time.Second)
	if got := infoField(t, p3, "lightcone_state_transfers"); got == "0" {
		t.Fatal("the new node converged without a state transfer")
	}
	if got := infoField(t, p3, "lightcone_state_transfer_in_progress"); got != "0" {
		t.Fatalf("lightcone_state_transfer_in_progress:%s after convergence", got)
	}
	served := 0
	for _, p := range ps {
		v, _ := strconv.Atoi(infoField(t, p, "lightcone_state_transfers_served"))
		served += v
	}
	if served == 0 {
		t.Fatal("no old node counts a transfer served")
	}
	b, _ := os.ReadFile(p3.log)
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, "state transfer installed") {
			t.Log(l)
		}
	}

	waitFolded(t, all)
	// quiet: the new node compares key-range digests with its peers
	deadline := time.Now().Add(15 * time.Second)
	for infoField(t, p3, "lightcone_digest_comparisons") == "0" {
		if time.Now().After(deadline) {
			t.Fatal("no digest comparison on the new node")
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, p := range all {
		if d := infoField(t, p, "lightcone_divergent_ranges"); d != "0" {
			t.Fatalf("node %d: %s divergent ranges after the transfer", p.i, d)
		}
	}

	// then the three follow each other by effects, the new node's own
	// writes included
	runWorkloads(t, all, 150, 52, a)
	waitConverged(t, all, a, 20*time.Second)
	waitFolded(t, all)

	// the installed state is durable: after a SIGKILL the node recovers it
	// from its own files and needs no second transfer
	p3.kill()
	p3.start()
	waitConverged(t, all, a, 20*time.Second)
	if got := infoField(t, p3, "lightcone_state_transfers"); got != "0" {
		t.Fatalf("the restarted node took %s more transfers", got)
	}
}

// Writers keep going on the old nodes while the new one takes and
// installs its transfer: no acknowledged write is lost, and the new node
// ends with everything.
func TestFreshNodeJoinsUnderWrites(t *testing.T) {
	ps := startProcs(t, 2, pass, retainShort)
	a := newAcked()
	loadKeys(t, ps[1], "old:", 5000, a)
	runWorkloads(t, ps, 100, 61, a)
	waitConverged(t, ps, a, 20*time.Second)
	waitTrimmed(t, ps)

	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, p := range ps {
		wg.Add(1)
		go func() { defer wg.Done(); addUntilDown(p, a, stop) }()
	}
	time.Sleep(200 * time.Millisecond)
	count := func() int {
		a.mu.Lock()
		defer a.mu.Unlock()
		n := 0
		for _, ms := range a.members {
			n += len(ms)
		}
		return n
	}
	before := count()
	p3 := joinProc(t, 2, 2, retainShort(2))
	t.Logf("%d SADDs acknowledged by the old nodes from the new node's start to its first PONG (after its install)", count()-before)
	time.Sleep(time.Second) // writes go on after the install too
	close(stop)
	wg.Wait()
	all := append(ps, p3)
	waitConverged(t, all, a, 30*time.Second)
	if got := infoField(t, p3, "lightcone_state_transfers"); got == "0" {
		t.Fatal("the new node converged without a state transfer")
	}
	n := 0
	for _, ms := range a.members {
		n += len(ms)
	}
	t.Logf("%d acknowledged SADDs made during the join, all present on the three nodes", n)
}

// A member that was down while its peers wrote more than their retained
// windows hold comes back with its own data, takes a state transfer, and
// ends with every acknowledged write, its own included.
func TestMemberAwayLongerThanTheWindow(t *testing.T) {
	small := func(int) string { return "LIGHTCONE_RETAIN_BYTES=65536" }
	ps := startProcs(t, 3, pass, small)
	a := newAcked()
	runWorkloads(t, ps, 150, 71, a)
	waitConverged(t, ps, a, 20*time.Second)
	ps[2].kill()
	loadKeys(t, ps[0], "away:", 4000, a) // about 100 bytes an effect: far more than 64 KiB
	runWorkloads(t, ps[:2], 300, 72, a)
	ps[2].start()
	waitConverged(t, ps, a, 30*time.Second)
	if got := infoField(t, ps[2], "lightcone_state_transfers"); got == "0" {
		t.Fatal("the returning member converged without a state transfer")
	}
	runWorkloads(t, ps, 100, 73, a)
	waitConverged(t, ps, a, 20*time.Second)
}
