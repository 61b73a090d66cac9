package server

import (
	"bytes"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lightconedb/lightcone/internal/commands"
	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/resp"
)

// Blocking commands (BLPOP, BZPOPMIN, XREAD BLOCK, ...).
//
// A command that finds nothing to take calls Blocker.Block: the client is
// parked on its keys, in FIFO order per key, and stops reading commands (its
// pipelined input waits). The engine's change hook marks a key "ready" when
// any effect — local or, later, remote — touches a key someone waits on.
// After every command, whoever ran it serves the ready keys: one goroutine
// at a time (serveMu), each blocked client of a ready key in the order they
// blocked is retried on behalf of its connection, its reply written into a
// scratch buffer; a client that got its answer is handed back to its own
// event loop (or goroutine) with that reply, and resumes reading. Timeouts,
// CLIENT UNBLOCK and disconnects end a wait the same way.

type blockKey struct {
	db  int
	key string
}

type blockState struct {
	keys      []blockKey
	db        int
	args      [][]byte // copied: the originals alias the read buffer
	cmd       *commands.Command
	retry     func(*commands.Ctx) bool
	onTimeout func(*commands.Ctx)
	timer     *time.Timer
	done      bool // served, timed out, unblocked or dropped (guarded by blocks.mu)
	resume    chan []byte
	ready     []byte // during a retry: the ready key being served (guarded by blocks.mu)
}

type blockRegistry struct {
	mu      sync.Mutex
	waiting map[blockKey][]*client // FIFO per key
	ready   []blockKey
	isReady map[blockKey]bool
	count   atomic.Int64 // blocked clients: the hook's fast path
	pending atomic.Int64 // ready keys not yet served

	serveMu sync.Mutex // one server of ready keys at a time: FIFO holds
}

func (r *blockRegistry) init() {
	r.waiting = map[blockKey][]*client{}
	r.isReady = map[blockKey]bool{}
}

// keyTouched is called from the engine's change hook (engine locks held:
// it only takes blocks.mu, which is never held while taking engine locks).
func (s *Server) keyTouched(db int, key []byte, e *effect.Effect) {
	r := &s.blocks
	if r.count.Load() == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if key == nil {
		// FLUSHDB/SWAPDB: every key waited on in that database
		for k := range r.waiting {
			if k.db == int(e.DB) || (e.Op == effect.OpSwapDB && k.db == int(e.Int)) {
				r.markReady(k)
			}
		}
		return
	}
	k := blockKey{db, string(key)}
	if _, ok := r.waiting[k]; ok {
		r.markReady(k)
	}
}

func (r *blockRegistry) markReady(k blockKey) {
	if !r.isReady[k] {
		r.isReady[k] = true
		r.ready = append(r.ready, k)
		r.pending.Add(1)
	}
}

// Block implements commands.Blocker for a client.
func (c *client) Block(ctx *commands.Ctx, keys [][]byte, deadlineMs int64, retry func(*commands.Ctx) bool, onTimeout func(*commands.Ctx)) {
	s := c.s
	bs := &blockState{db: ctx.DB, cmd: ctx.Cmd, retry: retry, onTimeout: onTimeout}
	bs.args = make([][]byte, len(ctx.Args))
	for i, a := range ctx.Args {
		bs.args[i] = append([]byte(nil), a...)
	}
	seen := map[string]bool{}
	for _, k := range keys {
		if !seen[string(k)] {
			seen[string(k)] = true
			bs.keys = append(bs.keys, blockKey{ctx.DB, string(k)})
		}
	}
	if c.fd < 0 {
		bs.resume = make(chan []byte, 1)
	}
	r := &s.blocks
	r.mu.Lock()
	for _, k := range bs.keys {
		r.waiting[k] = append(r.waiting[k], c)
	}
	c.blocked = bs
	r.count.Add(1)
	if deadlineMs > 0 {
		d := time.Until(time.UnixMilli(deadlineMs))
		if d < 0 {
			d = 0
		}
		bs.timer = time.AfterFunc(d, func() { s.endBlock(c, bs, endTimeout) })
	}
	r.mu.Unlock()
	c.parked = bs
}

