//go:build !unix

package wal

import "os"

// lockDir opens dir/LOCK; without flock(2) it cannot stop a second node
// from sharing the directory.
func lockDir(dir string) (*os.File, error) {
	return os.OpenFile(dir+"/LOCK", os.O_CREATE|os.O_RDWR, 0o644)
}
