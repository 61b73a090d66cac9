//go:build linux

package server

// The event loop's side of pushes (pubsub_push.go).

// queuePush puts c on the loop's push queue and wakes the loop, once per
// wake-up however many clients are queued meanwhile.
func (l *loop) queuePush(c *client) {
	l.mu.Lock()
	l.pushq = append(l.pushq, c)
	l.mu.Unlock()
	if !l.poked.Swap(true) {
		l.poke()
	}
}

// deliverPushes moves the outbox of every queued client into its writer
// and sends it.
func (l *loop) deliverPushes() {
	l.mu.Lock()
	q := l.pushq
	l.pushq = nil
	l.mu.Unlock()
	for _, c := range q {
		ps := c.push.Load()
		if ps == nil || !l.open(c) {
			continue
		}
		out := ps.takeOut()
		if len(out) == 0 {
			continue
		}
		c.w.Raw(out)
		l.flushClient(c)
	}
}

// markDirty notes a client this loop's goroutine wrote pushes to.
func (l *loop) markDirty(c *client) {
	if ps := c.push.Load(); !ps.dirty {
		ps.dirty = true
		l.dirtyq = append(l.dirtyq, c)
	}
}

// afterBatch runs after every batch of readiness events: flush the clients
// written to during it, and send pending tracking broadcasts.
func (l *loop) afterBatch() {
	if len(l.dirtyq) > 0 {
		q := l.dirtyq
		l.dirtyq = nil
		for i, c := range q {
			q[i] = nil
			c.push.Load().dirty = false
			if l.open(c) {
				l.flushClient(c) // and the limits: a big push may have gone to pending directly
			}
		}
		if l.dirtyq == nil {
			l.dirtyq = q[:0] // reuse the array
		}
	}
	l.s.tracking.flushBroadcasts(l.s)
}

// flushClient writes a client's buffered output, closes it if the socket
// failed and applies the output buffer limits.
func (l *loop) flushClient(c *client) {
	if err := c.w.Flush(); err != nil {
		l.close(c)
		return
	}
	l.s.checkOutput(c)
}
