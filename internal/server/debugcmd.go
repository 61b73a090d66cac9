package server

import (
	"encoding/hex"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/lightconedb/lightcone/internal/commands"
)

// DEBUG (DIGEST, DIGEST-VALUE, SLEEP, SET-ACTIVE-EXPIRE, ERROR, LOG,
// PROTOCOL, HELP) and SHUTDOWN.
//
// DEBUG is one command with arity -2 that parses its own subcommand, as in
// Redis (COMMAND INFO lists no subcommands; a bad subcommand or count gets
// "unknown subcommand or wrong number of arguments"). It is allowed
// according to enable-debug-command (default local: loopback and Unix
// socket clients).

func init() { serverFamilies = append(serverFamilies, registerDebug) }

func registerDebug(s *Server, t *commands.Table) {
	t.Register(
		&commands.Command{Name: "debug", Arity: -2, Flags: []string{"admin", "noscript", "loading", "stale"},
			Categories: []string{"admin", "slow", "dangerous"},
			Summary:    "A container for debugging commands.", Since: "1.0.0", Group: "server",
			Complexity: "Depends on subcommand.", Handler: cmdDebug},
		&commands.Command{Name: "shutdown", Arity: -1,
			Flags:      []string{"admin", "noscript", "loading", "stale", "no_multi", "allow_busy"},
			Categories: []string{"admin", "slow", "dangerous"},
			Summary:    "Synchronously saves the database(s) to disk and shuts down the Redis server.", Since: "1.0.0",
			Group: "server", Complexity: "O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)",
			Syntax: "[NOSAVE | SAVE] [NOW] [FORCE] [ABORT]", Handler: cmdShutdown},
	)
}

const debugNotAllowed = `ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.`

func cmdDebug(c *commands.Ctx) {
	s := srv(c)
	switch s.Settings.Get("enable-debug-command") {
	case "yes":
	case "local":
		if !isLocalConn(cli(c)) {
			c.Error(debugNotAllowed)
			return
		}
	default:
		c.Error(debugNotAllowed)
		return
	}
	n := len(c.Args)
	switch {
	case c.Is(1, "help") && n == 2:
		writeHelp(c, "DEBUG",
			"DIGEST",
			"    Output a hex signature representing the current DB content.",
			"DIGEST-VALUE <key> [<key> ...]",
			"    Output a hex signature of the values of all the specified keys.",
			"ERROR <string>",
			"    Return a Redis protocol error with <string> as message. Useful for clients",
			"    unit tests to simulate Redis errors.",
			"LOG <message>",
			"    Write <message> to the server log.",
			"PROTOCOL <type>",
			"    Reply with a test value of the specified type. <type> can be: string,",
			"    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
			"    true, false.",
			"SET-ACTIVE-EXPIRE <0|1>",
			"    Setting it to 0 disables expiring keys in background when they are not",
			"    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
			"    default.",
			"SLEEP <seconds>",
			"    Stop the server for <seconds>. Decimals allowed.")
	case c.Is(1, "digest") && n == 2:
		d := c.Eng.Digest()
		c.W.Simple(hex.EncodeToString(d[:])) // a status reply, as Redis

	case c.Is(1, "digest-value") && n >= 2:
		c.W.ArrayLen(n - 2)
		for _, key := range c.Args[2:] {
			d, _ := c.Eng.KeyDigest(c.DB, key) // zeros for a missing key
			c.W.Simple(hex.EncodeToString(d[:]))
		}
	case c.Is(1, "sleep") && n == 3:
		// Redis sleeps the whole server; here only this connection waits.
		if secs := strtod(string(c.Args[2])); secs > 0 {
			time.Sleep(time.Duration(secs * float64(time.Second)))
		}
		c.OK()
	case c.Is(1, "set-active-expire") && n == 3:
		s.admin.noActiveExpire.Store(atoi(string(c.Args[2])) == 0)
		c.OK()
	case c.Is(1, "error") && n == 3:
		c.Error(string(c.Args[2]))
	case c.Is(1, "log") && n == 3:
		s.Log.Warn("DEBUG LOG: " + string(c.Args[2]))
		c.OK()
	case c.Is(1, "protocol") && n == 3:
		debugProtocol(c)
	default:
		c.Errorf("ERR unknown subcommand or wrong number of arguments for '%s'. Try DEBUG HELP.", c.Args[1])
	}
}

func debugProtocol(c *commands.Ctx) {
	w := c.W
	switch strings.ToLower(string(c.Args[2])) {
	case "string":
		w.BulkString("Hello World")
	case "integer":
		w.Int(12345)
	case "double":
		w.Double(3.141)
	case "bignum":
		w.BigNumber("1234567999999999999999999999999999999")
	case "null":
		w.Null()
	case "array":
		w.ArrayLen(3)
		for i := range 3 {
			w.Int(int64(i))
		}
	case "set":
		w.SetLen(3)
		for i := range 3 {
			w.Int(int64(i))
		}
	case "map":
		w.MapLen(3)
		for i := range 3 {
			w.Int(int64(i))
			w.Bool(i == 1)
		}
	case "attrib":
		if w.Proto() == 3 {
			w.AttrLen(1)
			w.BulkString("key-popularity")
			w.ArrayLen(2)
			w.BulkString("key:123")
			w.Int(90)
		}
		w.BulkString("Some real reply following the attribute")
	case "push":
		if w.Proto() != 3 {
			c.Error("ERR RESP2 is not supported by this command")
			return
		}
		w.PushLen(2)
		w.BulkString("server-cpu-usage")
		w.Int(42)
		w.BulkString("Some real reply following the push reply")
	case "true":
		w.Bool(true)
	case "false":
		w.Bool(false)
	case "verbatim":
		w.Verbatim("txt", "This is a verbatim\nstring")
	default:
		c.Error("ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false")
	}
}

// strtod parses the longest numeric prefix of s like C's strtod (0 when
// there is none).
func strtod(s string) float64 {
	s = strings.TrimLeft(s, " \t\n\r\v\f")
	for end := len(s); end > 0; end-- {
		if f, err := strconv.ParseFloat(s[:end], 64); err == nil || isRangeErr(err) {
			if math.IsNaN(f) {
				return 0
			}
			return f
		}
	}
	return 0
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// atoi parses an optional sign and leading digits like C's atoi.
func atoi(s string) int64 {
	s = strings.TrimLeft(s, " \t\n\r\v\f")
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	var n int64
	for i := 0; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		n = n*10 + int64(s[i]-'0')
	}
	if neg {
		n = -n
	}
	return n
}

func cmdShutdown(c *commands.Ctx) {
	var nosave, save, now, force, abort bool
	for _, a := range c.Args[1:] {
		switch {
		case commands.EqualFold(a, "nosave"):
			nosave = true
		case commands.EqualFold(a, "save"):
			save = true
		case commands.EqualFold(a, "now"):
			now = true
		case commands.EqualFold(a, "force"):
			force = true
		case commands.EqualFold(a, "abort"):
			abort = true
		default:
			c.Syntax()
			return
		}
	}
	if (nosave && save) || (abort && (nosave || save || now || force)) {
		c.Syntax()
		return
	}
	if abort {
		c.Error("ERR No shutdown in progress.")
		return
	}
	s := srv(c)
	s.Log.Warn("User requested shutdown...", "client", cli(c).addr)
	// No reply: the connection closes, as with Redis.
	go s.Shutdown()
}
