package cluster

import (
	"encoding/binary"
	"sort"
	"testing"
	"time"
)

// A constant delay must delay every datagram by that much, keep their
// order (a delay is not a reordering: jitter is), and add little on top.
func TestFaultDelayKeepsOrderAndIsPrecise(t *testing.T) {
	const d = 5 * time.Millisecond
	const n = 400
	rx := listenUDP(t)
	defer rx.Close()
	fc := NewFaultConn(listenUDP(t), 1)
	defer fc.Close()
	fc.SetFaults(Faults{Delay: d})

	type arrival struct {
		i    uint32
		late time.Duration // beyond d
	}
	got := make(chan []arrival, 1)
	go func() {
		var as []arrival
		buf := make([]byte, 64)
		rx.SetReadDeadline(time.Now().Add(20 * time.Second))
		for len(as) < n {
			k, _, err := rx.ReadFrom(buf)
			if err != nil || k != 12 {
				break
			}
			sent := time.Unix(0, int64(binary.LittleEndian.Uint64(buf[4:])))
			as = append(as, arrival{binary.LittleEndian.Uint32(buf), time.Since(sent) - d})
		}
		got <- as
	}()
	p := make([]byte, 12)
	for i := 0; i < n; i++ {
		binary.LittleEndian.PutUint32(p, uint32(i))
		binary.LittleEndian.PutUint64(p[4:], uint64(time.Now().UnixNano()))
		if _, err := fc.WriteTo(p, rx.LocalAddr()); err != nil {
			t.Fatal(err)
		}
		if i%20 == 19 {
			// bursts of 20 with pauses: due times cluster, as QUIC's do
			time.Sleep(time.Duration(i%7) * 300 * time.Microsecond)
		}
	}
	as := <-got
	if len(as) != n {
		t.Fatalf("received %d of %d datagrams", len(as), n)
	}
	reordered := 0
	lat := make([]time.Duration, n)
	for k, a := range as {
		if a.i != uint32(k) {
			reordered++
		}
		if a.late < 0 {
			t.Fatalf("datagram %d arrived %v before the delay %v was over", a.i, -a.late, d)
		}
		lat[k] = a.late
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	t.Logf("delay %v: added beyond it p50 %v p99 %v max %v; %d of %d out of order", d, lat[n/2], lat[n*99/100], lat[n-1], reordered, n)
	if reordered > 0 {
		t.Fatalf("%d of %d datagrams out of order under a constant delay", reordered, n)
	}
}
