package server

import (
	"sync/atomic"
	"time"
)

// cheapClock reads wall-clock time with one monotonic clock read: the wall
// time at a base instant plus the monotonic time elapsed since. cron
// re-bases it ten times a second, so a step of the system clock is followed
// within 100 ms. Per command this replaces three clock reads with one.
type cheapClock struct {
	base atomic.Pointer[clockBase]
}

type clockBase struct {
	mono time.Time // carries a monotonic reading
	wall int64     // Unix ns at mono
}

func (c *cheapClock) resync() {
	now := time.Now()
	c.base.Store(&clockBase{mono: now, wall: now.UnixNano()})
}

// nanos is the current Unix time in nanoseconds.
func (c *cheapClock) nanos() int64 {
	b := c.base.Load()
	return b.wall + int64(time.Since(b.mono))
}
