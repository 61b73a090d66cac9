package commands

import (
	"bytes"

	"github.com/lightconedb/lightcone/internal/crdt"
	"github.com/lightconedb/lightcone/internal/engine"
	"github.com/lightconedb/lightcone/internal/keyspace"
)

// SORT and SORT_RO, as Redis 7.0 runs them:
//
//   - options are read left to right; a syntax error, a bad LIMIT number or
//     a BY/GET refused by ACL stops there, before the key is looked up;
//   - the key must be missing (an empty list), a list, a set or a sorted
//     set (Redis also converts a listpack sorted set to a skiplist on the
//     way; that is not done here, see sort_zset.go);
//   - BY with a pattern without '*' means "do not sort": lists and sorted
//     sets keep their order (reversed by DESC), sets their iteration order
//     (but STORE, or a script, sorts a set ALPHA all the same);
//   - numeric sorting reads each score as C's strtod would (sort_num.go) and
//     breaks ties by the elements' bytes; ALPHA compares as strcoll in the
//     C locale (byte order up to the first NUL), or byte for byte with
//     STORE; elements whose BY key is missing sort first under ALPHA and
//     score 0 otherwise;
//   - the whole vector is sorted stably (glibc's qsort is a merge sort), but
//     with BY and a LIMIT that does not cover everything Redis runs its own
//     partial quicksort (sort_pqsort.go), whose order among equal elements
//     this reproduces;
//   - GET and BY patterns replace the first '*' with the element, "->field"
//     reads a hash field, "#" is the element itself; a key of the wrong
//     type reads as missing;
//   - STORE replaces the destination with a list (missing GET values stored
//     as ""), or deletes it when the result is empty, and replies the
//     number of elements.

func init() { families = append(families, registerSort) }

func registerSort(t *Table) {
	const complexity = "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N)."
	t.Register(
		&Command{Name: "sort", Arity: -2, Flags: []string{"write", "denyoom", "movablekeys"}, FirstKey: 1, LastKey: 1, Step: 1,
			Keys:       sortKeys,
			Categories: []string{"write", "set", "sortedset", "list", "slow", "dangerous"},
			Summary:    "Sort the elements in a list, set or sorted set", Since: "1.0.0", Group: "generic", Complexity: complexity,
			Syntax:  "key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC | DESC] [ALPHA] [STORE destination]",
			Handler: func(c *Ctx) { cmdSort(c, false) }},
		&Command{Name: "sort_ro", Arity: -2, Flags: []string{"readonly", "movablekeys"}, FirstKey: 1, LastKey: 1, Step: 1,
			Keys:       func([][]byte) []int { return []int{1} },
			Categories: []string{"read", "set", "sortedset", "list", "slow", "dangerous"},
			Summary:    "Sort the elements in a list, set or sorted set. Read-only variant of SORT.", Since: "7.0.0", Group: "generic", Complexity: complexity,
			Syntax:  "key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC | DESC] [ALPHA]",
			Handler: func(c *Ctx) { cmdSort(c, true) }},
	)
}

// sortKeys finds SORT's keys as Redis' sortGetKeys does: the sorted key,
// and the destination of the last STORE. Options are skipped by their
// argument counts (LIMIT 2, GET and BY 1); the word after STORE is still
// read as an option. The keys BY and GET patterns lead to are not declared.
func sortKeys(args [][]byte) []int {
	keys := []int{1}
	store := 0
	for i := 2; i < len(args); i++ {
		switch a := args[i]; {
		case EqualFold(a, "limit"):
			i += 2
		case EqualFold(a, "get"), EqualFold(a, "by"):
			i++
		case EqualFold(a, "store") && i+1 < len(args):
			store = i + 1
		}
	}
	if store > 0 {
		keys = append(keys, store)
	}
	return keys
}

// SortKeyAccess may be implemented by the Client of a command: SORT asks it
// whether the user may read every key before it accepts a BY or GET
// pattern, as Redis does. A client that does not implement it may.
type SortKeyAccess interface {
	CanReadAllKeys() bool
}

