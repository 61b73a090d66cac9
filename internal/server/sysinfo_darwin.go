package server

import "golang.org/x/sys/unix"

// totalSystemMemory is INFO memory's total_system_memory.
func totalSystemMemory() uint64 {
	n, err := unix.SysctlUint64("hw.memsize")
	if err != nil {
		return 0
	}
	return n
}
