package server

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lightconedb/lightcone/internal/commands"
	"github.com/lightconedb/lightcone/internal/resp"
	"github.com/lightconedb/lightcone/internal/script"
)

// EVAL / EVALSHA / EVAL_RO / EVALSHA_RO and SCRIPT (FUNCTION and FCALL are
// in function.go).
//
// A script runs as one engine transaction: it takes the whole gate (as EXEC
// does) and its effects form one batch (BeginTxn/EndTxn). Commands it calls
// run through scriptHost, which applies Redis' checks for commands called
// from scripts.
//
// Busy scripts: a watchdog marks a script that has run longer than
// busy-reply-threshold (lua-time-limit) as busy. From then on, clients that
// find the gate taken (enterGate) are served in busy mode: commands flagged
// allow_busy run (SCRIPT KILL, FUNCTION KILL, SHUTDOWN, MULTI...), the rest
// get Redis' BUSY error. The script's own event loop is stuck inside the
// script, so a helper goroutine serves that loop's other clients the same
// way until the script ends.

const (
	errBusyEval   = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
	errBusyFunc   = "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
	errNotBusy    = "NOTBUSY No scripts in execution right now."
	errUnkillable = "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command."
	errROWrite    = "ERR Can not execute a script with write flag using *_ro command."
)

// scriptRun is the script being run.
type scriptRun struct {
	cl      *client
	start   int64 // unix nanos: when its command started
	eval    bool  // an EVAL script (SCRIPT KILL), else a function (FUNCTION KILL)
	name    string
	args    [][]byte // the command that runs it (FUNCTION STATS)
	wrote   atomic.Bool
	busy    atomic.Bool
	killed  atomic.Bool
	helper  chan struct{} // closed to stop the loop's busy helper
	helped  chan struct{} // closed when the helper has stopped
	helpMu  sync.Mutex
	helping bool
}

type scripting struct {
	eng     *script.Engine
	running atomic.Pointer[scriptRun]
	// the last command a script called, by its name as written
	lastName string
	lastCmd  *commands.Command
	busy     atomic.Bool // the running script is past the busy threshold
	watching atomic.Bool // the watchdog goroutine runs
	host     scriptHost  // of the running script
}

func init() { serverFamilies = append(serverFamilies, registerScripting) }

func scriptKeys(args [][]byte) []int {
	if len(args) < 3 {
		return nil
	}
	n, ok := commands.ParseInt(args[2])
	if !ok || n <= 0 || n > int64(len(args)-3) {
		return nil
	}
	out := make([]int, n)
	for i := range out {
		out[i] = 3 + i
	}
	return out
}