// How a wait ends other than by being served.
const (
	endTimeout = iota
	endUnblockError
	endDropped // the connection went away
)

// unregister removes a blocked client from the registry; false when the
// wait had already ended. Caller holds r.mu.
func (r *blockRegistry) unregister(c *client, bs *blockState) bool {
	if bs.done || c.blocked != bs {
		return false
	}
	bs.done = true
	for _, k := range bs.keys {
		q := r.waiting[k]
		for i, x := range q {
			if x == c {
				q = append(q[:i:i], q[i+1:]...)
				break
			}
		}
		if len(q) == 0 {
			delete(r.waiting, k)
		} else {
			r.waiting[k] = q
		}
	}
	c.blocked = nil
	r.count.Add(-1)
	if bs.timer != nil {
		bs.timer.Stop()
	}
	return true
}

// scratchCtx is a Ctx for running a blocked client's retry or timeout reply
// away from its connection: the reply goes to a buffer.
func (s *Server) scratchCtx(c *client, bs *blockState, buf *bytes.Buffer) *commands.Ctx {
	w := resp.NewWriter(buf, 4096)
	w.SetProto(c.w.Proto())
	return &commands.Ctx{Args: bs.args, W: w, Eng: s.Eng, DB: bs.db, Cmd: bs.cmd, Client: c, Server: s}
}

// endBlock ends a wait by timeout, CLIENT UNBLOCK ERROR or disconnect; it
// reports whether the client was still waiting.
func (s *Server) endBlock(c *client, bs *blockState, how int) bool {
	if how == endDropped {
		return s.endBlockWith(c, bs, nil)
	}
	return s.endBlockWith(c, bs, func(ctx *commands.Ctx) {
		if how == endTimeout {
			bs.onTimeout(ctx)
		} else {
			ctx.Error("UNBLOCKED client unblocked via CLIENT UNBLOCK")
		}
	})
}

// endBlockWith ends a client's wait with the reply write makes (a timeout,
// an unblock, WAIT's count), unless the wait already ended; it reports
// whether it did. With write nil (the client went away) there is no reply.
func (s *Server) endBlockWith(c *client, bs *blockState, write func(*commands.Ctx)) bool {
	r := &s.blocks
	r.serveMu.Lock()
	defer r.serveMu.Unlock()
	r.mu.Lock()
	ok := r.unregister(c, bs)
	r.mu.Unlock()
	if !ok {
		return false
	}
	if write == nil {
		if bs.resume != nil {
			bs.resume <- nil // wake the goroutine; it sees the client killed
		}
		return true
	}
	var buf bytes.Buffer
	ctx := s.scratchCtx(c, bs, &buf)
	write(ctx)
	ctx.W.Flush()
	s.resumeClient(c, bs, buf.Bytes())
	return true
}

// serveReady retries the clients blocked on keys written since the last
// call, in the order they blocked.
func (s *Server) serveReady() {
	r := &s.blocks
	if r.pending.Load() == 0 {
		return
	}
	r.serveMu.Lock()
	defer r.serveMu.Unlock()
	for {
		r.mu.Lock()
		if len(r.ready) == 0 {
			r.mu.Unlock()
			return
		}
		k := r.ready[0]
		r.ready = r.ready[1:]
		delete(r.isReady, k)
		r.pending.Add(-1)
		queue := append([]*client(nil), r.waiting[k]...)
		r.mu.Unlock()
		for _, c := range queue {
			r.mu.Lock()
			bs := c.blocked
			r.mu.Unlock()
			if bs == nil || bs.done {
				continue
			}
			var buf bytes.Buffer
			ctx := s.scratchCtx(c, bs, &buf)
			// the retry serves from this key only (ReadyKey), as Redis
			// serves a client from the key signalled ready
			r.mu.Lock()
			bs.ready = []byte(k.key)
			r.mu.Unlock()
			served := bs.retry(ctx)
			r.mu.Lock()
			bs.ready = nil
			r.mu.Unlock()
			if !served {
				continue
			}
			ctx.W.Flush()
			r.mu.Lock()
			ok := r.unregister(c, bs)
			r.mu.Unlock()
			if ok {
				s.resumeClient(c, bs, buf.Bytes())
			}
		}
	}
}

