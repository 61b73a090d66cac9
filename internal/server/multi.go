package server

import (
	"sync"
	"sync/atomic"

	"github.com/lightconedb/lightcone/internal/commands"
	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/notify"
)

// MULTI / EXEC / DISCARD / WATCH / UNWATCH.
//
// Atomicity comes from the gate: every command runs holding a read slot of
// it (each event loop has its own slot, so taking it is an uncontended
// atomic; goroutine clients and background work share one more), and EXEC
// takes every slot for writing, so while its queued commands run nothing
// else touches the keyspace. The engine stamps the batch's effects with one
// transaction ID (engine.BeginTxn), the unit the log, replication and the
// horizon commit keep whole.
//
// WATCH records, per watched key, whether it was already logically expired;
// any effect on the key afterwards (the engine's change hook, the same one
// that wakes blocked clients) makes the client's EXEC fail, as does the key
// expiring in between.

type gateSlot struct {
	sync.RWMutex
	// owned only by the slot's event loop (never the misc slot):
	batch  bool     // the loop is running commands of its ready clients (readable)
	sticky bool     // a script or EXEC of the batch keeps the whole gate until it ends
	_      [38]byte // one slot per cache line
}

type gate struct {
	slots []gateSlot
	// waiters for the gate's release (enterGate): waitCh is closed by
	// shared and by wakeWaiters.
	waitMu sync.Mutex
	waitCh chan struct{}
}

// released returns a channel closed the next time the whole gate is given
// back (or wakeWaiters is called).
func (g *gate) released() <-chan struct{} {
	g.waitMu.Lock()
	defer g.waitMu.Unlock()
	if g.waitCh == nil {
		g.waitCh = make(chan struct{})
	}
	return g.waitCh
}

// wakeWaiters wakes everyone waiting in released.
func (g *gate) wakeWaiters() {
	g.waitMu.Lock()
	if g.waitCh != nil {
		close(g.waitCh)
		g.waitCh = nil
	}
	g.waitMu.Unlock()
}

func (g *gate) init(n int) { g.slots = make([]gateSlot, n+1) }

// misc is the slot of goroutine clients and background work.
func (g *gate) misc() int { return len(g.slots) - 1 }

func (g *gate) enter(i int) { g.slots[i].RLock() }
func (g *gate) leave(i int) { g.slots[i].RUnlock() }

// exclusive trades the caller's read slot for the whole gate.
func (g *gate) exclusive(own int) {
	g.slots[own].RUnlock()
	for i := range g.slots {
		g.slots[i].Lock()
	}
}

// exclusiveBatch is exclusive for a script or EXEC: inside an event loop's
// batch it keeps the whole gate until the batch ends (endBatch), so that a
// pipeline of scripts changes hands once, not once per script. It returns
// whether the caller must give the gate back itself (shared).
func (g *gate) exclusiveBatch(own int) bool {
	sl := &g.slots[own]
	if sl.sticky {
		return false
	}
	g.exclusive(own)
	if sl.batch {
		sl.sticky = true
		return false
	}
	return true
}

// isSticky reports whether the loop of slot own keeps the whole gate.
func (g *gate) isSticky(own int) bool { return g.slots[own].sticky }

// beginBatch marks the start of an event loop's batch on its slot, whose
// read lock the caller holds.
func (g *gate) beginBatch(own int) { g.slots[own].batch = true }

// endBatch gives back what the batch holds: the whole gate if a script or
// EXEC kept it, then the read slot.
func (g *gate) endBatch(own int) {
	sl := &g.slots[own]
	sl.batch = false
	if sl.sticky {
		sl.sticky = false
		g.shared(own)
	}
	sl.RUnlock()
}

// shared gives the whole gate back and retakes the caller's read slot.
func (g *gate) shared(own int) {
	for i := len(g.slots) - 1; i >= 0; i-- {
		g.slots[i].Unlock()
	}
	g.wakeWaiters()
	g.slots[own].RLock()
}

type queued struct {
	cmd  *commands.Command
	args [][]byte
}

type watchedKey struct {
	k       blockKey
	expired bool // already expired when watched
	existed bool // held a value when watched (FLUSHDB/SWAPDB only touch those)
}

type watchRegistry struct {
	mu    sync.Mutex
	keys  map[blockKey][]*client
	count atomic.Int64
}