func registerScripting(s *Server, t *commands.Table) {
	s.scripting.eng = script.NewEngine()
	evalFlags := []string{"noscript", "stale", "skip_monitor", "no_mandatory_keys", "movablekeys"}
	roFlags := []string{"readonly", "noscript", "stale", "skip_monitor", "no_mandatory_keys", "movablekeys"}
	cats := []string{"slow", "scripting"}
	ev := func(name string, flags []string, summary, since, syntax string, byBody, ro bool) *commands.Command {
		return &commands.Command{Name: name, Arity: -3, Flags: flags, Categories: cats, Keys: scriptKeys,
			Summary: summary, Since: since, Group: "scripting", Complexity: "Depends on the script that is executed.",
			Syntax: syntax, Handler: func(c *commands.Ctx) { cmdEval(c, byBody, ro) }}
	}
	sub := func(name string, arity int, flags []string, syntax, summary, complexity string, h commands.Handler) *commands.Command {
		return &commands.Command{Name: name, Arity: arity, Flags: flags, Categories: cats, Summary: summary, Since: "2.6.0",
			Group: "scripting", Complexity: complexity, Syntax: syntax, Handler: h}
	}
	t.Register(
		ev("eval", evalFlags, "Executes a server-side Lua script.", "2.6.0", "script numkeys [key [key ...]] [arg [arg ...]]", true, false),
		ev("evalsha", evalFlags, "Executes a server-side Lua script by SHA1 digest.", "2.6.0", "sha1 numkeys [key [key ...]] [arg [arg ...]]", false, false),
		ev("eval_ro", roFlags, "Executes a read-only server-side Lua script.", "7.0.0", "script numkeys [key [key ...]] [arg [arg ...]]", true, true),
		ev("evalsha_ro", roFlags, "Executes a read-only server-side Lua script by SHA1 digest.", "7.0.0", "sha1 numkeys [key [key ...]] [arg [arg ...]]", false, true),
		&commands.Command{Name: "script", Arity: -2, Categories: []string{"slow"}, Summary: "A container for Lua scripts management commands.",
			Since: "2.6.0", Group: "scripting", Complexity: "Depends on subcommand.",
			Subs: map[string]*commands.Command{
				"load": sub("load", 3, []string{"noscript", "stale"}, "script", "Loads a server-side Lua script to the script cache.",
					"O(N) with N being the length in bytes of the script body.", cmdScriptLoad),
				"exists": sub("exists", -3, []string{"noscript"}, "sha1 [sha1 ...]", "Determines whether server-side Lua scripts exist in the script cache.",
					"O(N) with N being the number of scripts to check (so checking a single script is an O(1) operation).", cmdScriptExists),
				"flush": sub("flush", -2, []string{"noscript"}, "[ASYNC | SYNC]", "Removes all server-side Lua scripts from the script cache.",
					"O(N) with N being the number of scripts in cache", cmdScriptFlush),
				"kill": sub("kill", 2, []string{"noscript", "allow_busy"}, "", "Terminates a server-side Lua script during execution.", "O(1)",
					func(c *commands.Ctx) { killScript(c, true) }),
				"debug": sub("debug", 3, []string{"noscript"}, "<YES | SYNC | NO>", "Sets the debug mode of server-side Lua scripts.", "O(1)", cmdScriptDebug),
				"help": sub("help", 2, []string{"loading", "stale"}, "", "Returns helpful text about the different subcommands.", "O(1)", func(c *commands.Ctx) {
					writeHelp(c, "SCRIPT",
						"DEBUG (YES|SYNC|NO)",
						"    Set the debug mode for subsequent scripts executed.",
						"EXISTS <sha1> [<sha1> ...]",
						"    Return information about the existence of the scripts in the script cache.",
						"FLUSH [ASYNC|SYNC]",
						"    Flush the Lua scripts cache. Very dangerous on replicas.",
						"    When called without the optional mode argument, the behavior is determined by the",
						"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
						"    * ASYNC: Asynchronously flush the scripts cache.",
						"    * SYNC: Synchronously flush the scripts cache.",
						"KILL",
						"    Kill the currently executing Lua script.",
						"LOAD <script>",
						"    Load a script into the scripts cache without executing it.")
				}),
			}},
	)
}

// parseNumKeys reads EVAL's numkeys; it replies the error itself.
func parseNumKeys(c *commands.Ctx, fcall bool) (int, bool) {
	n, ok := commands.ParseInt(c.Args[2])
	if !ok {
		if fcall {
			c.Error("ERR Bad number of keys provided")
		} else {
			c.Error(commands.ErrNotInt)
		}
		return 0, false
	}
	if n > int64(len(c.Args)-3) {
		c.Error("ERR Number of keys can't be greater than number of args")
		return 0, false
	}
	if n < 0 {
		c.Error("ERR Number of keys can't be negative")
		return 0, false
	}
	return int(n), true
}

func cmdEval(c *commands.Ctx, byBody, ro bool) {
	s := srv(c)
	numkeys, ok := parseNumKeys(c, false)
	if !ok {
		return
	}
	var sc *script.Script
	if byBody {
		var err string
		sc, err = s.scripting.eng.Load(c.Args[1])
		if err != "" {
			c.Error(err)
			return
		}
	} else if sc = s.scripting.eng.Lookup(c.Args[1]); sc == nil {
		c.Error("NOSCRIPT No matching script. Please use EVAL.")
		return
	}
	if ro && sc.Flags&script.FlagEvalCompat == 0 && sc.Flags&script.FlagNoWrites == 0 {
		c.Error(errROWrite)
		return
	}
	keys := c.Args[3 : 3+numkeys]
	argv := c.Args[3+numkeys:]
	roRun := ro || sc.Flags&script.FlagNoWrites != 0
	s.runScript(c, sc, nil, roRun, keys, argv)
}