// ReadyKey implements commands.ReadyKeyer: during the retry of a blocked
// command, the ready key it is served from.
func (c *client) ReadyKey() []byte {
	r := &c.s.blocks
	r.mu.Lock()
	defer r.mu.Unlock()
	if bs := c.blocked; bs != nil {
		return bs.ready
	}
	return nil
}

// resumeClient hands a finished wait's reply back to the client's own loop
// or goroutine, which writes it and goes on with its pipelined input.
func (s *Server) resumeClient(c *client, bs *blockState, reply []byte) {
	if bs.resume != nil {
		bs.resume <- reply
		return
	}
	c.loop.queueResume(c, reply)
}

type resumed struct {
	c     *client
	reply []byte
}

// waitResume parks a goroutine-served client until its wait ends. Meanwhile
// a watcher reads the connection, so that a client that goes away ends its
// wait (and takes nothing); what it reads is input for after the wait.
func (c *client) waitResume() {
	bs := c.parked
	if bs == nil {
		return
	}
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		buf := make([]byte, 4096)
		for {
			n, err := c.conn.Read(buf)
			c.side = append(c.side, buf[:n]...)
			if err != nil {
				if !isTimeout(err) {
					c.sideErr = err
					c.s.dropBlocked(c)
				}
				return
			}
		}
	}()
	reply := <-bs.resume
	c.conn.SetReadDeadline(time.Now()) // stop the watcher
	<-watched
	c.conn.SetReadDeadline(time.Time{})
	c.parked = nil
	c.w.Raw(reply)
}

func isTimeout(err error) bool {
	var ne interface{ Timeout() bool }
	return errors.As(err, &ne) && ne.Timeout()
}

// isBlocked reports whether the client waits in a blocking command (CLIENT
// LIST flag "b").
func (c *client) isBlocked() bool {
	c.s.blocks.mu.Lock()
	defer c.s.blocks.mu.Unlock()
	return c.blocked != nil
}

// dropBlocked ends the wait of a client whose connection is going away.
func (s *Server) dropBlocked(c *client) {
	s.blocks.mu.Lock()
	bs := c.blocked
	s.blocks.mu.Unlock()
	if bs != nil {
		s.endBlock(c, bs, endDropped)
	}
}

// blockedClients is INFO's blocked_clients.
func (s *Server) blockedClients() int64 { return s.blocks.count.Load() }

func init() {
	moreClientSubs = append(moreClientSubs, &commands.Command{
		Name: "unblock", Arity: -3, Flags: []string{"admin", "noscript", "loading", "stale"},
		Categories: []string{"admin", "slow", "dangerous", "connection"}, Since: "5.0.0", Group: "connection",
		Complexity: "O(log N) where N is the number of client connections",
		Syntax:     "client-id [TIMEOUT | ERROR]",
		Summary:    "Unblocks a client blocked by a blocking command from a different connection.",
		Handler:    cmdClientUnblock,
	})
	moreClientHelp = append(moreClientHelp,
		"UNBLOCK <clientid> [TIMEOUT|ERROR]",
		"    Unblock the specified blocked client.")
}

func cmdClientUnblock(c *commands.Ctx) {
	s := c.Server.(*Server)
	id, ok := commands.ParseInt(c.Args[2])
	if !ok {
		c.Error(commands.ErrNotInt)
		return
	}
	how := endTimeout
	if len(c.Args) == 4 {
		switch {
		case c.Is(3, "timeout"):
		case c.Is(3, "error"):
			how = endUnblockError
		default:
			c.Error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
			return
		}
	} else if len(c.Args) > 4 {
		c.Syntax()
		return
	}
	s.mu.Lock()
	target := s.clients[id]
	s.mu.Unlock()
	if target == nil {
		c.W.Int(0)
		return
	}
	s.blocks.mu.Lock()
	bs := target.blocked
	s.blocks.mu.Unlock()
	if bs == nil || !s.endBlock(target, bs, how) {
		c.W.Int(0)
		return
	}
	c.W.Int(1)
}
