package server

import (
	"testing"
	"time"
)

// The cheap clock follows the system's: after its counter's rate is known,
// nanos stays within a fraction of a millisecond of time.Now between
// re-basings.
func TestCheapClockFollowsTime(t *testing.T) {
	var c cheapClock
	c.resync()
	worst := time.Duration(0)
	usedTSC := false
	for i := 0; i < 40; i++ {
		time.Sleep(3 * time.Millisecond)
		if i%5 == 0 {
			c.resync()
		}
		before := time.Now().UnixNano()
		got := c.nanos()
		after := time.Now().UnixNano()
		var off time.Duration
		if got < before {
			off = time.Duration(before - got)
		} else if got > after {
			off = time.Duration(got - after)
		}
		worst = max(worst, off)
		usedTSC = usedTSC || c.base.Load().tsc != 0
	}
	if worst > 500*time.Microsecond {
		t.Fatalf("cheap clock off by %v from time.Now", worst)
	}
	if tscUsable() && !usedTSC {
		t.Fatalf("the time-stamp counter is usable here but the clock never used it")
	}
	t.Logf("worst offset %v, time-stamp counter used: %v", worst, usedTSC)
}
