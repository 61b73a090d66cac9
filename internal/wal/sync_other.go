//go:build !linux

package wal

import "os"

func fdatasync(f *os.File) error { return f.Sync() }

func lockDir(dir string) (*os.File, error) {
	return os.OpenFile(dir+"/LOCK", os.O_CREATE|os.O_RDWR, 0o644)
}
