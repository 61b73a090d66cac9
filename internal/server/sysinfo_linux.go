package server

import "golang.org/x/sys/unix"

// totalSystemMemory is INFO memory's total_system_memory.
func totalSystemMemory() uint64 {
	var si unix.Sysinfo_t
	if unix.Sysinfo(&si) != nil {
		return 0
	}
	return uint64(si.Totalram) * uint64(si.Unit)
}
