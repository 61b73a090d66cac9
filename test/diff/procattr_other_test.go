//go:build !linux

package diff

import "syscall"

// childAttr puts a server started by the tests in its own process group
// (without Linux' parent-death signal, a test binary that dies leaves it
// running until its stop).
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
