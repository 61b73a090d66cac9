package cluster

import (
	"math/rand"
	"net"
	"sync"
	"time"
)

// Faults describes the damage a FaultConn does to outgoing datagrams.
type Faults struct {
	Drop      float64       // probability a datagram is lost
	Duplicate float64       // probability it is sent twice
	Delay     time.Duration // one-way delay added to every datagram
	Jitter    time.Duration // extra random delay in [0, Jitter): reorders datagrams
}

// FaultConn wraps the cluster's UDP socket to inject seeded faults: loss,
// duplication, delay, reordering and partitions. Production nodes use the
// socket directly; tests put this in between.
type FaultConn struct {
	net.PacketConn

	mu      sync.Mutex
	rng     *rand.Rand
	f       Faults
	blocked map[string]bool // partitioned peer addresses (both directions)
	all     bool            // partitioned from everyone
}

// NewFaultConn wraps pc with a fault layer seeded by seed (no faults yet).
func NewFaultConn(pc net.PacketConn, seed int64) *FaultConn {
	return &FaultConn{PacketConn: pc, rng: rand.New(rand.NewSource(seed)), blocked: map[string]bool{}}
}

// SetFaults replaces the fault description.
func (c *FaultConn) SetFaults(f Faults) {
	c.mu.Lock()
	c.f = f
	c.mu.Unlock()
}

// Partition cuts this node off from the given peer addresses (or from
// everyone when none are given), in both directions.
func (c *FaultConn) Partition(addrs ...string) {
	c.mu.Lock()
	if len(addrs) == 0 {
		c.all = true
	}
	for _, a := range addrs {
		c.blocked[a] = true
	}
	c.mu.Unlock()
}

// Heal removes every partition.
func (c *FaultConn) Heal() {
	c.mu.Lock()
	c.all = false
	clear(c.blocked)
	c.mu.Unlock()
}

func (c *FaultConn) cut(addr net.Addr) bool {
	return c.all || (addr != nil && c.blocked[addr.String()])
}

// WriteTo sends p to addr through the fault layer.
func (c *FaultConn) WriteTo(p []byte, addr net.Addr) (int, error) {
	c.mu.Lock()
	if c.cut(addr) || (c.f.Drop > 0 && c.rng.Float64() < c.f.Drop) {
		c.mu.Unlock()
		return len(p), nil
	}
	copies := 1
	if c.f.Duplicate > 0 && c.rng.Float64() < c.f.Duplicate {
		copies = 2
	}
	delays := make([]time.Duration, copies)
	for i := range delays {
		delays[i] = c.f.Delay
		if c.f.Jitter > 0 {
			delays[i] += time.Duration(c.rng.Int63n(int64(c.f.Jitter)))
		}
	}
	c.mu.Unlock()
	for _, d := range delays {
		if d <= 0 {
			if _, err := c.PacketConn.WriteTo(p, addr); err != nil {
				return 0, err
			}
			continue
		}
		cp := append([]byte(nil), p...)
		time.AfterFunc(d, func() { c.PacketConn.WriteTo(cp, addr) })
	}
	return len(p), nil
}

// ReadFrom receives the next datagram not cut off by a partition.
func (c *FaultConn) ReadFrom(p []byte) (int, net.Addr, error) {
	for {
		n, addr, err := c.PacketConn.ReadFrom(p)
		if err != nil {
			return n, addr, err
		}
		c.mu.Lock()
		cut := c.cut(addr)
		c.mu.Unlock()
		if !cut {
			return n, addr, nil
		}
	}
}
