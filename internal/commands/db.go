package commands

import (
	"strconv"
	"time"

	"github.com/lightconedb/lightcone/internal/notify"
)

// Database-wide commands: DBSIZE, FLUSHDB, FLUSHALL, SWAPDB, TIME.

func init() { families = append(families, registerDB) }

func registerDB(t *Table) {
	t.Register(
		&Command{Name: "dbsize", Arity: 1, Flags: []string{"readonly", "fast"},
			Categories: []string{"keyspace", "read", "fast"},
			Summary:    "Return the number of keys in the selected database", Since: "1.0.0", Group: "server", Complexity: "O(1)",
			Handler: cmdDBSize},
		&Command{Name: "flushdb", Arity: -1, Flags: []string{"write"},
			Categories: []string{"keyspace", "write", "slow", "dangerous"},
			Summary:    "Remove all keys from the current database", Since: "1.0.0", Group: "server",
			Complexity: "O(N) where N is the number of keys in the selected database", Syntax: "[ASYNC | SYNC]",
			Handler: func(c *Ctx) { cmdFlush(c, false) }},
		&Command{Name: "flushall", Arity: -1, Flags: []string{"write"},
			Categories: []string{"keyspace", "write", "slow", "dangerous"},
			Summary:    "Remove all keys from all databases", Since: "1.0.0", Group: "server",
			Complexity: "O(N) where N is the total number of keys in all databases", Syntax: "[ASYNC | SYNC]",
			Handler: func(c *Ctx) { cmdFlush(c, true) }},
		&Command{Name: "swapdb", Arity: 3, Flags: []string{"write", "fast"},
			Categories: []string{"keyspace", "write", "fast", "dangerous"},
			Summary:    "Swaps two Redis databases", Since: "4.0.0", Group: "server",
			Complexity: "O(N) where N is the count of clients watching or blocking on keys from both databases.", Syntax: "index1 index2",
			Handler: cmdSwapDB},
		&Command{Name: "time", Arity: 1, Flags: []string{"loading", "stale", "fast"},
			Categories: []string{"fast"},
			Summary:    "Return the current server time", Since: "2.6.0", Group: "server", Complexity: "O(1)",
			Handler: cmdTime},
	)
}

func cmdDBSize(c *Ctx) { c.W.Int(int64(c.Eng.DBSize(c.DB))) }

// cmdFlush is FLUSHDB / FLUSHALL [ASYNC | SYNC]. Both modes free the data at
// once: the keyspace drops its tables whole, which is already cheap.
func cmdFlush(c *Ctx, all bool) {
	if len(c.Args) > 2 || (len(c.Args) == 2 && !c.Is(1, "async") && !c.Is(1, "sync")) {
		c.Syntax()
		return
	}
	if all {
		tx := c.Eng.BeginAll()
		for db := 0; db < c.Eng.Databases(); db++ {
			if db > 0 {
				tx.Event = notify.None // tracking clients are told once per FLUSHALL
			}
			tx.FlushDB(db)
		}
		tx.End()
	} else {
		tx := c.Eng.BeginDBs(c.DB)
		tx.FlushDB(c.DB)
		tx.End()
	}
	c.OK()
}

// parseDBIndexArg parses a database number like Redis' getIntFromObject:
// not an integer -> ErrNotInt, outside int32 -> the range error; then it
// must name an existing database.
func parseDBIndexArg(c *Ctx, b []byte) (int, bool) {
	v, ok := ParseInt(b)
	if !ok {
		c.Error(ErrNotInt)
		return 0, false
	}
	if v < -1<<31 || v > 1<<31-1 {
		c.Error("ERR value is out of range, value must between -2147483648 and 2147483647")
		return 0, false
	}
	if v < 0 || v >= int64(c.Eng.Databases()) {
		c.Error(ErrDBIndex)
		return 0, false
	}
	return int(v), true
}

func cmdSwapDB(c *Ctx) {
	a, ok := ParseInt(c.Args[1])
	if !ok || a < -1<<31 || a > 1<<31-1 {
		c.Error("ERR invalid first DB index")
		return
	}
	b, ok := ParseInt(c.Args[2])
	if !ok || b < -1<<31 || b > 1<<31-1 {
		c.Error("ERR invalid second DB index")
		return
	}
	n := int64(c.Eng.Databases())
	if a < 0 || a >= n || b < 0 || b >= n {
		c.Error(ErrDBIndex)
		return
	}
	if a != b {
		tx := c.Eng.BeginDBs(int(a), int(b))
		tx.SwapDB(int(a), int(b))
		tx.End()
	}
	c.OK()
}

func cmdTime(c *Ctx) {
	now := time.Now()
	var buf [20]byte
	c.W.ArrayLen(2)
	c.W.Bulk(strconv.AppendInt(buf[:0], now.Unix(), 10))
	c.W.Bulk(strconv.AppendInt(buf[:0], int64(now.Nanosecond()/1000), 10))
}