// ScriptCaller may be implemented by the Client: InScript reports whether
// the command runs from a script (SORT then sorts a set even with BY
// nosort, so that the result does not depend on the set's layout).
type ScriptCaller interface {
	InScript() bool
}

// sortPattern is a BY or GET pattern, read as Redis reads it: as a C
// string (up to its first NUL) to find '#', '*' and "->", while the key's
// tail and the field keep every byte.
type sortPattern struct {
	self   bool   // "#": the element itself
	none   bool   // no '*': never found
	prefix []byte // key bytes before the element
	suffix []byte // key bytes after it
	field  []byte // hash field ("->field"), nil for a string key
}

func parseSortPattern(p []byte) sortPattern {
	if len(p) > 0 && p[0] == '#' && (len(p) == 1 || p[1] == 0) {
		return sortPattern{self: true}
	}
	cs := cstr(p)
	star := bytes.IndexByte(cs, '*')
	if star < 0 {
		return sortPattern{none: true}
	}
	sp := sortPattern{prefix: p[:star]}
	end := len(p)
	if f := bytes.Index(cs[star+1:], []byte("->")); f >= 0 {
		f += star + 1
		if f+2 < len(cs) {
			sp.field = p[f+2:]
			end = f
		}
	}
	sp.suffix = p[star+1 : end]
	return sp
}

// hasStar reports whether a BY pattern makes SORT sort (strchr(p, '*')).
func hasStar(p []byte) bool { return bytes.IndexByte(cstr(p), '*') >= 0 }

// sortElem is one element of the vector being sorted.
type sortElem struct {
	v     []byte  // the element
	by    []byte  // ALPHA with BY: the BY value (when has)
	score float64 // numeric sort: the score
	has   bool    // the BY value exists
}

type sortRun struct {
	c     *Ctx
	tx    *engine.Tx
	kbuf  []byte
	alpha bool
	desc  bool
	by    bool // sorting by a pattern
	store bool // STORE (byte comparisons instead of strcoll)
}

// lookup reads pattern p for element v: the value, or ok false when the
// key is missing, holds another type, or the field is missing.
func (r *sortRun) lookup(p *sortPattern, v []byte) ([]byte, bool) {
	if p.self {
		return v, true
	}
	if p.none {
		return nil, false
	}
	k := append(r.kbuf[:0], p.prefix...)
	k = append(k, v...)
	k = append(k, p.suffix...)
	r.kbuf = k
	ent := r.tx.Read(r.c.DB, k)
	if ent == nil {
		return nil, false
	}
	if p.field == nil {
		if ent.Kind != keyspace.KindString {
			return nil, false
		}
		return ent.Str, true
	}
	return sortHashField(ent, p.field, r.tx.Now)
}

// compare is Redis' sortCompare.
func (r *sortRun) compare(a, b *sortElem) int {
	var c int
	switch {
	case !r.alpha:
		switch {
		case a.score > b.score:
			c = 1
		case a.score < b.score:
			c = -1
		default:
			c = bytes.Compare(a.v, b.v)
		}
	case r.by:
		switch {
		case !a.has || !b.has:
			if a.has == b.has {
				c = 0
			} else if !a.has {
				c = -1
			} else {
				c = 1
			}
		case r.store:
			c = bytes.Compare(a.by, b.by)
		default:
			c = bytes.Compare(cstr(a.by), cstr(b.by))
		}
	case r.store:
		c = bytes.Compare(a.v, b.v)
	default:
		c = bytes.Compare(cstr(a.v), cstr(b.v))
	}
	if r.desc {
		c = -c
	}
	return c
}

// sortArena holds the elements' bytes in one growing buffer, handed out as
// slices once loading is done (so that growth never leaves a slice behind).
type sortArena struct {
	b   []byte
	off []int
}

