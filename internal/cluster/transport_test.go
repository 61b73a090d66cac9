package cluster

import (
	"bufio"
	"context"
	"fmt"
	"math/rand"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/engine"
)

type tnode struct {
	en   *engine.Engine
	fc   *FaultConn
	n    *Node
	addr string
}

func listenUDP(t *testing.T) net.PacketConn {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return pc
}

// startNode starts a cluster node on pc with a fresh engine.
func startNode(t *testing.T, pass string, id effect.NodeID, pc net.PacketConn, seed int64, peers []string, retired effect.NodeID) *tnode {
	t.Helper()
	en := engine.New(engine.Config{Node: id})
	en.EnableCluster()
	ident, err := NewIdentity(pass, id)
	if err != nil {
		t.Fatal(err)
	}
	fc := NewFaultConn(pc, seed)
	n, err := Start(Config{Engine: en, Identity: ident, Conn: fc, Advertise: pc.LocalAddr().String(), Peers: peers, Retired: retired,
		Heartbeat: 20 * time.Millisecond, CompactEvery: 100 * time.Millisecond, StallAfter: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	en.SetSink(n)
	t.Cleanup(n.Close)
	return &tnode{en: en, fc: fc, n: n, addr: pc.LocalAddr().String()}
}

// listenAll opens k UDP sockets on loopback and returns them with their
// addresses.
func listenAll(t *testing.T, k int) ([]net.PacketConn, []string) {
	t.Helper()
	pcs := make([]net.PacketConn, k)
	addrs := make([]string, k)
	for i := range pcs {
		pcs[i] = listenUDP(t)
		addrs[i] = pcs[i].LocalAddr().String()
	}
	return pcs, addrs
}

func startCluster(t *testing.T, k int, faults Faults) []*tnode {
	t.Helper()
	pcs, addrs := listenAll(t, k)
	nodes := make([]*tnode, k)
	for i := range nodes {
		// the engine's sink is set after Start: no write happens before
		nodes[i] = startNode(t, testPass, effect.NodeID(0x1000+i), pcs[i], int64(i+1), addrs, 0)
		nodes[i].fc.SetFaults(faults)
	}
	return nodes
}

func incr(en *engine.Engine, key string, d int64) {
	tx := en.Begin1(0, []byte(key))
	tx.AddInt(0, []byte(key), d)
	tx.End()
}

func set(en *engine.Engine, key, val string) {
	tx := en.Begin1(0, []byte(key))
	tx.Assign(0, []byte(key), []byte(val), 0, false)
	tx.End()
}

func get(en *engine.Engine, key string) string {
	tx := en.Begin1(0, []byte(key))
	defer tx.End()
	e := tx.Get(0, []byte(key))
	if e == nil {
		return ""
	}
	return string(e.Str)
}

// waitConverged waits until every node has the same digest and check holds
// on each.
func waitConverged(t *testing.T, nodes []*tnode, timeout time.Duration, check func(*tnode) error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		last = nil
		d0 := nodes[0].en.Digest()
		for _, x := range nodes[1:] {
			if x.en.Digest() != d0 {
				last = fmt.Errorf("digests differ")
			}
		}
		for _, x := range nodes {
			if last == nil && check != nil {
				last = check(x)
			}
		}
		if last == nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	for i, x := range nodes {
		t.Logf("node %d: frontier %v pending %d links %+v", i, x.en.Frontier(), x.en.Pending(), x.n.Links())
	}
	t.Fatalf("no convergence within %v: %v", timeout, last)
}

func counterCheck(want map[string]int64) func(*tnode) error {
	return func(x *tnode) error {
		for k, v := range want {
			if got := get(x.en, k); got != strconv.FormatInt(v, 10) {
				return fmt.Errorf("node %x: %s = %q, want %d", uint64(x.n.Self()), k, got, v)
			}
		}
		return nil
	}
}

func concurrentWrites(nodes []*tnode, perNode int, seed int64) map[string]int64 {
	want := map[string]int64{}
	done := make(chan map[string]int64, len(nodes))
	for i, x := range nodes {
		go func(i int, x *tnode) {
			r := rand.New(rand.NewSource(seed + int64(i)))
			sum := map[string]int64{}
			for j := 0; j < perNode; j++ {
				k := "c" + strconv.Itoa(r.Intn(5))
				d := int64(r.Intn(10) - 2)
				incr(x.en, k, d)
				sum[k] += d
				if j%7 == 0 {
					set(x.en, "s"+strconv.Itoa(r.Intn(3)), fmt.Sprintf("v%d-%d", i, j))
				}
				if j%50 == 0 {
					time.Sleep(time.Millisecond)
				}
			}
			done <- sum
		}(i, x)
	}
	for range nodes {
		for k, v := range <-done {
			want[k] += v
		}
	}
	return want
}

func TestThreeNodesConvergeWithFaults(t *testing.T) {
	nodes := startCluster(t, 3, Faults{Drop: 0.05, Duplicate: 0.03, Jitter: 3 * time.Millisecond})
	want := concurrentWrites(nodes, 400, 1)
	waitConverged(t, nodes, 20*time.Second, counterCheck(want))
	// stable history is folded once everyone has it
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) && nodes[0].en.LiveEffects() > 0 {
		time.Sleep(20 * time.Millisecond)
	}
	if n := nodes[0].en.LiveEffects(); n > 0 {
		t.Errorf("%d live effects never folded", n)
	}
	for _, x := range nodes {
		if len(x.n.Members()) != 3 {
			t.Errorf("members %+v", x.n.Members())
		}
	}
}

func TestPartitionHeals(t *testing.T) {
	nodes := startCluster(t, 3, Faults{})
	waitConverged(t, nodes, 10*time.Second, func(x *tnode) error {
		if len(x.en.Members()) != 2 {
			return fmt.Errorf("members not learned")
		}
		return nil
	})
	nodes[2].fc.Partition() // cut off from everyone, both directions
	want := concurrentWrites(nodes, 200, 7)
	time.Sleep(200 * time.Millisecond)
	if nodes[2].en.Digest() == nodes[0].en.Digest() {
		t.Fatal("partitioned node converged: partition not effective")
	}
	nodes[2].fc.Heal()
	waitConverged(t, nodes, 20*time.Second, counterCheck(want))
}

func TestWrongPassphraseRefused(t *testing.T) {
	a := startNode(t, testPass, 0x2001, listenUDP(t), 1, nil, 0)
	b := startNode(t, testPass+"-wrong", 0x2002, listenUDP(t), 2, []string{a.addr}, 0)
	set(b.en, "k", "v")
	time.Sleep(500 * time.Millisecond)
	if get(a.en, "k") != "" {
		t.Fatal("effect crossed between different passphrases")
	}
	if a.n.Refused.Load()+b.n.Refused.Load() == 0 {
		t.Fatal("no refusal recorded")
	}
	if len(a.en.Members()) != 0 {
		t.Fatal("wrong-passphrase node became a member")
	}
}

func TestNodeIDClaimMismatchRefused(t *testing.T) {
	a := startNode(t, testPass, 0x3001, listenUDP(t), 1, nil, 0)
	liar, _ := NewIdentity(testPass, 0x3002) // a valid certificate for 0x3002 ...
	pc := listenUDP(t)
	tr := &quic.Transport{Conn: pc}
	defer tr.Close()
	udp, _ := net.ResolveUDPAddr("udp", a.addr)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := tr.Dial(ctx, udp, liar.ClientTLS(), &quic.Config{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := conn.OpenStreamSync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(s)
	h := hello{Node: 0x3003, Advertise: "127.0.0.1:1"} // ... claiming to be 0x3003
	writeFrame(w, frameHello, h.encode())
	w.Flush()
	s.SetReadDeadline(time.Now().Add(3 * time.Second))
	if _, _, _, err := readFrame(bufio.NewReader(s), nil); err == nil {
		t.Fatal("server answered a hello whose NodeID differs from the certificate's")
	}
	if a.n.Refused.Load() == 0 {
		t.Fatal("refusal not counted")
	}
	for _, m := range a.n.Members() {
		if m.ID == 0x3003 || m.ID == 0x3002 {
			t.Fatalf("liar became a member: %+v", m)
		}
	}
}

func TestRestartedNodeCatchesUp(t *testing.T) {
	nodes := startCluster(t, 3, Faults{Drop: 0.02})
	want := concurrentWrites(nodes, 150, 3)
	waitConverged(t, nodes, 15*time.Second, counterCheck(want))
	// node 2 dies; the others keep writing
	old := nodes[2]
	addr := old.addr
	old.n.Close()
	more := concurrentWrites(nodes[:2], 150, 11)
	for k, v := range more {
		want[k] += v
	}
	// it comes back as a new incarnation on the same address, empty
	var pc net.PacketConn
	for i := 0; i < 50; i++ {
		var err error
		if pc, err = net.ListenPacket("udp", addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if pc == nil {
		t.Fatal("could not rebind the restarted node's address")
	}
	fresh := startNode(t, testPass, 0x1f00, pc, 99, []string{nodes[0].addr, nodes[1].addr}, old.n.Self())
	if !fresh.n.WaitSynced(2*time.Second, 10*time.Second) {
		t.Fatal("restarted node did not sync")
	}
	nodes[2] = fresh
	incr(fresh.en, "c0", 1)
	want["c0"]++
	waitConverged(t, nodes, 15*time.Second, counterCheck(want))
	// the previous incarnation no longer holds back stability
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		retired := true
		for _, x := range nodes[:2] {
			for _, m := range x.en.Members() {
				if m == old.n.Self() {
					retired = false
				}
			}
		}
		if retired {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("previous incarnation still a member")
}

func TestRetainedBounded(t *testing.T) {
	r := NewRetained(1000)
	for s := uint64(1); s <= 100; s++ {
		r.Add(7, s, make([]byte, 76))
	}
	if r.Bytes() > 1000 {
		t.Fatalf("retained %d bytes over a 1000 budget", r.Bytes())
	}
	first, last := r.Span(7)
	if last != 100 || first <= 1 {
		t.Fatalf("span %d..%d", first, last)
	}
	if _, ev := r.Range(7, 1, 10, 1<<20, nil); !ev {
		t.Fatal("evicted range not reported")
	}
	recs, ev := r.Range(7, first, 1000, 1<<20, nil)
	if ev || len(recs) != int(last-first+1) {
		t.Fatalf("range: %d recs, evicted %v", len(recs), ev)
	}
	r.Add(7, 50, []byte("old")) // a duplicate is ignored
	if _, l := r.Span(7); l != 100 {
		t.Fatal("duplicate changed the log")
	}
}

func TestFrameCRC(t *testing.T) {
	var b bytesBuf
	w := bufio.NewWriter(&b)
	writeFrame(w, frameEffect, []byte("hello"))
	w.Flush()
	typ, p, _, err := readFrame(bufio.NewReader(&bytesBuf{b: append([]byte(nil), b.b...)}), nil)
	if err != nil || typ != frameEffect || string(p) != "hello" {
		t.Fatalf("%v %q %v", typ, p, err)
	}
	b.b[6] ^= 1
	if _, _, _, err := readFrame(bufio.NewReader(&b), nil); err != ErrFrameCRC {
		t.Fatalf("corruption not detected: %v", err)
	}
}

type bytesBuf struct{ b []byte }

func (x *bytesBuf) Write(p []byte) (int, error) { x.b = append(x.b, p...); return len(p), nil }
func (x *bytesBuf) Read(p []byte) (int, error) {
	if len(x.b) == 0 {
		return 0, fmt.Errorf("EOF")
	}
	n := copy(p, x.b)
	x.b = x.b[n:]
	return n, nil
}

// A peer that falls further behind than the retained effects reach costs no
// memory beyond the retention budget: its link is marked lagging and the
// impossible catch-up is reported, instead of queueing.
func TestSlowPeerBoundedMemory(t *testing.T) {
	pa, pb := listenUDP(t), listenUDP(t)
	addrs := []string{pa.LocalAddr().String(), pb.LocalAddr().String()}
	mk := func(id effect.NodeID, pc net.PacketConn, seed int64) *tnode {
		en := engine.New(engine.Config{Node: id})
		en.EnableCluster()
		ident, _ := NewIdentity(testPass, id)
		fc := NewFaultConn(pc, seed)
		n, err := Start(Config{Engine: en, Identity: ident, Conn: fc, Advertise: pc.LocalAddr().String(), Peers: addrs,
			Heartbeat: 20 * time.Millisecond, RetainBytes: 8 << 10})
		if err != nil {
			t.Fatal(err)
		}
		en.SetSink(n)
		t.Cleanup(n.Close)
		return &tnode{en: en, fc: fc, n: n, addr: pc.LocalAddr().String()}
	}
	a, b := mk(0x4001, pa, 1), mk(0x4002, pb, 2)
	waitConverged(t, []*tnode{a, b}, 10*time.Second, func(x *tnode) error {
		if len(x.en.Members()) != 1 {
			return fmt.Errorf("not linked")
		}
		return nil
	})
	b.fc.Partition()
	for i := 0; i < 2000; i++ {
		set(a.en, "k"+strconv.Itoa(i%50), strconv.Itoa(i))
	}
	if got := a.n.RetainedBytes(); got > 8<<10 {
		t.Fatalf("retained %d bytes, budget %d", got, 8<<10)
	}
	b.fc.Heal()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		lagging := false
		for _, l := range a.n.Links() {
			if l.State == "lagging" {
				lagging = true
			}
		}
		if lagging || b.n.Evicted.Load() > 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("a peer behind the retained effects was not reported: links %+v, evicted %d/%d", a.n.Links(), a.n.Evicted.Load(), b.n.Evicted.Load())
}
