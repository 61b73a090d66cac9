package commands

import (
	"math"
	"math/rand/v2"
	"strconv"

	"github.com/lightconedb/lightcone/internal/crdt"
	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/engine"
	"github.com/lightconedb/lightcone/internal/keyspace"
	"github.com/lightconedb/lightcone/internal/notify"
)

// Hashes: HSET HSETNX HGET HMGET HMSET HDEL HLEN HSTRLEN HEXISTS HKEYS
// HVALS HGETALL HINCRBY HINCRBYFLOAT HRANDFIELD HSCAN (Redis 7.0), and in
// hashes_ttl.go the field-TTL commands of Redis 7.4/8.0.
//
// A field whose TTL has passed (judged against tx.Now) is invisible to every
// command at once. It is removed by an effect: a read command that meets one
// writes the removal first; a write command folds the removal into its own
// effect (the payload's first sub-op), so it stays one effect per key.

func init() { families = append(families, registerHashes) }

func registerHashes(t *Table) {
	wfast := []string{"write", "hash", "fast"}
	rfast := []string{"read", "hash", "fast"}
	rslow := []string{"read", "hash", "slow"}
	const allComplexity = "O(N) where N is the size of the hash."
	t.Register(
		&Command{Name: "hset", Arity: -4, Flags: []string{"write", "denyoom", "fast"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: wfast,
			Summary:    "Set the string value of a hash field", Since: "2.0.0", Group: "hash",
			Complexity: "O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs.",
			Syntax:     "key field value [field value ...]", Handler: func(c *Ctx) { cmdHset(c, false) }},
		&Command{Name: "hmset", Arity: -4, Flags: []string{"write", "denyoom", "fast"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: wfast,
			Summary:    "Set multiple hash fields to multiple values", Since: "2.0.0", Group: "hash",
			Complexity: "O(N) where N is the number of fields being set.",
			Syntax:     "key field value [field value ...]", Handler: func(c *Ctx) { cmdHset(c, true) }},
		&Command{Name: "hsetnx", Arity: 4, Flags: []string{"write", "denyoom", "fast"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: wfast,
			Summary:    "Set the value of a hash field, only if the field does not exist", Since: "2.0.0", Group: "hash",
			Complexity: "O(1)", Syntax: "key field value", Handler: cmdHsetnx},
		&Command{Name: "hget", Arity: 3, Flags: []string{"readonly", "fast"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: rfast,
			Summary:    "Get the value of a hash field", Since: "2.0.0", Group: "hash", Complexity: "O(1)",
			Syntax: "key field", Handler: cmdHget},
		&Command{Name: "hmget", Arity: -3, Flags: []string{"readonly", "fast"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: rfast,
			Summary:    "Get the values of all the given hash fields", Since: "2.0.0", Group: "hash",
			Complexity: "O(N) where N is the number of fields being requested.",
			Syntax:     "key field [field ...]", Handler: cmdHmget},
		&Command{Name: "hdel", Arity: -3, Flags: []string{"write", "fast"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: wfast,
			Summary:    "Delete one or more hash fields", Since: "2.0.0", Group: "hash",
			Complexity: "O(N) where N is the number of fields to be removed.",
			Syntax:     "key field [field ...]", Handler: cmdHdel},
		&Command{Name: "hlen", Arity: 2, Flags: []string{"readonly", "fast"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: rfast,
			Summary:    "Get the number of fields in a hash", Since: "2.0.0", Group: "hash", Complexity: "O(1)",
			Syntax: "key", Handler: cmdHlen},
		&Command{Name: "hstrlen", Arity: 3, Flags: []string{"readonly", "fast"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: rfast,
			Summary:    "Get the length of the value of a hash field", Since: "3.2.0", Group: "hash", Complexity: "O(1)",
			Syntax: "key field", Handler: cmdHstrlen},
		&Command{Name: "hexists", Arity: 3, Flags: []string{"readonly", "fast"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: rfast,
			Summary:    "Determine if a hash field exists", Since: "2.0.0", Group: "hash", Complexity: "O(1)",
			Syntax: "key field", Handler: cmdHexists},
		&Command{Name: "hkeys", Arity: 2, Flags: []string{"readonly"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: rslow,
			Summary:    "Get all the fields in a hash", Since: "2.0.0", Group: "hash", Complexity: allComplexity,
			Syntax: "key", Handler: func(c *Ctx) { cmdHgetall(c, true, false) }},
		&Command{Name: "hvals", Arity: 2, Flags: []string{"readonly"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: rslow,
			Summary:    "Get all the values in a hash", Since: "2.0.0", Group: "hash", Complexity: allComplexity,
			Syntax: "key", Handler: func(c *Ctx) { cmdHgetall(c, false, true) }},
		&Command{Name: "hgetall", Arity: 2, Flags: []string{"readonly"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: rslow,
			Summary:    "Get all the fields and values in a hash", Since: "2.0.0", Group: "hash", Complexity: allComplexity,
			Syntax: "key", Handler: func(c *Ctx) { cmdHgetall(c, true, true) }},
		&Command{Name: "hincrby", Arity: 4, Flags: []string{"write", "denyoom", "fast"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: wfast,
			Summary:    "Increment the integer value of a hash field by the given number", Since: "2.0.0", Group: "hash",
			Complexity: "O(1)", Syntax: "key field increment", Handler: cmdHincrby},
		&Command{Name: "hincrbyfloat", Arity: 4, Flags: []string{"write", "denyoom", "fast"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: wfast,
			Summary:    "Increment the float value of a hash field by the given amount", Since: "2.6.0", Group: "hash",
			Complexity: "O(1)", Syntax: "key field increment", Handler: cmdHincrbyfloat},
		&Command{Name: "hrandfield", Arity: -2, Flags: []string{"readonly"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: rslow,
			Summary:    "Get one or multiple random fields from a hash", Since: "6.2.0", Group: "hash",
			Complexity: "O(N) where N is the number of fields returned",
			Syntax:     "key [count [WITHVALUES]]", Handler: cmdHrandfield},
		&Command{Name: "hscan", Arity: -3, Flags: []string{"readonly"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: rslow,
			Summary:    "Incrementally iterate hash fields and associated values", Since: "2.8.0", Group: "hash",
			Complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..",
			Syntax:     "key cursor [MATCH pattern] [COUNT count]", Handler: cmdHscan},
	)
}

const (
	errHashNotInt   = "ERR hash value is not an integer"
	errHashNotFloat = "ERR hash value is not a float"
)

// readHash looks key up for a read-only hash command: nil when missing;
// ok is false (WRONGTYPE replied) for another kind. Fields whose TTL has
// passed are removed first, by one effect.
func readHash(c *Ctx, tx *engine.Tx, key []byte) (h *crdt.Hash, ok bool) {
	ent := tx.Read(c.DB, key)
	if ent == nil {
		return nil, true
	}
	if ent.Kind != keyspace.KindHash {
		c.WrongType()
		return nil, false
	}
	h = ent.Obj().(*crdt.Hash)
	if m := h.MinExpire(); m != 0 && m <= tx.Now {
		p := tx.Payload()
		crdt.EncodeHashDel(p, h.Expired(tx.Now, nil))
		tx.Coll(c.DB, key, effect.OpHash, p)
		if ent = tx.Peek(c.DB, key); ent == nil {
			return nil, true
		}
		h = ent.Obj().(*crdt.Hash)
	}
	return h, true
}

// hashView is a hash as a write command sees it: the fields whose TTL has
// passed (dead) are absent, and the command's effect removes them first.
type hashView struct {
	h    *crdt.Hash // nil: no key
	dead [][]byte
}

// writeHash looks key up for a hash write command; ok is false (WRONGTYPE
// replied) when it holds another kind.
func writeHash(c *Ctx, tx *engine.Tx, key []byte) (v hashView, ok bool) {
	ent := tx.Get(c.DB, key)
	if ent == nil {
		return v, true
	}
	if ent.Kind != keyspace.KindHash {
		c.WrongType()
		return v, false
	}
	v.h = ent.Obj().(*crdt.Hash)
	if m := v.h.MinExpire(); m != 0 && m <= tx.Now {
		v.dead = v.h.Expired(tx.Now, nil)
		if len(v.dead) == v.h.Len() {
			v.h = nil // every field is gone: the key is as good as missing
		}
	}
	return v, true
}

func (v *hashView) isDead(f []byte) bool {
	for _, d := range v.dead {
		if string(d) == string(f) {
			return true
		}
	}
	return false
}

// get is the live value of f.
func (v *hashView) get(f []byte) ([]byte, bool) {
	if v.h == nil {
		return nil, false
	}
	val, ok := v.h.Get(f)
	if ok && len(v.dead) > 0 && v.isDead(f) {
		return nil, false
	}
	return val, ok
}

// len is the number of live fields.
func (v *hashView) len() int {
	if v.h == nil {
		return 0
	}
	return v.h.Len() - len(v.dead)
}

// payload starts the command's effect: the removal of dead fields first.
func (v *hashView) payload(tx *engine.Tx) *crdt.Enc {
	p := tx.Payload()
	if len(v.dead) > 0 {
		crdt.EncodeHashDel(p, v.dead)
	}
	return p
}

// flush writes the effect built in p, if anything is in it.
func flushHash(c *Ctx, tx *engine.Tx, key []byte, p *crdt.Enc) {
	if len(p.B) > 0 {
		tx.Coll(c.DB, key, effect.OpHash, p)
	}
}

// hashAfter is the hash at key after this command's write.
func hashAfter(c *Ctx, tx *engine.Tx, key []byte) *crdt.Hash {
	if ent := tx.Peek(c.DB, key); ent != nil && ent.Kind == keyspace.KindHash {
		return ent.Obj().(*crdt.Hash)
	}
	return nil
}

func hashLen(h *crdt.Hash) int {
	if h == nil {
		return 0
	}
	return h.Len()
}

// cmdHset is HSET (the number of new fields) and HMSET (+OK).
func cmdHset(c *Ctx, hmset bool) {
	if len(c.Args)%2 == 1 {
		c.WrongArgs()
		return
	}
	key := c.Args[1]
	tx := c.Eng.Begin1(c.DB, key)
	defer tx.End()
	v, ok := writeHash(c, tx, key)
	if !ok {
		return
	}
	pairs := c.Args[2:]
	created := -1
	if len(pairs) <= 32 {
		// count the new fields now: cheaper than looking the key up again
		created = 0
		for i := 0; i < len(pairs); i += 2 {
			if _, ok := v.get(pairs[i]); !ok && !namedBefore(pairs, i) {
				created++
			}
		}
	}
	before := v.len()
	p := v.payload(tx)
	crdt.EncodeHashSet(p, 0, pairs)
	tx.Event = notify.HSet
	tx.Coll(c.DB, key, effect.OpHash, p)
	switch {
	case hmset:
		c.OK()
	case created >= 0:
		c.W.Int(int64(created))
	default:
		c.W.Int(int64(hashLen(hashAfter(c, tx, key)) - before))
	}
}

// namedBefore reports whether the field pairs[i] is also an earlier field
// of pairs (field, value, field, value...).
func namedBefore(pairs [][]byte, i int) bool {
	for j := 0; j < i; j += 2 {
		if string(pairs[j]) == string(pairs[i]) {
			return true
		}
	}
	return false
}

func cmdHsetnx(c *Ctx) {
	key := c.Args[1]
	tx := c.Eng.Begin1(c.DB, key)
	defer tx.End()
	v, ok := writeHash(c, tx, key)
	if !ok {
		return
	}
	p := v.payload(tx)
	if _, exists := v.get(c.Args[2]); exists {
		flushHash(c, tx, key, p)
		c.W.Int(0)
		return
	}
	crdt.EncodeHashSet(p, 0, c.Args[2:4])
	tx.Event = notify.HSet
	tx.Coll(c.DB, key, effect.OpHash, p)
	c.W.Int(1)
}

func cmdHget(c *Ctx) {
	tx := c.Eng.Begin1(c.DB, c.Args[1])
	defer tx.End()
	h, ok := readHash(c, tx, c.Args[1])
	if !ok {
		return
	}
	if h != nil {
		if v, found := h.Get(c.Args[2]); found {
			c.W.Bulk(v)
			return
		}
	}
	c.W.Null()
}

func cmdHmget(c *Ctx) {
	tx := c.Eng.Begin1(c.DB, c.Args[1])
	defer tx.End()
	h, ok := readHash(c, tx, c.Args[1])
	if !ok {
		return
	}
	fields := c.Args[2:]
	c.W.ArrayLen(len(fields))
	for _, f := range fields {
		if h != nil {
			if v, found := h.Get(f); found {
				c.W.Bulk(v)
				continue
			}
		}
		c.W.Null()
	}
}

func cmdHdel(c *Ctx) {
	key := c.Args[1]
	tx := c.Eng.Begin1(c.DB, key)
	defer tx.End()
	v, ok := writeHash(c, tx, key)
	if !ok {
		return
	}
	if v.h == nil {
		flushHash(c, tx, key, v.payload(tx))
		c.W.Int(0)
		return
	}
	fields := c.Args[2:]
	deleted := 0
	var seen map[string]struct{}
	if len(fields) > 16 {
		seen = make(map[string]struct{}, len(fields))
	}
	for i, f := range fields {
		if _, ok := v.get(f); !ok {
			continue
		}
		if seen != nil {
			if _, dup := seen[string(f)]; dup {
				continue
			}
			seen[string(f)] = struct{}{}
		} else if namedEarlier(fields, i) {
			continue
		}
		deleted++
	}
	p := tx.Payload()
	crdt.EncodeHashDel(p, append(v.dead, fields...))
	tx.Event = notify.HDel
	if deleted == 0 {
		tx.Event = notify.None // only expired fields went: Redis announces no hdel
	}
	tx.Coll(c.DB, key, effect.OpHash, p)
	c.W.Int(int64(deleted))
}

// namedEarlier reports whether fields[i] also appears before i.
func namedEarlier(fields [][]byte, i int) bool {
	for _, f := range fields[:i] {
		if string(f) == string(fields[i]) {
			return true
		}
	}
	return false
}

func cmdHlen(c *Ctx) {
	tx := c.Eng.Begin1(c.DB, c.Args[1])
	defer tx.End()
	h, ok := readHash(c, tx, c.Args[1])
	if !ok {
		return
	}
	c.W.Int(int64(hashLen(h)))
}

func cmdHstrlen(c *Ctx) {
	tx := c.Eng.Begin1(c.DB, c.Args[1])
	defer tx.End()
	h, ok := readHash(c, tx, c.Args[1])
	if !ok {
		return
	}
	n := 0
	if h != nil {
		v, _ := h.Get(c.Args[2])
		n = len(v)
	}
	c.W.Int(int64(n))
}

func cmdHexists(c *Ctx) {
	tx := c.Eng.Begin1(c.DB, c.Args[1])
	defer tx.End()
	h, ok := readHash(c, tx, c.Args[1])
	if !ok {
		return
	}
	n := int64(0)
	if h != nil {
		if _, found := h.Get(c.Args[2]); found {
			n = 1
		}
	}
	c.W.Int(n)
}

// cmdHgetall is HKEYS (fields), HVALS (values) and HGETALL (both: a map in
// RESP3).
func cmdHgetall(c *Ctx, fields, values bool) {
	tx := c.Eng.Begin1(c.DB, c.Args[1])
	defer tx.End()
	h, ok := readHash(c, tx, c.Args[1])
	if !ok {
		return
	}
	n := hashLen(h)
	switch {
	case fields && values:
		if c.Proto() >= 3 {
			c.W.MapLen(n)
		} else {
			c.W.ArrayLen(2 * n)
		}
	default:
		c.W.ArrayLen(n)
	}
	if h == nil {
		return
	}
	h.Each(func(f, v []byte) bool {
		if fields {
			c.W.Bulk(f)
		}
		if values {
			c.W.Bulk(v)
		}
		return true
	})
}

func cmdHincrby(c *Ctx) {
	delta, ok := c.IntArg(3)
	if !ok {
		return
	}
	key, field := c.Args[1], c.Args[2]
	tx := c.Eng.Begin1(c.DB, key)
	defer tx.End()
	v, ok := writeHash(c, tx, key)
	if !ok {
		return
	}
	p := v.payload(tx)
	var cur int64
	if val, found := v.get(field); found {
		n, ok := ParseInt(val)
		if !ok {
			flushHash(c, tx, key, p)
			c.Error(errHashNotInt)
			return
		}
		cur = n
	}
	if (delta < 0 && cur < 0 && delta < math.MinInt64-cur) || (delta > 0 && cur > 0 && delta > math.MaxInt64-cur) {
		flushHash(c, tx, key, p)
		c.Error(ErrOverflow)
		return
	}
	crdt.EncodeHashIncr(p, field, delta)
	tx.Event = notify.HIncrBy
	tx.Coll(c.DB, key, effect.OpHash, p)
	c.W.Int(cur + delta)
}

func cmdHincrbyfloat(c *Ctx) {
	incr, ok := engine.ParseLongDouble(c.Args[3])
	if !ok {
		c.Error(ErrNotFloat)
		return
	}
	if incr.IsInf() {
		c.Error("ERR value is NaN or Infinity")
		return
	}
	key, field := c.Args[1], c.Args[2]
	tx := c.Eng.Begin1(c.DB, key)
	defer tx.End()
	v, ok := writeHash(c, tx, key)
	if !ok {
		return
	}
	p := v.payload(tx)
	cur, _ := engine.ParseLongDouble([]byte("0"))
	if val, found := v.get(field); found {
		n, ok := engine.ParseLongDouble(val)
		if !ok {
			flushHash(c, tx, key, p)
			c.Error(errHashNotFloat)
			return
		}
		cur = n
	}
	sum, ok := engine.AddLongDouble(cur, incr)
	if !ok {
		flushHash(c, tx, key, p)
		c.Error(ErrNaNInf)
		return
	}
	crdt.EncodeHashIncrFloat(p, field, c.Args[3])
	tx.Event = notify.HIncrByFloat
	tx.Coll(c.DB, key, effect.OpHash, p)
	c.W.Bulk(engine.FormatLongDouble(sum))
}

// --- HRANDFIELD --------------------------------------------------------------

func cmdHrandfield(c *Ctx) {
	if len(c.Args) == 2 {
		tx := c.Eng.Begin1(c.DB, c.Args[1])
		defer tx.End()
		h, ok := readHash(c, tx, c.Args[1])
		if !ok {
			return
		}
		if h == nil {
			c.W.Null()
			return
		}
		f, _ := h.At(rand.IntN(h.Len()))
		c.W.Bulk(f)
		return
	}
	count, ok := ParseInt(c.Args[2])
	if !ok {
		c.Error(ErrNotInt)
		return
	}
	if count == math.MinInt64 {
		c.Error("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
		return
	}
	withValues := false
	if len(c.Args) > 4 || (len(c.Args) == 4 && !c.Is(3, "withvalues")) {
		c.Syntax()
		return
	}
	if len(c.Args) == 4 {
		withValues = true
		if count < -math.MaxInt64/2 || count > math.MaxInt64/2 {
			c.Error("ERR value is out of range")
			return
		}
	}
	tx := c.Eng.Begin1(c.DB, c.Args[1])
	defer tx.End()
	h, ok := readHash(c, tx, c.Args[1])
	if !ok {
		return
	}
	if h == nil || count == 0 {
		c.W.ArrayLen(0)
		return
	}
	resp3 := c.Proto() >= 3
	pair := func(f, v []byte) {
		if withValues && resp3 {
			c.W.ArrayLen(2)
		}
		c.W.Bulk(f)
		if withValues {
			c.W.Bulk(v)
		}
	}
	header := func(n int64) {
		if withValues && !resp3 {
			c.W.ArrayLen(int(2 * n))
		} else {
			c.W.ArrayLen(int(n))
		}
	}
	size := int64(h.Len())
	// random fields, repetitions allowed (a negative count; or just one)
	if count < 0 || count == 1 {
		if count < 0 {
			count = -count
		}
		header(count)
		if h.IsHashtable() {
			for i := int64(0); i < count && c.W.Err() == nil; i++ {
				pair(h.At(rand.IntN(int(size))))
			}
			return
		}
		es := hashPairsOf(h)
		for i := int64(0); i < count && c.W.Err() == nil; i++ {
			e := &es[rand.IntN(len(es))]
			pair(e[0], e[1])
		}
		return
	}
	// the whole hash, in order
	if count >= size {
		header(size)
		h.Each(func(f, v []byte) bool { pair(f, v); return true })
		return
	}
	header(count)
	if !h.IsHashtable() {
		// a listpack: a random subset in the listpack's order (selection
		// sampling), as Redis does
		need, left := count, size
		h.Each(func(f, v []byte) bool {
			if rand.Int64N(left) < need {
				pair(f, v)
				need--
			}
			left--
			return need > 0
		})
		return
	}
	if count*3 > size {
		// pick by a partial shuffle of the slots
		idx := make([]int32, size)
		for i := range idx {
			idx[i] = int32(i)
		}
		for i := int64(0); i < count; i++ {
			j := i + rand.Int64N(size-i)
			idx[i], idx[j] = idx[j], idx[i]
			pair(h.At(int(idx[i])))
		}
		return
	}
	seen := make(map[int]struct{}, count)
	for int64(len(seen)) < count {
		i := rand.IntN(int(size))
		if _, dup := seen[i]; dup {
			continue
		}
		seen[i] = struct{}{}
		pair(h.At(i))
	}
}

// hashPairsOf lists a listpack hash's entries (aliasing it) for random
// access.
func hashPairsOf(h *crdt.Hash) [][2][]byte {
	es := make([][2][]byte, 0, h.Len())
	h.Each(func(f, v []byte) bool {
		es = append(es, [2][]byte{f, v})
		return true
	})
	return es
}

// --- HSCAN -------------------------------------------------------------------

func cmdHscan(c *Ctx) {
	cursor, ok := parseScanCursor(c.Args[2])
	if !ok {
		c.Error("ERR invalid cursor")
		return
	}
	tx := c.Eng.Begin1(c.DB, c.Args[1])
	defer tx.End()
	h, ok := readHash(c, tx, c.Args[1])
	if !ok {
		return
	}
	if h == nil {
		c.W.ArrayLen(2)
		c.W.BulkString("0")
		c.W.ArrayLen(0)
		return
	}
	count, g, ok := scanOptions(c, 3, nil)
	if !ok {
		return
	}
	if count > int64(h.Len()) {
		count = int64(h.Len())
	}
	var out [][]byte
	next := h.Scan(cursor, int(count), func(f, v []byte) {
		if g != nil && !g.match(string(f)) {
			return
		}
		out = append(out, f, v)
	})
	var buf [20]byte
	c.W.ArrayLen(2)
	c.W.Bulk(strconv.AppendUint(buf[:0], next, 10))
	c.W.ArrayLen(len(out))
	for _, b := range out {
		c.W.Bulk(b)
	}
}
