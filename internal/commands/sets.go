package commands

import (
	"bytes"
	"math/rand/v2"
	"sort"
	"strconv"
	"unsafe"

	"github.com/lightconedb/lightcone/internal/crdt"
	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/engine"
	"github.com/lightconedb/lightcone/internal/keyspace"
	"github.com/lightconedb/lightcone/internal/notify"
)

// Set commands. Every write records its outcome: SADD the members it added,
// SREM/SPOP/SMOVE the members that went, the *STORE forms the whole new
// value (a replace).

func init() { families = append(families, registerSets) }

func registerSets(t *Table) {
	wfast := []string{"write", "set", "fast"}
	wslow := []string{"write", "set", "slow"}
	rfast := []string{"read", "set", "fast"}
	rslow := []string{"read", "set", "slow"}
	t.Register(
		&Command{Name: "sadd", Arity: -3, Flags: []string{"write", "denyoom", "fast"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: wfast,
			Summary:    "Add one or more members to a set", Since: "1.0.0", Group: "set",
			Complexity: "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.",
			Syntax:     "key member [member ...]", Handler: cmdSadd},
		&Command{Name: "srem", Arity: -3, Flags: []string{"write", "fast"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: wfast,
			Summary:    "Remove one or more members from a set", Since: "1.0.0", Group: "set",
			Complexity: "O(N) where N is the number of members to be removed.",
			Syntax:     "key member [member ...]", Handler: cmdSrem},
		&Command{Name: "smembers", Arity: 2, Flags: []string{"readonly"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: rslow,
			Summary:    "Get all the members in a set", Since: "1.0.0", Group: "set",
			Complexity: "O(N) where N is the set cardinality.",
			Syntax:     "key", Handler: cmdSmembers},
		&Command{Name: "sismember", Arity: 3, Flags: []string{"readonly", "fast"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: rfast,
			Summary:    "Determine if a given value is a member of a set", Since: "1.0.0", Group: "set", Complexity: "O(1)",
			Syntax: "key member", Handler: cmdSismember},
		&Command{Name: "smismember", Arity: -3, Flags: []string{"readonly", "fast"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: rfast,
			Summary:    "Returns the membership associated with the given elements for a set", Since: "6.2.0", Group: "set",
			Complexity: "O(N) where N is the number of elements being checked for membership",
			Syntax:     "key member [member ...]", Handler: cmdSmismember},
		&Command{Name: "scard", Arity: 2, Flags: []string{"readonly", "fast"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: rfast,
			Summary:    "Get the number of members in a set", Since: "1.0.0", Group: "set", Complexity: "O(1)",
			Syntax: "key", Handler: cmdScard},
		&Command{Name: "spop", Arity: -2, Flags: []string{"write", "fast"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: wfast,
			Summary:    "Remove and return one or multiple random members from a set", Since: "1.0.0", Group: "set",
			Complexity: "Without the count argument O(1), otherwise O(N) where N is the value of the passed count.",
			Syntax:     "key [count]", Handler: cmdSpop},
		&Command{Name: "srandmember", Arity: -2, Flags: []string{"readonly"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: rslow,
			Summary:    "Get one or multiple random members from a set", Since: "1.0.0", Group: "set",
			Complexity: "Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count.",
			Syntax:     "key [count]", Handler: cmdSrandmember},
		&Command{Name: "smove", Arity: 4, Flags: []string{"write", "fast"}, FirstKey: 1, LastKey: 2, Step: 1,
			Categories: wfast,
			Summary:    "Move a member from one set to another", Since: "1.0.0", Group: "set", Complexity: "O(1)",
			Syntax: "source destination member", Handler: cmdSmove},
		&Command{Name: "sinter", Arity: -2, Flags: []string{"readonly"}, FirstKey: 1, LastKey: -1, Step: 1,
			Categories: rslow,
			Summary:    "Intersect multiple sets", Since: "1.0.0", Group: "set",
			Complexity: "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.",
			Syntax:     "key [key ...]", Handler: func(c *Ctx) { setAlgebra(c, setInter, 1, false) }},
		&Command{Name: "sintercard", Arity: -3, Flags: []string{"readonly"}, Keys: sintercardKeys,
			Categories: rslow,
			Summary:    "Intersect multiple sets and return the cardinality of the result", Since: "7.0.0", Group: "set",
			Complexity: "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.",
			Syntax:     "numkeys key [key ...] [LIMIT limit]", Handler: cmdSintercard},
		&Command{Name: "sinterstore", Arity: -3, Flags: []string{"write", "denyoom"}, FirstKey: 1, LastKey: -1, Step: 1,
			Categories: wslow,
			Summary:    "Intersect multiple sets and store the resulting set in a key", Since: "1.0.0", Group: "set",
			Complexity: "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.",
			Syntax:     "destination key [key ...]", Handler: func(c *Ctx) { setAlgebra(c, setInter, 2, true) }},
		&Command{Name: "sunion", Arity: -2, Flags: []string{"readonly"}, FirstKey: 1, LastKey: -1, Step: 1,
			Categories: rslow,
			Summary:    "Add multiple sets", Since: "1.0.0", Group: "set",
			Complexity: "O(N) where N is the total number of elements in all given sets.",
			Syntax:     "key [key ...]", Handler: func(c *Ctx) { setAlgebra(c, setUnion, 1, false) }},
		&Command{Name: "sunionstore", Arity: -3, Flags: []string{"write", "denyoom"}, FirstKey: 1, LastKey: -1, Step: 1,
			Categories: wslow,
			Summary:    "Add multiple sets and store the resulting set in a key", Since: "1.0.0", Group: "set",
			Complexity: "O(N) where N is the total number of elements in all given sets.",
			Syntax:     "destination key [key ...]", Handler: func(c *Ctx) { setAlgebra(c, setUnion, 2, true) }},
		&Command{Name: "sdiff", Arity: -2, Flags: []string{"readonly"}, FirstKey: 1, LastKey: -1, Step: 1,
			Categories: rslow,
			Summary:    "Subtract multiple sets", Since: "1.0.0", Group: "set",
			Complexity: "O(N) where N is the total number of elements in all given sets.",
			Syntax:     "key [key ...]", Handler: func(c *Ctx) { setAlgebra(c, setDiff, 1, false) }},
		&Command{Name: "sdiffstore", Arity: -3, Flags: []string{"write", "denyoom"}, FirstKey: 1, LastKey: -1, Step: 1,
			Categories: wslow,
			Summary:    "Subtract multiple sets and store the resulting set in a key", Since: "1.0.0", Group: "set",
			Complexity: "O(N) where N is the total number of elements in all given sets.",
			Syntax:     "destination key [key ...]", Handler: func(c *Ctx) { setAlgebra(c, setDiff, 2, true) }},
		&Command{Name: "sscan", Arity: -3, Flags: []string{"readonly"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: rslow,
			Summary:    "Incrementally iterate Set elements", Since: "2.8.0", Group: "set",
			Complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..",
			Syntax:     "key cursor [MATCH pattern] [COUNT count]", Handler: cmdSscan},
	)
}

// sintercardKeys: SINTERCARD numkeys key [key ...] [LIMIT limit].
func sintercardKeys(args [][]byte) []int {
	if len(args) < 3 {
		return nil
	}
	n, ok := ParseInt(args[1])
	if !ok || n < 1 || n > int64(len(args)-2) {
		return nil
	}
	out := make([]int, n)
	for i := range out {
		out[i] = 2 + i
	}
	return out
}

// setOf returns ent's set (nil when ent is nil); on another kind it
// replies WRONGTYPE and returns ok=false.
func setOf(c *Ctx, ent *keyspace.Entry) (s *crdt.Set, ok bool) {
	if ent == nil {
		return nil, true
	}
	if ent.Kind != keyspace.KindSet {
		c.WrongType()
		return nil, false
	}
	s, _ = ent.Obj().(*crdt.Set)
	return s, true
}

// pickMembers returns the arguments whose membership in s is want (s may be
// nil: nothing is a member), each once, in argument order.
func pickMembers(s *crdt.Set, args [][]byte, dst [][]byte, want bool) [][]byte {
	var seen map[string]struct{}
	if len(args) > 16 {
		seen = make(map[string]struct{}, len(args))
	}
	for _, a := range args {
		if (s != nil && s.Contains(a)) != want {
			continue
		}
		if seen != nil {
			if _, dup := seen[string(a)]; dup {
				continue
			}
			seen[string(a)] = struct{}{}
		} else {
			dup := false
			for _, d := range dst {
				if bytes.Equal(d, a) {
					dup = true
					break
				}
			}
			if dup {
				continue
			}
		}
		dst = append(dst, a)
	}
	return dst
}

func cmdSadd(c *Ctx) {
	key := c.Args[1]
	tx := c.Eng.Begin1(c.DB, key)
	defer tx.End()
	s, ok := setOf(c, tx.Get(c.DB, key))
	if !ok {
		return
	}
	var buf [8][]byte
	add := pickMembers(s, c.Args[2:], buf[:0], false)
	if len(add) > 0 {
		p := tx.Payload()
		crdt.EncodeSet(p, crdt.SetAdd, add)
		tx.Event = notify.SAdd
		tx.Coll(c.DB, key, effect.OpSet, p)
	}
	c.W.Int(int64(len(add)))
}

func cmdSrem(c *Ctx) {
	key := c.Args[1]
	tx := c.Eng.Begin1(c.DB, key)
	defer tx.End()
	s, ok := setOf(c, tx.Get(c.DB, key))
	if !ok {
		return
	}
	if s == nil {
		c.W.Int(0)
		return
	}
	var buf [8][]byte
	rem := pickMembers(s, c.Args[2:], buf[:0], true)
	if len(rem) > 0 {
		p := tx.Payload()
		crdt.EncodeSet(p, crdt.SetRem, rem)
		tx.Event = notify.SRem
		tx.Coll(c.DB, key, effect.OpSet, p)
	}
	c.W.Int(int64(len(rem)))
}

// replySet writes s whole, as a set reply, in its iteration order.
func replySet(c *Ctx, s *crdt.Set) {
	c.W.SetLen(s.Len())
	writeMembers(c, s)
}

// writeMembers writes every member of s as a bulk string.
func writeMembers(c *Ctx, s *crdt.Set) {
	if !s.IsIntset() {
		s.EachString(func(m string) bool { c.W.BulkString(m); return true })
		return
	}
	s.Each(func(m []byte) bool { c.W.Bulk(m); return true })
}

func cmdSmembers(c *Ctx) {
	key := c.Args[1]
	tx := c.Eng.Begin1(c.DB, key)
	defer tx.End()
	s, ok := setOf(c, tx.Read(c.DB, key))
	if !ok {
		return
	}
	if s == nil {
		c.W.SetLen(0)
		return
	}
	replySet(c, s)
}

func cmdSismember(c *Ctx) {
	key := c.Args[1]
	tx := c.Eng.Begin1(c.DB, key)
	defer tx.End()
	s, ok := setOf(c, tx.Read(c.DB, key))
	if !ok {
		return
	}
	if s != nil && s.Contains(c.Args[2]) {
		c.W.Int(1)
	} else {
		c.W.Int(0)
	}
}

func cmdSmismember(c *Ctx) {
	key := c.Args[1]
	tx := c.Eng.Begin1(c.DB, key)
	defer tx.End()
	s, ok := setOf(c, tx.Read(c.DB, key))
	if !ok {
		return
	}
	c.W.ArrayLen(len(c.Args) - 2)
	for _, m := range c.Args[2:] {
		if s != nil && s.Contains(m) {
			c.W.Int(1)
		} else {
			c.W.Int(0)
		}
	}
}

func cmdScard(c *Ctx) {
	key := c.Args[1]
	tx := c.Eng.Begin1(c.DB, key)
	defer tx.End()
	s, ok := setOf(c, tx.Read(c.DB, key))
	if !ok {
		return
	}
	if s == nil {
		c.W.Int(0)
		return
	}
	c.W.Int(int64(s.Len()))
}

// errPositive is the error of a count that must not be negative.
const errPositive = "ERR value is out of range, must be positive"

func cmdSpop(c *Ctx) {
	if len(c.Args) > 3 {
		c.Syntax()
		return
	}
	if len(c.Args) == 3 {
		spopCount(c)
		return
	}
	key := c.Args[1]
	tx := c.Eng.Begin1(c.DB, key)
	defer tx.End()
	s, ok := setOf(c, tx.Get(c.DB, key))
	if !ok {
		return
	}
	if s == nil {
		c.W.Null()
		return
	}
	var mb [64]byte
	m := s.AppendAt(mb[:0], rand.IntN(s.Len()))
	c.W.Bulk(m)
	p := tx.Payload()
	crdt.EncodeSet(p, crdt.SetRem, [][]byte{m})
	tx.Event = notify.SPop
	tx.Coll(c.DB, key, effect.OpSet, p)
}

// spopCount is SPOP key count, with Redis 7.0's three cases: all of the set
// (the key goes), a few members picked one by one, or most of the set, when
// Redis instead picks the members to keep and rebuilds the set from them
// (which re-encodes it).
func spopCount(c *Ctx) {
	n, ok := ParseInt(c.Args[2])
	if !ok || n < 0 {
		c.Error(errPositive)
		return
	}
	key := c.Args[1]
	tx := c.Eng.Begin1(c.DB, key)
	defer tx.End()
	s, ok := setOf(c, tx.Get(c.DB, key))
	if !ok {
		return
	}
	if s == nil || n == 0 {
		c.W.SetLen(0)
		return
	}
	size := s.Len()
	if n >= int64(size) {
		replySet(c, s)
		tx.Event = notify.SPopDel
		tx.Delete(c.DB, key)
		return
	}
	count := int(n)
	remaining := size - count
	p := tx.Payload()
	if remaining*5 > count {
		idx := randomDistinct(size, count)
		c.W.SetLen(count)
		p.Byte(crdt.SetRem)
		p.Uvarint(uint64(count))
		var mb [64]byte
		for _, i := range idx {
			m := s.AppendAt(mb[:0], int(i))
			c.W.Bulk(m)
			p.Bytes(m)
		}
		tx.Event = notify.SPop
		tx.Coll(c.DB, key, effect.OpSet, p)
		return
	}
	keep := make([]bool, size)
	for _, i := range randomDistinct(size, remaining) {
		keep[i] = true
	}
	c.W.SetLen(count)
	p.Byte(crdt.SetRebuild)
	p.Uvarint(uint64(count))
	var mb [64]byte
	for i := 0; i < size; i++ {
		if keep[i] {
			continue
		}
		m := s.AppendAt(mb[:0], i)
		c.W.Bulk(m)
		p.Bytes(m)
	}
	tx.Event = notify.SPop
	tx.Coll(c.DB, key, effect.OpSet, p)
}

// randomDistinct returns k distinct random numbers in [0, n), k <= n, in
// random order (a partial Fisher-Yates shuffle of 0..n-1).
func randomDistinct(n, k int) []int32 {
	out := make([]int32, k)
	if k*4 >= n {
		perm := make([]int32, n)
		for i := range perm {
			perm[i] = int32(i)
		}
		for i := 0; i < k; i++ {
			j := i + rand.IntN(n-i)
			perm[i], perm[j] = perm[j], perm[i]
		}
		copy(out, perm[:k])
		return out
	}
	swapped := make(map[int32]int32, k)
	at := func(i int32) int32 {
		if v, ok := swapped[i]; ok {
			return v
		}
		return i
	}
	for i := 0; i < k; i++ {
		j := int32(i + rand.IntN(n-i))
		vi, vj := at(int32(i)), at(j)
		swapped[j] = vi
		out[i] = vj
	}
	return out
}

// errSrandRange is Redis' wording for a count of -2^63.
const errSrandRange = "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"

func cmdSrandmember(c *Ctx) {
	if len(c.Args) > 3 {
		c.Syntax()
		return
	}
	var n int64
	withCount := len(c.Args) == 3
	if withCount {
		v, ok := ParseInt(c.Args[2])
		if !ok {
			c.Error(ErrNotInt)
			return
		}
		if v == -1<<63 {
			c.Error(errSrandRange)
			return
		}
		n = v
	}
	key := c.Args[1]
	tx := c.Eng.Begin1(c.DB, key)
	defer tx.End()
	s, ok := setOf(c, tx.Read(c.DB, key))
	if !ok {
		return
	}
	if !withCount {
		if s == nil {
			c.W.Null()
			return
		}
		var mb [64]byte
		c.W.Bulk(s.AppendAt(mb[:0], rand.IntN(s.Len())))
		return
	}
	if s == nil || n == 0 {
		c.W.ArrayLen(0)
		return
	}
	size := s.Len()
	var mb [64]byte
	if n < 0 || n == 1 {
		if n < 0 {
			n = -n
		}
		c.W.ArrayLen(int(n))
		for ; n > 0; n-- {
			c.W.Bulk(s.AppendAt(mb[:0], rand.IntN(size)))
		}
		return
	}
	if n >= int64(size) {
		c.W.ArrayLen(size)
		writeMembers(c, s)
		return
	}
	idx := randomDistinct(size, int(n))
	c.W.ArrayLen(len(idx))
	for _, i := range idx {
		c.W.Bulk(s.AppendAt(mb[:0], int(i)))
	}
}

func cmdSmove(c *Ctx) {
	src, dst, m := c.Args[1], c.Args[2], c.Args[3]
	tx := c.Eng.Begin(c.DB, src, dst)
	defer tx.End()
	srcEnt := tx.Get(c.DB, src)
	dstEnt := tx.Get(c.DB, dst)
	if srcEnt == nil {
		c.W.Int(0)
		return
	}
	ss, ok := setOf(c, srcEnt)
	if !ok {
		return
	}
	ds, ok := setOf(c, dstEnt)
	if !ok {
		return
	}
	if bytes.Equal(src, dst) {
		if ss.Contains(m) {
			c.W.Int(1)
		} else {
			c.W.Int(0)
		}
		return
	}
	if !ss.Contains(m) {
		c.W.Int(0)
		return
	}
	inDst := ds != nil && ds.Contains(m)
	p := tx.Payload()
	crdt.EncodeSet(p, crdt.SetRem, [][]byte{m})
	tx.Event = notify.SRem
	tx.Coll(c.DB, src, effect.OpSet, p)
	if !inDst {
		p = tx.Payload()
		crdt.EncodeSet(p, crdt.SetAdd, [][]byte{m})
		tx.Event = notify.SAdd
		tx.Coll(c.DB, dst, effect.OpSet, p)
	}
	c.W.Int(1)
}

// Set algebra.

const (
	setInter = iota
	setUnion
	setDiff
)

// loadSets looks keys up as sets for reading (nil for a missing key). On a
// key of another kind it replies WRONGTYPE and returns ok=false; every key
// is looked up first, as Redis does.
func loadSets(c *Ctx, tx *engine.Tx, keys [][]byte) ([]*crdt.Set, bool) {
	sets := make([]*crdt.Set, len(keys))
	for i, k := range keys {
		ent := tx.Read(c.DB, k)
		if ent == nil {
			continue
		}
		if ent.Kind != keyspace.KindSet {
			c.WrongType()
			return nil, false
		}
		sets[i], _ = ent.Obj().(*crdt.Set)
	}
	return sets, true
}

// interMembers returns the intersection of sets (all non-nil), at most
// limit members when limit > 0, in the order of the smallest set.
func interMembers(sets []*crdt.Set, limit int) []string {
	sorted := append([]*crdt.Set(nil), sets...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Len() < sorted[j].Len() })
	var out []string
	sorted[0].EachString(func(m string) bool {
		for _, o := range sorted[1:] {
			if o != sorted[0] && !o.ContainsString(m) {
				return true
			}
		}
		out = append(out, m)
		return limit <= 0 || len(out) < limit
	})
	return out
}

// interCount counts the intersection of sets (all non-nil), stopping at
// limit when limit > 0.
func interCount(sets []*crdt.Set, limit int64) int64 {
	sorted := append([]*crdt.Set(nil), sets...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Len() < sorted[j].Len() })
	var n int64
	sorted[0].Each(func(m []byte) bool {
		for _, o := range sorted[1:] {
			if o != sorted[0] && !o.Contains(m) {
				return true
			}
		}
		n++
		return limit <= 0 || n < limit
	})
	return n
}

// combine computes a union or difference into a new set, built from empty
// as Redis builds its result (so its encoding is Redis').
func combine(sets []*crdt.Set, op int) *crdt.Set {
	res := crdt.NewSet()
	switch op {
	case setUnion:
		for _, s := range sets {
			if s != nil {
				s.Each(func(m []byte) bool { res.Add(m); return true })
			}
		}
	case setDiff:
		if sets[0] == nil {
			return res
		}
		sets[0].Each(func(m []byte) bool {
			for _, o := range sets[1:] {
				if o != nil && o.Contains(m) {
					return true
				}
			}
			res.Add(m)
			return true
		})
	}
	return res
}

// setAlgebra serves SINTER/SUNION/SDIFF (from=1) and their STORE forms
// (from=2, the destination at argument 1).
func setAlgebra(c *Ctx, op int, from int, store bool) {
	keys := c.Args[from:]
	var tx *engine.Tx
	if store {
		tx = c.Eng.Begin(c.DB, c.Args[1:]...)
	} else {
		tx = c.Eng.Begin(c.DB, keys...)
	}
	defer tx.End()
	sets, ok := loadSets(c, tx, keys)
	if !ok {
		return
	}
	var members []string
	var res *crdt.Set
	if op == setInter {
		empty := false
		for _, s := range sets {
			if s == nil {
				empty = true
			}
		}
		if !empty {
			members = interMembers(sets, 0)
		}
	} else {
		res = combine(sets, op)
	}
	if !store {
		if res != nil {
			replySet(c, res)
			return
		}
		c.W.SetLen(len(members))
		for _, m := range members {
			c.W.BulkString(m)
		}
		return
	}
	dst := c.Args[1]
	n := len(members)
	if res != nil {
		n = res.Len()
	}
	if n == 0 {
		if tx.Get(c.DB, dst) != nil {
			tx.Delete(c.DB, dst)
		}
		c.W.Int(0)
		return
	}
	p := tx.Payload()
	if res != nil {
		p.Byte(crdt.SetAdd)
		p.Uvarint(uint64(n))
		var mb [64]byte
		for i := 0; i < n; i++ {
			p.Bytes(res.AppendAt(mb[:0], i))
		}
	} else {
		crdt.EncodeSetStrings(p, crdt.SetAdd, members)
	}
	tx.Event = [...]uint8{setInter: notify.SInterStore, setUnion: notify.SUnionStore, setDiff: notify.SDiffStore}[op]
	tx.CollReplace(c.DB, dst, effect.OpSet, p, 0, false)
	c.W.Int(int64(n))
}

func cmdSintercard(c *Ctx) {
	numkeys, ok := ParseInt(c.Args[1])
	if !ok || numkeys < 1 {
		c.Error("ERR numkeys should be greater than 0")
		return
	}
	if numkeys > int64(len(c.Args)-2) {
		c.Error("ERR Number of keys can't be greater than number of args")
		return
	}
	var limit int64
	for i := 2 + int(numkeys); i < len(c.Args); i++ {
		if c.Is(i, "limit") && i+1 < len(c.Args) {
			i++
			v, ok := ParseInt(c.Args[i])
			if !ok || v < 0 {
				c.Error("ERR LIMIT can't be negative")
				return
			}
			limit = v
			continue
		}
		c.Syntax()
		return
	}
	keys := c.Args[2 : 2+numkeys]
	tx := c.Eng.Begin(c.DB, keys...)
	defer tx.End()
	sets, ok := loadSets(c, tx, keys)
	if !ok {
		return
	}
	for _, s := range sets {
		if s == nil {
			c.W.Int(0)
			return
		}
	}
	c.W.Int(interCount(sets, limit))
}

func cmdSscan(c *Ctx) {
	cursor, ok := parseScanCursor(c.Args[2])
	if !ok {
		c.Error("ERR invalid cursor")
		return
	}
	key := c.Args[1]
	tx := c.Eng.Begin1(c.DB, key)
	defer tx.End()
	s, ok := setOf(c, tx.Read(c.DB, key))
	if !ok {
		return
	}
	if s == nil {
		c.W.ArrayLen(2)
		c.W.BulkString("0")
		c.W.ArrayLen(0)
		return
	}
	count, g, ok := scanOptions(c, 3, nil)
	if !ok {
		return
	}
	if count > 1<<31 {
		count = 1 << 31
	}
	var out [][]byte
	next := s.Scan(cursor, int(count), func(m []byte) {
		if g != nil && !g.match(bstr(m)) {
			return
		}
		out = append(out, append([]byte(nil), m...))
	})
	var buf [20]byte
	c.W.ArrayLen(2)
	c.W.Bulk(strconv.AppendUint(buf[:0], next, 10))
	c.W.ArrayLen(len(out))
	for _, m := range out {
		c.W.Bulk(m)
	}
}

// bstr views b as a string without copying, for a lookup or a match.
func bstr(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }
