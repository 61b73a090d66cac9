package server

import (
	"strconv"

	"github.com/lightconedb/lightcone/internal/commands"
)

// serverFamilies are registered by registerServerCommands; each file of this
// package adds its family in an init function.
var serverFamilies []func(s *Server, t *commands.Table)

func (s *Server) registerServerCommands() {
	for _, f := range serverFamilies {
		f(s, s.Table)
	}
}

func init() {
	serverFamilies = append(serverFamilies, registerConnection)
}

func srv(c *commands.Ctx) *Server { return c.Server.(*Server) }
func cli(c *commands.Ctx) *client { return c.Client.(*client) }

func registerConnection(s *Server, t *commands.Table) {
	t.Register(
		&commands.Command{Name: "ping", Arity: -1, Flags: []string{"fast", "sentinel"}, Categories: []string{"fast", "connection"},
			Summary: "Returns the server's liveliness response.", Since: "1.0.0", Group: "connection", Complexity: "O(1)", Syntax: "[message]",
			Handler: cmdPing},
		&commands.Command{Name: "echo", Arity: 2, Flags: []string{"fast"}, Categories: []string{"fast", "connection"},
			Summary: "Returns the given string.", Since: "1.0.0", Group: "connection", Complexity: "O(1)", Syntax: "message",
			Handler: func(c *commands.Ctx) { c.W.Bulk(c.Args[1]) }},
		&commands.Command{Name: "select", Arity: 2, Flags: []string{"loading", "stale", "fast"}, Categories: []string{"fast", "connection"},
			Summary: "Changes the selected database.", Since: "1.0.0", Group: "connection", Complexity: "O(1)", Syntax: "index",
			Handler: cmdSelect},
		&commands.Command{Name: "quit", Arity: -1, Flags: []string{"allow_busy", "noscript", "loading", "stale", "fast", "no_auth"}, Categories: []string{"fast", "connection"},
			Summary: "Closes the connection.", Since: "1.0.0", Group: "connection", Complexity: "O(1)",
			Handler: func(c *commands.Ctx) { c.OK(); cli(c).closeAfterReply = true }},
		&commands.Command{Name: "auth", Arity: -2, Flags: []string{"noscript", "loading", "stale", "fast", "no_auth", "sentinel", "allow_busy"}, Categories: []string{"fast", "connection"},
			Summary: "Authenticates the connection.", Since: "1.0.0", Group: "connection", Complexity: "O(N) where N is the number of passwords defined for the user", Syntax: "[username] password",
			Handler: cmdAuth},
		&commands.Command{Name: "hello", Arity: -1, Flags: []string{"noscript", "loading", "stale", "fast", "no_auth", "sentinel", "allow_busy"}, Categories: []string{"fast", "connection"},
			Summary: "Handshakes with the Redis server.", Since: "6.0.0", Group: "connection", Complexity: "O(1)", Syntax: "[protover [AUTH username password] [SETNAME clientname]]",
			Handler: cmdHello},
		&commands.Command{Name: "reset", Arity: 1, Flags: []string{"noscript", "loading", "stale", "fast", "no_auth", "allow_busy"}, Categories: []string{"fast", "connection"},
			Summary: "Resets the connection.", Since: "6.2.0", Group: "connection", Complexity: "O(1)",
			Handler: cmdReset},
	)
}

func cmdPing(c *commands.Ctx) {
	if len(c.Args) > 2 {
		c.WrongArgs()
		return
	}
	if len(c.Args) == 2 {
		c.W.Bulk(c.Args[1])
		return
	}
	c.W.Simple("PONG")
}

func cmdSelect(c *commands.Ctx) {
	n, ok := commands.ParseInt(c.Args[1])
	if !ok {
		c.Error(commands.ErrNotInt)
		return
	}
	if n < -1<<31 || n > 1<<31-1 {
		c.Error("ERR value is out of range, value must between -2147483648 and 2147483647")
		return
	}
	if n < 0 || n >= int64(c.Eng.Databases()) {
		c.Error(commands.ErrDBIndex)
		return
	}
	c.Client.SelectDB(int(n))
	c.OK()
}

