package server

import (
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lightconedb/lightcone/internal/commands"
)

// Pushes: output a client receives without asking — pub/sub messages,
// keyspace notifications, tracking invalidations, MONITOR lines.
//
// A client that takes part (subscribes, tracks keys, monitors, or is the
// target of someone's tracking redirection) gets a pushState. Who writes a
// push where:
//
//   - The client whose own command raised it (the "origin": a subscribed or
//     tracking client runs each command with the gate held exclusively, so
//     while it runs, every local write is its own): the push goes straight
//     into its reply writer, at the point Redis would write it — a pub/sub
//     message before the rest of the reply (RESP3 clients see the push of
//     their own SET before +OK), a tracking invalidation or MONITOR line
//     after the reply (post).
//   - A client served by the same event loop as the running command (a
//     PUBLISH to a subscriber of the same loop): into its writer at once;
//     the loop flushes it after the current batch (markDirty).
//   - Anyone else: into its outbox (out) under ps.mu; its event loop is
//     woken (one pipe write per loop until it runs) and moves the outbox
//     into the writer. A goroutine-served client gets a writer goroutine
//     that owns its socket output from then on: replies and pushes go
//     through one queue, in order.
//
// Before a client runs a command its outbox is moved into its writer, so a
// message published before the command is read before its reply.
//
// The pubsub class of client-output-buffer-limit is enforced on subscribed
// clients: past the hard limit, or past the soft limit for longer than its
// seconds, the client is disconnected, as Redis does.

type pushState struct {
	c *client

	mu        sync.Mutex
	out       []byte      // pushes waiting for the client's writer
	spare     []byte      // the other buffer (swapped with out)
	queued    bool        // on its loop's push queue, or its writer was signalled
	hasOut    atomic.Bool // len(out) > 0, readable without the lock
	closed    bool        // the connection went away
	softSince int64       // unix nanos the soft limit was first exceeded (0: under it)

	proto     atomic.Int32 // the client's RESP version, for encoding
	subCount  atomic.Int32 // channel + pattern + shard subscriptions (CLIENT_PUBSUB)
	nsub      atomic.Int32 // CLIENT LIST sub=
	npsub     atomic.Int32 // psub=
	nssub     atomic.Int32 // ssub=
	monitor   atomic.Bool
	trOn      atomic.Bool  // tracking on (mirror of tr.on)
	target    atomic.Bool  // some client's tracking redirects here (never cleared)
	pendingSz atomic.Int64 // loop clients: unsent output, mirrored for limit checks

	// owner only (the client's loop or goroutine)
	post     []byte        // pushes that follow the reply of the running command
	later    []laterPush   // invalidations caused by the running command, sent after it
	qw       bool          // goroutine client: output goes through the writer goroutine
	dirty    bool          // on its loop's dirty list (loop goroutine only)
	dropped  bool          // dropPush ran (owner)
	sig      chan struct{} // goroutine client's writer: wake-up (guarded by mu)
	stop     chan struct{} // and its end
	done     chan struct{} // closed when it has ended
	channels []string      // subscription order
	chanSet  map[string]struct{}
	patterns []string
	shard    []string
	shardSet map[string]struct{}

	tr trackState // guarded by s.tracking.mu
}

// pushOf returns the client's pushState, creating it (any goroutine).
func (c *client) pushOf() *pushState {
	if ps := c.push.Load(); ps != nil {
		return ps
	}
	ps := &pushState{c: c}
	c.mu.Lock()
	p := c.proto
	c.mu.Unlock()
	if p == 0 {
		p = 2
	}
	ps.proto.Store(int32(p))
	if c.push.CompareAndSwap(nil, ps) {
		return ps
	}
	return c.push.Load()
}

// subscribed reports whether the client has any subscription (Redis'
// CLIENT_PUBSUB flag).
func (ps *pushState) subscribed() bool { return ps != nil && ps.subCount.Load() > 0 }