// runScript runs an EVAL script (sc) or a function (f) as one atomic batch.
func (s *Server) runScript(c *commands.Ctx, sc *script.Script, f *script.Function, ro bool, keys, argv [][]byte) {
	cl := cli(c)
	var flags script.Flags
	if sc != nil {
		flags = sc.Flags
	} else {
		flags = f.Flags
	}
	oom := s.mem.over.Load()
	if oom && flags&script.FlagEvalCompat == 0 && flags&(script.FlagNoWrites|script.FlagAllowOOM) == 0 {
		// as Redis: a script or function that declares its flags may
		// write unless it says no-writes, so at maxmemory it is refused
		// before it runs unless it says allow-oom
		c.Error(oomError)
		return
	}
	nested := cl.execing // inside EXEC, which already holds the gate
	giveBack := false
	if !nested {
		giveBack = s.gate.exclusiveBatch(cl.slot)
		s.Eng.BeginTxn()
	}
	r := &scriptRun{cl: cl, start: cl.cmdStart, eval: sc != nil, args: c.Args}
	h := &s.scripting.host // scripts run one at a time (the gate)
	h.s, h.cl, h.ro, h.run, h.ctx = s, cl, ro, r, cl.ctx
	h.oom, h.allowOOM = oom, flags&script.FlagAllowOOM != 0
	s.scripting.running.Store(r)
	if !s.scripting.watching.Load() {
		s.scripting.watching.Store(true)
		go s.scriptWatchdog()
	}
	savedDB := cl.db
	if sc != nil {
		r.name = sc.Sha
		s.scripting.eng.RunEval(sc, h, keys, argv, c.W)
	} else {
		r.name = f.Name
		s.scripting.eng.RunFunction(f, h, keys, argv, c.W)
	}
	s.scripting.running.Store(nil)
	if r.busy.Load() {
		s.scripting.busy.Store(false)
		s.stopBusyHelper(r)
	}
	if cl.db != savedDB {
		cl.SelectDB(savedDB)
	}
	if !nested {
		s.Eng.EndTxn()
		if giveBack {
			s.gate.shared(cl.slot)
		}
	}
}

// scriptHost runs the commands a script calls.
type scriptHost struct {
	s  *Server
	cl *client
	ro bool
	// used memory was above maxmemory when the script began, and whether
	// the script may add data anyway (allow-oom)
	oom, allowOOM bool
	run           *scriptRun
	ctx           commands.Ctx
	call          commands.Ctx // the context of the command being called
}

func (h *scriptHost) lookup(args [][]byte) *commands.Command {
	sc := &h.s.scripting
	if sc.lastCmd != nil && string(args[0]) == sc.lastName {
		return sc.lastCmd // scripts run one at a time (the gate)
	}
	cmd := h.s.Table.Lookup(args[0])
	if cmd != nil && cmd.Subs == nil {
		sc.lastName, sc.lastCmd = string(args[0]), cmd
	}
	if cmd != nil && cmd.Subs != nil && len(args) >= 2 {
		cmd = cmd.LookupSub(args[1])
	}
	return cmd
}

