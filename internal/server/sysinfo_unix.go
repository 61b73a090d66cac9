//go:build unix

package server

import (
	"runtime"

	"golang.org/x/sys/unix"
)

// uname is INFO server's os: the kernel's name, release and machine.
func uname() (sysname, release, machine string) {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return runtime.GOOS, "", runtime.GOARCH
	}
	return unix.ByteSliceToString(u.Sysname[:]), unix.ByteSliceToString(u.Release[:]), unix.ByteSliceToString(u.Machine[:])
}
