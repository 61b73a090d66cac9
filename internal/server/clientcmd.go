package server

import (
	"net"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/lightconedb/lightcone/internal/commands"
)

// CLIENT ID/SETNAME/GETNAME/LIST/INFO/KILL/REPLY/NO-EVICT/NO-TOUCH/HELP.
//
// Other files may add CLIENT subcommands (PAUSE, TRACKING, UNBLOCK, ...) by
// appending them to moreClientSubs in an init function, with help lines in
// moreClientHelp; registerClient builds the container from all of them.

func init() { serverFamilies = append(serverFamilies, registerClient) }

var (
	moreClientSubs []*commands.Command
	moreClientHelp []string
)

// Buffer sizes CLIENT LIST reports: the reader's initial query buffer and
// the writer's reply buffer (see newClient).
const (
	queryBufSize = 16 * 1024
	replyBufSize = 16 * 1024
	clientStruct = 1024 // rough fixed cost of a connection beyond its buffers
)

func registerClient(s *Server, t *commands.Table) {
	conn := []string{"noscript", "loading", "stale"}
	admin := []string{"admin", "noscript", "loading", "stale"}
	connCats := []string{"slow", "connection"}
	adminCats := []string{"admin", "slow", "dangerous", "connection"}
	sub := func(name string, arity int, flags, cats []string, since, complexity, syntax, summary string, h commands.Handler) *commands.Command {
		return &commands.Command{Name: name, Arity: arity, Flags: flags, Categories: cats, Since: since,
			Group: "connection", Complexity: complexity, Syntax: syntax, Summary: summary, Handler: h}
	}
	subs := map[string]*commands.Command{
		"id": sub("id", 2, conn, connCats, "5.0.0", "O(1)", "",
			"Returns the unique client ID of the connection.", func(c *commands.Ctx) { c.W.Int(c.Client.ID()) }),
		"setname": sub("setname", 3, conn, connCats, "2.6.9", "O(1)", "connection-name",
			"Sets the connection name.", cmdClientSetName),
		"getname": sub("getname", 2, conn, connCats, "2.6.9", "O(1)", "",
			"Returns the name of the connection.", cmdClientGetName),
		"list": sub("list", -2, admin, adminCats, "2.4.0", "O(N) where N is the number of client connections",
			"[TYPE <NORMAL | MASTER | REPLICA | PUBSUB>] [ID client-id [client-id ...]]",
			"Lists open connections.", cmdClientList),
		"info": sub("info", 2, conn, connCats, "6.2.0", "O(1)", "",
			"Returns information about the connection.", cmdClientInfo),
		"kill": sub("kill", -3, admin, adminCats, "2.4.0", "O(N) where N is the number of client connections",
			"<ip:port | [ID client-id] [TYPE <NORMAL | MASTER | SLAVE | REPLICA | PUBSUB>] [USER username] [ADDR ip:port] [LADDR ip:port] [SKIPME <YES | NO>]>",
			"Terminates open connections.", cmdClientKill),
		"reply": sub("reply", 3, conn, connCats, "3.2.0", "O(1)", "<ON | OFF | SKIP>",
			"Instructs the server whether to reply to commands.", cmdClientReply),
		"no-evict": sub("no-evict", 3, admin, adminCats, "7.0.0", "O(1)", "<ON | OFF>",
			"Sets the client eviction mode of the connection.", func(c *commands.Ctx) {
				clientOnOff(c, func(cl *client, on bool) { cl.noEvict = on })
			}),
		"no-touch": sub("no-touch", 3, conn, connCats, "7.2.0", "O(1)", "<ON | OFF>",
			"Controls whether commands sent by the client affect the LRU/LFU of accessed keys.", func(c *commands.Ctx) {
				clientOnOff(c, func(cl *client, on bool) { cl.noTouch = on })
			}),
		"help": sub("help", 2, []string{"loading", "stale"}, connCats, "5.0.0", "O(1)", "",
			"Returns helpful text about the different subcommands.", cmdClientHelp),
	}
	for _, m := range moreClientSubs {
		name := m.Name
		if i := strings.LastIndexByte(name, '|'); i >= 0 {
			name = name[i+1:] // already registered by an earlier server
		}
		subs[name] = m
	}
	t.Register(&commands.Command{
		Name: "client", Arity: -2, Categories: []string{"slow"},
		Summary: "A container for client connection commands.", Since: "2.4.0", Group: "connection",
		Complexity: "Depends on subcommand.", Subs: subs,
		Handler: func(c *commands.Ctx) { c.WrongArgs() },
	})
}

