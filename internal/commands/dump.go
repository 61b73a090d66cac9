package commands

import (
	"errors"

	"github.com/lightconedb/lightcone/internal/engine"
	"github.com/lightconedb/lightcone/internal/keyspace"
	"github.com/lightconedb/lightcone/internal/notify"
	"github.com/lightconedb/lightcone/internal/rdb"
)

// DUMP and RESTORE: values serialized in Redis' RDB format (version 10,
// CRC-64 footer), byte for byte what Redis 7.0 produces and accepts.

func init() { families = append(families, registerDump) }

func registerDump(t *Table) {
	t.Register(
		&Command{Name: "dump", Arity: 2, Flags: []string{"readonly"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: []string{"keyspace", "read", "slow"},
			Summary:    "Return a serialized version of the value stored at the specified key.", Since: "2.6.0", Group: "generic",
			Complexity: "O(1) to access the key and additional O(N*M) to serialize it, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1).",
			Syntax:     "key", Handler: cmdDump},
		&Command{Name: "restore", Arity: -4, Flags: []string{"write", "denyoom"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: []string{"keyspace", "write", "slow", "dangerous"},
			Summary:    "Create a key using the provided serialized value, previously obtained using DUMP.", Since: "2.6.0", Group: "generic",
			Complexity: "O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1). However for sorted set values the complexity is O(N*M*log(N)) because inserting values into sorted sets is O(log(N)).",
			Syntax:     "key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]",
			Handler:    cmdRestore},
	)
}

// dumpers serialize a value of one kind; each collection family adds its own
// in init (strings are built in).
var dumpers = map[keyspace.Kind]func(e *keyspace.Entry) []byte{}

// restorers write a decoded DUMP object of one RDB type under key with TTL
// expireAt (0 = none), replacing whatever the key held (tx.CollReplace); a
// family adds one per RDB type it decodes. They report false when the
// decoded value is not acceptable (RESTORE then replies "Bad data format").
var restorers = map[byte]func(tx *engine.Tx, db int, key []byte, obj rdb.Object, expireAt int64) bool{}

// dumpEntry serializes a value.
func dumpEntry(e *keyspace.Entry) []byte {
	if e.Kind == keyspace.KindString {
		return rdb.DumpString(e.Str)
	}
	if d := dumpers[e.Kind]; d != nil {
		return d(e)
	}
	return nil
}

func cmdDump(c *Ctx) {
	key := c.Args[1]
	tx := c.Eng.Begin1(c.DB, key)
	ent := tx.Read(c.DB, key)
	var p []byte
	if ent != nil {
		p = dumpEntry(ent)
	}
	tx.End()
	if ent == nil {
		c.W.Null()
		return
	}
	if p == nil {
		c.Error(errKindNotCopyable)
		return
	}
	c.W.Bulk(p)
}

// cmdRestore follows Redis' order of checks: options, then BUSYKEY, then
// the TTL, then the payload's footer and body.
//
// IDLETIME backdates the key's access clock under an LRU (or no eviction)
// policy, FREQ sets its access counter under an LFU one, as in Redis.
func cmdRestore(c *Ctx) {
	var replace, absTTL, idleSet, freqSet bool
	var idle, freq int64
	for i := 4; i < len(c.Args); i++ {
		more := i+1 < len(c.Args)
		switch {
		case c.Is(i, "replace"):
			replace = true
		case c.Is(i, "absttl"):
			absTTL = true
		case c.Is(i, "idletime") && more && !freqSet:
			v, ok := c.IntArg(i + 1)
			if !ok {
				return
			}
			if v < 0 {
				c.Error("ERR Invalid IDLETIME value, must be >= 0")
				return
			}
			idleSet, idle = true, v
			i++
		case c.Is(i, "freq") && more && !idleSet:
			v, ok := c.IntArg(i + 1)
			if !ok {
				return
			}
			if v < 0 || v > 255 {
				c.Error("ERR Invalid FREQ value, must be >= 0 and <= 255")
				return
			}
			freqSet, freq = true, v
			i++
		default:
			c.Syntax()
			return
		}
	}
	key := c.Args[1]
	tx := c.Eng.Begin1(c.DB, key)
	defer tx.End()
	exists := tx.Get(c.DB, key) != nil
	if exists && !replace {
		c.Error(ErrBusyKey)
		return
	}
	ttl, ok := c.IntArg(2)
	if !ok {
		return
	}
	if ttl < 0 {
		c.Error("ERR Invalid TTL value, must be >= 0")
		return
	}
	obj, err := rdb.Decode(c.Args[3])
	if err != nil {
		if errors.Is(err, rdb.ErrBadPayload) {
			c.Error("ERR DUMP payload version or checksum are wrong")
		} else {
			c.Error("ERR Bad data format")
		}
		return
	}
	if ttl != 0 && !absTTL {
		ttl += tx.Now // wraps on overflow, as in Redis: then it is in the past
	}
	if ttl != 0 && ttl <= tx.Now {
		// already expired: the key ends up deleted (REPLACE) or untouched
		if exists {
			tx.Delete(c.DB, key)
		}
		c.OK()
		return
	}
	tx.Event = notify.Restore
	switch obj.Type {
	case rdb.TypeString:
		tx.Assign(c.DB, key, obj.Str, ttl, false)
	default:
		r := restorers[obj.Type]
		if r == nil || !r(tx, c.DB, key, obj, ttl) {
			c.Error("ERR Bad data format")
			return
		}
	}
	// as Redis: FREQ counts under an LFU policy, IDLETIME under the others
	if c.Eng.LFU() {
		if freqSet {
			tx.SetFreq(c.DB, key, int(freq))
		}
	} else if idleSet {
		tx.SetIdle(c.DB, key, idle)
	}
	c.OK()
}