func (s *Server) registerMulti(t *commands.Table) {
	cats := []string{"fast", "transaction"}
	t.Register(
		&commands.Command{Name: "multi", Arity: 1, Flags: []string{"noscript", "loading", "stale", "fast", "allow_busy"}, Categories: cats,
			Summary: "Starts a transaction.", Since: "1.2.0", Group: "transactions", Complexity: "O(1)", Handler: cmdMulti},
		&commands.Command{Name: "exec", Arity: 1, Flags: []string{"noscript", "loading", "stale", "skip_slowlog"}, Categories: []string{"slow", "transaction"},
			Summary: "Executes all commands in a transaction.", Since: "1.2.0", Group: "transactions",
			Complexity: "Depends on commands in the transaction", Handler: cmdExec},
		&commands.Command{Name: "discard", Arity: 1, Flags: []string{"noscript", "loading", "stale", "fast", "allow_busy"}, Categories: cats,
			Summary: "Discards a transaction.", Since: "2.0.0", Group: "transactions",
			Complexity: "O(N), when N is the number of queued commands", Handler: cmdDiscard},
		&commands.Command{Name: "watch", Arity: -2, Flags: []string{"noscript", "loading", "stale", "fast", "allow_busy"}, FirstKey: 1, LastKey: -1, Step: 1, Categories: cats,
			Summary: "Monitors changes to keys to determine the execution of a transaction.", Since: "2.2.0", Group: "transactions",
			Complexity: "O(1) for every key.", Syntax: "key [key ...]", Handler: cmdWatch},
		&commands.Command{Name: "unwatch", Arity: 1, Flags: []string{"noscript", "loading", "stale", "fast", "allow_busy"}, Categories: cats,
			Summary: "Forgets about watched keys of a transaction.", Since: "2.2.0", Group: "transactions", Complexity: "O(1)",
			Handler: func(c *commands.Ctx) { cli(c).unwatchAll(); c.OK() }},
	)
}

func init() {
	serverFamilies = append(serverFamilies, func(s *Server, t *commands.Table) { s.registerMulti(t) })
}

// queueing reports whether cmd is queued rather than run (inside MULTI).
func (c *client) queueing(cmd *commands.Command) bool {
	if !c.inMulti {
		return false
	}
	switch cmd.Name {
	case "exec", "discard", "multi", "watch", "quit", "reset":
		return false
	}
	return true
}

// queue adds a command to the transaction (its arguments copied: they alias
// the read buffer).
func (c *client) queue(cmd *commands.Command, args [][]byte) {
	n := 0
	for _, a := range args {
		n += len(a)
	}
	buf := make([]byte, 0, n)
	cp := make([][]byte, len(args))
	for i, a := range args {
		buf = append(buf, a...)
		cp[i] = buf[len(buf)-len(a) : len(buf) : len(buf)]
	}
	c.multiQueue = append(c.multiQueue, queued{cmd: cmd, args: cp})
}

// flagMulti marks the transaction as failed (a queued command was refused):
// EXEC will answer EXECABORT.
func (c *client) flagMulti() {
	if c.inMulti {
		c.multiDirty = true
	}
}

func (c *client) discardMulti() {
	c.inMulti, c.multiDirty, c.multiQueue = false, false, nil
}

func cmdMulti(c *commands.Ctx) {
	cl := cli(c)
	if cl.inMulti {
		c.Error("ERR MULTI calls can not be nested")
		return
	}
	cl.inMulti = true
	c.OK()
}

func cmdDiscard(c *commands.Ctx) {
	cl := cli(c)
	if !cl.inMulti {
		c.Error("ERR DISCARD without MULTI")
		return
	}
	cl.discardMulti()
	cl.unwatchAll()
	c.OK()
}

func cmdExec(c *commands.Ctx) {
	cl := cli(c)
	s := srv(c)
	if !cl.inMulti {
		c.Error("ERR EXEC without MULTI")
		return
	}
	queue, dirty := cl.multiQueue, cl.multiDirty
	cl.discardMulti()
	if dirty {
		cl.unwatchAll()
		c.Error("EXECABORT Transaction discarded because of previous errors.")
		return
	}
	if s.gate.exclusiveBatch(cl.slot) {
		defer s.gate.shared(cl.slot)
	}
	cl.execing = true
	defer func() { cl.execing = false }()
	if cl.watchFailed() {
		cl.unwatchAll()
		c.W.NullArray()
		return
	}
	cl.unwatchAll()
	s.Eng.BeginTxn()
	c.W.ArrayLen(len(queue))
	for _, q := range queue {
		ctx := cl.ctx // a copy: same writer, engine, client
		ctx.Args, ctx.Cmd, ctx.DB = q.args, q.cmd, cl.db
		ctx.Failed, ctx.ErrorTag = false, ""
		ctx.Blocker = nil // blocking commands answer at once inside a transaction
		if u := cl.acl.Load(); u != nil && !u.unrestricted() && !q.cmd.HasFlag("no_auth") {
			if msg := s.aclCheck(cl, u, q.cmd, q.args, "multi"); msg != "" {
				ctx.Error(msg) // permissions changed since it was queued
				continue
			}
		}
		start := s.clock.nanos()
		q.cmd.Handler(&ctx)
		dur := s.clock.nanos() - start
		q.cmd.Stats.Count(cl.slot, 1, dur/1000)
		s.observe(cl, q.cmd, q.args, dur)
		if ctx.Failed {
			q.cmd.Stats.Fail(cl.slot)
			s.recordError(ctx.ErrorTag)
		}
	}
	s.Eng.EndTxn()
}

