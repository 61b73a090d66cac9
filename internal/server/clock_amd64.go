package server

import (
	"os"
	"strings"
)

// rdtsc reads the processor's time-stamp counter.
func rdtsc() uint64

// tscUsable reports whether the time-stamp counter ticks at one rate on
// every processor, in every power state (what Linux checks before it uses
// it as its clock source).
func tscUsable() bool {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return false
	}
	s := string(b)
	return strings.Contains(s, " constant_tsc") && strings.Contains(s, " nonstop_tsc")
}
