package server

import (
	"strconv"
	"sync"
	"time"

	"github.com/lightconedb/lightcone/internal/commands"
)

// MONITOR: every command executed (after it ran; queued MULTI commands when
// EXEC runs them, then EXEC; not those refused before running, nor admin
// commands) is sent to the monitoring clients as Redis writes it:
//
//	+1700000000.123456 [0 127.0.0.1:50262] "SET" "key" "value"
//
// — the time, the database after the command, the client's address
// ("unix:<socket>" for a Unix socket client) and the arguments quoted as
// Redis' sdscatrepr does; AUTH and HELLO AUTH passwords are "(redacted)".
// A monitoring client may not run commands that touch the keyspace.

type monitorRegistry struct {
	mu   sync.Mutex
	list []*client
}

func init() {
	serverFamilies = append(serverFamilies, func(s *Server, t *commands.Table) {
		t.Register(&commands.Command{Name: "monitor", Arity: 1, Flags: []string{"admin", "noscript", "loading", "stale"},
			Categories: []string{"admin", "slow", "dangerous"}, Since: "1.0.0", Group: "server", Complexity: "",
			Summary: "Listens for all requests received by the server in real-time.", Handler: cmdMonitor})
	})
}

func cmdMonitor(c *commands.Ctx) {
	cl := cli(c)
	s := srv(c)
	if cl.execDepth > 0 {
		c.Error("ERR MONITOR isn't allowed for DENY BLOCKING client")
		return
	}
	ps := cl.pushOf()
	if ps.monitor.Load() {
		return // already monitoring: Redis ignores it without a reply
	}
	ps.monitor.Store(true)
	s.monitors.mu.Lock()
	s.monitors.list = append(s.monitors.list, cl)
	s.monitorCount.Store(int32(len(s.monitors.list)))
	s.monitors.mu.Unlock()
	c.OK()
}

// stopMonitor takes a client out of MONITOR mode (RESET, disconnect).
func (s *Server) stopMonitor(c *client, ps *pushState) {
	if !ps.monitor.Load() {
		return
	}
	ps.monitor.Store(false)
	s.monitors.mu.Lock()
	s.monitors.list = removeClient(s.monitors.list, c)
	s.monitorCount.Store(int32(len(s.monitors.list)))
	s.monitors.mu.Unlock()
}

// feedMonitors sends the command c just ran to the monitoring clients.
func (s *Server) feedMonitors(c *client, ctx *commands.Ctx) {
	s.monitors.mu.Lock()
	mons := append([]*client(nil), s.monitors.list...)
	s.monitors.mu.Unlock()
	if len(mons) == 0 {
		return
	}
	now := time.Now()
	b := make([]byte, 0, 64)
	b = append(b, '+')
	b = strconv.AppendInt(b, now.Unix(), 10)
	b = append(b, '.')
	us := strconv.Itoa(now.Nanosecond() / 1000)
	for i := len(us); i < 6; i++ {
		b = append(b, '0')
	}
	b = append(b, us...)
	b = append(b, " ["...)
	c.mu.Lock()
	db := c.db
	c.mu.Unlock()
	b = strconv.AppendInt(b, int64(db), 10)
	b = append(b, ' ')
	if c.unix {
		b = append(b, "unix:"...)
		b = append(b, s.Settings.Get("unixsocket")...)
	} else {
		b = append(b, c.addr...)
	}
	b = append(b, "] "...)
	redact := redactedArgs(ctx)
	for i, a := range ctx.Args {
		if i > 0 {
			b = append(b, ' ')
		}
		if redact(i) {
			b = append(b, `"(redacted)"`...)
			continue
		}
		b = appendRepr(b, a)
	}
	b = append(b, '\r', '\n')
	origin := s.origin.Load()
	here := cmdLoop(c)
	for _, m := range mons {
		s.pushTo(m, b, true, origin, here)
	}
}

// redactedArgs says which arguments MONITOR hides (passwords).
func redactedArgs(ctx *commands.Ctx) func(i int) bool {
	name := ""
	if ctx.Cmd != nil {
		name = ctx.Cmd.Name
	}
	switch name {
	case "auth":
		return func(i int) bool { return i >= 1 }
	case "hello":
		from := -1
		for i := 2; i < len(ctx.Args); i++ {
			if commands.EqualFold(ctx.Args[i], "auth") && i+2 < len(ctx.Args) {
				from = i + 1
				break
			}
		}
		return func(i int) bool { return from > 0 && (i == from || i == from+1) }
	}
	return func(int) bool { return false }
}

// appendRepr quotes s as Redis' sdscatrepr: "..." with \\ \" \n \r \t \a
// \b escaped and other bytes outside 0x20-0x7e as \xHH.
func appendRepr(b, s []byte) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for _, ch := range s {
		switch ch {
		case '\\', '"':
			b = append(b, '\\', ch)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		case '\a':
			b = append(b, '\\', 'a')
		case '\b':
			b = append(b, '\\', 'b')
		default:
			if ch < 0x20 || ch > 0x7e {
				b = append(b, '\\', 'x', hex[ch>>4], hex[ch&15])
			} else {
				b = append(b, ch)
			}
		}
	}
	return append(b, '"')
}

// pushReject is the error of a command a client's pub/sub or MONITOR state
// forbids ("" if none).
func (c *client) pushReject(ps *pushState, cmd *commands.Command) string {
	if ps.monitor.Load() && touchesKeyspace(cmd) {
		return "ERR Replica can't interact with the keyspace"
	}
	if ps.subscribed() && c.w.Proto() == 2 {
		return subscribedReject(cmd)
	}
	return ""
}

// touchesKeyspace is Redis' test for the commands a replica (and so a
// MONITOR client) may not send: write, read-only or may-replicate ones
// (PUBLISH, SPUBLISH and scripts replicate).
func touchesKeyspace(cmd *commands.Command) bool {
	switch cmd.Name {
	case "publish", "spublish", "eval", "evalsha", "fcall":
		return true
	}
	return cmd.HasFlag("write") || cmd.HasFlag("readonly") || cmd.HasFlag("may_replicate")
}
