package cluster_test

import (
	"fmt"
	"sort"
	"strconv"
	"testing"
	"time"
)

// faults gives every node the same fault description with its own seed.
func faults(spec string) func(i int) string {
	return func(i int) string { return fmt.Sprintf("LIGHTCONE_CLUSTER_FAULTS=%s,seed=%d", spec, i+1) }
}

func TestLossyLinks(t *testing.T) {
	n := 400
	if testing.Short() {
		n = 120
	}
	ps := startProcs(t, 3, pass, faults("drop=0.05,dup=0.02,jitter=3ms"))
	a := newAcked()
	runWorkloads(t, ps, n, 21, a)
	waitConverged(t, ps, a, 30*time.Second)
}

// TestVisibilityLatency measures write acknowledged on A → readable on B
// with a one-way delay d injected on every datagram, and logs p50/p99.
func TestVisibilityLatency(t *testing.T) {
	delays := []time.Duration{0, 5 * time.Millisecond, 50 * time.Millisecond}
	samples := 200
	if testing.Short() {
		delays, samples = delays[:2], 50
	}
	for _, d := range delays {
		t.Run(d.String(), func(t *testing.T) {
			ps := startProcs(t, 2, pass, faults("delay="+d.String()))
			w, err := dial(ps[0].port)
			if err != nil {
				t.Fatal(err)
			}
			defer w.close()
			r, err := dial(ps[1].port)
			if err != nil {
				t.Fatal(err)
			}
			defer r.close()
			var lat []time.Duration
			for i := 0; i < samples; i++ {
				k := "vis" + strconv.Itoa(i)
				must(t, w, "SET", k, "1")
				start := time.Now()
				for {
					if v := must(t, r, "GET", k); v == "1" {
						break
					}
					if time.Since(start) > 10*time.Second {
						t.Fatalf("write %d never became visible", i)
					}
				}
				lat = append(lat, time.Since(start))
			}
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			p50, p90, p99 := lat[len(lat)/2], lat[len(lat)*9/10], lat[len(lat)*99/100]
			t.Logf("one-way delay %v: visibility p50 %v p90 %v p99 %v max %v (target p99 <= %v)", d, p50, p90, p99, lat[len(lat)-1], d+2*time.Millisecond)
			// the target is d+2ms; on a shared CI machine only gross failures are failures
			if p99 > d+250*time.Millisecond {
				t.Fatalf("p99 %v far above the delay %v", p99, d)
			}
		})
	}
}

// A client blocked on B wakes for a write made on A.
func TestBlockedClientWakesForRemoteWrite(t *testing.T) {
	ps := startProcs(t, 2, pass)
	b, err := dial(ps[1].port)
	if err != nil {
		t.Fatal(err)
	}
	defer b.close()
	got := make(chan string, 1)
	go func() {
		r, err := b.do("XREAD", "BLOCK", "4000", "STREAMS", "wake", "$")
		if err != nil {
			r = "error: " + err.Error()
		}
		got <- r
	}()
	time.Sleep(200 * time.Millisecond) // let it block
	a, err := dial(ps[0].port)
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	id := must(t, a, "XADD", "wake", "*", "f", "v")
	start := time.Now()
	select {
	case r := <-got:
		if want := "wake\n" + id + "\nf\nv"; r != want {
			t.Fatalf("XREAD on B replied %q, want %q", r, want)
		}
		t.Logf("woke %v after the XADD on A", time.Since(start))
	case <-time.After(3 * time.Second):
		t.Fatal("client blocked on B did not wake for XADD on A")
	}
}
