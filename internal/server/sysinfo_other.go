//go:build !linux && !darwin

package server

// totalSystemMemory is INFO memory's total_system_memory: 0 where this
// build does not know how to ask (Redis reports 0 too when it cannot).
func totalSystemMemory() uint64 { return 0 }