// Call implements script.Host.
func (h *scriptHost) Call(args [][]byte, w *resp.Writer) string {
	s := h.s
	cmd := h.lookup(args)
	if cmd == nil {
		return "ERR Unknown Redis command called from script"
	}
	if (cmd.Arity > 0 && len(args) != cmd.Arity) || len(args) < -cmd.Arity {
		return "ERR Wrong number of args calling Redis command from script"
	}
	if cmd.HasFlag("noscript") {
		return "ERR This Redis command is not allowed from script"
	}
	if u := h.cl.acl.Load(); u != nil && !u.unrestricted() {
		switch s.aclDenied(h.cl, u, cmd, args, "lua") {
		case "command":
			return "ERR The user executing the script can't run this command or subcommand"
		case "key":
			return "ERR The user executing the script can't access at least one of the keys mentioned in the command arguments"
		case "channel":
			return "ERR The user executing the script can't publish to the channel mentioned in the command"
		}
	}
	write := cmd.IsWrite()
	if write && h.ro {
		return "ERR Write commands are not allowed from read-only scripts."
	}
	if h.oom && !h.allowOOM && !h.run.wrote.Load() && cmd.HasFlag("denyoom") {
		// as Redis: at maxmemory a script may not begin adding data; once
		// it has written, it is not stopped halfway
		return oomError
	}
	ctx := &h.call // reused: a script's commands run one at a time
	*ctx = h.ctx
	ctx.Args, ctx.Cmd, ctx.W, ctx.DB = args, cmd, w, h.cl.db
	ctx.Failed, ctx.ErrorTag, ctx.Blocker = false, "", nil
	if write && !h.run.wrote.Load() {
		// as Redis: a script that called a write command may have
		// changed data, so SCRIPT KILL no longer stops it
		h.run.wrote.Store(true)
	}
	cmd.Handler(ctx)
	cmd.Stats.Count(h.cl.slot, 1, 0) // (its time counts in the script's)
	if ctx.Failed {
		cmd.Stats.Fail(h.cl.slot)
		s.recordError(ctx.ErrorTag)
	}
	return ""
}

// CanRun implements script.CommandChecker (redis.acl_check_cmd).
func (h *scriptHost) CanRun(args [][]byte) (bool, bool) {
	cmd := h.lookup(args)
	if cmd == nil {
		return false, false
	}
	if u := h.cl.acl.Load(); u != nil && !u.unrestricted() {
		h.s.acl.mu.RLock()
		reason, _ := h.s.userDenial(u, cmd, args)
		h.s.acl.mu.RUnlock()
		return true, reason == ""
	}
	return true, true
}

// Log implements script.Host.
func (h *scriptHost) Log(level int, msg string) {
	switch level {
	case script.LogDebug, script.LogVerbose:
		h.s.Log.Debug(msg, "source", "script")
	case script.LogNotice:
		h.s.Log.Info(msg, "source", "script")
	default:
		h.s.Log.Warn(msg, "source", "script")
	}
}

func cmdScriptLoad(c *commands.Ctx) {
	sc, err := srv(c).scripting.eng.Load(c.Args[2])
	if err != "" {
		c.Error(err)
		return
	}
	c.W.BulkString(sc.Sha)
}

func cmdScriptExists(c *commands.Ctx) {
	eng := srv(c).scripting.eng
	c.W.ArrayLen(len(c.Args) - 2)
	for _, a := range c.Args[2:] {
		if eng.Exists(a) {
			c.W.Int(1)
		} else {
			c.W.Int(0)
		}
	}
}

func cmdScriptFlush(c *commands.Ctx) {
	if len(c.Args) > 3 || (len(c.Args) == 3 && !c.Is(2, "sync") && !c.Is(2, "async")) {
		c.Error("ERR SCRIPT FLUSH only support SYNC|ASYNC option")
		return
	}
	srv(c).scripting.eng.Flush()
	c.OK()
}

func cmdScriptDebug(c *commands.Ctx) {
	switch {
	case c.Is(2, "no"):
		c.OK()
	case c.Is(2, "yes"), c.Is(2, "sync"):
		c.Error("ERR SCRIPT DEBUG is not supported by Lightcone")
	default:
		c.Error("ERR Use SCRIPT DEBUG YES/SYNC/NO")
	}
}

