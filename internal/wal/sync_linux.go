//go:build linux

package wal

import (
	"os"
	"syscall"
)

// fdatasync makes a file's data (and its size) durable, skipping metadata
// that does not matter for reading it back (times).
func fdatasync(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return f.Sync()
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		for {
			serr = syscall.Fdatasync(int(fd))
			if serr != syscall.EINTR {
				return
			}
		}
	}); err != nil {
		return err
	}
	return serr
}
