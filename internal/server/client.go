package server

import (
	"errors"
	"io"
	"net"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lightconedb/lightcone/internal/commands"
	"github.com/lightconedb/lightcone/internal/engine"
	"github.com/lightconedb/lightcone/internal/keyspace"
	"github.com/lightconedb/lightcone/internal/resp"
)

// Reply modes (CLIENT REPLY).
const (
	replyOn = iota
	replyOff
	replySkip
)

type client struct {
	s     *Server
	id    int64
	conn  net.Conn
	r     *resp.Reader
	w     *resp.Writer
	ctx   commands.Ctx
	addr  string
	laddr string
	unix  bool

	created         time.Time
	lastInteraction atomic.Int64 // unix nanos, to the millisecond
	cmdStart        int64        // when the running command started (unix nanos)
	// command counts not yet in the shared counters (flushStats)
	statCmd                       *commands.Command
	statCmds, statCalls, statUsec int64
	statLatB                      int   // latency bucket of the last statLatN calls of statCmd
	statLatN                      int64 // (a run of equal buckets is one add)

	mu        sync.Mutex // guards the fields CLIENT LIST reads from other goroutines
	name      string
	db        int
	user      string
	authed    bool
	lastCmd   string
	replyMode int
	skipNext  bool
	noEvict   bool // CLIENT NO-EVICT
	noTouch   bool // CLIENT NO-TOUCH
	proto     int  // RESP version, copied after each command for CLIENT LIST

	lastLookup      *commands.Command
	closeAfterReply bool
	killed          atomic.Bool
	limitsGen       int64 // admin.limitsGen the reader's limits were set from

	// blocking commands: blocked is the registry's view (guarded by
	// s.blocks.mu), parked the connection's own (only its loop/goroutine)
	blocked *blockState
	parked  *blockState

	// MULTI/EXEC (multi.go); watched is guarded by s.watches.mu
	slot       int   // gate slot: its event loop's, or the shared one
	clockEnd   int64 // when the last command of this batch ended (dispatchCmd), 0 after I/O
	inMulti    bool
	execing    bool // running EXEC: the gate is held whole (scripts inside must not retake it)
	multiDirty bool
	multiQueue []queued
	watched    []watchedKey
	watchDirty atomic.Bool

	acl   atomic.Pointer[aclUser] // the authenticated user's rules (nil: none yet)
	pkeys [keyspace.MaxPrefetch][]byte
	pmems [keyspace.MaxPrefetch][]byte
	// prefetch backs off on a client whose batches gave it nothing to
	// warm (one key, no members: LPUSH mylist ... at -P 16): it skips the
	// next pskip batches, twice as many after each fruitless look
	pskip, pback int
	side         []byte // goroutine clients: input read while parked
	sideErr      error  // and how that reading ended (EOF: the client left)

	// pub/sub, tracking and MONITOR (pubsub_push.go); execDepth > 0 while
	// EXEC runs the queued commands
	push      atomic.Pointer[pushState]
	execDepth int

	// event-loop clients (fd >= 0): the socket, its loop, unsent output
	fd         int
	loop       *loop
	pending    []byte
	readBudget int  // socket reads left in this readiness event
	fdClosed   bool // guarded by mu

	// durability (persist.go): replies wait until the log is at durTarget
	durTarget uint64
	deferred  bool // queued in loop.deferred
}