func cmdClientHelp(c *commands.Ctx) {
	lines := []string{
		"GETNAME",
		"    Return the name of the current connection.",
		"ID",
		"    Return the ID of the current connection.",
		"INFO",
		"    Return information about the current client connection.",
		"KILL <ip:port>",
		"    Kill connection made from <ip:port>.",
		"KILL <option> <value> [<option> <value> [...]]",
		"    Kill connections. Options are:",
		"    * ADDR (<ip:port>|<unixsocket>:0)",
		"      Kill connections made from the specified address",
		"    * LADDR (<ip:port>|<unixsocket>:0)",
		"      Kill connections made to specified local address",
		"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
		"      Kill connections by type.",
		"    * USER <username>",
		"      Kill connections authenticated by <username>.",
		"    * SKIPME (YES|NO)",
		"      Skip killing current connection (default: yes).",
		"LIST [options ...]",
		"    Return information about client connections. Options:",
		"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
		"      Return clients of specified type.",
		"REPLY (ON|OFF|SKIP)",
		"    Control the replies sent to the current connection.",
		"SETNAME <name>",
		"    Assign the name <name> to the current connection.",
		"NO-EVICT (ON|OFF)",
		"    Protect current client connection from eviction.",
		"NO-TOUCH (ON|OFF)",
		"    Will not touch LRU/LFU stats when this mode is on.",
	}
	writeHelp(c, "CLIENT", append(lines, moreClientHelp...)...)
}

func cmdClientSetName(c *commands.Ctx) {
	name := string(c.Args[2])
	if !validClientName(name) {
		c.Error("ERR Client names cannot contain spaces, newlines or special characters.")
		return
	}
	cl := cli(c)
	cl.mu.Lock()
	cl.name = name
	cl.mu.Unlock()
	c.OK()
}

func cmdClientGetName(c *commands.Ctx) {
	cl := cli(c)
	cl.mu.Lock()
	name := cl.name
	cl.mu.Unlock()
	if name == "" {
		c.W.Null()
		return
	}
	c.W.BulkString(name)
}

func cmdClientReply(c *commands.Ctx) {
	cl := cli(c)
	switch {
	case c.Is(2, "on"):
		cl.replyMode = replyOn
		cl.skipNext = false
		c.OK()
	case c.Is(2, "off"):
		cl.replyMode = replyOff
	case c.Is(2, "skip"):
		if cl.replyMode == replyOn {
			cl.replyMode = replySkip
		}
	default:
		c.Syntax()
	}
}

func clientOnOff(c *commands.Ctx, set func(cl *client, on bool)) {
	var on bool
	switch {
	case c.Is(2, "on"):
		on = true
	case c.Is(2, "off"):
	default:
		c.Syntax()
		return
	}
	cl := cli(c)
	cl.mu.Lock()
	set(cl, on)
	cl.mu.Unlock()
	c.OK()
}

// clientType is the client's kind for CLIENT LIST/KILL TYPE: "normal",
// "pubsub" (subscribed), "master" or "replica" (replication links).
func (c *client) clientType() string {
	if c.push.Load().subscribed() {
		return "pubsub"
	}
	return "normal"
}

// parseClientType maps a TYPE argument to clientType's names.
func parseClientType(b []byte) (string, bool) {
	switch strings.ToLower(string(b)) {
	case "normal":
		return "normal", true
	case "slave", "replica":
		return "replica", true
	case "pubsub":
		return "pubsub", true
	case "master":
		return "master", true
	}
	return "", false
}

func cmdClientInfo(c *commands.Ctx) {
	c.W.Verbatim("txt", cli(c).infoLine(c)+"\n")
}