func (c *client) setAuthed(ok bool, user string) {
	c.mu.Lock()
	c.authed = ok
	if ok {
		c.user = user
	}
	c.mu.Unlock()
	if ok {
		c.acl.Store(c.s.aclUser(user))
	}
	c.r.SetAuthenticated(ok)
}

func cmdAuth(c *commands.Ctx) {
	if len(c.Args) > 3 {
		c.Syntax()
		return
	}
	s := srv(c)
	user, pass := "default", string(c.Args[1])
	if len(c.Args) == 3 {
		user, pass = string(c.Args[1]), string(c.Args[2])
	} else if s.defaultOpen() {
		c.Error("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?")
		return
	}
	if !s.checkPassword(user, pass) {
		s.aclLog(cli(c), "auth", "toplevel", string(c.Args[0]), user)
		c.Error("WRONGPASS invalid username-password pair or user is disabled.")
		return
	}
	cli(c).setAuthed(true, user)
	c.OK()
}

func cmdHello(c *commands.Ctx) {
	s := srv(c)
	cl := cli(c)
	proto := c.W.Proto()
	i := 1
	if len(c.Args) >= 2 {
		v, ok := commands.ParseInt(c.Args[1])
		if !ok {
			c.Error("ERR Protocol version is not an integer or out of range")
			return
		}
		if v < 2 || v > 3 {
			c.Error("NOPROTO unsupported protocol version")
			return
		}
		proto = int(v)
		i = 2
	}
	var user, pass, name string
	auth, setname := false, false
	for ; i < len(c.Args); i++ {
		more := len(c.Args) - i - 1
		switch {
		case c.Is(i, "auth") && more >= 2:
			user, pass = string(c.Args[i+1]), string(c.Args[i+2])
			auth = true
			i += 2
		case c.Is(i, "setname") && more >= 1:
			name = string(c.Args[i+1])
			setname = true
			i++
		default:
			c.Errorf("ERR Syntax error in HELLO option '%s'", string(c.Args[i]))
			return
		}
	}
	if auth {
		if !s.checkPassword(user, pass) {
			s.aclLog(cl, "auth", "toplevel", string(c.Args[0]), user)
			c.Error("WRONGPASS invalid username-password pair or user is disabled.")
			return
		}
		cl.setAuthed(true, user)
	}
	if !cl.authed {
		c.Error("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time")
		return
	}
	if setname {
		if !validClientName(name) {
			c.Error("ERR Client names cannot contain spaces, newlines or special characters.")
			return
		}
		cl.mu.Lock()
		cl.name = name
		cl.mu.Unlock()
	}
	c.W.SetProto(proto)
	w := c.W
	w.MapLen(7)
	w.BulkString("server")
	w.BulkString("redis")
	w.BulkString("version")
	w.BulkString(RedisVersion)
	w.BulkString("proto")
	w.Int(int64(proto))
	w.BulkString("id")
	w.Int(cl.id)
	w.BulkString("mode")
	w.BulkString("standalone")
	w.BulkString("role")
	w.BulkString("master")
	w.BulkString("modules")
	w.ArrayLen(0)
}

func validClientName(name string) bool {
	for i := 0; i < len(name); i++ {
		if name[i] < '!' || name[i] > '~' {
			return false
		}
	}
	return true
}

func cmdReset(c *commands.Ctx) {
	cl := cli(c)
	cl.discardMulti()
	cl.unwatchAll()
	cl.mu.Lock()
	cl.db = 0
	cl.name = ""
	cl.replyMode = replyOn
	cl.skipNext = false
	cl.mu.Unlock()
	c.W.SetProto(2)
	if !srv(c).defaultOpen() {
		cl.setAuthed(false, "default")
	} else {
		cl.setAuthed(true, "default")
	}
	c.W.Simple("RESET")
}

var _ = strconv.Itoa
