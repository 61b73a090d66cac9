package cluster

import (
	"net"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/engine"
)

// An effect made on A is applied on B one one-way delay later, whatever A
// and the link did before: it does not wait for a heartbeat, a frontier or
// anything else. Effects are made after idle pauses of varying length (at
// varying phases of the 50 ms heartbeats), with the default heartbeat and
// QUIC settings, through the fault layer's delay d in both directions.
func TestEffectAfterIdleAppliedOneDelayLater(t *testing.T) {
	const d = 20 * time.Millisecond
	samples := 30
	if testing.Short() {
		samples = 10
	}
	pcs := []net.PacketConn{listenUDP(t), listenUDP(t)}
	addrs := []string{pcs[0].LocalAddr().String(), pcs[1].LocalAddr().String()}
	var mu sync.Mutex
	appliedAt := map[string]time.Time{} // on B
	var ens []*engine.Engine
	var ns []*Node
	for i, pc := range pcs {
		id := effect.NodeID(0x2000 + i)
		en := engine.New(engine.Config{Node: id})
		en.EnableCluster()
		ident, err := NewIdentity(testPass, id)
		if err != nil {
			t.Fatal(err)
		}
		fc := NewFaultConn(pc, int64(i+1))
		fc.SetFaults(Faults{Delay: d})
		cfg := Config{Engine: en, Identity: ident, Conn: fc, Advertise: addrs[i], Peers: addrs}
		if i == 1 {
			cfg.OnRemote = func() {
				now := time.Now()
				mu.Lock()
				defer mu.Unlock()
				for j := len(appliedAt); j < samples; j++ {
					k := "idle" + strconv.Itoa(j)
					if get(en, k) == "" {
						break
					}
					appliedAt[k] = now
				}
			}
		}
		n, err := Start(cfg)
		if err != nil {
			t.Fatal(err)
		}
		en.SetSink(n)
		t.Cleanup(n.Close)
		ens, ns = append(ens, en), append(ns, n)
	}
	if !ns[0].WaitSynced(5*time.Second, 10*time.Second) || !ns[1].WaitSynced(5*time.Second, 10*time.Second) {
		t.Fatal("nodes did not link")
	}
	time.Sleep(1500 * time.Millisecond) // idle: heartbeats only, past QUIC's keep-alive period

	lat := make([]time.Duration, 0, samples)
	for i := 0; i < samples; i++ {
		time.Sleep(time.Duration(i*37%300) * time.Millisecond) // idle pauses of 0-300 ms
		k := "idle" + strconv.Itoa(i)
		start := time.Now()
		set(ens[0], k, "v")
		deadline := start.Add(5 * time.Second)
		for {
			mu.Lock()
			at, ok := appliedAt[k]
			mu.Unlock()
			if ok {
				lat = append(lat, at.Sub(start))
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("effect %d not applied on B within 5 s", i)
			}
			time.Sleep(time.Millisecond)
		}
	}
	for i, l := range lat {
		if l < d {
			t.Fatalf("effect %d applied on B %v after it was made, before the one-way delay %v", i, l, d)
		}
	}
	sorted := append([]time.Duration(nil), lat...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	p50, slowest := sorted[len(sorted)/2], sorted[len(sorted)-1]
	t.Logf("one-way delay %v, %d effects after idle pauses: applied on B after p50 %v, max %v (beyond the delay: p50 %v, max %v)",
		d, len(lat), p50, slowest, p50-d, slowest-d)
	// generous bounds for a loaded machine: an effect that waited for a
	// heartbeat (50 ms) or a frontier fetch (500 ms) would miss them
	if p50 > d+20*time.Millisecond {
		t.Fatalf("median %v: more than 20 ms beyond the one-way delay %v", p50, d)
	}
	if slowest > d+200*time.Millisecond {
		t.Fatalf("slowest %v: more than 200 ms beyond the one-way delay %v", slowest, d)
	}
}