func cmdClientList(c *commands.Ctx) {
	s := srv(c)
	var list []*client
	switch {
	case len(c.Args) == 2:
		list = s.clientList()
	case len(c.Args) == 4 && c.Is(2, "type"):
		typ, ok := parseClientType(c.Args[3])
		if !ok {
			c.Errorf("ERR Unknown client type '%s'", c.Args[3])
			return
		}
		for _, cl := range s.clientList() {
			if cl.clientType() == typ {
				list = append(list, cl)
			}
		}
	case len(c.Args) > 3 && c.Is(2, "id"):
		ids := make([]int64, 0, len(c.Args)-3)
		for _, a := range c.Args[3:] {
			id, ok := commands.ParseInt(a)
			if !ok {
				c.Error("ERR Invalid client ID")
				return
			}
			ids = append(ids, id)
		}
		s.mu.Lock()
		for _, id := range ids {
			if cl := s.clients[id]; cl != nil {
				list = append(list, cl)
			}
		}
		s.mu.Unlock()
	default:
		c.Syntax()
		return
	}
	var b strings.Builder
	for _, cl := range list {
		if cl.killed.Load() {
			continue // closing: gone for Redis already
		}
		b.WriteString(cl.infoLine(c))
		b.WriteByte('\n')
	}
	c.W.Verbatim("txt", b.String())
}

// infoLine is the client's CLIENT LIST / CLIENT INFO line, with Redis 7.0's
// fields in Redis' order. c is the command running; when it is this
// client's own, the line reflects that command (cmd, qbuf, argv-mem).
func (cl *client) infoLine(c *commands.Ctx) string {
	self := c.Client == commands.Client(cl)
	now := time.Now()
	cl.mu.Lock()
	name, db, user, lastCmd, proto := cl.name, cl.db, cl.user, cl.lastCmd, cl.proto
	noEvict, noTouch := cl.noEvict, cl.noTouch
	cl.mu.Unlock()
	qbuf, argvMem := 0, 0
	if self {
		lastCmd = c.Cmd.Name
		proto = c.W.Proto()
		for _, a := range c.Args {
			argvMem += len(a)
			qbuf += len(a) + 3 + len(strconv.Itoa(len(a))) + 2
		}
		qbuf += 1 + len(strconv.Itoa(len(c.Args))) + 2 + cl.r.Buffered()
	}
	if proto == 0 {
		proto = 2
	}
	if lastCmd == "" {
		lastCmd = "NULL" // no command yet
	}
	qfree := max(queryBufSize-qbuf, 0)
	rbp := 0
	if self {
		rbp = replyBufSize
	}
	ps := cl.push.Load()
	trFlags, redir := cl.s.tracking.listFlags(ps)
	flags := ""
	if ps != nil && ps.monitor.Load() {
		flags += "O"
	}
	if ps.subscribed() {
		flags += "P"
	}
	if cl.isBlocked() {
		flags += "b"
	}
	flags += trFlags
	if cl.unix {
		flags += "U"
	}
	if noEvict {
		flags += "e"
	}
	if noTouch {
		flags += "T"
	}

	if flags == "" {
		flags = "N"
	}
	laddr := cl.laddr
	if cl.unix {
		laddr += ":0"
	}
	idle := now.Sub(time.Unix(0, cl.lastInteraction.Load()))
	if self {
		idle = 0
	}
	totMem := qbuf + qfree + argvMem + replyBufSize + clientStruct
	var b strings.Builder
	b.Grow(320)
	field := func(k, v string) {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(v)
	}
	num := func(k string, v int64) { field(k, strconv.FormatInt(v, 10)) }
	num("id", cl.id)
	field("addr", cl.addr)
	field("laddr", laddr)
	fd := cl.fd
	if fd < 0 {
		fd = connFD(cl.conn)
	}
	num("fd", int64(fd))
	field("name", name)
	num("age", int64(now.Sub(cl.created)/time.Second))
	num("idle", int64(idle/time.Second))
	field("flags", flags)
	num("db", int64(db))
	var nsub, npsub, nssub int32
	if ps != nil {
		nsub, npsub, nssub = ps.nsub.Load(), ps.npsub.Load(), ps.nssub.Load()
	}
	num("sub", int64(nsub))
	num("psub", int64(npsub))
	num("ssub", int64(nssub))
	num("multi", -1)
	num("qbuf", int64(qbuf))
	num("qbuf-free", int64(qfree))
	num("argv-mem", int64(argvMem))
	num("multi-mem", 0)
	num("rbs", replyBufSize)
	num("rbp", int64(rbp))
	num("obl", 0)
	num("oll", 0)
	num("omem", 0)
	num("tot-mem", int64(totMem))
	field("events", "r")
	field("cmd", lastCmd)
	field("user", user)
	num("redir", redir)
	num("resp", int64(proto))
	return b.String()
}

