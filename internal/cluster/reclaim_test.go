package cluster

import (
	"fmt"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/engine"
)

// recorder is a sink keeping a copy of every effect, as a log would.
type recorder struct {
	mu  sync.Mutex
	all []effect.Effect
}

func (r *recorder) Emit(e *effect.Effect, local bool) {
	r.mu.Lock()
	r.all = append(r.all, e.Clone())
	r.mu.Unlock()
}

func (r *recorder) snapshot() []effect.Effect {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]effect.Effect(nil), r.all...)
}

func rebind(t *testing.T, addr string) net.PacketConn {
	t.Helper()
	for i := 0; i < 50; i++ {
		if pc, err := net.ListenPacket("udp", addr); err == nil {
			return pc
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("could not rebind " + addr)
	return nil
}

// A node killed after handing effects to a peer but before logging them
// restarts with the same NodeID and a shorter history: it must take those
// effects back from the peer before stamping, and continue after them.
func TestRestartReclaimsOwnEffectsFromPeer(t *testing.T) {
	nodes := startCluster(t, 2, Faults{})
	a, b := nodes[0], nodes[1]
	rec := &recorder{}
	a.en.SetSink(rec)
	const total, durable = 40, 15
	for i := 1; i <= total; i++ {
		set(a.en, "k"+strconv.Itoa(i), "v"+strconv.Itoa(i))
	}
	set(b.en, "fromb", "1")
	waitConverged(t, nodes, 10*time.Second, nil)
	if got := b.en.AppliedOf(a.n.Self()); got != total {
		t.Fatalf("peer applied %d of the node's effects, want %d", got, total)
	}
	logged := rec.snapshot()
	var own []effect.Effect
	for _, e := range logged {
		if e.ID.Node == a.n.Self() {
			own = append(own, e)
		}
	}
	if len(own) != total {
		t.Fatalf("recorded %d own effects", len(own))
	}
	// kill -9: only the first `durable` of its own effects reached its log
	addr := a.addr
	a.n.Close()
	// the other node writes meanwhile
	set(b.en, "whiledown", "1")

	en := engine.New(engine.Config{Node: a.n.Self()})
	en.EnableCluster()
	var tail []effect.Effect
	for _, e := range logged {
		if e.ID.Node == a.n.Self() && e.ID.Seq > durable {
			continue
		}
		en.Replay(&e)
		tail = append(tail, e)
	}
	if en.AppliedOf(a.n.Self()) != durable {
		t.Fatalf("recovered Seq %d", en.AppliedOf(a.n.Self()))
	}
	ident, err := NewIdentity(testPass, a.n.Self())
	if err != nil {
		t.Fatal(err)
	}
	pc := rebind(t, addr)
	n, err := Start(Config{Engine: en, Identity: ident, Conn: pc, Advertise: addr, Peers: []string{b.addr},
		Heartbeat: 20 * time.Millisecond, StallAfter: 100 * time.Millisecond,
		Preload: func(retain func(e *effect.Effect)) {
			for i := range tail {
				retain(&tail[i])
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Close)
	en.SetSink(n)
	if first, last := n.ret.Span(n.Self()); first != 1 || last != durable {
		t.Fatalf("preloaded own effects %d..%d, want 1..%d", first, last, durable)
	}
	res := n.Reclaim(3*time.Second, 10*time.Second)
	if res.Before != durable || res.After != total || len(res.Unheard) != 0 || len(res.Behind) != 0 {
		t.Fatalf("Reclaim = %+v, want %d -> %d, all heard", res, durable, total)
	}
	if n.Reclaimed.Load() != total-durable {
		t.Fatalf("Reclaimed counter %d", n.Reclaimed.Load())
	}
	for i := 1; i <= total; i++ {
		if got := get(en, "k"+strconv.Itoa(i)); got != "v"+strconv.Itoa(i) {
			t.Fatalf("k%d = %q after reclaim", i, got)
		}
	}
	// its own retained effects run on without a gap (peers can fetch them)
	if first, last := n.ret.Span(n.Self()); first != 1 || last != total {
		t.Fatalf("retained own effects %d..%d, want 1..%d", first, last, total)
	}
	// the next effect continues after the reclaimed ones and reaches the peer
	set(en, "after", "restart")
	if got := en.AppliedOf(n.Self()); got != total+1 {
		t.Fatalf("new effect got Seq %d, want %d", got, total+1)
	}
	restarted := &tnode{en: en, n: n, addr: addr}
	waitConverged(t, []*tnode{restarted, b}, 10*time.Second, func(x *tnode) error {
		for _, k := range []string{"after", "whiledown", "fromb", fmt.Sprint("k", total)} {
			if get(x.en, k) == "" {
				return fmt.Errorf("%s missing", k)
			}
		}
		return nil
	})
	if n.SeqReuse.Load() != 0 {
		t.Fatal("Seq reuse reported")
	}
}

// A seed that never answers bounds the wait and is reported.
func TestReclaimBoundedWhenSeedSilent(t *testing.T) {
	silent := listenUDP(t) // bound, never answers
	defer silent.Close()
	x := startNode(t, testPass, 0x3001, listenUDP(t), 1, []string{silent.LocalAddr().String()}, 0)
	start := time.Now()
	res := x.n.Reclaim(300*time.Millisecond, time.Second)
	if d := time.Since(start); d < 300*time.Millisecond || d > 2*time.Second {
		t.Fatalf("Reclaim took %v", d)
	}
	if len(res.Unheard) != 1 || res.Unheard[0] != silent.LocalAddr().String() {
		t.Fatalf("Unheard = %v", res.Unheard)
	}
}
