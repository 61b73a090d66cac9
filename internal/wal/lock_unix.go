//go:build unix

package wal

import (
	"os"
	"syscall"
)

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