// pushTo hands a push (a complete RESP frame in the client's protocol) to
// c. after: it follows the reply of the command that raised it (tracking,
// MONITOR) rather than preceding the rest of it (pub/sub). origin is the
// client whose command is running on this goroutine with the gate held
// exclusively (nil if none or not known); here the event loop this
// goroutine serves (nil if none).
func (s *Server) pushTo(c *client, msg []byte, after bool, origin *client, here *loop) {
	ps := c.pushOf()
	if c == origin {
		if after || c.replyMode == replyOff || c.skipNext {
			ps.post = append(ps.post, msg...)
		} else {
			c.w.Raw(msg)
		}
		return
	}
	if here != nil && c.loop == here && c.fd >= 0 {
		// this goroutine owns c's writer; what waits in the outbox goes first
		if ps.hasOut.Load() {
			c.drainOut(ps)
		}
		c.w.Raw(msg)
		here.markDirty(c)
		return
	}
	ps.mu.Lock()
	if ps.closed {
		ps.mu.Unlock()
		return
	}
	ps.out = append(ps.out, msg...)
	ps.hasOut.Store(true)
	first := !ps.queued
	ps.queued = true
	sig := ps.sig
	over := s.overLimit(ps, int64(len(ps.out))+ps.pendingSz.Load())
	ps.mu.Unlock()
	if over {
		s.Log.Debug("client output buffer limit reached, closing", "client", c.addr)
		c.kill()
		return
	}
	if first {
		wakePush(c, sig)
	}
}

// wakePush makes sure whoever writes c's output looks at its outbox: its
// event loop, or its writer goroutine (sig). A goroutine client without a
// writer goroutine takes its outbox before its next command.
func wakePush(c *client, sig chan struct{}) {
	switch {
	case c.fd >= 0:
		c.loop.queuePush(c)
	case sig != nil:
		select {
		case sig <- struct{}{}:
		default:
		}
	}
}

// takeOut swaps the outbox out (caller owns the returned bytes until the
// next takeOut).
func (ps *pushState) takeOut() []byte {
	ps.mu.Lock()
	out := ps.out
	ps.out = ps.spare[:0]
	ps.spare = out
	ps.queued = false
	ps.hasOut.Store(false)
	ps.mu.Unlock()
	return out
}

// drainOut moves the outbox into the client's writer (owner goroutine;
// not for clients with a writer goroutine, whose outbox is their output).
func (c *client) drainOut(ps *pushState) {
	if ps.qw || !ps.hasOut.Load() {
		return
	}
	ps.mu.Lock()
	if len(ps.out) > 0 {
		c.w.Raw(ps.out)
		ps.out = ps.out[:0]
	}
	ps.hasOut.Store(false)
	ps.mu.Unlock()
}

// overLimit applies client-output-buffer-limit pubsub to a subscribed
// client whose unsent output is size bytes. Caller holds ps.mu.
func (s *Server) overLimit(ps *pushState, size int64) bool {
	if !ps.subscribed() {
		return false
	}
	hard, soft, secs := s.pubsubLimits()
	if hard > 0 && size >= hard {
		return true
	}
	if soft > 0 && size >= soft {
		now := time.Now().UnixNano()
		if ps.softSince == 0 {
			ps.softSince = now
			return false
		}
		return now-ps.softSince >= secs*int64(time.Second)
	}
	ps.softSince = 0
	return false
}

// checkOutput applies the limit after output was written on the owner
// goroutine (loop clients: unsent bytes wait in c.pending).
func (s *Server) checkOutput(c *client) {
	ps := c.push.Load()
	if ps == nil {
		return
	}
	size := int64(len(c.pending) + c.w.Buffered())
	ps.pendingSz.Store(size)
	ps.mu.Lock()
	over := s.overLimit(ps, size+int64(len(ps.out)))
	ps.mu.Unlock()
	if over {
		s.Log.Debug("client output buffer limit reached, closing", "client", c.addr)
		c.kill()
	}
}