// newClient sets up a connection's client state; fd >= 0 means it is served
// by an event loop on that (non-blocking) socket, else by a goroutine on conn.
func (s *Server) newClient(conn net.Conn, fd int) *client {
	c := &client{
		s:       s,
		id:      s.nextID.Add(1),
		conn:    conn,
		created: time.Now(),
		user:    "default",
		fd:      fd,
	}
	c.lastInteraction.Store(c.created.UnixNano())
	c.addr = conn.RemoteAddr().String()
	c.laddr = conn.LocalAddr().String()
	if _, ok := conn.(*net.UnixConn); ok {
		c.unix = true
		c.addr = conn.LocalAddr().String() + ":0"
	}
	c.authed = s.defaultOpen()
	if c.authed {
		c.acl.Store(s.aclUser("default"))
	}
	var rd io.Reader = connReader{c}
	var wr io.Writer = pushWriter{c, connWriter{c}}
	if fd >= 0 {
		rd, wr = fdReader{c}, fdWriter{c}
	}
	c.r = resp.NewReader(rd, 16*1024)
	c.limitsGen = s.admin.limitsGen.Load()
	c.r.SetLimits(resp.Limits{
		MaxBulkLen:  s.Settings.Int("proto-max-bulk-len"),
		MaxQueryBuf: s.Settings.Int("client-query-buffer-limit"),
	})
	c.r.SetAuthenticated(c.authed)
	c.w = resp.NewWriter(wr, 16*1024)
	// replies go out whenever the reader is about to wait for more input:
	// after a pipelined batch, and before blocking on a half-received command
	c.r.SetBeforeRead(c.beforeRead)
	if fd >= 0 && os.Getenv("LIGHTCONE_NO_PREFETCH") == "" {
		c.r.SetAfterRead(c.prefetch)
	}
	c.ctx = commands.Ctx{W: c.w, Eng: s.Eng, Client: c, Server: s, Blocker: c}
	c.slot = s.gate.misc()
	s.mu.Lock()
	s.clients[c.id] = c
	s.mu.Unlock()
	return c
}

// prefetch looks ahead at a pipelined batch just read and warms the cache
// for its keys, so that their lookups' cache misses overlap.
func (c *client) prefetch(pending []byte) {
	if c.pskip > 0 {
		c.pskip--
		return
	}
	if c.warm(pending) {
		c.pback = 0
	} else {
		c.pback = min(max(1, 2*c.pback), 64)
		c.pskip = c.pback
	}
}

// warm is prefetch's look ahead; it reports whether it found anything to
// warm.
func (c *client) warm(pending []byte) bool {
	keys := resp.CommandKeys(pending, c.pkeys[:0], len(c.pkeys))
	cmds := len(keys)
	// a pipeline on one hot key (LPUSH mylist ...) needs no warming of the
	// key, and each lookup ahead costs the key's shard lock
	n := 0
	for i, k := range keys {
		if i == 0 || string(k) != string(keys[n-1]) {
			keys[n] = k
			n++
		}
	}
	keys = keys[:n]
	if len(keys) >= 2 {
		if cmd := c.lastLookup; cmd != nil && cmd.HasFlag("readonly") {
			// a pipeline of reads (GET, ...) loses more to the warming's
			// shard locks than it saves: GET -P 16 0.90 of Redis with it,
			// 1.03 without; writes gain (SET +8 %)
			return false
		}
		c.eng().Prefetch(c.db, keys)
		return true
	}
	if len(keys) == 1 && cmds >= 2 {
		// one hot collection: warm the lookups of the members the batch
		// names (HSET myhash f1 ..., ZADD myzset s m, SADD myset m, ...)
		ms := c.pmems[:0]
		resp.EachCommand(pending, cmds, func(args [][]byte) bool {
			n := len(ms)
			ms = appendMembers(ms, args)
			// a batch of other commands (LPUSH ...) is not looked at further
			return len(ms) > n && len(ms) < cap(ms)
		})
		if len(ms) >= 2 {
			c.eng().PrefetchMembers(c.db, keys[0], ms)
			return true
		}
	}
	return false
}

