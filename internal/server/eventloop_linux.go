//go:build linux

package server

import (
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/lightconedb/lightcone/internal/engine"
	"github.com/lightconedb/lightcone/internal/resp"
)

// The event loops: a few goroutines, each owning an epoll instance and the
// connections registered with it, read every ready connection, run its
// commands and write its replies — no goroutine per connection, no park and
// wake per request. This is how Redis serves; it matters most for
// unpipelined traffic, where Go's per-connection goroutines cost a failed
// read, a park and a wake-up per request.
//
// A connection's socket is duplicated out of Go's own poller (the net.Conn
// is closed right away), so readiness is reported to one epoll only.

type loop struct {
	s       *Server
	epfd    int
	wake    [2]int // pipe: a byte wakes the loop (shutdown)
	mu      sync.Mutex
	conns   map[int]*client
	resumed []resumed // clients whose blocking wait ended (guarded by mu)

	// pushes (pubsub_push.go): clients with a filled outbox (guarded by
	// mu), whether the loop was woken for them since it last looked, and
	// clients written to by this loop's goroutine, flushed after the batch
	pushq    []*client
	poked    atomic.Bool
	dirtyq   []*client
	deferred []*client   // replies waiting for the log's group commit (persist.go)
	idx      int         // the loop's index: its gate slot
	gateHeld bool        // the loop holds its gate slot (readable, leaveGate)
	helping  atomic.Bool // a busy helper serves the loop's clients (script_busy_linux.go)
	// eng is the loop's own engine: it may keep a hot key's shard lock
	// from one command to the next (engine.Engine.Loop), across the loop's
	// round of ready clients (roundLock); the loop releases it when the
	// round ends and before anything that may wait (leaveGate, serveReady,
	// parking, close, commands without KeepLock)
	eng *engine.Engine
	// busy: the loop's last wait for events was short (see spinNs)
	busy bool
}

// queueResume hands the loop a client whose blocking wait ended.
func (l *loop) queueResume(c *client, reply []byte) {
	l.mu.Lock()
	l.resumed = append(l.resumed, resumed{c: c, reply: reply})
	l.mu.Unlock()
	l.poke()
}

// spinNs is how long a busy loop polls for events before it parks
// (LIGHTCONE_SPIN_US, default 30 µs; 0 never spins), and busyWaitNs the wait
// below which a loop counts as busy. Polling a little instead of parking at
// once saves the loop a park and a wake-up when requests come close together
// (50 clients one request each at a time: +10-20% on this 2-core machine); a
// loop whose waits are longer than busyWaitNs parks at once, so an idle or
// lightly loaded server spends nothing on it.
var spinNs = func() int64 {
	if v, err := strconv.Atoi(os.Getenv("LIGHTCONE_SPIN_US")); err == nil && v >= 0 {
		return int64(v) * 1000
	}
	return 30_000
}()

const busyWaitNs = 200_000

var loopEpoch = time.Now()

// nanotime is a monotonic clock reading (one clock read, not two as
// time.Now's).
func nanotime() int64 { return int64(time.Since(loopEpoch)) }

// poke wakes the loop (a resumed client, shutdown).
func (l *loop) poke() { syscall.Write(l.wake[1], []byte{1}) }

var errWouldBlock = errors.New("would block")

// startLoops starts n event loops.
func (s *Server) startLoops(n int) error {
	for i := 0; i < n; i++ {
		epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
		if err != nil {
			return err
		}
		l := &loop{s: s, epfd: epfd, conns: map[int]*client{}, idx: i, eng: s.Eng.Loop()}
		if os.Getenv("LIGHTCONE_NO_KEEPLOCK") != "" {
			l.eng = s.Eng
		}
		if err := syscall.Pipe2(l.wake[:], syscall.O_NONBLOCK|syscall.O_CLOEXEC); err != nil {
			return err
		}
		ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(l.wake[0])}
		if err := syscall.EpollCtl(epfd, syscall.EPOLL_CTL_ADD, l.wake[0], &ev); err != nil {
			return err
		}
		s.mu.Lock() // Shutdown may run meanwhile (wakeLoops)
		if s.closing.Load() {
			s.mu.Unlock()
			syscall.Close(epfd)
			syscall.Close(l.wake[0])
			syscall.Close(l.wake[1])
			return errors.New("shutting down")
		}
		s.loops = append(s.loops, l)
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			l.run()
		}()
	}
	return nil
}

