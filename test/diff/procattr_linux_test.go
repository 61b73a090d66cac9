package diff

import "syscall"

// childAttr puts a server started by the tests in its own process group,
// and has the kernel kill it if the test binary dies first.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
