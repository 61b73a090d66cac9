package commands

import (
	"github.com/lightconedb/lightcone/internal/keyspace"
)

func init() { families = append(families, registerStrings) }

func registerStrings(t *Table) {
	const getrangeComplexity = "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings."
	wfast := []string{"write", "string", "fast"}
	wslow := []string{"write", "string", "slow"}
	rfast := []string{"read", "string", "fast"}
	rslow := []string{"read", "string", "slow"}
	t.Register(
		&Command{Name: "get", Arity: 2, Flags: []string{"readonly", "fast"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: rfast,
			Summary:    "Get the value of a key", Since: "1.0.0", Group: "string", Complexity: "O(1)", Syntax: "key",
			Handler: cmdGet},
		&Command{Name: "set", Arity: -3, Flags: []string{"write", "denyoom"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: wslow,
			Summary:    "Set the string value of a key", Since: "1.0.0", Group: "string", Complexity: "O(1)",
			Syntax:  "key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]",
			Handler: cmdSet},
		&Command{Name: "setnx", Arity: 3, Flags: []string{"write", "denyoom", "fast"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: wfast,
			Summary:    "Set the value of a key, only if the key does not exist", Since: "1.0.0", Group: "string", Complexity: "O(1)",
			Syntax: "key value", Handler: cmdSetnx},
		&Command{Name: "setex", Arity: 4, Flags: []string{"write", "denyoom"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: wslow,
			Summary:    "Set the value and expiration of a key", Since: "2.0.0", Group: "string", Complexity: "O(1)",
			Syntax: "key seconds value", Handler: func(c *Ctx) { cmdSetex(c, expEX) }},
		&Command{Name: "psetex", Arity: 4, Flags: []string{"write", "denyoom"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: wslow,
			Summary:    "Set the value and expiration in milliseconds of a key", Since: "2.6.0", Group: "string", Complexity: "O(1)",
			Syntax: "key milliseconds value", Handler: func(c *Ctx) { cmdSetex(c, expPX) }},
		&Command{Name: "getset", Arity: 3, Flags: []string{"write", "denyoom", "fast"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: wfast,
			Summary:    "Set the string value of a key and return its old value", Since: "1.0.0", Group: "string", Complexity: "O(1)",
			Syntax: "key value", Handler: cmdGetset},
		&Command{Name: "getdel", Arity: 2, Flags: []string{"write", "fast"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: wfast,
			Summary:    "Get the value of a key and delete the key", Since: "6.2.0", Group: "string", Complexity: "O(1)",
			Syntax: "key", Handler: cmdGetdel},
		&Command{Name: "getex", Arity: -2, Flags: []string{"write", "fast"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: wfast,
			Summary:    "Get the value of a key and optionally set its expiration", Since: "6.2.0", Group: "string", Complexity: "O(1)",
			Syntax:  "key [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | PERSIST]",
			Handler: cmdGetex},
		&Command{Name: "mget", Arity: -2, Flags: []string{"readonly", "fast"}, FirstKey: 1, LastKey: -1, Step: 1,
			Categories: rfast,
			Summary:    "Get the values of all the given keys", Since: "1.0.0", Group: "string", Complexity: "O(N) where N is the number of keys to retrieve.",
			Syntax: "key [key ...]", Handler: cmdMget},
		&Command{Name: "mset", Arity: -3, Flags: []string{"write", "denyoom"}, FirstKey: 1, LastKey: -1, Step: 2,
			Categories: wslow,
			Summary:    "Set multiple keys to multiple values", Since: "1.0.1", Group: "string", Complexity: "O(N) where N is the number of keys to set.",
			Syntax: "key value [key value ...]", Handler: func(c *Ctx) { cmdMset(c, false) }},
		&Command{Name: "msetnx", Arity: -3, Flags: []string{"write", "denyoom"}, FirstKey: 1, LastKey: -1, Step: 2,
			Categories: wslow,
			Summary:    "Set multiple keys to multiple values, only if none of the keys exist", Since: "1.0.1", Group: "string", Complexity: "O(N) where N is the number of keys to set.",
			Syntax: "key value [key value ...]", Handler: func(c *Ctx) { cmdMset(c, true) }},
		&Command{Name: "append", Arity: 3, Flags: []string{"write", "denyoom", "fast"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: wfast,
			Summary:    "Append a value to a key", Since: "2.0.0", Group: "string",
			Complexity: "O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value is of any size, since the dynamic string library used by Redis will double the free space available on every reallocation.",
			Syntax:     "key value", Handler: cmdAppend},
		&Command{Name: "strlen", Arity: 2, Flags: []string{"readonly", "fast"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: rfast,
			Summary:    "Get the length of the value stored in a key", Since: "2.2.0", Group: "string", Complexity: "O(1)",
			Syntax: "key", Handler: cmdStrlen},
		&Command{Name: "getrange", Arity: 4, Flags: []string{"readonly"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: rslow,
			Summary:    "Get a substring of the string stored at a key", Since: "2.4.0", Group: "string", Complexity: getrangeComplexity,
			Syntax: "key start end", Handler: cmdGetrange},
		&Command{Name: "substr", Arity: 4, Flags: []string{"readonly"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: rslow,
			Summary:    "Get a substring of the string stored at a key", Since: "1.0.0", Group: "string", Complexity: getrangeComplexity,
			Syntax: "key start end", Handler: cmdGetrange},
		&Command{Name: "setrange", Arity: 4, Flags: []string{"write", "denyoom"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: wslow,
			Summary:    "Overwrite part of a string at key starting at the specified offset", Since: "2.2.0", Group: "string",
			Complexity: "O(1), not counting the time taken to copy the new string in place. Usually, this string is very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M being the length of the value argument.",
			Syntax:     "key offset value", Handler: cmdSetrange},
		&Command{Name: "incr", Arity: 2, Flags: []string{"write", "denyoom", "fast"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: wfast,
			Summary:    "Increment the integer value of a key by one", Since: "1.0.0", Group: "string", Complexity: "O(1)",
			Syntax: "key", Handler: func(c *Ctx) { incrDecr(c, 1) }},
		&Command{Name: "decr", Arity: 2, Flags: []string{"write", "denyoom", "fast"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: wfast,
			Summary:    "Decrement the integer value of a key by one", Since: "1.0.0", Group: "string", Complexity: "O(1)",
			Syntax: "key", Handler: func(c *Ctx) { incrDecr(c, -1) }},
		&Command{Name: "incrby", Arity: 3, Flags: []string{"write", "denyoom", "fast"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: wfast,
			Summary:    "Increment the integer value of a key by the given amount", Since: "1.0.0", Group: "string", Complexity: "O(1)",
			Syntax: "key increment", Handler: cmdIncrby},
		&Command{Name: "decrby", Arity: 3, Flags: []string{"write", "denyoom", "fast"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: wfast,
			Summary:    "Decrement the integer value of a key by the given number", Since: "1.0.0", Group: "string", Complexity: "O(1)",
			Syntax: "key decrement", Handler: cmdDecrby},
		&Command{Name: "incrbyfloat", Arity: 3, Flags: []string{"write", "denyoom", "fast"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: wfast,
			Summary:    "Increment the float value of a key by the given amount", Since: "2.6.0", Group: "string", Complexity: "O(1)",
			Syntax: "key increment", Handler: cmdIncrbyfloat},
		&Command{Name: "lcs", Arity: -3, Flags: []string{"readonly"}, FirstKey: 1, LastKey: 2, Step: 1,
			Categories: rslow,
			Summary:    "Find longest common substring", Since: "7.0.0", Group: "string", Complexity: "O(N*M) where N and M are the lengths of s1 and s2, respectively",
			Syntax: "key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]", Handler: cmdLcs},
	)
}

// getString looks key up for reading as a string: ent is nil when missing;
// ok is false (and WRONGTYPE replied) when it holds another type.
func getString(c *Ctx, ent *keyspace.Entry) bool {
	if ent != nil && ent.Kind != keyspace.KindString {
		c.WrongType()
		return false
	}
	return true
}

// bulkOrNull replies the entry's string value, or a null when it is missing.
func bulkOrNull(c *Ctx, ent *keyspace.Entry) {
	if ent == nil {
		c.W.Null()
	} else {
		c.W.Bulk(ent.Str)
	}
}

func cmdGet(c *Ctx) {
	tx := c.Eng.Begin1(c.DB, c.Args[1])
	ent := tx.Read(c.DB, c.Args[1])
	if !getString(c, ent) {
		tx.End()
		return
	}
	bulkOrNull(c, ent)
	tx.End()
}

// Expiry option parsing shared by SET, GETEX and friends.
const (
	expNone = iota
	expEX
	expPX
	expEXAT
	expPXAT
	expKeep
	expPersist
)

// expiryOption recognises EX/PX/EXAT/PXAT (which take an argument), and
// KEEPTTL or PERSIST when allowed (extra), at args[i]. An option may repeat
// but may not be combined with another one; ok is false for anything else.
func expiryOption(args [][]byte, i int, unit *int, arg *[]byte, extra int) bool {
	a := args[i]
	next := i+1 < len(args)
	want := expNone
	switch {
	case EqualFold(a, "ex"):
		want = expEX
	case EqualFold(a, "px"):
		want = expPX
	case EqualFold(a, "exat"):
		want = expEXAT
	case EqualFold(a, "pxat"):
		want = expPXAT
	case extra == expKeep && EqualFold(a, "keepttl"):
		want = expKeep
	case extra == expPersist && EqualFold(a, "persist"):
		want = expPersist
	default:
		return false
	}
	if *unit != expNone && *unit != want {
		return false
	}
	if want == expKeep || want == expPersist {
		*unit = want
		return true
	}
	if !next {
		return false
	}
	*unit, *arg = want, args[i+1]
	return true
}

func cmdSet(c *Ctx) {
	var nx, xx, get bool
	unit := expNone
	var ttlArg []byte
	for i := 3; i < len(c.Args); i++ {
		a := c.Args[i]
		switch {
		case EqualFold(a, "nx") && !xx:
			nx = true
		case EqualFold(a, "xx") && !nx:
			xx = true
		case EqualFold(a, "get"):
			get = true
		case expiryOption(c.Args, i, &unit, &ttlArg, expKeep):
			if unit != expKeep {
				i++
			}
		default:
			c.Syntax()
			return
		}
	}
	key := c.Args[1]
	tx := c.Eng.Begin1(c.DB, key)
	defer tx.End()
	expireAt, ok := expireFromArg(c, unit, ttlArg, tx.Now, "set")
	if !ok {
		return
	}
	var ent *keyspace.Entry
	if get {
		ent = tx.Read(c.DB, key)
		if !getString(c, ent) {
			return
		}
	} else {
		ent = tx.Get(c.DB, key)
	}
	if (nx && ent != nil) || (xx && ent == nil) {
		if get {
			bulkOrNull(c, ent)
		} else {
			c.W.Null()
		}
		return
	}
	if get {
		bulkOrNull(c, ent) // written before the value is replaced
	}
	tx.Assign(c.DB, key, c.Args[2], expireAt, unit == expKeep)
	if !get {
		c.OK()
	}
}

// expireFromArg turns an EX/PX/EXAT/PXAT argument into an absolute Unix ms,
// replying Redis' errors. For expNone/expKeep/expPersist it returns 0.
func expireFromArg(c *Ctx, unit int, arg []byte, now int64, cmd string) (int64, bool) {
	if unit == expNone || unit == expKeep || unit == expPersist {
		return 0, true
	}
	v, ok := ParseInt(arg)
	if !ok {
		c.Error(ErrNotInt)
		return 0, false
	}
	if v <= 0 {
		c.Errorf(ErrInvalidExpire, cmd)
		return 0, false
	}
	const maxMs = 1<<63 - 1
	switch unit {
	case expEX:
		if v > maxMs/1000 || v*1000 > maxMs-now {
			c.Errorf(ErrInvalidExpire, cmd)
			return 0, false
		}
		return now + v*1000, true
	case expPX:
		if v > maxMs-now {
			c.Errorf(ErrInvalidExpire, cmd)
			return 0, false
		}
		return now + v, true
	case expEXAT:
		if v > maxMs/1000 {
			c.Errorf(ErrInvalidExpire, cmd)
			return 0, false
		}
		return v * 1000, true
	default:
		return v, true
	}
}

func cmdSetnx(c *Ctx) {
	key := c.Args[1]
	tx := c.Eng.Begin1(c.DB, key)
	defer tx.End()
	if tx.Get(c.DB, key) != nil {
		c.W.Int(0)
		return
	}
	tx.Assign(c.DB, key, c.Args[2], 0, false)
	c.W.Int(1)
}

// cmdSetex is SETEX (unit expEX) and PSETEX (expPX).
func cmdSetex(c *Ctx, unit int) {
	key := c.Args[1]
	tx := c.Eng.Begin1(c.DB, key)
	defer tx.End()
	expireAt, ok := expireFromArg(c, unit, c.Args[2], tx.Now, c.Cmd.Name)
	if !ok {
		return
	}
	tx.Get(c.DB, key) // an expired key goes first, as Redis' lookup does
	tx.Assign(c.DB, key, c.Args[3], expireAt, false)
	c.OK()
}

func cmdGetset(c *Ctx) {
	key := c.Args[1]
	tx := c.Eng.Begin1(c.DB, key)
	defer tx.End()
	ent := tx.Read(c.DB, key)
	if !getString(c, ent) {
		return
	}
	bulkOrNull(c, ent)
	tx.Assign(c.DB, key, c.Args[2], 0, false)
}

func cmdGetdel(c *Ctx) {
	key := c.Args[1]
	tx := c.Eng.Begin1(c.DB, key)
	defer tx.End()
	ent := tx.Read(c.DB, key)
	if !getString(c, ent) {
		return
	}
	if ent == nil {
		c.W.Null()
		return
	}
	c.W.Bulk(ent.Str)
	tx.Delete(c.DB, key)
}

func cmdGetex(c *Ctx) {
	unit := expNone
	var ttlArg []byte
	for i := 2; i < len(c.Args); i++ {
		if !expiryOption(c.Args, i, &unit, &ttlArg, expPersist) {
			c.Syntax()
			return
		}
		if unit != expPersist {
			i++
		}
	}
	key := c.Args[1]
	tx := c.Eng.Begin1(c.DB, key)
	defer tx.End()
	ent := tx.Read(c.DB, key)
	if ent == nil {
		c.W.Null()
		return
	}
	if !getString(c, ent) {
		return
	}
	at, ok := expireFromArg(c, unit, ttlArg, tx.Now, "getex")
	if !ok {
		return
	}
	c.W.Bulk(ent.Str)
	switch unit {
	case expNone:
	case expPersist:
		if ent.Expire != 0 {
			tx.SetExpire(c.DB, key, 0)
		}
	case expEXAT, expPXAT:
		if at <= tx.Now {
			tx.Delete(c.DB, key)
		} else {
			tx.SetExpire(c.DB, key, at)
		}
	default:
		tx.SetExpire(c.DB, key, at)
	}
}

func cmdMget(c *Ctx) {
	keys := c.Args[1:]
	tx := c.Eng.Begin(c.DB, keys...)
	defer tx.End()
	if len(keys) > 1 {
		tx.Prefetch(c.DB, keys) // the lookups' cache misses overlap
	}
	c.W.ArrayLen(len(keys))
	for _, k := range keys {
		ent := tx.Read(c.DB, k)
		if ent == nil || ent.Kind != keyspace.KindString {
			c.W.Null()
		} else {
			c.W.Bulk(ent.Str)
		}
	}
}

// cmdMset is MSET and (nx) MSETNX.
func cmdMset(c *Ctx, nx bool) {
	if len(c.Args)%2 == 0 {
		c.WrongArgs()
		return
	}
	var kbuf [16][]byte
	keys := kbuf[:0]
	for i := 1; i < len(c.Args); i += 2 {
		keys = append(keys, c.Args[i])
	}
	tx := c.Eng.Begin(c.DB, keys...)
	defer tx.End()
	if len(keys) > 1 {
		tx.Prefetch(c.DB, keys) // the lookups' cache misses overlap
	}
	if nx {
		for _, k := range keys {
			if tx.Get(c.DB, k) != nil { // also retires expired keys first
				c.W.Int(0)
				return
			}
		}
	}
	for i := 1; i < len(c.Args); i += 2 {
		tx.Assign(c.DB, c.Args[i], c.Args[i+1], 0, false)
	}
	if nx {
		c.W.Int(1)
	} else {
		c.OK()
	}
}

func cmdAppend(c *Ctx) {
	key, val := c.Args[1], c.Args[2]
	tx := c.Eng.Begin1(c.DB, key)
	defer tx.End()
	ent := tx.Get(c.DB, key)
	if !getString(c, ent) {
		return
	}
	if ent != nil && !checkStringLength(c, int64(len(ent.Str)), int64(len(val))) {
		return
	}
	tx.Append(c.DB, key, val)
	c.W.Int(strLen(tx.Peek(c.DB, key)))
}

// strLen is the length of a string entry (0 when missing).
func strLen(ent *keyspace.Entry) int64 {
	if ent == nil {
		return 0
	}
	return int64(len(ent.Str))
}

func cmdStrlen(c *Ctx) {
	tx := c.Eng.Begin1(c.DB, c.Args[1])
	defer tx.End()
	ent := tx.Read(c.DB, c.Args[1])
	if !getString(c, ent) {
		return
	}
	c.W.Int(strLen(ent))
}

// cmdGetrange is GETRANGE and SUBSTR.
func cmdGetrange(c *Ctx) {
	start, ok := c.IntArg(2)
	if !ok {
		return
	}
	end, ok := c.IntArg(3)
	if !ok {
		return
	}
	tx := c.Eng.Begin1(c.DB, c.Args[1])
	defer tx.End()
	ent := tx.Read(c.DB, c.Args[1])
	if ent == nil {
		c.W.Bulk(nil)
		return
	}
	if !getString(c, ent) {
		return
	}
	from, to, ok := clampRange(start, end, int64(len(ent.Str)), true)
	if !ok {
		c.W.Bulk(nil)
		return
	}
	c.W.Bulk(ent.Str[from : to+1])
}

// clampRange turns Redis' start/end (negative counts from the end of a
// sequence of n units) into an inclusive range within [0, n). ok is false
// when the range is empty. With bothNegEmpty, a range whose ends are both
// negative and reversed is empty before clamping (GETRANGE, BITCOUNT).
func clampRange(start, end, n int64, bothNegEmpty bool) (int64, int64, bool) {
	if bothNegEmpty && start < 0 && end < 0 && start > end {
		return 0, 0, false
	}
	if start < 0 {
		start += n
	}
	if end < 0 {
		end += n
	}
	if start < 0 {
		start = 0
	}
	if end < 0 {
		end = 0
	}
	if end >= n {
		end = n - 1
	}
	if start > end || n == 0 {
		return 0, 0, false
	}
	return start, end, true
}

func cmdSetrange(c *Ctx) {
	key, val := c.Args[1], c.Args[3]
	offset, ok := c.IntArg(2)
	if !ok {
		return
	}
	if offset < 0 {
		c.Error("ERR offset is out of range")
		return
	}
	tx := c.Eng.Begin1(c.DB, key)
	defer tx.End()
	ent := tx.Get(c.DB, key)
	if !getString(c, ent) {
		return
	}
	if len(val) == 0 {
		c.W.Int(strLen(ent))
		return
	}
	if !checkStringLength(c, offset, int64(len(val))) {
		return
	}
	tx.SetRange(c.DB, key, offset, val)
	c.W.Int(strLen(tx.Peek(c.DB, key)))
}