// adopt moves an accepted connection onto an event loop. It reports false
// when the connection cannot be served that way (the caller falls back to a
// goroutine).
func (s *Server) adopt(conn net.Conn) bool {
	if s.noLoops {
		return false
	}
	sc, ok := conn.(syscall.Conn)
	if !ok || len(s.loops) == 0 {
		return false
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	fd := -1
	raw.Control(func(f uintptr) {
		nfd, err := syscall.Dup(int(f))
		if err == nil {
			fd = nfd
		}
	})
	if fd < 0 {
		return false
	}
	syscall.CloseOnExec(fd)
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return false
	}
	c := s.newClient(conn, fd) // keeps the addresses; conn itself is closed below
	conn.Close()
	li := int(c.id % int64(len(s.loops)))
	l := s.loops[li]
	c.loop = l
	c.slot = li
	c.ctx.Eng = l.eng
	l.mu.Lock()
	l.conns[fd] = c
	l.mu.Unlock()
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP, Fd: int32(fd)}
	if err := syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_ADD, fd, &ev); err != nil {
		l.close(c)
	}
	return true
}

// run waits for events by parking in Go's own poller on the epoll fd (an
// epoll fd is itself pollable), so an idle loop blocks no thread and the
// scheduler needs no hand-off per wait.
func (l *loop) run() {
	events := make([]syscall.EpollEvent, 256)
	syscall.SetNonblock(l.epfd, true)
	f := os.NewFile(uintptr(l.epfd), "epoll")
	rc, err := f.SyscallConn()
	if err != nil {
		l.s.Log.Error("event loop cannot start", "err", err)
		return
	}
	defer f.Close()
	for {
		var n int
		var werr error
		waitStart := nanotime()
		// two loops taking turns on a hot key are each other's work: one
		// spinning would only take the processor from the other
		spin := l.busy && spinNs > 0 && !l.eng.Contended()
		err := rc.Read(func(fd uintptr) bool {
			n, werr = sysEpollPoll(int(fd), events)
			if werr == syscall.EINTR {
				n, werr = 0, nil
				return true // poll again at once
			}
			if n == 0 && werr == nil && spin {
				// events have been coming close together: poll a little
				// longer before parking, which costs this goroutine two
				// context switches and the client a wake-up's latency
				for start := nanotime(); n == 0 && werr == nil && nanotime()-start < spinNs; {
					n, werr = sysEpollPoll(int(fd), events)
					if werr == syscall.EINTR {
						n, werr = 0, nil
					}
				}
			}
			return n > 0 || werr != nil
		})
		// spin next time only while the loop is busy: its last wait, spin
		// or park, was short
		l.busy = nanotime()-waitStart < busyWaitNs
		if err == nil {
			err = werr
		}
		if err != nil {
			l.s.Log.Error("event loop stopped", "err", err)
			return
		}
		for i := 0; i < n; i++ {
			fd := int(events[i].Fd)
			if fd == l.wake[0] {
				var buf [64]byte
				syscall.Read(fd, buf[:])
				l.poked.Store(false)
				l.deliverPushes()
				l.resume()
				continue
			}
			l.mu.Lock()
			c := l.conns[fd]
			l.mu.Unlock()
			if c == nil {
				continue
			}
			ev := events[i].Events
			if c.parked != nil {
				// waiting in a blocking command: input waits; a hang-up ends it
				if ev&(syscall.EPOLLRDHUP|syscall.EPOLLHUP|syscall.EPOLLERR) != 0 {
					l.close(c)
				} else if ev&syscall.EPOLLOUT != 0 && !c.flushPending() {
					l.close(c)
				}
				continue
			}
			if ev&syscall.EPOLLOUT != 0 {
				if !c.flushPending() {
					l.close(c)
					continue
				}
			}
			if ev&(syscall.EPOLLIN|syscall.EPOLLRDHUP|syscall.EPOLLHUP|syscall.EPOLLERR) != 0 {
				l.readable(c)
			}
		}
		l.leaveGate()
		l.afterBatch()
		l.flushDeferred()
		if l.s.closing.Load() {
			l.mu.Lock()
			empty := len(l.conns) == 0
			l.mu.Unlock()
			if empty {
				syscall.Close(l.wake[0])
				syscall.Close(l.wake[1])
				return
			}
		}
	}
}

