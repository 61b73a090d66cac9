package cluster

import (
	"container/heap"
	"errors"
	"math/rand"
	"net"
	"sync"
	"syscall"
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
//
// Delayed datagrams wait in one queue ordered by due time (then by send
// order) and one goroutine sends them when due: a constant delay keeps
// their order, as a longer wire would, and only jitter reorders. The
// goroutine sleeps on a timer until shortly before the first is due and
// the rest of the way with a precise sleep (sleepPrecise), because Go's
// timers fire up to about a millisecond late in an otherwise idle process:
// that lateness, and datagrams due together sent in scrambled order (one
// timer goroutine each), were what the delay added beyond itself before.
type FaultConn struct {
	net.PacketConn

	mu      sync.Mutex
	rng     *rand.Rand
	f       Faults
	blocked map[string]bool // partitioned peer addresses (both directions)
	all     bool            // partitioned from everyone

	q       delayQueue // delayed datagrams, by due time
	seq     uint64     // send order, breaks ties in q
	sending bool       // the sender goroutine runs
	closed  bool
	wake    chan struct{} // a datagram was queued (capacity 1)
	done    chan struct{} // closed by Close
}

// NewFaultConn wraps pc with a fault layer seeded by seed (no faults yet).
func NewFaultConn(pc net.PacketConn, seed int64) *FaultConn {
	return &FaultConn{PacketConn: pc, rng: rand.New(rand.NewSource(seed)), blocked: map[string]bool{},
		wake: make(chan struct{}, 1), done: make(chan struct{})}
}

// Close drops the datagrams still delayed (in flight from a node that
// stops) and closes the socket.
func (c *FaultConn) Close() error {
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		c.q = nil
		close(c.done)
	}
	c.mu.Unlock()
	return c.PacketConn.Close()
}

// SetReadBuffer, SetWriteBuffer and SyscallConn pass through to the socket,
// so that QUIC sizes its buffers as it does on a bare socket (hidden, they
// stayed at the system default, and a burst overflowed the receive buffer:
// losses the fault description never asked for).
func (c *FaultConn) SetReadBuffer(n int) error {
	if b, ok := c.PacketConn.(interface{ SetReadBuffer(int) error }); ok {
		return b.SetReadBuffer(n)
	}
	return errors.New("fault layer: the socket has no SetReadBuffer")
}

func (c *FaultConn) SetWriteBuffer(n int) error {
	if b, ok := c.PacketConn.(interface{ SetWriteBuffer(int) error }); ok {
		return b.SetWriteBuffer(n)
	}
	return errors.New("fault layer: the socket has no SetWriteBuffer")
}

func (c *FaultConn) SyscallConn() (syscall.RawConn, error) {
	if b, ok := c.PacketConn.(syscall.Conn); ok {
		return b.SyscallConn()
	}
	return nil, errors.New("fault layer: the socket has no SyscallConn")
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
	now := time.Now()
	queued := false
	for _, d := range delays {
		if d > 0 && !c.closed {
			c.seq++
			heap.Push(&c.q, delayed{due: now.Add(d), seq: c.seq, p: append([]byte(nil), p...), addr: addr})
			queued = true
		}
	}
	if queued && !c.sending {
		c.sending = true
		go c.sender()
	}
	c.mu.Unlock()
	if queued {
		select {
		case c.wake <- struct{}{}:
		default:
		}
	}
	for _, d := range delays {
		if d <= 0 {
			if _, err := c.PacketConn.WriteTo(p, addr); err != nil {
				return 0, err
			}
		}
	}
	return len(p), nil
}

// coarseSlack: the sender's timer wakes it this long before the first
// datagram is due; sleepPrecise waits the rest.
const coarseSlack = 2 * time.Millisecond

// sender sends the delayed datagrams when they are due, in due order.
func (c *FaultConn) sender() {
	t := time.NewTimer(time.Hour)
	t.Stop()
	var batch []delayed
	for {
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return
		}
		if len(c.q) == 0 {
			c.mu.Unlock()
			select {
			case <-c.wake:
			case <-c.done:
				return
			}
			continue
		}
		now := time.Now()
		if wait := c.q[0].due.Sub(now); wait > 0 {
			c.mu.Unlock()
			if wait <= coarseSlack {
				// a datagram queued meanwhile is due after this one
				// unless jitter put it before: it then waits at most
				// coarseSlack past its time
				sleepPrecise(wait)
				continue
			}
			t.Reset(wait - coarseSlack)
			select {
			case <-t.C:
			case <-c.wake: // maybe an earlier one (jitter)
				t.Stop()
			case <-c.done:
				t.Stop()
				return
			}
			continue
		}
		for len(c.q) > 0 && !c.q[0].due.After(now) {
			batch = append(batch, heap.Pop(&c.q).(delayed))
		}
		c.mu.Unlock()
		for i, d := range batch {
			c.PacketConn.WriteTo(d.p, d.addr)
			batch[i] = delayed{}
		}
		batch = batch[:0]
	}
}

// delayed is a datagram waiting for its due time.
type delayed struct {
	due  time.Time
	seq  uint64
	p    []byte
	addr net.Addr
}

// delayQueue is a min-heap of delayed datagrams by (due, seq).
type delayQueue []delayed

func (q delayQueue) Len() int { return len(q) }
func (q delayQueue) Less(i, j int) bool {
	if !q[i].due.Equal(q[j].due) {
		return q[i].due.Before(q[j].due)
	}
	return q[i].seq < q[j].seq
}
func (q delayQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *delayQueue) Push(x any)   { *q = append(*q, x.(delayed)) }
func (q *delayQueue) Pop() any {
	old := *q
	x := old[len(old)-1]
	old[len(old)-1] = delayed{}
	*q = old[:len(old)-1]
	return x
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