// dispatchPushing runs a command of a client that has a pushState.
func (s *Server) dispatchPushing(c *client, ps *pushState, args [][]byte) {
	c.drainOut(ps)
	// A client that receives pushes raised by its own commands runs them
	// alone, so that every local write meanwhile is its own (origin). EXEC
	// takes the whole gate itself; its queued commands set the origin in
	// runHandler.
	excl := ps.receives() && !commands.EqualFold(args[0], "exec")
	giveBack := false
	if excl {
		giveBack = s.gate.exclusiveBatch(c.slot)
		s.origin.Store(c)
	}
	s.dispatchCmd(c, args)
	if len(ps.later) > 0 {
		for i, lp := range ps.later {
			s.pushTo(lp.to, lp.msg, true, c, cmdLoop(c))
			ps.later[i] = laterPush{}
		}
		ps.later = ps.later[:0]
	}
	if len(ps.post) > 0 {
		c.w.Raw(ps.post)
		ps.post = ps.post[:0]
	}
	ps.proto.Store(int32(c.w.Proto()))
	if ps.trOn.Load() {
		cmd := c.ctx.Cmd
		if !c.inMulti && (cmd == nil || !isClientCmd(cmd)) {
			s.tracking.clearCaching(ps)
		}
	}
	if excl {
		s.origin.Store(nil)
		if ps.qw {
			c.w.Flush() // queued before anything published from now on
		}
		if giveBack {
			s.gate.shared(c.slot)
		}
	}
	c.drainOut(ps)
	if c.fd < 0 && !ps.qw && ps.receives() {
		s.startPusher(c, ps)
	}
}

// startedPushing follows the command that gave a client its pushState.
func (s *Server) startedPushing(c *client, ps *pushState) {
	ps.proto.Store(int32(c.w.Proto()))
	c.drainOut(ps)
	if c.fd < 0 && !ps.qw && ps.receives() {
		s.startPusher(c, ps)
	}
}

// receives reports whether the client's own commands may raise pushes to
// it (it subscribes, tracks keys or monitors): such a client runs each
// command with the gate held exclusively.
func (ps *pushState) receives() bool {
	return ps.subCount.Load() > 0 || ps.trOn.Load() || ps.monitor.Load() || ps.target.Load()
}

func isClientCmd(cmd *commands.Command) bool {
	n := cmd.Name
	return n == "client" || len(n) > 7 && n[:7] == "client|"
}

// startPusher gives a goroutine-served client a writer goroutine: from now
// on its replies and pushes leave through one queue. The owner calls it
// after flushing its writer directly, so everything already written stays
// ahead of the queue.
func (s *Server) startPusher(c *client, ps *pushState) {
	c.w.Flush()
	sig, stop, done := make(chan struct{}, 1), make(chan struct{}), make(chan struct{})
	ps.mu.Lock()
	ps.sig = sig // read by publishers under ps.mu
	ps.mu.Unlock()
	ps.stop, ps.done = stop, done
	ps.qw = true
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(done)
		for {
			select {
			case <-sig:
			case <-stop:
				return
			}
			out := ps.takeOut()
			if len(out) == 0 {
				continue
			}
			c.conn.SetWriteDeadline(time.Time{})
			n, err := c.conn.Write(out)
			c.countOutput(n)
			if err != nil {
				c.kill()
				return
			}
		}
	}()
	ps.mu.Lock()
	pending := len(ps.out) > 0
	ps.mu.Unlock()
	if pending {
		select {
		case sig <- struct{}{}:
		default:
		}
	}
}

// drainPusher ends a goroutine client's writer goroutine and writes what
// it had not sent yet (the owner, as the connection closes).
func (c *client) drainPusher() {
	ps := c.push.Load()
	if ps == nil || !ps.qw || ps.stop == nil {
		return
	}
	close(ps.stop)
	<-ps.done
	ps.stop = nil
	if out := ps.takeOut(); len(out) > 0 && !c.killed.Load() {
		c.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
		n, _ := c.conn.Write(out)
		c.countOutput(n)
	}
}

// pushWriter is a goroutine client's output: straight to the socket, or,
// once it has a writer goroutine, into its queue.
type pushWriter struct {
	c     *client
	inner io.Writer
}