// appendMembers appends to ms (up to its capacity) the members or fields a
// command names in a hash, set or sorted set, for PrefetchMembers.
func appendMembers(ms [][]byte, args [][]byte) [][]byte {
	if len(args) < 3 {
		return ms
	}
	from, step := 0, 1
	switch name := args[0]; {
	case commands.EqualFold(name, "hset"), commands.EqualFold(name, "hmset"):
		from, step = 2, 2
	case commands.EqualFold(name, "hget"), commands.EqualFold(name, "hmget"), commands.EqualFold(name, "hdel"),
		commands.EqualFold(name, "hexists"), commands.EqualFold(name, "hincrby"), commands.EqualFold(name, "hincrbyfloat"),
		commands.EqualFold(name, "hsetnx"), commands.EqualFold(name, "hstrlen"),
		commands.EqualFold(name, "sadd"), commands.EqualFold(name, "srem"), commands.EqualFold(name, "sismember"),
		commands.EqualFold(name, "smismember"), commands.EqualFold(name, "zscore"), commands.EqualFold(name, "zmscore"),
		commands.EqualFold(name, "zrem"), commands.EqualFold(name, "zrank"), commands.EqualFold(name, "zrevrank"):
		from = 2
	case commands.EqualFold(name, "zincrby"):
		from = 3
	case commands.EqualFold(name, "zadd"):
		from = 2
		for from < len(args) && len(args[from]) > 0 && (args[from][0]|0x20) >= 'a' && (args[from][0]|0x20) <= 'z' &&
			!commands.EqualFold(args[from], "inf") && !commands.EqualFold(args[from], "-inf") {
			from++ // NX XX GT LT CH INCR
		}
		from, step = from+1, 2
	default:
		return ms
	}
	for i := from; i < len(args) && len(ms) < cap(ms); i += step {
		ms = append(ms, args[i])
	}
	return ms
}

// ID implements commands.Client.
func (c *client) ID() int64 { return c.id }

// SelectDB implements commands.Client.
func (c *client) SelectDB(db int) {
	c.mu.Lock()
	c.db = db
	c.mu.Unlock()
}

func (c *client) kill() {
	if c.killed.CompareAndSwap(false, true) {
		c.s.dropBlocked(c)
		if c.fd >= 0 {
			c.killFD()
		} else {
			c.conn.Close()
		}
	}
}

// forgetClient removes a closed client from the server's list.
func (s *Server) forgetClient(c *client) {
	c.flushStats()
	s.mu.Lock()
	delete(s.clients, c.id)
	s.mu.Unlock()
	s.dropPush(c)
}

func (c *client) serve() {
	defer func() {
		c.s.dropBlocked(c)
		c.unwatchAll()
		c.drainPusher() // what the writer goroutine still holds (QUIT's +OK)
		c.s.dropPush(c) // unsubscribed before the peer sees the close
		c.conn.Close()
		c.s.forgetClient(c)
	}()
	for {
		args, err := c.r.ReadCommand()
		if err != nil {
			var pe *resp.ProtocolError
			if errors.As(err, &pe) {
				c.w.Error("ERR " + pe.Msg)
				c.w.Flush()
				c.s.Log.Debug("protocol error, closing client", "client", c.addr, "err", pe.Msg)
			}
			return
		}
		g := &c.s.gate
		if !c.s.enterGate(c.slot) {
			c.s.dispatchBusy(c, args) // a busy script holds the gate
		} else {
			c.s.dispatch(c, args)
			c.s.serveReady()
			if c.r.Buffered() == 0 { // after a batch, like an event loop
				c.s.tracking.flushBroadcasts(c.s)
			}
			g.leave(c.slot)
		}
		if c.parked != nil {
			c.w.Flush()
			c.waitResume()
			if c.killed.Load() {
				return
			}
		}
		if c.closeAfterReply {
			c.w.Flush()
			return
		}
		if c.w.Err() != nil || c.killed.Load() {
			return
		}
	}
}

// dispatch runs one command: lookup, arity, authentication, execution, stats.
func (s *Server) dispatch(c *client, args [][]byte) {
	if len(args) == 0 {
		return
	}
	if ps := c.push.Load(); ps != nil {
		s.dispatchPushing(c, ps, args)
		return
	}
	s.dispatchCmd(c, args)
	if ps := c.push.Load(); ps != nil {
		s.startedPushing(c, ps) // the command subscribed, tracked, monitored
	}
}