// readable runs every complete command the client has sent. Like Redis it
// reads the socket once per readiness event (epoll is level-triggered, so
// more input means another event) instead of reading until EAGAIN: a request
// then costs one read, not one read plus one that fails.
func (l *loop) readable(c *client) {
	c.readBudget = 1
	for {
		// beforeRead runs before any socket read: it counts the batch's
		// commands and defers the replies to the end of the loop's round,
		// keeping the gate slot and the kept lock for the round (roundLock)
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
		if cl := l.s.cl.node; cl != nil && cl.Behind() {
			l.leaveGate() // never wait holding the gate
			l.s.holdWrites(cl, args)
		}
		if !l.gateHeld {
			if !l.s.enterGate(c.slot) {
				// a busy script run by another loop or goroutine holds the gate
				l.s.dispatchBusy(c, args)
				if c.closeAfterReply || c.killed.Load() || c.w.Err() != nil {
					c.w.Flush()
					l.close(c)
					return
				}
				continue
			}
			l.gateHeld = true
			l.s.gate.beginBatch(c.slot)
		}
		l.s.dispatch(c, args)
		if l.s.blocks.pending.Load() != 0 {
			l.eng.Release() // serveReady locks the keys clients wait on
			l.s.serveReady()
		}
		if c.closeAfterReply || c.killed.Load() || c.w.Err() != nil {
			l.eng.Release()
			c.w.Flush()
			l.close(c)
			return
		}
		if c.parked != nil {
			l.eng.Release()
			c.w.Flush()
			c.setEvents()
			return
		}
	}
}

// leaveGate gives back what the loop holds of the gate: its read slot, and
// the whole gate if a script or EXEC kept it, and the shard lock its engine
// kept. The loop holds them while its round of ready clients runs, across
// those clients' (non-blocking) socket reads (roundLock in persist.go);
// after a script or EXEC it keeps the whole gate for its other ready
// clients too, and writes their replies once the round of events is done
// (run: leaveGate, flushDeferred), so that the gate changes hands once per
// round of the loop, not once per client.
func (l *loop) leaveGate() {
	l.eng.Release()
	if l.gateHeld {
		l.gateHeld = false
		l.s.gate.endBatch(l.slot())
	}
}

// slot is the loop's gate slot.
func (l *loop) slot() int { return l.idx }

// resume writes the replies of clients whose blocking wait ended and goes
// on with their pipelined input.
func (l *loop) resume() {
	l.mu.Lock()
	rs := l.resumed
	l.resumed = nil
	l.mu.Unlock()
	for _, r := range rs {
		c := r.c
		if c.parked == nil {
			continue
		}
		c.parked = nil
		l.mu.Lock()
		open := l.conns[c.fd] == c
		l.mu.Unlock()
		if !open {
			continue
		}
		c.w.Raw(r.reply)
		c.setEvents()
		l.readable(c)
	}
}