// killScript is SCRIPT KILL (eval) and FUNCTION KILL.
func killScript(c *commands.Ctx, eval bool) {
	s := srv(c)
	r := s.scripting.running.Load()
	if r == nil || r.cl == cli(c) {
		c.Error(errNotBusy)
		return
	}
	if r.wrote.Load() {
		c.Error(errUnkillable)
		return
	}
	if eval && !r.eval {
		c.Error(errBusyFunc)
		return
	}
	if !eval && r.eval {
		c.Error(errBusyEval)
		return
	}
	r.killed.Store(true)
	s.scripting.eng.KillRunning()
	c.OK()
}

// stopScripts kills the running script whatever it did (SHUTDOWN).
func (s *Server) stopScripts() {
	if r := s.scripting.running.Load(); r != nil {
		r.killed.Store(true)
		s.scripting.eng.KillRunning()
	}
}

// busyThreshold is busy-reply-threshold (lua-time-limit), in ms.
func (s *Server) busyThreshold() time.Duration {
	ms := s.Settings.Int("busy-reply-threshold")
	if ms <= 0 {
		return 0
	}
	return time.Duration(ms) * time.Millisecond
}

// scriptWatchdog marks a script busy once it runs past the threshold.
func (s *Server) scriptWatchdog() {
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
		}
		r := s.scripting.running.Load()
		if r == nil || r.busy.Load() {
			continue
		}
		lim := s.busyThreshold()
		if lim <= 0 || time.Duration(time.Now().UnixNano()-r.start) < lim {
			continue
		}
		r.busy.Store(true)
		s.scripting.busy.Store(true)
		s.gate.wakeWaiters() // loops waiting for the gate serve in busy mode
		s.Log.Warn("Slow script detected: still in execution after the busy threshold. You can try killing the script using the SCRIPT KILL command.",
			"threshold_ms", lim.Milliseconds())
		s.startBusyHelper(r)
	}
}

// enterGate takes the caller's read slot of the gate. It returns false when
// a busy script holds the gate: the caller then serves its client in busy
// mode.
func (s *Server) enterGate(slot int) bool {
	m := &s.gate.slots[slot]
	if m.TryRLock() {
		return true
	}
	// Another loop runs a script or EXEC, usually over within tens of
	// microseconds: yield a few hundred times first (parking and being
	// woken costs more than that: EVALSHA -P 16 on two loops +10-15 %),
	// then wait until the gate is given back or the script turns busy.
	for i := 0; i < 500; i++ {
		runtime.Gosched()
		if m.TryRLock() {
			return true
		}
	}
	for {
		if s.scripting.busy.Load() {
			return false
		}
		ch := s.gate.released()
		if m.TryRLock() {
			return true
		}
		if s.scripting.busy.Load() {
			return false
		}
		<-ch // every release of the whole gate (shared) closes it
		if m.TryRLock() {
			return true
		}
	}
}

// dispatchBusy runs one command while a busy script holds the gate: only
// commands flagged allow_busy run; the others get the BUSY error.
func (s *Server) dispatchBusy(c *client, args [][]byte) {
	if len(args) == 0 {
		return
	}
	cmd := s.Table.Lookup(args[0])
	if cmd != nil && cmd.Subs != nil && len(args) >= 2 {
		if sub := cmd.LookupSub(args[1]); sub != nil {
			cmd = sub
		}
	}
	if cmd != nil && cmd.HasFlag("allow_busy") {
		s.dispatch(c, args)
		return
	}
	mark := c.w.Buffered()
	ctx := &c.ctx
	ctx.Args, ctx.Failed, ctx.ErrorTag, ctx.Cmd = args, false, "", cmd
	if r := s.scripting.running.Load(); r != nil && !r.eval {
		ctx.Error(errBusyFunc)
	} else {
		ctx.Error(errBusyEval)
	}
	s.Stats.Commands.Add(c.slot, 1)
	s.finishReject(c, ctx, cmd, mark)
}

// stopBusyHelper stops the helper serving the script's loop, if any, and
// gives the script's client its input events back.
func (s *Server) stopBusyHelper(r *scriptRun) {
	r.helpMu.Lock()
	helping := r.helping
	r.helpMu.Unlock()
	if !helping {
		return
	}
	close(r.helper)
	<-r.helped
	s.restoreEvents(r.cl)
}