func (s *Server) dispatchCmd(c *client, args [][]byte) {
	c.statCmds++
	// A pipelined command starts when the one before it ended: one clock
	// read per command instead of two (the gap is this command's parsing).
	startNs := c.clockEnd
	c.clockEnd = 0
	if startNs == 0 {
		startNs = s.clock.nanos()
	}
	c.cmdStart = startNs
	if startNs-c.lastInteraction.Load() >= 1e6 {
		// CLIENT LIST's idle and the timeout look at it in seconds: a
		// store per millisecond, not per command (each store a barrier)
		c.lastInteraction.Store(startNs)
	}
	s.Eng.Tick(startNs / 1e6)
	mark := c.w.Buffered()
	var cmd *commands.Command
	if c.lastLookup != nil && commands.EqualFold(args[0], c.lastLookup.Name) {
		cmd = c.lastLookup // pipelines repeat one command: skip the table
	} else if cmd = s.Table.Lookup(args[0]); cmd != nil {
		c.lastLookup = cmd
	}
	ctx := &c.ctx
	ctx.Args = args
	ctx.Failed = false
	ctx.ErrorTag = ""
	ctx.DB = c.db
	if cmd == nil {
		ctx.Cmd = nil
		ctx.Error(unknownCommand(args))
		s.finishReject(c, ctx, nil, mark)
		return
	}
	if cmd.Subs != nil && len(args) >= 2 {
		sub := cmd.LookupSub(args[1])
		if sub == nil {
			ctx.Error("ERR unknown subcommand '" + trunc(string(args[1]), 128) + "'. Try " + commands.Upper(string(args[0])) + " HELP.")
			s.finishReject(c, ctx, nil, mark)
			return
		}
		cmd = sub
	}
	ctx.Cmd = cmd
	keep := cmd.KeepLock && !c.inMulti
	if !keep {
		ctx.Eng.Release() // a lock kept by the loop's last command
	}
	if (cmd.Arity > 0 && len(args) != cmd.Arity) || len(args) < -cmd.Arity {
		ctx.WrongArgs()
		s.finishReject(c, ctx, cmd, mark)
		return
	}
	if !c.authed && !cmd.HasFlag("no_auth") {
		ctx.Error("NOAUTH Authentication required.")
		s.finishReject(c, ctx, cmd, mark)
		return
	}
	if u := c.acl.Load(); u != nil && !u.unrestricted() && !cmd.HasFlag("no_auth") {
		if msg := s.aclCheck(c, u, cmd, args, "toplevel"); msg != "" {
			ctx.Error(msg)
			s.finishReject(c, ctx, cmd, mark)
			return
		}
	}
	if s.mem.over.Load() && s.oomRefuses(c, ctx.Eng, cmd) { // one load per command below the limit
		ctx.Error(oomError)
		s.finishReject(c, ctx, cmd, mark)
		return
	}
	if ps := c.push.Load(); ps != nil {
		if msg := c.pushReject(ps, cmd); msg != "" {
			ctx.Error(msg)
			s.finishReject(c, ctx, cmd, mark)
			return
		}
	}
	if s.cl.loading.Load() && !cmd.HasFlag("loading") {
		ctx.Error(errLoading) // a state transfer is being installed (xfer.go)
		s.finishReject(c, ctx, cmd, mark)
		return
	}
	if s.pausing.Load() && s.pausedFor(c, cmd) {
		s.postpone(c, ctx, cmd)
		return
	}
	if c.inMulti {
		if cmd.HasFlag("no_multi") {
			ctx.Error("ERR Command not allowed inside a transaction")
			s.finishReject(c, ctx, cmd, mark)
			return
		}
		if c.queueing(cmd) {
			c.queue(cmd, args)
			c.w.Simple("QUEUED")
			c.afterCommand(cmd, mark)
			return
		}
	}
	if keep {
		ctx.Eng.Arm()
		cmd.Handler(ctx)
		ctx.Eng.Disarm()
	} else {
		cmd.Handler(ctx)
	}
	end := s.clock.nanos()
	dur := end - startNs
	if c.parked == nil {
		c.clockEnd = end
	}
	if cmd != c.statCmd {
		c.flushStats()
		c.statCmd = cmd
	}
	c.statCalls++
	c.statUsec += dur / 1000
	s.observe(c, cmd, args, dur)
	if ctx.Failed {
		cmd.Stats.Fail(c.slot)
		s.recordError(ctx.ErrorTag)
	}
	c.afterCommand(cmd, mark)
}

