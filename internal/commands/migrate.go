package commands

import (
	"bufio"
	"bytes"
	"errors"
	"net"
	"strconv"
	"time"

	"github.com/lightconedb/lightcone/internal/resp"
)

// MIGRATE and RESTORE-ASKING.
//
// MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE]
// [AUTH password] [AUTH2 username password] [KEYS key [key ...]] sends the
// keys' DUMP payloads to the target as Redis does — AUTH, SELECT, then one
// RESTORE key ttl payload [REPLACE] per key, pipelined on a new connection —
// reads the replies and, without COPY, deletes the keys the target
// accepted. Any Redis-compatible server (redis-server, another Lightcone)
// can be the target.
//
// Unlike Redis, the source does not hold its keys while it waits for the
// target: it reads them in one transaction, talks to the target with no
// lock held, then deletes in another one each accepted key that is still
// what was sent (same DUMP payload and expiry). A key written meanwhile
// stays here (the target has the value from before the write).
//
// RESTORE-ASKING is RESTORE (the ASKING flag only matters in a Redis
// Cluster).

func init() { families = append(families, registerMigrate) }

func registerMigrate(t *Table) {
	t.Register(
		&Command{Name: "migrate", Arity: -6, Flags: []string{"write", "movablekeys"}, FirstKey: 3, LastKey: 3, Step: 1,
			Keys: migrateKeys, Categories: []string{"keyspace", "write", "slow", "dangerous"},
			Summary: "Atomically transfer a key from a Redis instance to another one.", Since: "2.6.0", Group: "generic",
			Complexity: "This command actually executes a DUMP+DEL in the source instance, and a RESTORE in the target instance. See the pages of these commands for time complexity. Also an O(N) data transfer between the two instances is performed.",
			Syntax:     "host port key destination-db timeout [COPY] [REPLACE] [AUTH password] [AUTH2 username password] [KEYS key [key ...]]",
			Handler:    cmdMigrate},
		&Command{Name: "restore-asking", Arity: -4, Flags: []string{"write", "denyoom", "asking"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: []string{"keyspace", "write", "slow", "dangerous"},
			Summary:    "An internal command for migrating keys in a cluster", Since: "3.0.0", Group: "server",
			Complexity: "O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1). However for sorted set values the complexity is O(N*M*log(N)) because inserting values into sorted sets is O(log(N)).",
			Syntax:     "key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]",
			Handler:    cmdRestore},
	)
}

// migrateKeys finds MIGRATE's keys as Redis 7.0's COMMAND GETKEYS does:
// from its key specs (the key argument) unless a KEYS keyword appears where
// the incomplete second spec looks for it (from the next-to-last argument
// backwards); then by scanning the options: the keys after KEYS when the key
// argument is empty, none (a syntax error) when it is not.
func migrateKeys(args [][]byte) []int {
	if len(args) < 4 {
		return nil
	}
	found := false
	for i := len(args) - 2; i >= 1; i-- {
		if EqualFold(args[i], "keys") {
			found = true
			break
		}
	}
	if !found {
		return []int{3}
	}
	first, num := 3, 1
	if len(args) > 6 {
	scan:
		for i := 6; i < len(args); i++ {
			switch {
			case EqualFold(args[i], "keys"):
				if len(args[3]) > 0 {
					num = 0
				} else {
					first, num = i+1, len(args)-i-1
				}
				break scan
			case EqualFold(args[i], "auth"):
				i++
			case EqualFold(args[i], "auth2"):
				i += 2
			}
		}
	}
	out := make([]int, num)
	for i := range out {
		out[i] = first + i
	}
	return out
}

const (
	errMigrateConnect = "IOERR error or timeout connecting to the client"
	errMigrateWrite   = "IOERR error or timeout writing to target instance"
	errMigrateRead    = "IOERR error or timeout reading to target instance"
)

func cmdMigrate(c *Ctx) {
	var copyKeys, replace bool
	var user, pass []byte
	keys := c.Args[3:4]
	for j := 6; j < len(c.Args); j++ {
		more := len(c.Args) - j - 1
		switch {
		case c.Is(j, "copy"):
			copyKeys = true
		case c.Is(j, "replace"):
			replace = true
		case c.Is(j, "auth"):
			if more < 1 {
				c.Syntax()
				return
			}
			user, pass = nil, c.Args[j+1]
			j++
		case c.Is(j, "auth2"):
			if more < 2 {
				c.Syntax()
				return
			}
			user, pass = c.Args[j+1], c.Args[j+2]
			j += 2
		case c.Is(j, "keys"):
			if len(c.Args[3]) != 0 {
				c.Error("ERR When using MIGRATE KEYS option, the key argument must be set to the empty string")
				return
			}
			keys = c.Args[j+1:]
			j = len(c.Args)
		default:
			c.Syntax()
			return
		}
	}
	timeout, ok := c.IntArg(5)
	if !ok {
		return
	}
	dbid, ok := c.IntArg(4)
	if !ok {
		return
	}
	if timeout <= 0 {
		timeout = 1000
	}

	// the keys that exist, with their payloads and TTLs
	type moving struct {
		key      []byte
		payload  []byte
		expireAt int64
	}
	var items []moving
	var now int64
	if len(keys) > 0 {
		tx := c.Eng.Begin(c.DB, keys...)
		now = tx.Now
		for _, k := range keys {
			ent := tx.Read(c.DB, k)
			if ent == nil {
				continue
			}
			p := dumpEntry(ent)
			if p == nil {
				tx.End()
				c.Error(errKindNotCopyable)
				return
			}
			items = append(items, moving{key: k, payload: p, expireAt: ent.Expire})
		}
		tx.End()
	}
	if len(items) == 0 {
		c.W.Simple("NOKEY")
		return
	}

	// the request: AUTH, SELECT, then one RESTORE per key
	var req []byte
	if pass != nil {
		if user != nil {
			req = appendCommand(req, []byte("AUTH"), user, pass)
		} else {
			req = appendCommand(req, []byte("AUTH"), pass)
		}
	}
	req = appendCommand(req, []byte("SELECT"), strconv.AppendInt(nil, dbid, 10))
	for _, it := range items {
		ttl := int64(0)
		if it.expireAt != 0 {
			ttl = max(it.expireAt-now, 1)
		}
		args := [][]byte{[]byte("RESTORE"), it.key, strconv.AppendInt(nil, ttl, 10), it.payload}
		if replace {
			args = append(args, []byte("REPLACE"))
		}
		req = appendCommand(req, args...)
	}
	accepted, errMsg := migrateSend(c.Arg(1), c.Arg(2), time.Duration(timeout)*time.Millisecond, req, pass != nil, len(items))

	// without COPY, the keys the target took leave, if still as sent
	if !copyKeys && len(accepted) > 0 {
		moved := make([][]byte, 0, len(accepted))
		for _, i := range accepted {
			moved = append(moved, items[i].key)
		}
		tx := c.Eng.Begin(c.DB, moved...)
		for _, i := range accepted {
			it := items[i]
			ent := tx.Peek(c.DB, it.key)
			if ent != nil && ent.Expire == it.expireAt && bytes.Equal(dumpEntry(ent), it.payload) {
				tx.Delete(c.DB, it.key)
			}
		}
		tx.End()
	}
	if errMsg != "" {
		c.Error(errMsg)
		return
	}
	c.OK()
}

// migrateSend sends req to host:port and reads the replies: AUTH's (when
// auth), SELECT's and n RESTOREs'. It returns the indexes of the RESTOREs
// the target accepted and the error to reply ("" for +OK).
func migrateSend(host, portArg string, timeout time.Duration, req []byte, auth bool, n int) (accepted []int, errMsg string) {
	port := atoi(portArg)
	if port <= 0 || port > 65535 {
		return nil, errMigrateWrite // Redis connects to port 0: refused
	}
	conn, err := net.DialTimeout("tcp", net.JoinHostPort(host, strconv.Itoa(port)), timeout)
	if err != nil {
		var ne net.Error
		var dnsErr *net.DNSError
		if errors.As(err, &dnsErr) || errors.As(err, &ne) && ne.Timeout() {
			return nil, errMigrateConnect
		}
		return nil, errMigrateWrite // refused: Redis finds out when it writes
	}
	defer conn.Close()
	conn.SetWriteDeadline(time.Now().Add(timeout))
	if _, err := conn.Write(req); err != nil {
		return nil, errMigrateWrite
	}
	rd := resp.NewReader(bufio.NewReader(conn), 64<<10)
	read := func() (resp.Value, bool) {
		conn.SetReadDeadline(time.Now().Add(timeout))
		v, err := rd.ReadValue()
		return v, err == nil
	}
	var authErr, selectErr string
	if auth {
		v, ok := read()
		if !ok {
			return nil, errMigrateRead
		}
		if v.Kind == resp.KindError {
			authErr = string(v.Str)
		}
	}
	v, ok := read()
	if !ok {
		return nil, errMigrateRead
	}
	if v.Kind == resp.KindError {
		selectErr = string(v.Str)
	}
	for i := 0; i < n; i++ {
		v, ok := read()
		if !ok {
			if errMsg == "" {
				errMsg = errMigrateRead
			}
			return accepted, errMsg
		}
		switch {
		case authErr != "" || selectErr != "":
			if errMsg == "" {
				e := authErr
				if e == "" {
					e = selectErr
				}
				errMsg = "ERR Target instance replied with error: " + e
			}
		case v.Kind == resp.KindError:
			if errMsg == "" {
				errMsg = "ERR Target instance replied with error: " + string(v.Str)
			}
		default:
			accepted = append(accepted, i)
		}
	}
	return accepted, errMsg
}

// appendCommand appends a command in RESP.
func appendCommand(b []byte, args ...[]byte) []byte {
	b = append(b, '*')
	b = strconv.AppendInt(b, int64(len(args)), 10)
	b = append(b, '\r', '\n')
	for _, a := range args {
		b = append(b, '$')
		b = strconv.AppendInt(b, int64(len(a)), 10)
		b = append(b, '\r', '\n')
		b = append(b, a...)
		b = append(b, '\r', '\n')
	}
	return b
}

// atoi is C's atoi: optional blanks and sign, then digits up to the first
// other byte; 0 when there are none.
func atoi(s string) int {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] >= '\t' && s[i] <= '\r') {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	n := 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9' && n < 1<<31; i++ {
		n = n*10 + int(s[i]-'0')
	}
	if neg {
		return -n
	}
	return n
}
