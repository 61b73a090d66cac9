package server

import (
	"math/bits"
	"os"
	"sync/atomic"
	"time"
)

// cheapClock reads wall-clock time with one cheap read per call: the wall
// time at a base instant plus the time elapsed since, measured with the
// processor's time-stamp counter where it is a steady clock (amd64 with
// constant_tsc and nonstop_tsc, as Linux uses it for its own clock), with
// Go's monotonic clock elsewhere. A command reads it once (its start is
// the previous command's end), so its cost is per command: about 11 ns
// with the counter against 29 ns for time.Since on the machine it was
// measured on, some 2-3 % of a pipelined LPUSH.
//
// cron re-bases it at every tick (resync), so a step of the system clock
// is followed within a tick and the counter's measured rate is refined
// over the whole run. LIGHTCONE_NO_TSC=1 turns the counter off.
type cheapClock struct {
	base  atomic.Pointer[clockBase]
	start struct {
		tsc  uint64
		mono time.Time
	}
}

type clockBase struct {
	mono time.Time // carries a monotonic reading
	wall int64     // Unix ns at mono
	tsc  uint64    // counter at mono (0: the counter is not used)
	mult uint64    // ns per counter tick, 32.32 fixed point
}

// resync re-bases the clock on time.Now.
func (c *cheapClock) resync() {
	if c.base.Load() == nil {
		c.calibrate()
	}
	now := time.Now()
	b := &clockBase{mono: now, wall: now.UnixNano()}
	if c.start.tsc != 0 {
		t := rdtsc()
		el := now.Sub(c.start.mono)
		ticks := t - c.start.tsc
		if ghz := float64(ticks) / float64(el); el >= 10*time.Millisecond && (ghz < 0.1 || ghz > 20) {
			ticks = 0 // not a clock we understand
		}
		if el >= 10*time.Millisecond && int64(ticks) > 0 {
			b.tsc = t
			hi, lo := bits.Mul64(uint64(el), 1<<32)
			if hi < ticks {
				b.mult, _ = bits.Div64(hi, lo, ticks)
			}
		}
		if b.mult == 0 {
			b.tsc = 0
			if el >= 10*time.Millisecond {
				c.start.tsc = 0 // the counter went backwards or stalled: stop trusting it
			}
		}
	}
	c.base.Store(b)
}

// calibrate notes where the counter starts; its rate is measured from
// there at each resync, once 10 ms have passed (until then the clock uses
// time.Since).
func (c *cheapClock) calibrate() {
	if !tscUsable() || os.Getenv("LIGHTCONE_NO_TSC") != "" {
		return
	}
	c.start.mono, c.start.tsc = time.Now(), rdtsc()
}

// nanos is the current Unix time in nanoseconds.
func (c *cheapClock) nanos() int64 {
	b := c.base.Load()
	if b.tsc != 0 {
		d := rdtsc() - b.tsc
		if int64(d) < 0 {
			d = 0 // read on a processor whose counter lags a little
		}
		hi, lo := bits.Mul64(d, b.mult)
		return b.wall + int64(hi<<32|lo>>32)
	}
	return b.wall + int64(time.Since(b.mono))
}