func (s *Server) finishReject(c *client, ctx *commands.Ctx, cmd *commands.Command, mark int) {
	if cmd != nil && cmd.Name == "exec" {
		// a refused EXEC ends the transaction, saying why
		c.w.Truncate(mark)
		c.discardMulti()
		c.unwatchAll()
		ctx.ErrorTag = ""
		ctx.Error("EXECABORT Transaction discarded because of: " + strings.TrimPrefix(ctx.LastError, "ERR "))
		if s.monitorCount.Load() > 0 {
			s.feedMonitors(c, ctx) // Redis shows the refused EXEC too
		}
	}
	c.flagMulti()
	if cmd != nil {
		cmd.Stats.Reject(c.slot)
	}
	s.recordError(ctx.ErrorTag)
	c.afterCommand(cmd, mark)
}

// afterCommand applies CLIENT REPLY OFF/SKIP by dropping the reply just written.
func (c *client) afterCommand(cmd *commands.Command, mark int) {
	// only this client's goroutine writes them; others read under mu
	if cmd != nil && (c.lastCmd != cmd.Name || c.proto != c.w.Proto()) {
		c.mu.Lock()
		c.lastCmd = cmd.Name
		c.proto = c.w.Proto()
		c.mu.Unlock()
	}
	switch {
	case c.skipNext:
		c.skipNext = false
		c.w.Truncate(mark)
	case c.replyMode == replyOff:
		c.w.Truncate(mark)
	case c.replyMode == replySkip:
		c.replyMode = replyOn
		c.skipNext = true
	}
}

func unknownCommand(args [][]byte) string {
	msg := "ERR unknown command '" + trunc(string(args[0]), 128) + "', with args beginning with: "
	rest := ""
	for _, a := range args[1:] {
		if len(rest) >= 128 {
			break
		}
		rest += "'" + trunc(string(a), 128-len(rest)) + "' "
	}
	return msg + rest
}

// trunc is C's "%.*s": at most n bytes, and nothing from a NUL byte on.
func trunc(s string, n int) string {
	if n < 0 {
		n = 0
	}
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	if len(s) > n {
		return s[:n]
	}
	return s
}

func sortClients(cs []*client) {
	sort.Slice(cs, func(i, j int) bool { return cs[i].id < cs[j].id })
}

// flushStats adds the client's pending command counts to the shared
// counters (INFO stats and commandstats). A client counts the commands of
// a batch itself and adds them up once, before it reads again (beforeRead)
// or when the command changes: a locked add per counter per command was a
// few per cent of a pipelined command's time, even without contention.
// Whoever reads the counters for a reply (INFO, LATENCY HISTOGRAM,
// CONFIG RESETSTAT) flushes its own client's first.
func (c *client) flushStats() {
	if l := c.loop; l != nil && !l.helping.Load() {
		// the loop's engine is its goroutine's; while a busy script runs
		// on it, a helper serves the loop's clients and must not touch it
		l.eng.FlushStats()
	}
	if c.statCmds > 0 {
		c.s.Stats.Commands.Add(c.slot, c.statCmds)
		c.statCmds = 0
	}
	if c.statCalls > 0 {
		c.statCmd.Stats.Count(c.slot, c.statCalls, c.statUsec)
		c.statCalls, c.statUsec = 0, 0
	}
	if c.statLatN > 0 {
		c.statCmd.Stats.RecordN(c.slot, c.statLatB, c.statLatN)
		c.statLatN = 0
	}
}

// countLatency counts a call of statCmd in the latency histogram.
func (c *client) countLatency(ns int64) {
	b := commands.HistIndex(ns)
	if c.statLatN > 0 && b != c.statLatB {
		c.statCmd.Stats.RecordN(c.slot, c.statLatB, c.statLatN)
		c.statLatN = 0
	}
	c.statLatB = b
	c.statLatN++
}

// eng is the engine the client's commands run on: its event loop's.
func (c *client) eng() *engine.Engine {
	if c.loop != nil {
		return c.loop.eng
	}
	return c.s.Eng
}