func (a *sortArena) add(v []byte) {
	a.b = append(a.b, v...)
	a.off = append(a.off, len(a.b))
}

func (a *sortArena) addString(v string) {
	a.b = append(a.b, v...)
	a.off = append(a.off, len(a.b))
}

func (a *sortArena) elems() []sortElem {
	out := make([]sortElem, len(a.off))
	start := 0
	for i, end := range a.off {
		out[i].v = a.b[start:end:end]
		start = end
	}
	return out
}

func cmdSort(c *Ctx, readonly bool) {
	var (
		desc, alpha, dontsort bool
		limStart, limCount    int64 = 0, -1
		byPat                 []byte
		gets                  [][]byte
		storeKey              []byte
	)
	allKeys := true
	if ka, ok := c.Client.(SortKeyAccess); ok {
		allKeys = ka.CanReadAllKeys()
	}
	args := c.Args
	for j := 2; j < len(args); j++ {
		left := len(args) - j - 1
		switch a := args[j]; {
		case EqualFold(a, "asc"):
			desc = false
		case EqualFold(a, "desc"):
			desc = true
		case EqualFold(a, "alpha"):
			alpha = true
		case EqualFold(a, "limit") && left >= 2:
			var ok bool
			if limStart, ok = c.IntArg(j + 1); !ok {
				return
			}
			if limCount, ok = c.IntArg(j + 2); !ok {
				return
			}
			j += 2
		case !readonly && EqualFold(a, "store") && left >= 1:
			storeKey = args[j+1]
			j++
		case EqualFold(a, "by") && left >= 1:
			byPat = args[j+1]
			if !hasStar(byPat) {
				dontsort = true
			} else if !allKeys {
				c.Error("ERR BY option of SORT denied due to insufficient ACL permissions.")
				return
			}
			j++
		case EqualFold(a, "get") && left >= 1:
			if !allKeys {
				c.Error("ERR GET option of SORT denied due to insufficient ACL permissions.")
				return
			}
			gets = append(gets, args[j+1])
			j++
		default:
			c.Syntax()
			return
		}
	}

	pats := make([]sortPattern, len(gets))
	lookups := false
	for i, g := range gets {
		pats[i] = parseSortPattern(g)
		lookups = lookups || (!pats[i].self && !pats[i].none)
	}
	var byP sortPattern
	if byPat != nil {
		byP = parseSortPattern(byPat)
		lookups = lookups || (!dontsort && !byP.self && !byP.none)
	}

	key := args[1]
	var tx *engine.Tx
	switch {
	case lookups:
		// the keys the patterns lead to are only known as the elements are
		// read: hold the whole database
		tx = c.Eng.BeginDBs(c.DB)
	case storeKey != nil:
		tx = c.Eng.Begin(c.DB, key, storeKey)
	default:
		tx = c.Eng.Begin1(c.DB, key)
	}
	defer tx.End()

	ent := tx.Read(c.DB, key) // a keyspace hit or miss, with STORE too (as Redis 7.0.15 counts)
	if ent != nil && sortSources[ent.Kind] == nil {
		c.WrongType()
		return
	}
	inScript := false
	if sc, ok := c.Client.(ScriptCaller); ok {
		inScript = sc.InScript()
	}
	isSet := ent != nil && ent.Kind == keyspace.KindSet
	if dontsort && isSet && (storeKey != nil || inScript) {
		dontsort, alpha, byPat = false, true, nil
	}
	src := sortSource{ordered: true, load: func(*sortArena, int, int, bool) {}} // missing: an empty list
	if ent != nil {
		src = sortSources[ent.Kind](c, tx, key, ent)
	}

	n := src.n
	// LIMIT, clamped to the vector first so that nothing overflows
	start := min(max(limStart, 0), int64(n))
	count := min(max(limCount, -1), int64(n))
	end := int64(n) - 1
	if count >= 0 {
		end = start + count - 1
	}
	if start >= int64(n) {
		start, end = int64(n)-1, int64(n)-2
	}
	if end >= int64(n) {
		end = int64(n) - 1
	}

	run := &sortRun{c: c, tx: tx, alpha: alpha, desc: desc, by: byPat != nil, store: storeKey != nil}
	var vec []sortElem
	if dontsort && src.ordered {
		// lists and sorted sets: only the range, in order (or reversed)
		var ar sortArena
		if end >= start {
			src.load(&ar, int(start), int(end), desc)
		}
		vec = ar.elems()
		end -= start
		start = 0
	} else {
		var ar sortArena
		src.load(&ar, 0, n-1, false)
		vec = ar.elems()
	}

	if !dontsort {
		convErr := false
		for i := range vec {
			e := &vec[i]
			bv := e.v
			if byPat != nil {
				v, ok := run.lookup(&byP, e.v)
				if !ok {
					continue
				}
				bv = v
			}
			if alpha {
				if byPat != nil {
					e.by, e.has = bv, true
				}
			} else if s, ok := sortScore(bv); ok {
				e.score = s
			} else {
				convErr = true
			}
		}
		if byPat != nil && (start != 0 || end != int64(len(vec))-1) {
			pqsortElems(vec, int(start), int(end), run.compare)
		} else {
			msortElems(vec, run)
		}
		if convErr {
			c.Error("ERR One or more scores can't be converted into double")
			return
		}
	}

	outLen := 0
	if end >= start {
		outLen = int(end - start + 1)
		if len(gets) > 0 {
			outLen *= len(gets)
		}
	}
	if storeKey == nil {
		c.W.ArrayLen(outLen)
		for j := start; j <= end; j++ {
			e := &vec[j]
			if len(gets) == 0 {
				c.W.Bulk(e.v)
			}
			for i := range pats {
				if v, ok := run.lookup(&pats[i], e.v); ok {
					c.W.Bulk(v)
				} else {
					c.W.Null()
				}
			}
		}
		return
	}
	vals := make([][]byte, 0, outLen)
	for j := start; j <= end; j++ {
		e := &vec[j]
		if len(gets) == 0 {
			vals = append(vals, e.v)
		}
		for i := range pats {
			v, ok := run.lookup(&pats[i], e.v)
			if !ok {
				v = []byte{}
			}
			vals = append(vals, v)
		}
	}
	sortStore(tx, c.DB, storeKey, vals)
	c.W.Int(int64(outLen))
}