func cmdWatch(c *commands.Ctx) {
	cl := cli(c)
	if cl.inMulti {
		c.Error("ERR WATCH inside MULTI is not allowed")
		return
	}
	s := srv(c)
	for _, k := range c.Args[1:] {
		bk := blockKey{c.DB, string(k)}
		dup := false
		for _, w := range cl.watched {
			if w.k == bk {
				dup = true
				break
			}
		}
		if dup {
			continue
		}
		exists, expired := s.Eng.KeyState(c.DB, k)
		s.watches.mu.Lock()
		cl.watched = append(cl.watched, watchedKey{k: bk, expired: expired, existed: exists && !expired})
		s.watches.keys[bk] = append(s.watches.keys[bk], cl)
		s.watches.count.Add(1)
		s.watches.mu.Unlock()
	}
	c.OK()
}

// watchFailed reports whether EXEC must fail: a watched key was touched, or
// it was alive when watched and has expired since.
func (c *client) watchFailed() bool {
	if c.watchDirty.Load() {
		return true
	}
	r := &c.s.watches
	r.mu.Lock()
	var live []blockKey
	for _, w := range c.watched {
		if !w.expired {
			live = append(live, w.k)
		}
	}
	r.mu.Unlock()
	for _, k := range live {
		if _, expired := c.s.Eng.KeyState(k.db, []byte(k.key)); expired {
			return true
		}
	}
	return false
}

// clearExpiredWatch handles the expiry deletion of watched key k (under
// watches.mu): when k was already expired when it was watched, deleting it
// changes nothing a client could have seen, so the watch stays clean, as
// in Redis; the key counts as absent from then on. It reports whether that
// was the case.
func (c *client) clearExpiredWatch(k blockKey) bool {
	for i := range c.watched {
		if w := &c.watched[i]; w.k == k && w.expired {
			w.expired, w.existed = false, false
			return true
		}
	}
	return false
}

func (c *client) unwatchAll() {
	if len(c.watched) == 0 {
		c.watchDirty.Store(false)
		return
	}
	r := &c.s.watches
	r.mu.Lock()
	for _, w := range c.watched {
		q := r.keys[w.k]
		for i, x := range q {
			if x == c {
				q = append(q[:i:i], q[i+1:]...)
				break
			}
		}
		if len(q) == 0 {
			delete(r.keys, w.k)
		} else {
			r.keys[w.k] = q
		}
		r.count.Add(-1)
	}
	c.watched = nil
	r.mu.Unlock()
	c.watchDirty.Store(false)
}

// touchWatched is called from the engine's change hook (engine locks held;
// it only takes watches.mu).
func (s *Server) touchWatched(db int, key []byte, e *effect.Effect, created bool) {
	r := &s.watches
	if r.count.Load() == 0 || e.Event == effect.EventSilent {
		return
	}
	if key != nil && notify.InvalidationOrderOf(e.Event, created) == notify.InvalidateNever {
		return // a write Redis does not signal (XSETID, XGROUP, XACK...) touches no WATCH
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if key != nil {
		bk := blockKey{db, string(key)}
		for _, c := range r.keys[bk] {
			if e.Event == notify.ExpiredKey && c.clearExpiredWatch(bk) {
				continue
			}
			c.watchDirty.Store(true)
		}
		return
	}
	// FLUSHDB / FLUSHALL / SWAPDB: the watched keys of the database(s) that
	// held a value (a key created after WATCH already marked its watcher)
	for k, cs := range r.keys {
		if k.db != db && !(e.Op == effect.OpSwapDB && k.db == int(e.Int)) {
			continue
		}
		for _, c := range cs {
			for _, w := range c.watched {
				if w.k == k && (w.existed || e.Op == effect.OpSwapDB) {
					c.watchDirty.Store(true)
				}
			}
		}
	}
}
