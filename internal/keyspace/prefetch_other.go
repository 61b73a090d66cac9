//go:build !amd64

package keyspace

func prefetch(addr uintptr) {}
