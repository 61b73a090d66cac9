package server

import (
	"os"
	"syscall"
	"unsafe"
)

// The event loop's socket reads and writes and its epoll polls never block
// (the sockets are non-blocking, the polls have no timeout), so they are
// made without telling the Go scheduler (RawSyscall). A goroutine announced
// as in a system call can have its processor taken by the runtime's monitor
// (sysmon) when the call spans two of its checks, and every time it takes
// one the monitor goes back to waking up every 20 µs: on a busy server that
// was thousands of wake-ups a second, each a context switch on a processor
// the event loops and the clients need (LPUSH -P 16: sysmon 3,700-5,600
// context switches in a 1.6 s run and ~8 % of the server's CPU; 240 and
// none measurable with raw calls; +3-4 % throughput).
// LIGHTCONE_NO_RAW_SYSCALLS=1 goes back to the scheduler-aware calls, as
// does a build with the race detector (race_on.go).
var rawSyscalls = !raceEnabled && os.Getenv("LIGHTCONE_NO_RAW_SYSCALLS") == ""

func errnoErr(e syscall.Errno) error {
	switch e {
	case 0:
		return nil
	case syscall.EAGAIN:
		return syscall.EAGAIN
	case syscall.EINTR:
		return syscall.EINTR
	}
	return e
}

func sysRead(fd int, p []byte) (int, error) {
	if !rawSyscalls {
		return syscall.Read(fd, p)
	}
	return rawIO(syscall.SYS_READ, fd, p)
}

func sysWrite(fd int, p []byte) (int, error) {
	if !rawSyscalls {
		return syscall.Write(fd, p)
	}
	return rawIO(syscall.SYS_WRITE, fd, p)
}

// rawIO is read(2) or write(2) on fd without the scheduler.
func rawIO(trap uintptr, fd int, p []byte) (int, error) {
	var ptr unsafe.Pointer
	if len(p) > 0 {
		ptr = unsafe.Pointer(&p[0])
	}
	r, _, e := syscall.RawSyscall(trap, uintptr(fd), uintptr(ptr), uintptr(len(p)))
	if e != 0 {
		return -1, errnoErr(e)
	}
	return int(r), nil
}

func sysEpollPoll(epfd int, events []syscall.EpollEvent) (int, error) {
	if !rawSyscalls {
		return syscall.EpollWait(epfd, events, 0)
	}
	// epoll_pwait without a signal mask is epoll_wait (which arm64 lacks)
	r, _, e := syscall.RawSyscall6(syscall.SYS_EPOLL_PWAIT, uintptr(epfd), uintptr(unsafe.Pointer(&events[0])), uintptr(len(events)), 0, 0, 0)
	if e != 0 {
		return 0, errnoErr(e)
	}
	return int(r), nil
}
