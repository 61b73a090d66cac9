// Package hlc is a hybrid logical clock (Kulkarni et al. 2014): physical
// milliseconds in the high 48 bits and a logical counter in the low 16 bits of
// one uint64, so timestamps compare as plain integers. Every local event takes
// Now; every timestamp received from another node goes through Update, so a
// stamp is always larger than everything its holder had observed.
package hlc

import (
	"sync/atomic"
	"time"
)

// Timestamp is an HLC value: physical milliseconds << 16 | logical counter.
type Timestamp uint64

const logicalBits = 16

// Make builds a timestamp from its parts.
func Make(ms int64, logical uint16) Timestamp {
	return Timestamp(uint64(ms)<<logicalBits | uint64(logical))
}

// Millis is the physical part in Unix milliseconds.
func (t Timestamp) Millis() int64 { return int64(uint64(t) >> logicalBits) }

// Logical is the logical counter.
func (t Timestamp) Logical() uint16 { return uint16(t) }

// Clock is safe for concurrent use; it never goes backwards.
type Clock struct {
	last atomic.Uint64
	wall func() int64
}

// WallMillis is the default physical clock.
func WallMillis() int64 { return time.Now().UnixMilli() }

// New returns a clock reading physical time from wall (WallMillis when nil).
func New(wall func() int64) *Clock {
	if wall == nil {
		wall = WallMillis
	}
	return &Clock{wall: wall}
}

// Now returns a fresh timestamp for a local event, larger than any returned or
// observed before.
func (c *Clock) Now() Timestamp {
	pt := uint64(c.wall()) << logicalBits
	for {
		last := c.last.Load()
		next := pt
		if next <= last {
			next = last + 1
		}
		if c.last.CompareAndSwap(last, next) {
			return Timestamp(next)
		}
	}
}

// NowAt is Now with the physical time supplied by the caller (who read the
// wall clock already), saving a clock read on the hot path.
func (c *Clock) NowAt(wallMs int64) Timestamp {
	pt := uint64(wallMs) << logicalBits
	for {
		last := c.last.Load()
		next := pt
		if next <= last {
			next = last + 1
		}
		if c.last.CompareAndSwap(last, next) {
			return Timestamp(next)
		}
	}
}

// Update merges a timestamp received from elsewhere and returns a stamp for
// the receive event, larger than both.
func (c *Clock) Update(remote Timestamp) Timestamp {
	pt := uint64(c.wall()) << logicalBits
	for {
		last := c.last.Load()
		next := pt
		if uint64(remote) >= next {
			next = uint64(remote) + 1
		}
		if last >= next {
			next = last + 1
		}
		if c.last.CompareAndSwap(last, next) {
			return Timestamp(next)
		}
	}
}

// Observe raises the clock to at least remote without ticking past it.
func (c *Clock) Observe(remote Timestamp) {
	for {
		last := c.last.Load()
		if last >= uint64(remote) || c.last.CompareAndSwap(last, uint64(remote)) {
			return
		}
	}
}

// Peek returns the last timestamp handed out or observed.
func (c *Clock) Peek() Timestamp { return Timestamp(c.last.Load()) }

// PhysicalNow is the clock's notion of now in milliseconds: the larger of the
// wall clock and the physical part of the last stamp. Expiry is evaluated
// against it, so it never runs backwards either.
func (c *Clock) PhysicalNow() int64 {
	w := c.wall()
	if l := c.Peek().Millis(); l > w {
		return l
	}
	return w
}