// close unregisters and closes a client's socket, exactly once.
func (l *loop) close(c *client) {
	if !l.helping.Load() { // (a busy script's helper closes clients too)
		l.eng.Release() // what follows takes other locks; the loop keeps none meanwhile
	}
	if c.parked != nil {
		c.s.dropBlocked(c)
		c.parked = nil
	}
	c.unwatchAll()
	c.s.dropPush(c) // unsubscribed before the peer sees the close
	l.mu.Lock()
	delete(l.conns, c.fd)
	l.mu.Unlock()
	c.mu.Lock()
	if !c.fdClosed {
		c.fdClosed = true
		syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_DEL, c.fd, nil)
		syscall.Close(c.fd)
	}
	c.mu.Unlock()
	c.s.forgetClient(c)
}

// open reports whether c is still one of the loop's connections.
func (l *loop) open(c *client) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.conns[c.fd] == c
}

// wakeAll makes every loop look at its state (shutdown).
func (s *Server) wakeLoops() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range s.loops {
		syscall.Write(l.wake[1], []byte{1})
	}
}

// killFD wakes the loop of a client killed from elsewhere: shutting the
// socket down makes it readable (EOF), and the loop closes it.
func (c *client) killFD() {
	c.mu.Lock()
	if !c.fdClosed {
		syscall.Shutdown(c.fd, syscall.SHUT_RDWR)
	}
	c.mu.Unlock()
}

// fdReader reads a loop client's socket without blocking.
type fdReader struct{ c *client }

func (r fdReader) Read(p []byte) (int, error) {
	c := r.c
	if c.readBudget == 0 {
		return 0, errWouldBlock
	}
	c.readBudget--
	for {
		n, err := sysRead(c.fd, p)
		if err == syscall.EINTR {
			continue
		}
		if err == syscall.EAGAIN {
			return 0, errWouldBlock
		}
		if err != nil {
			return 0, err
		}
		if n == 0 {
			return 0, io.EOF
		}
		c.countInput(n)
		return n, nil
	}
}

// fdWriter writes a loop client's replies; what the socket does not take now
// waits in pending and goes out when epoll says the socket is writable.
type fdWriter struct{ c *client }

func (w fdWriter) Write(p []byte) (int, error) {
	c := w.c
	c.awaitDurable()
	total := len(p)
	if len(c.pending) > 0 {
		c.pending = append(c.pending, p...)
		return total, nil
	}
	for len(p) > 0 {
		n, err := sysWrite(c.fd, p)
		if err == syscall.EINTR {
			continue
		}
		if err == syscall.EAGAIN {
			c.pending = append(c.pending, p...)
			c.setEvents()
			return total, nil
		}
		if err != nil {
			return total - len(p), err
		}
		c.countOutput(n)
		p = p[n:]
	}
	return total, nil
}

// flushPending writes queued output; false when the socket failed.
func (c *client) flushPending() bool {
	for len(c.pending) > 0 {
		n, err := sysWrite(c.fd, c.pending)
		if err == syscall.EINTR {
			continue
		}
		if err == syscall.EAGAIN {
			return true
		}
		if err != nil {
			return false
		}
		c.countOutput(n)
		c.pending = c.pending[n:]
	}
	c.pending = nil
	if ps := c.push.Load(); ps != nil {
		ps.pendingSz.Store(0)
	}
	c.setEvents()
	return true
}

// setEvents tells epoll what the client waits for: input unless it is
// parked in a blocking command, output while some is pending, hang-ups
// always.
func (c *client) setEvents() {
	ev := syscall.EpollEvent{Events: syscall.EPOLLRDHUP, Fd: int32(c.fd)}
	if c.parked == nil {
		ev.Events |= syscall.EPOLLIN
	}
	if len(c.pending) > 0 {
		ev.Events |= syscall.EPOLLOUT
	}
	syscall.EpollCtl(c.loop.epfd, syscall.EPOLL_CTL_MOD, c.fd, &ev)
}