// sortSource is the key being sorted, as SORT reads it.
type sortSource struct {
	n       int
	ordered bool // a list or a sorted set: BY nosort keeps its order
	// load appends the elements of positions lo..hi (reversed positions
	// when rev) to ar
	load func(ar *sortArena, lo, hi int, rev bool)
}

// sortSources read the kinds SORT accepts (sort_list.go, sort_zset.go);
// any other kind is WRONGTYPE.
var sortSources = map[keyspace.Kind]func(c *Ctx, tx *engine.Tx, key []byte, ent *keyspace.Entry) sortSource{}

func init() {
	sortSources[keyspace.KindSet] = func(_ *Ctx, _ *engine.Tx, _ []byte, ent *keyspace.Entry) sortSource {
		s := ent.Obj().(*crdt.Set)
		return sortSource{n: s.Len(), load: func(ar *sortArena, _, _ int, _ bool) {
			s.Each(func(m []byte) bool { ar.add(m); return true })
		}}
	}
}

// sortHashField is a hash field's value for a "->field" pattern: ok false
// when ent is not a hash or the field is missing (or past its TTL).
func sortHashField(ent *keyspace.Entry, field []byte, now int64) ([]byte, bool) {
	if ent.Kind != keyspace.KindHash {
		return nil, false
	}
	h := ent.Obj().(*crdt.Hash)
	v, ok := h.Get(field)
	if !ok {
		return nil, false
	}
	if h.HasTTLs() {
		if at := h.TTL(field); at != 0 && at <= now {
			return nil, false
		}
	}
	return v, true
}
