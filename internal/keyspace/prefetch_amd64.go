package keyspace

// prefetch asks the CPU to bring the cache line at addr closer; it never
// faults, whatever addr is.
//
//go:noescape
func prefetch(addr uintptr)
