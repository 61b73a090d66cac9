//go:build !linux

package cluster

import "time"

// sleepPrecise sleeps d; only Linux has the precise version.
func sleepPrecise(d time.Duration) { time.Sleep(d) }