func (w pushWriter) Write(p []byte) (int, error) {
	ps := w.c.push.Load()
	if ps == nil || !ps.qw {
		return w.inner.Write(p)
	}
	s := w.c.s
	ps.mu.Lock()
	if ps.closed {
		ps.mu.Unlock()
		return 0, io.ErrClosedPipe
	}
	ps.out = append(ps.out, p...)
	ps.hasOut.Store(true)
	first := !ps.queued
	ps.queued = true
	sig := ps.sig
	over := s.overLimit(ps, int64(len(ps.out)))
	ps.mu.Unlock()
	if over {
		w.c.kill()
		return len(p), nil
	}
	if first {
		wakePush(w.c, sig)
	}
	return len(p), nil
}

// dropPush forgets a closing client's subscriptions, tracking and MONITOR.
func (s *Server) dropPush(c *client) {
	ps := c.push.Load()
	if ps == nil || ps.dropped {
		return
	}
	ps.dropped = true
	s.unsubscribeAll(c, ps, false)
	s.tracking.disable(c, ps)
	s.stopMonitor(c, ps)
	ps.mu.Lock()
	ps.closed = true
	ps.out = nil
	ps.hasOut.Store(false)
	ps.mu.Unlock()
	if ps.stop != nil {
		close(ps.stop)
		ps.stop = nil
	}
}

// runHandler wraps every command handler (installed by wrapHandlers): the
// work that follows a command wherever it runs, at top level or queued in
// MULTI — MONITOR feeds and the keys a tracking client read — and, for
// the commands EXEC runs (with the gate held exclusively), the origin.
func runHandler(ctx *commands.Ctx, h commands.Handler, info *handlerInfo) {
	c, ok := ctx.Client.(*client)
	if !ok {
		h(ctx)
		return
	}
	s := c.s
	ps := c.push.Load()
	if ps == nil && c.execDepth == 0 && s.monitorCount.Load() == 0 {
		h(ctx)
		return
	}
	if c.execDepth > 0 {
		prev := s.origin.Swap(c)
		h(ctx)
		s.origin.Store(prev)
	} else {
		h(ctx)
	}
	if ps != nil && info.readonly {
		s.tracking.remember(c, ps, ctx)
	}
	if !info.skipMonitor && s.monitorCount.Load() > 0 {
		s.feedMonitors(c, ctx)
	}
}

type handlerInfo struct {
	readonly    bool
	skipMonitor bool
}

var (
	wrapMu  sync.Mutex
	wrapped = map[*commands.Command]bool{}
)

// wrapHandlers installs runHandler on every command of the table (once per
// command object: several servers may share the objects of their tables).
func wrapHandlers(t *commands.Table) {
	wrapMu.Lock()
	defer wrapMu.Unlock()
	for _, cmd := range t.All() {
		wrapCommand(cmd)
		for _, sub := range cmd.Subs {
			wrapCommand(sub)
		}
	}
}

func wrapCommand(cmd *commands.Command) {
	if wrapped[cmd] || cmd.Handler == nil {
		return
	}
	wrapped[cmd] = true
	h := cmd.Handler
	if cmd.Name == "exec" {
		inner := h
		h = func(ctx *commands.Ctx) {
			c, ok := ctx.Client.(*client)
			if !ok {
				inner(ctx)
				return
			}
			c.execDepth++
			defer func() { c.execDepth-- }()
			inner(ctx)
		}
	}
	info := &handlerInfo{
		readonly:    cmd.HasFlag("readonly"),
		skipMonitor: cmd.HasFlag("admin") || cmd.HasFlag("skip_monitor"),
	}
	cmd.Handler = func(ctx *commands.Ctx) { runHandler(ctx, h, info) }
}

// appendBulk appends a RESP bulk string.
func appendBulk(b, s []byte) []byte {
	b = append(b, '$')
	b = strconv.AppendInt(b, int64(len(s)), 10)
	b = append(b, '\r', '\n')
	b = append(b, s...)
	return append(b, '\r', '\n')
}

// appendPushHeader starts a push of n elements: '>' in RESP3, an array in
// RESP2.
func appendPushHeader(b []byte, proto int32, n int) []byte {
	if proto == 3 {
		b = append(b, '>')
	} else {
		b = append(b, '*')
	}
	b = strconv.AppendInt(b, int64(n), 10)
	return append(b, '\r', '\n')
}
