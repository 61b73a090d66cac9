//go:build linux

package cluster

import (
	"syscall"
	"time"
)

// sleepPrecise blocks the calling thread in nanosleep for d: the kernel's
// high-resolution timer wakes it within tens of microseconds, where a Go
// timer in an idle process can fire up to a millisecond late (the runtime
// waits for timers in epoll_wait, whose timeout is in whole milliseconds).
// For short waits only: the thread is held for d.
func sleepPrecise(d time.Duration) {
	ts := syscall.NsecToTimespec(int64(d))
	for {
		var rem syscall.Timespec
		err := syscall.Nanosleep(&ts, &rem)
		if err != syscall.EINTR {
			return
		}
		ts = rem
	}
}
