//go:build linux

package server

import (
	"errors"
	"syscall"

	"github.com/lightconedb/lightcone/internal/resp"
)

// startBusyHelper serves the other clients of the event loop that is stuck
// running a busy script (Redis processes events from inside the script; here
// a goroutine does it for the loop until the script ends).
func (s *Server) startBusyHelper(r *scriptRun) {
	l := r.cl.loop
	if l == nil {
		return // a goroutine client: nothing else waits on its goroutine
	}
	r.helpMu.Lock()
	defer r.helpMu.Unlock()
	if r.helping {
		return
	}
	r.helping = true
	r.helper = make(chan struct{})
	r.helped = make(chan struct{})
	// the script's own client keeps its input until the script is done
	r.cl.mu.Lock()
	if !r.cl.fdClosed {
		ev := syscall.EpollEvent{Events: syscall.EPOLLRDHUP, Fd: int32(r.cl.fd)}
		syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_MOD, r.cl.fd, &ev)
	}
	r.cl.mu.Unlock()
	go l.serveBusy(r)
}

// restoreEvents gives a loop client its usual epoll interest back.
func (s *Server) restoreEvents(c *client) {
	if c.loop == nil {
		return
	}
	c.mu.Lock()
	closed := c.fdClosed
	c.mu.Unlock()
	if !closed {
		c.setEvents()
	}
}

// serveBusy is the loop's body while its goroutine runs a busy script.
func (l *loop) serveBusy(r *scriptRun) {
	l.helping.Store(true) // its replies go out at once (beforeRead)
	defer close(r.helped)
	defer l.helping.Store(false)
	events := make([]syscall.EpollEvent, 64)
	woken := false
	defer func() {
		if woken {
			l.poke() // the loop has resumed clients to look at
		}
	}()
	for {
		select {
		case <-r.helper:
			return
		default:
		}
		n, err := syscall.EpollWait(l.epfd, events, 10)
		if err != nil && err != syscall.EINTR {
			return
		}
		for i := 0; i < n; i++ {
			fd := int(events[i].Fd)
			if fd == l.wake[0] {
				var buf [64]byte
				syscall.Read(fd, buf[:])
				woken = true
				continue
			}
			l.mu.Lock()
			c := l.conns[fd]
			l.mu.Unlock()
			if c == nil || c == r.cl {
				continue
			}
			ev := events[i].Events
			if c.parked != nil {
				if ev&(syscall.EPOLLRDHUP|syscall.EPOLLHUP|syscall.EPOLLERR) != 0 {
					l.close(c)
				} else if ev&syscall.EPOLLOUT != 0 && !c.flushPending() {
					l.close(c)
				}
				continue
			}
			if ev&syscall.EPOLLOUT != 0 && !c.flushPending() {
				l.close(c)
				continue
			}
			if ev&(syscall.EPOLLIN|syscall.EPOLLRDHUP|syscall.EPOLLHUP|syscall.EPOLLERR) != 0 {
				l.readableBusy(c)
			}
		}
	}
}

// readableBusy runs a client's commands in busy mode.
func (l *loop) readableBusy(c *client) {
	c.readBudget = 1
	for {
		args, err := c.r.ReadCommand()
		if err != nil {
			if errors.Is(err, errWouldBlock) {
				return
			}
			var pe *resp.ProtocolError
			if errors.As(err, &pe) {
				c.w.Error("ERR " + pe.Msg)
				c.w.Flush()
			}
			l.close(c)
			return
		}
		l.s.dispatchBusy(c, args)
		if c.closeAfterReply || c.killed.Load() || c.w.Err() != nil {
			c.w.Flush()
			l.close(c)
			return
		}
	}
}
