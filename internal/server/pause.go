package server

import (
	"bytes"
	"sync"
	"time"

	"github.com/lightconedb/lightcone/internal/commands"
)

// CLIENT PAUSE / UNPAUSE: while a pause lasts, a client's command that it
// covers (every command for ALL; writes and commands that may write for
// WRITE) is postponed: the client is parked like a blocked one, its
// pipelined input waits, and the command runs when the pause ends.

type pauseState struct {
	mu      sync.Mutex
	until   time.Time
	all     bool // ALL (else WRITE)
	timer   *time.Timer
	waiting []*postponed
}

type postponed struct {
	c  *client
	bs *blockState
}

func init() {
	moreClientSubs = append(moreClientSubs,
		&commands.Command{Name: "pause", Arity: -3, Flags: []string{"admin", "noscript", "loading", "stale"},
			Categories: []string{"admin", "slow", "dangerous", "connection"}, Since: "3.0.0", Group: "connection",
			Complexity: "O(1)", Syntax: "timeout [WRITE | ALL]",
			Summary: "Suspends commands processing.", Handler: cmdClientPause},
		&commands.Command{Name: "unpause", Arity: 2, Flags: []string{"admin", "noscript", "loading", "stale"},
			Categories: []string{"admin", "slow", "dangerous", "connection"}, Since: "6.2.0", Group: "connection",
			Complexity: "O(N) Where N is the number of paused clients",
			Summary:    "Resumes processing commands from paused clients.", Handler: func(c *commands.Ctx) {
				srv(c).unpause()
				c.OK()
			}},
	)
	moreClientHelp = append(moreClientHelp,
		"PAUSE <timeout> [WRITE|ALL]",
		"    Suspend all, or just write, clients for <timeout> milliseconds.",
		"UNPAUSE",
		"    Stop the current client pause, resuming traffic.")
}

func cmdClientPause(c *commands.Ctx) {
	s := srv(c)
	deadline, ok := c.TimeoutArg(2, false)
	if !ok {
		return
	}
	all := true
	if len(c.Args) == 4 {
		switch {
		case c.Is(3, "write"):
			all = false
		case c.Is(3, "all"):
		default:
			c.Error("ERR CLIENT PAUSE mode must be WRITE or ALL")
			return
		}
	} else if len(c.Args) > 4 {
		c.Syntax()
		return
	}
	until := time.UnixMilli(deadline)
	if deadline == 0 {
		until = time.Now()
	}
	p := &s.pause
	p.mu.Lock()
	if p.until.After(time.Now()) {
		// a pause already runs: keep the stricter mode and the later end
		all = all || p.all
		if p.until.After(until) {
			until = p.until
		}
	}
	p.until, p.all = until, all
	if p.timer != nil {
		p.timer.Stop()
	}
	p.timer = time.AfterFunc(time.Until(until), s.unpauseIfDue)
	s.pausing.Store(true)
	p.mu.Unlock()
	c.OK()
}

// pausedFor reports whether cmd must wait for the pause to end.
func (s *Server) pausedFor(c *client, cmd *commands.Command) bool {
	p := &s.pause
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.until.After(time.Now()) {
		return false
	}
	if p.all {
		return true
	}
	if cmd.Name == "exec" {
		for _, q := range c.multiQueue {
			if q.cmd.IsWrite() || q.cmd.HasFlag("may_replicate") {
				return true
			}
		}
		return false
	}
	return cmd.IsWrite() || cmd.HasFlag("may_replicate")
}

// postpone parks a client whose command the pause covers; the command
// runs, and its reply goes out, when the pause ends.
func (s *Server) postpone(c *client, ctx *commands.Ctx, cmd *commands.Command) {
	bs := &blockState{db: ctx.DB, cmd: cmd}
	bs.args = make([][]byte, len(ctx.Args))
	for i, a := range ctx.Args {
		bs.args[i] = append([]byte(nil), a...)
	}
	if c.fd < 0 {
		bs.resume = make(chan []byte, 1)
	}
	c.parked = bs
	p := &s.pause
	p.mu.Lock()
	p.waiting = append(p.waiting, &postponed{c: c, bs: bs})
	p.mu.Unlock()
}

func (s *Server) unpauseIfDue() {
	p := &s.pause
	p.mu.Lock()
	due := !p.until.After(time.Now())
	p.mu.Unlock()
	if due {
		s.unpause()
	}
}

// unpause ends the pause and runs the postponed commands in the order they
// arrived, each replying to its own client.
func (s *Server) unpause() {
	p := &s.pause
	p.mu.Lock()
	p.until = time.Time{}
	s.pausing.Store(false)
	if p.timer != nil {
		p.timer.Stop()
		p.timer = nil
	}
	waiting := p.waiting
	p.waiting = nil
	p.mu.Unlock()
	if len(waiting) == 0 {
		return
	}
	s.gate.enter(s.gate.misc())
	defer s.gate.leave(s.gate.misc())
	for _, w := range waiting {
		if w.c.gone() {
			continue
		}
		var buf bytes.Buffer
		ctx := s.scratchCtx(w.c, w.bs, &buf)
		start := s.clock.nanos()
		w.bs.cmd.Handler(ctx)
		dur := s.clock.nanos() - start
		w.bs.cmd.Stats.Count(w.c.slot, 1, dur/1000)
		if ctx.Failed {
			w.bs.cmd.Stats.Fail(w.c.slot)
			s.recordError(ctx.ErrorTag)
		}
		ctx.W.Flush()
		s.resumeClient(w.c, w.bs, buf.Bytes())
	}
	s.serveReady()
}

// gone reports whether the client's connection is closed or being closed.
func (c *client) gone() bool {
	if c.killed.Load() {
		return true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.fdClosed
}
