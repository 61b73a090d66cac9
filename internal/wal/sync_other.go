//go:build !linux

package wal

import "os"

// fdatasync makes a file's data durable: (*os.File).Sync, which on macOS
// asks the drive to flush its cache too (F_FULLFSYNC).
func fdatasync(f *os.File) error { return f.Sync() }