// connFD returns the connection's file descriptor, or -1.
func connFD(conn net.Conn) int {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return -1
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return -1
	}
	fd := -1
	if raw.Control(func(f uintptr) { fd = int(f) }) != nil {
		return -1
	}
	return fd
}

// userExists reports whether an ACL user exists (only "default" until ACLs
// arrive).
func (s *Server) userExists(name string) bool { return name == "default" }

func cmdClientKill(c *commands.Ctx) {
	s := srv(c)
	me := cli(c)
	if len(c.Args) == 3 {
		// old form: CLIENT KILL addr
		addr := string(c.Args[2])
		for _, cl := range s.clientList() {
			if cl.addr == addr && !cl.killed.Load() {
				c.OK()
				killClient(me, cl)
				awaitKilled(s, me, []*client{cl})
				return
			}
		}
		c.Error("ERR No such client")
		return
	}
	if len(c.Args)%2 != 0 {
		c.Syntax()
		return
	}
	var (
		id               int64
		typ, addr, laddr string
		user             string
		haveUser, skipMe = false, true
		haveType, haveID bool
	)
	for i := 2; i < len(c.Args); i += 2 {
		val := c.Args[i+1]
		switch {
		case c.Is(i, "id"):
			n, ok := commands.ParseInt(val)
			if !ok || n <= 0 {
				c.Error("ERR client-id should be greater than 0")
				return
			}
			id, haveID = n, true
		case c.Is(i, "type"):
			t, ok := parseClientType(val)
			if !ok {
				c.Errorf("ERR Unknown client type '%s'", val)
				return
			}
			typ, haveType = t, true
		case c.Is(i, "addr"):
			addr = string(val)
		case c.Is(i, "laddr"):
			laddr = string(val)
		case c.Is(i, "user"):
			user = string(val)
			if !s.userExists(user) {
				c.Errorf("ERR No such user '%s'", val)
				return
			}
			haveUser = true
		case c.Is(i, "skipme"):
			switch {
			case commands.EqualFold(val, "yes"):
				skipMe = true
			case commands.EqualFold(val, "no"):
				skipMe = false
			default:
				c.Syntax()
				return
			}
		default:
			c.Syntax()
			return
		}
	}
	var victims []*client
	for _, cl := range s.clientList() {
		cl.mu.Lock()
		clUser := cl.user
		cl.mu.Unlock()
		laddrOf := cl.laddr
		if cl.unix {
			laddrOf += ":0"
		}
		switch {
		case cl.killed.Load(),
			haveID && cl.id != id,
			haveType && cl.clientType() != typ,
			addr != "" && cl.addr != addr,
			laddr != "" && laddrOf != laddr,
			haveUser && clUser != user,
			skipMe && cl == me:
			continue
		}
		victims = append(victims, cl)
	}
	c.W.Int(int64(len(victims)))
	for _, v := range victims {
		killClient(me, v)
	}
	awaitKilled(s, me, victims)
}

// awaitKilled waits, briefly, until the clients killed on other event loops
// (or goroutines) are gone: Redis frees a killed client at once, so a
// command after CLIENT KILL must not see its subscriptions or its entry in
// CLIENT LIST. A client of the caller's own loop closes when the caller's
// batch is done, before any later command of another client runs.
func awaitKilled(s *Server, me *client, victims []*client) {
	deadline := time.Now().Add(100 * time.Millisecond)
	for _, v := range victims {
		if v == me || (v.loop != nil && v.loop == me.loop) {
			continue
		}
		for i := 0; !s.gone(v); i++ {
			if time.Now().After(deadline) {
				return // its loop is busy (a script waiting for the gate): go on
			}
			if i < 200 {
				runtime.Gosched()
			} else {
				time.Sleep(50 * time.Microsecond)
			}
		}
	}
}

// gone reports whether c has left the server's client list (closed).
func (s *Server) gone(c *client) bool {
	s.mu.Lock()
	_, ok := s.clients[c.id]
	s.mu.Unlock()
	return !ok
}

// killClient closes victim's connection; the client running the command is
// closed after its reply instead.
func killClient(me, victim *client) {
	if victim == me {
		me.closeAfterReply = true
		return
	}
	victim.kill()
}
