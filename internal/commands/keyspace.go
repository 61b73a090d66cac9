package commands

import (
	"bytes"
	"math/rand/v2"
	"strconv"

	"github.com/lightconedb/lightcone/internal/crdt"
	"github.com/lightconedb/lightcone/internal/engine"
	"github.com/lightconedb/lightcone/internal/keyspace"
	"github.com/lightconedb/lightcone/internal/notify"
)

// Generic key commands: DEL, UNLINK, EXISTS, TYPE, TOUCH, KEYS, SCAN,
// RANDOMKEY, RENAME, RENAMENX, COPY, MOVE and OBJECT. They work on keys of
// every kind; where the kind matters (copying a value, OBJECT ENCODING) they
// switch on Entry.Kind, and a new kind adds its case there.

func init() { families = append(families, registerKeyspace) }

func registerKeyspace(t *Table) {
	wslow := []string{"keyspace", "write", "slow"}
	wfast := []string{"keyspace", "write", "fast"}
	rfast := []string{"keyspace", "read", "fast"}
	rslow := []string{"keyspace", "read", "slow"}
	objSub := func(name, summary, since string, h Handler) *Command {
		return &Command{Name: name, Arity: 3, Flags: []string{"readonly"}, FirstKey: 2, LastKey: 2, Step: 1,
			Categories: rslow, Summary: summary, Since: since, Group: "generic", Complexity: "O(1)", Syntax: "key",
			Handler: h}
	}
	t.Register(
		&Command{Name: "del", Arity: -2, Flags: []string{"write"}, FirstKey: 1, LastKey: -1, Step: 1,
			Categories: wslow,
			Summary:    "Delete a key", Since: "1.0.0", Group: "generic",
			Complexity: "O(N) where N is the number of keys that will be removed. When a key to remove holds a value other than a string, the individual complexity for this key is O(M) where M is the number of elements in the list, set, sorted set or hash. Removing a single key that holds a string value is O(1).",
			Syntax:     "key [key ...]", Handler: cmdDel},
		&Command{Name: "unlink", Arity: -2, Flags: []string{"write", "fast"}, FirstKey: 1, LastKey: -1, Step: 1,
			Categories: wfast,
			Summary:    "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.", Since: "4.0.0", Group: "generic",
			Complexity: "O(1) for each key removed regardless of its size. Then the command does O(N) work in a different thread in order to reclaim memory, where N is the number of allocations the deleted objects where composed of.",
			Syntax:     "key [key ...]", Handler: cmdDel},
		&Command{Name: "exists", Arity: -2, Flags: []string{"readonly", "fast"}, FirstKey: 1, LastKey: -1, Step: 1,
			Categories: rfast,
			Summary:    "Determine if a key exists", Since: "1.0.0", Group: "generic", Complexity: "O(N) where N is the number of keys to check.",
			Syntax: "key [key ...]", Handler: cmdExists},
		&Command{Name: "type", Arity: 2, Flags: []string{"readonly", "fast"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: rfast,
			Summary:    "Determine the type stored at key", Since: "1.0.0", Group: "generic", Complexity: "O(1)",
			Syntax: "key", Handler: cmdType},
		&Command{Name: "touch", Arity: -2, Flags: []string{"readonly", "fast"}, FirstKey: 1, LastKey: -1, Step: 1,
			Categories: rfast,
			Summary:    "Alters the last access time of a key(s). Returns the number of existing keys specified.", Since: "3.2.1", Group: "generic",
			Complexity: "O(N) where N is the number of keys that will be touched.",
			Syntax:     "key [key ...]", Handler: cmdTouch},
		&Command{Name: "keys", Arity: 2, Flags: []string{"readonly"},
			Categories: []string{"keyspace", "read", "slow", "dangerous"},
			Summary:    "Find all keys matching the given pattern", Since: "1.0.0", Group: "generic",
			Complexity: "O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length.",
			Syntax:     "pattern", Handler: cmdKeys},
		&Command{Name: "scan", Arity: -2, Flags: []string{"readonly"},
			Categories: rslow,
			Summary:    "Incrementally iterate the keys space", Since: "2.8.0", Group: "generic",
			Complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.",
			Syntax:     "cursor [MATCH pattern] [COUNT count] [TYPE type]", Handler: cmdScan},
		&Command{Name: "randomkey", Arity: 1, Flags: []string{"readonly"},
			Categories: rslow,
			Summary:    "Return a random key from the keyspace", Since: "1.0.0", Group: "generic", Complexity: "O(1)",
			Handler: cmdRandomKey},
		&Command{Name: "rename", Arity: 3, Flags: []string{"write"}, FirstKey: 1, LastKey: 2, Step: 1,
			Categories: wslow,
			Summary:    "Rename a key", Since: "1.0.0", Group: "generic", Complexity: "O(1)",
			Syntax: "key newkey", Handler: func(c *Ctx) { cmdRename(c, false) }},
		&Command{Name: "renamenx", Arity: 3, Flags: []string{"write", "fast"}, FirstKey: 1, LastKey: 2, Step: 1,
			Categories: wfast,
			Summary:    "Rename a key, only if the new key does not exist", Since: "1.0.0", Group: "generic", Complexity: "O(1)",
			Syntax: "key newkey", Handler: func(c *Ctx) { cmdRename(c, true) }},
		&Command{Name: "copy", Arity: -3, Flags: []string{"write", "denyoom"}, FirstKey: 1, LastKey: 2, Step: 1,
			Categories: wslow,
			Summary:    "Copy a key", Since: "6.2.0", Group: "generic",
			Complexity: "O(N) worst case for collections, where N is the number of nested items. O(1) for string values.",
			Syntax:     "source destination [DB destination-db] [REPLACE]", Handler: cmdCopy},
		&Command{Name: "move", Arity: 3, Flags: []string{"write", "fast"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: wfast,
			Summary:    "Move a key to another database", Since: "1.0.0", Group: "generic", Complexity: "O(1)",
			Syntax: "key db", Handler: cmdMove},
		&Command{Name: "object", Arity: -2,
			Categories: []string{"slow"},
			Summary:    "A container for object introspection commands", Since: "2.2.3", Group: "generic", Complexity: "Depends on subcommand.",
			Handler: func(c *Ctx) { c.WrongArgs() },
			Subs: map[string]*Command{
				"encoding": objSub("encoding", "Inspect the internal encoding of a Redis object", "2.2.3", cmdObjectEncoding),
				"freq":     objSub("freq", "Get the logarithmic access frequency counter of a Redis object", "4.0.0", cmdObjectFreq),
				"idletime": objSub("idletime", "Get the time since a Redis object was last accessed", "2.2.3", cmdObjectIdletime),
				"refcount": objSub("refcount", "Get the number of references to the value of the key", "2.2.3", cmdObjectRefcount),
				"help": {Name: "help", Arity: 2, Flags: []string{"loading", "stale"},
					Categories: []string{"keyspace", "slow"},
					Summary:    "Show helpful text about the different subcommands", Since: "6.2.0", Group: "generic", Complexity: "O(1)",
					Handler: cmdObjectHelp},
			}},
	)
}

// peekRead looks key up the way Redis' read lookups with LOOKUP_NOTOUCH do
// (EXISTS, TYPE, TTL, OBJECT): the access clock stays, the keyspace hit or
// miss is counted, an expired key is deleted. A miss raises "keymiss"
// unless quiet (OBJECT).
func peekRead(c *Ctx, tx *engine.Tx, db int, key []byte) *keyspace.Entry {
	e := peekReadQuiet(c, tx, db, key)
	if e == nil {
		tx.NotifyMiss(db, key)
	}
	return e
}

func peekReadQuiet(c *Ctx, tx *engine.Tx, db int, key []byte) *keyspace.Entry {
	e := tx.Peek(db, key)
	c.Eng.CountRead(e != nil)
	return e
}

// canCopyEntry reports whether copyEntry supports ent's kind.
func canCopyEntry(ent *keyspace.Entry) bool {
	if ent.Kind == keyspace.KindString {
		return true
	}
	_, ok := ent.Obj().(crdt.Object)
	return ok
}

// copyEntry writes ent's value, with its kind and encoding, under (db, key)
// with TTL expireAt (0 = none), replacing whatever key held: RENAME, COPY
// and MOVE. Every kind needs a case here and in canCopyEntry, which callers
// check before they write anything.
func copyEntry(tx *engine.Tx, db int, key []byte, ent *keyspace.Entry, expireAt int64) {
	switch ent.Kind {
	case keyspace.KindString:
		tx.AssignEnc(db, key, ent.Str, ent.Enc, expireAt)
		return
	}
	if o, ok := ent.Obj().(crdt.Object); ok {
		p := tx.Payload()
		o.Snapshot(p)
		tx.CollReplace(db, key, crdt.OpOf(ent.Kind), p, expireAt, false)
	}
}

// errKindNotCopyable is replied when a kind lacks its copyEntry case: a
// programming error, caught by the differential tests, never a crash.
const errKindNotCopyable = "ERR value kind not supported by this command yet"

func cmdDel(c *Ctx) {
	keys := c.Args[1:]
	tx := c.Eng.Begin(c.DB, keys...)
	n := int64(0)
	for _, k := range keys {
		if tx.Peek(c.DB, k) != nil {
			tx.Delete(c.DB, k)
			n++
		}
	}
	tx.End()
	c.W.Int(n)
}

func cmdExists(c *Ctx) {
	keys := c.Args[1:]
	tx := c.Eng.Begin(c.DB, keys...)
	n := int64(0)
	for _, k := range keys {
		if peekRead(c, tx, c.DB, k) != nil {
			n++
		}
	}
	tx.End()
	c.W.Int(n)
}

func cmdTouch(c *Ctx) {
	keys := c.Args[1:]
	tx := c.Eng.Begin(c.DB, keys...)
	n := int64(0)
	for _, k := range keys {
		if tx.Read(c.DB, k) != nil {
			n++
		}
	}
	tx.End()
	c.W.Int(n)
}

func cmdType(c *Ctx) {
	tx := c.Eng.Begin1(c.DB, c.Args[1])
	ent := peekRead(c, tx, c.DB, c.Args[1])
	name := "none"
	if ent != nil {
		name = ent.Kind.String()
	}
	tx.End()
	c.W.Simple(name)
}

// cmdKeys holds the whole database for the walk, as Redis' KEYS blocks the
// server; expired keys are skipped, not deleted (like Redis 7.0).
func cmdKeys(c *Ctx) {
	g := compileGlob(c.Args[1])
	var out []string
	tx := c.Eng.BeginDBs(c.DB)
	tx.ForEach(c.DB, func(k string, _ *keyspace.Entry) bool {
		if g.matchKey(k) {
			out = append(out, k)
		}
		return true
	})
	tx.End()
	c.W.ArrayLen(len(out))
	for _, k := range out {
		c.W.BulkString(k)
	}
}

// SCAN cursors. A database is NumShards (256) shards and a key's shard is
// fixed by its hash for the life of the process, so the cursor is simply the
// index of the next shard to visit: 0 starts, each call returns whole
// shards (at least one; more while fewer than COUNT keys were seen, so a
// small database comes back in one call with cursor 0), and the returned
// cursor is the next shard, 0 after the last. A key present for the whole
// iteration is therefore returned exactly once; keys added or removed
// meanwhile may or may not be. Any other cursor Redis accepts (any unsigned
// 64-bit number, parsed like strtoul) is valid: 256 and above end the
// iteration at once.

// parseScanCursor parses a cursor as Redis does: strtoul base 10 (optional
// sign, a negative value wraps, overflow is an error) with no leading space
// and nothing after the digits; the empty string is 0.
func parseScanCursor(b []byte) (uint64, bool) {
	if len(b) == 0 {
		return 0, true
	}
	i := 0
	neg := false
	if b[0] == '+' || b[0] == '-' {
		neg = b[0] == '-'
		i = 1
	}
	if i == len(b) {
		return 0, false
	}
	var v uint64
	for ; i < len(b); i++ {
		d := b[i]
		if d < '0' || d > '9' {
			return 0, false
		}
		if v > (1<<64-1)/10 || v*10 > 1<<64-1-uint64(d-'0') {
			return 0, false
		}
		v = v*10 + uint64(d-'0')
	}
	if neg {
		v = -v
	}
	return v, true
}

// scanShards walks shards of db from cursor on, as described above, calling
// keep for every live key (expired keys met on the way are deleted). It
// returns the next cursor.
func scanShards(c *Ctx, db int, cursor uint64, count int64, keep func(k string, e *keyspace.Entry)) uint64 {
	if cursor >= keyspace.NumShards {
		return 0
	}
	var names []string
	seen := int64(0)
	s := int(cursor)
	for s < keyspace.NumShards {
		tx := c.Eng.BeginShard(db, s)
		names = tx.ShardKeys(db, s, names[:0])
		seen += int64(len(names))
		for _, k := range names {
			if e := tx.Peek(db, []byte(k)); e != nil {
				keep(k, e)
			}
		}
		tx.End()
		s++
		if seen >= count {
			break
		}
	}
	if s >= keyspace.NumShards {
		return 0
	}
	return uint64(s)
}

func cmdScan(c *Ctx) {
	cursor, ok := parseScanCursor(c.Args[1])
	if !ok {
		c.Error("ERR invalid cursor")
		return
	}
	var typ []byte
	count, g, ok := scanOptions(c, 2, &typ)
	if !ok {
		return
	}
	var out []string
	next := scanShards(c, c.DB, cursor, count, func(k string, e *keyspace.Entry) {
		if g != nil && !g.matchKey(k) {
			return
		}
		if typ != nil && !EqualFold(typ, e.Kind.String()) {
			return
		}
		out = append(out, k)
	})
	var buf [20]byte
	c.W.ArrayLen(2)
	c.W.Bulk(strconv.AppendUint(buf[:0], next, 10))
	c.W.ArrayLen(len(out))
	for _, k := range out {
		c.W.BulkString(k)
	}
}

// cmdRandomKey picks a shard with probability proportional to its size,
// then a key at a random place in it; an expired key it meets is deleted
// and it tries again, as Redis does. When shards keep coming up empty (keys
// deleted meanwhile, or only cluster ghosts left) it walks every shard.
func cmdRandomKey(c *Ctx) {
	var sizes [keyspace.NumShards]int
	c.Eng.ShardSizes(c.DB, &sizes)
	total := 0
	for _, n := range sizes {
		total += n
	}
	misses := 0
	for total > 0 && misses < 8 {
		r := rand.IntN(total)
		s := 0
		for r >= sizes[s] {
			r -= sizes[s]
			s++
		}
		if key, found := randomKeyIn(c, s); found {
			c.W.Bulk(key)
			return
		}
		misses++
	}
	start := rand.IntN(keyspace.NumShards)
	for i := 0; i < keyspace.NumShards; i++ {
		if key, _ := randomKeyIn(c, (start+i)%keyspace.NumShards); key != nil {
			c.W.Bulk(key)
			return
		}
	}
	c.W.Null()
}

// randomKeyIn returns a random live key of shard s of the client's db,
// deleting expired keys it draws; found is false (key nil) when the shard
// turned out empty.
func randomKeyIn(c *Ctx, s int) (key []byte, found bool) {
	tx := c.Eng.BeginShard(c.DB, s)
	defer tx.End()
	for {
		k, ok := tx.AnyKey(c.DB, s)
		if !ok {
			return nil, false
		}
		if tx.Peek(c.DB, k) != nil {
			return k, true
		}
	}
}

func cmdRename(c *Ctx, nx bool) {
	src, dst := c.Args[1], c.Args[2]
	tx := c.Eng.Begin(c.DB, src, dst)
	defer tx.End()
	ent := tx.Get(c.DB, src)
	if ent == nil {
		c.Error(ErrNoSuchKey)
		return
	}
	if bytes.Equal(src, dst) {
		if nx {
			c.W.Int(0)
		} else {
			c.OK()
		}
		return
	}
	if nx && tx.Get(c.DB, dst) != nil {
		c.W.Int(0)
		return
	}
	if !canCopyEntry(ent) {
		c.Error(errKindNotCopyable)
		return
	}
	tx.Event = notify.RenameTo
	copyEntry(tx, c.DB, dst, ent, ent.Expire)
	tx.Event = notify.RenameFrom
	tx.Delete(c.DB, src)
	if nx {
		c.W.Int(1)
	} else {
		c.OK()
	}
}

func cmdCopy(c *Ctx) {
	src, dst := c.Args[1], c.Args[2]
	dstDB := c.DB
	replace := false
	for i := 3; i < len(c.Args); i++ {
		switch {
		case c.Is(i, "replace"):
			replace = true
		case c.Is(i, "db") && i+1 < len(c.Args):
			n, ok := parseDBIndexArg(c, c.Args[i+1])
			if !ok {
				return
			}
			dstDB = n
			i++
		default:
			c.Syntax()
			return
		}
	}
	if dstDB == c.DB && bytes.Equal(src, dst) {
		c.Error(ErrSameObject)
		return
	}
	tx := c.Eng.BeginKeys([]int{c.DB, dstDB}, [][]byte{src, dst})
	defer tx.End()
	ent := tx.Read(c.DB, src)
	if ent == nil {
		c.W.Int(0)
		return
	}
	if tx.Get(dstDB, dst) != nil && !replace {
		c.W.Int(0)
		return
	}
	if !canCopyEntry(ent) {
		c.Error(errKindNotCopyable)
		return
	}
	tx.Event = notify.CopyTo
	copyEntry(tx, dstDB, dst, ent, ent.Expire)
	c.W.Int(1)
}

// cmdMove writes the value (and TTL) into the target database, then deletes
// it from the source: two effects in one transaction.
func cmdMove(c *Ctx) {
	key := c.Args[1]
	dstDB, ok := parseDBIndexArg(c, c.Args[2])
	if !ok {
		return
	}
	if dstDB == c.DB {
		c.Error(ErrSameObject)
		return
	}
	tx := c.Eng.BeginKeys([]int{c.DB, dstDB}, [][]byte{key, key})
	defer tx.End()
	ent := tx.Get(c.DB, key)
	if ent == nil {
		c.W.Int(0)
		return
	}
	if tx.Get(dstDB, key) != nil {
		c.W.Int(0)
		return
	}
	if !canCopyEntry(ent) {
		c.Error(errKindNotCopyable)
		return
	}
	tx.Event = notify.MoveTo
	copyEntry(tx, dstDB, key, ent, ent.Expire)
	tx.Event = notify.MoveFrom
	tx.Delete(c.DB, key)
	c.W.Int(1)
}

// objectLookup is the lookup of every OBJECT subcommand: a missing key
// replies null.
func objectLookup(c *Ctx, fn func(e *keyspace.Entry)) {
	key := c.Args[2]
	tx := c.Eng.Begin1(c.DB, key)
	defer tx.End()
	ent := peekReadQuiet(c, tx, c.DB, key)
	if ent == nil {
		c.W.Null()
		return
	}
	fn(ent)
}

// objectEncoding is what OBJECT ENCODING says about a value; each kind adds
// its encodings here.
func objectEncoding(e *keyspace.Entry) string {
	switch e.Kind {
	case keyspace.KindString:
		switch e.Enc {
		case keyspace.EncInt:
			return "int"
		case keyspace.EncEmbstr:
			return "embstr"
		}
		return "raw"
	}
	if o, ok := e.Obj().(crdt.Object); ok {
		return o.Encoding()
	}
	return "unknown"
}

// sharedIntegers is Redis' OBJ_SHARED_INTEGERS: integer values below it are
// shared objects, whose OBJECT REFCOUNT is INT_MAX.
const sharedIntegers = 10000

// objectRefcount mirrors Redis' refcounts: 2147483647 for the shared small
// integers, 1 for everything else.
func objectRefcount(e *keyspace.Entry) int64 {
	if e.Kind == keyspace.KindString && e.Enc == keyspace.EncInt {
		if v, ok := ParseInt(e.Str); ok && v >= 0 && v < sharedIntegers {
			return 1<<31 - 1
		}
	}
	return 1
}

func cmdObjectEncoding(c *Ctx) {
	objectLookup(c, func(e *keyspace.Entry) { c.W.BulkString(objectEncoding(e)) })
}

// OBJECT FREQ answers under an LFU maxmemory policy, OBJECT IDLETIME under
// the others, with Redis' errors otherwise (the access clock holds one or
// the other: engine/lfu.go).
func cmdObjectFreq(c *Ctx) {
	objectLookup(c, func(e *keyspace.Entry) {
		if !c.Eng.LFU() {
			c.Error("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")
			return
		}
		c.W.Int(int64(c.Eng.Freq(e)))
	})
}

func cmdObjectIdletime(c *Ctx) {
	objectLookup(c, func(e *keyspace.Entry) {
		if c.Eng.LFU() {
			c.Error("ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")
			return
		}
		c.W.Int(c.Eng.IdleSeconds(e))
	})
}

func cmdObjectRefcount(c *Ctx) {
	objectLookup(c, func(e *keyspace.Entry) { c.W.Int(objectRefcount(e)) })
}

var objectHelp = []string{
	"OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"ENCODING <key>",
	"    Return the kind of internal representation used in order to store the value",
	"    associated with a <key>.",
	"FREQ <key>",
	"    Return the access frequency index of the <key>. The returned integer is",
	"    proportional to the logarithm of the recent access frequency of the key.",
	"IDLETIME <key>",
	"    Return the idle time of the <key>, that is the approximated number of",
	"    seconds elapsed since the last access to the key.",
	"REFCOUNT <key>",
	"    Return the number of references of the value associated with the specified",
	"    <key>.",
	"HELP",
	"    Prints this help.",
}

func cmdObjectHelp(c *Ctx) {
	c.W.ArrayLen(len(objectHelp))
	for _, l := range objectHelp {
		c.W.Simple(l)
	}
}
