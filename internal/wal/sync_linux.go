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

// lockDir takes an exclusive lock on dir/LOCK for as long as the returned
// file stays open: two nodes must never share a data directory.
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(dir+"/LOCK", os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if err == syscall.EWOULDBLOCK {
			return nil, errLocked(dir)
		}
		return nil, err
	}
	return f, nil
}
