package commands

import (
	"github.com/lightconedb/lightcone/internal/crdt"
	"github.com/lightconedb/lightcone/internal/effect"
)

// Hash field TTLs, implemented from Redis' documentation (redis-server 7.0
// has none of these, so there is no differential test; see
// hashes_ttl_test.go): HEXPIRE HPEXPIRE HEXPIREAT HPEXPIREAT HTTL HPTTL
// HEXPIRETIME HPEXPIRETIME HPERSIST (Redis 7.4), HGETDEL HGETEX HSETEX
// (Redis 8.0).
//
// A field's TTL is an absolute Unix ms time; the field expires when it is
// <= the command's time. Expired fields are removed by the next command
// that meets them (see hashes.go); an active sweep would need the engine to
// index hashes by their earliest field TTL (crdt.Hash.MinExpire).

func init() { families = append(families, registerHashTTL) }

func registerHashTTL(t *Table) {
	w := []string{"write", "hash", "fast"}
	r := []string{"read", "hash", "fast"}
	const perField = "O(N) where N is the number of specified fields"
	expire := func(name, summary string, seconds, abs bool) *Command {
		arg := "seconds"
		switch {
		case abs && seconds:
			arg = "unix-time-seconds"
		case abs:
			arg = "unix-time-milliseconds"
		case !seconds:
			arg = "milliseconds"
		}
		return &Command{Name: name, Arity: -6, Flags: []string{"write", "denyoom", "fast"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: w, Summary: summary, Since: "7.4.0", Group: "hash", Complexity: perField,
			Syntax:  "key " + arg + " [NX | XX | GT | LT] FIELDS numfields field [field ...]",
			Handler: func(c *Ctx) { cmdHexpire(c, seconds, abs) }}
	}
	ttl := func(name, summary string, seconds, abs bool) *Command {
		return &Command{Name: name, Arity: -5, Flags: []string{"readonly", "fast"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: r, Summary: summary, Since: "7.4.0", Group: "hash", Complexity: perField,
			Syntax:  "key FIELDS numfields field [field ...]",
			Handler: func(c *Ctx) { cmdHttl(c, seconds, abs) }}
	}
	t.Register(
		expire("hexpire", "Set expiry for hash field using relative time to expire (seconds)", true, false),
		expire("hpexpire", "Set expiry for hash field using relative time to expire (milliseconds)", false, false),
		expire("hexpireat", "Set expiry for hash field using an absolute Unix timestamp (seconds)", true, true),
		expire("hpexpireat", "Set expiry for hash field using an absolute Unix timestamp (milliseconds)", false, true),
		ttl("httl", "Returns the TTL in seconds of a hash field.", true, false),
		ttl("hpttl", "Returns the TTL in milliseconds of a hash field.", false, false),
		ttl("hexpiretime", "Returns the expiration time of a hash field as a Unix timestamp, in seconds.", true, true),
		ttl("hpexpiretime", "Returns the expiration time of a hash field as a Unix timestamp, in msec.", false, true),
		&Command{Name: "hpersist", Arity: -5, Flags: []string{"write", "fast"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: w, Summary: "Removes the expiration time for each specified field", Since: "7.4.0", Group: "hash",
			Complexity: perField, Syntax: "key FIELDS numfields field [field ...]", Handler: cmdHpersist},
		&Command{Name: "hgetdel", Arity: -5, Flags: []string{"write", "fast"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: w, Summary: "Returns the value of a field and deletes it from the hash.", Since: "8.0.0", Group: "hash",
			Complexity: perField, Syntax: "key FIELDS numfields field [field ...]", Handler: cmdHgetdel},
		&Command{Name: "hgetex", Arity: -5, Flags: []string{"write", "fast"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: w, Summary: "Get the value of one or more fields of a given hash key, and optionally set their expiration.",
			Since: "8.0.0", Group: "hash", Complexity: perField,
			Syntax:  "key [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | PERSIST] FIELDS numfields field [field ...]",
			Handler: cmdHgetex},
		&Command{Name: "hsetex", Arity: -6, Flags: []string{"write", "denyoom", "fast"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: w, Summary: "Set the value of one or more fields of a given hash key, and optionally set their expiration.",
			Since: "8.0.0", Group: "hash", Complexity: "O(N) where N is the number of fields being set.",
			Syntax:  "key [FNX | FXX] [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL] FIELDS numfields field value [field value ...]",
			Handler: cmdHsetex},
	)
}

// hfeMaxMs is the latest field expiry time Redis accepts (its 48-bit
// expiry, less two reserved bits): Unix ms 2^46 - 1.
const hfeMaxMs = (1<<48 - 1) >> 2

const (
	errHFieldsMissing  = "ERR Mandatory argument FIELDS is missing or not at the right position"
	errHFieldsMismatch = "ERR The `numfields` parameter must match the number of arguments"
	errHNumFields      = "ERR Number of fields must be a positive integer"
)

// parseHExpire reads a field expiry argument as Redis does: an integer >= 0
// in seconds or ms, plus base (now for relative times, 0 for absolute
// ones), at most hfeMaxMs.
func parseHExpire(c *Ctx, arg []byte, seconds bool, base int64) (int64, bool) {
	v, ok := ParseInt(arg)
	if !ok {
		c.Error(ErrNotInt)
		return 0, false
	}
	if v < 0 {
		c.Error("ERR invalid expire time, must be >= 0")
		return 0, false
	}
	if seconds {
		if v > hfeMaxMs/1000 {
			c.Errorf(ErrInvalidExpire, c.Cmd.Name)
			return 0, false
		}
		v *= 1000
	}
	if v > hfeMaxMs-base {
		c.Errorf(ErrInvalidExpire, c.Cmd.Name)
		return 0, false
	}
	return v + base, true
}

// parseHFields checks "FIELDS numfields field..." with FIELDS at index at:
// it returns the fields.
func parseHFields(c *Ctx, at int, numMsg string) ([][]byte, bool) {
	if at+1 >= len(c.Args) {
		c.WrongArgs()
		return nil, false
	}
	if !c.Is(at, "fields") {
		c.Error(errHFieldsMissing)
		return nil, false
	}
	n, ok := ParseInt(c.Args[at+1])
	if !ok || n < 1 {
		c.Error(numMsg)
		return nil, false
	}
	fields := c.Args[at+2:]
	if n != int64(len(fields)) {
		c.Error(errHFieldsMismatch)
		return nil, false
	}
	return fields, true
}

// hashTTLs tracks, within one command, the fields it changed, so that a
// field named twice sees the first change.
type hashTTLs struct {
	v       *hashView
	ttl     map[string]int64
	deleted map[string]bool
}

func (s *hashTTLs) exists(f []byte) bool {
	if s.deleted[string(f)] {
		return false
	}
	_, ok := s.v.get(f)
	return ok
}

func (s *hashTTLs) get(f []byte) ([]byte, bool) {
	if s.deleted[string(f)] {
		return nil, false
	}
	return s.v.get(f)
}

func (s *hashTTLs) ttlOf(f []byte) int64 {
	if at, ok := s.ttl[string(f)]; ok {
		return at
	}
	return s.v.h.TTL(f)
}

func (s *hashTTLs) setTTL(f []byte, at int64) {
	if s.ttl == nil {
		s.ttl = map[string]int64{}
	}
	s.ttl[string(f)] = at
}

func (s *hashTTLs) del(f []byte) {
	if s.deleted == nil {
		s.deleted = map[string]bool{}
	}
	s.deleted[string(f)] = true
}

// replyInts replies an array of n copies of v.
func replyInts(c *Ctx, n int, v int64) {
	c.W.ArrayLen(n)
	for i := 0; i < n; i++ {
		c.W.Int(v)
	}
}

// cmdHexpire is HEXPIRE, HPEXPIRE, HEXPIREAT and HPEXPIREAT. Per field: -2
// no such field, 0 the NX/XX/GT/LT condition failed (a field without a TTL
// counts as an infinite one), 1 set, 2 deleted (a time already past).
func cmdHexpire(c *Ctx, seconds, abs bool) {
	key := c.Args[1]
	tx := c.Eng.Begin1(c.DB, key)
	defer tx.End()
	v, ok := writeHash(c, tx, key)
	if !ok {
		return
	}
	base := tx.Now
	if abs {
		base = 0
	}
	at, ok := parseHExpire(c, c.Args[2], seconds, base)
	if !ok {
		return
	}
	cond := ""
	fieldsAt := 3
	for _, x := range []string{"nx", "xx", "gt", "lt"} {
		if c.Is(3, x) {
			cond, fieldsAt = x, 4
		}
	}
	fields, ok := parseHFields(c, fieldsAt, "ERR Parameter `numFields` should be greater than 0")
	if !ok {
		return
	}
	p := v.payload(tx)
	if v.h == nil {
		flushHash(c, tx, key, p)
		replyInts(c, len(fields), -2)
		return
	}
	s := hashTTLs{v: &v}
	res := make([]int64, len(fields))
	var set, gone [][]byte
	var ats []int64
	for i, f := range fields {
		if !s.exists(f) {
			res[i] = -2
			continue
		}
		prev := s.ttlOf(f)
		if prev == 0 {
			if cond == "xx" || cond == "gt" {
				continue
			}
		} else if cond == "nx" || (cond == "gt" && prev >= at) || (cond == "lt" && prev <= at) {
			continue
		}
		if at <= tx.Now {
			res[i] = 2
			s.del(f)
			gone = append(gone, f)
			continue
		}
		res[i] = 1
		s.setTTL(f, at)
		set, ats = append(set, f), append(ats, at)
	}
	if len(set) > 0 || v.h.Encoding() == "listpack" {
		crdt.EncodeHashTTL(p, set, ats) // a listpack becomes a listpackex
	}
	if len(gone) > 0 {
		crdt.EncodeHashDel(p, gone)
	}
	flushHash(c, tx, key, p)
	c.W.ArrayLen(len(res))
	for _, r := range res {
		c.W.Int(r)
	}
}

// cmdHttl is HTTL, HPTTL, HEXPIRETIME and HPEXPIRETIME. Per field: -2 no
// such field, -1 no TTL, else the TTL or expiry time (seconds round up).
func cmdHttl(c *Ctx, seconds, abs bool) {
	key := c.Args[1]
	tx := c.Eng.Begin1(c.DB, key)
	defer tx.End()
	h, ok := readHash(c, tx, key)
	if !ok {
		return
	}
	fields, ok := parseHFields(c, 2, errHNumFields)
	if !ok {
		return
	}
	if h == nil {
		replyInts(c, len(fields), -2)
		return
	}
	base := tx.Now
	if abs {
		base = 0
	}
	c.W.ArrayLen(len(fields))
	for _, f := range fields {
		if _, found := h.Get(f); !found {
			c.W.Int(-2)
			continue
		}
		at := h.TTL(f)
		switch {
		case at == 0:
			c.W.Int(-1)
		case seconds:
			c.W.Int((at + 999 - base) / 1000)
		default:
			c.W.Int(at - base)
		}
	}
}

// cmdHpersist: per field -2 no such field, -1 no TTL, 1 TTL removed.
func cmdHpersist(c *Ctx) {
	key := c.Args[1]
	tx := c.Eng.Begin1(c.DB, key)
	defer tx.End()
	v, ok := writeHash(c, tx, key)
	if !ok {
		return
	}
	fields, ok := parseHFields(c, 2, errHNumFields)
	if !ok {
		return
	}
	p := v.payload(tx)
	if v.h == nil {
		flushHash(c, tx, key, p)
		replyInts(c, len(fields), -2)
		return
	}
	s := hashTTLs{v: &v}
	var set [][]byte
	var ats []int64
	c.W.ArrayLen(len(fields))
	for _, f := range fields {
		switch {
		case !s.exists(f):
			c.W.Int(-2)
		case s.ttlOf(f) == 0:
			c.W.Int(-1)
		default:
			s.setTTL(f, 0)
			set, ats = append(set, f), append(ats, 0)
			c.W.Int(1)
		}
	}
	if len(set) > 0 {
		crdt.EncodeHashTTL(p, set, ats)
	}
	flushHash(c, tx, key, p)
}

// cmdHgetdel replies the fields' values (null when missing) and deletes
// them; the key goes with its last field.
func cmdHgetdel(c *Ctx) {
	key := c.Args[1]
	tx := c.Eng.Begin1(c.DB, key)
	defer tx.End()
	v, ok := writeHash(c, tx, key)
	if !ok {
		return
	}
	fields, ok := parseHFields(c, 2, errHNumFields)
	if !ok {
		return
	}
	p := v.payload(tx)
	s := hashTTLs{v: &v}
	var gone [][]byte
	c.W.ArrayLen(len(fields))
	for _, f := range fields {
		val, found := s.get(f)
		if !found {
			c.W.Null()
			continue
		}
		c.W.Bulk(val)
		s.del(f)
		gone = append(gone, f)
	}
	if len(gone) > 0 {
		crdt.EncodeHashDel(p, gone)
	}
	flushHash(c, tx, key, p)
}

// cmdHgetex replies the fields' values and, with EX/PX/EXAT/PXAT, gives
// the fields that exist that TTL (a time already past deletes them), or
// with PERSIST removes their TTL.
func cmdHgetex(c *Ctx) {
	key := c.Args[1]
	tx := c.Eng.Begin1(c.DB, key)
	defer tx.End()
	v, ok := writeHash(c, tx, key)
	if !ok {
		return
	}
	cond := ""
	fieldsAt := 2
	var at int64
	switch {
	case c.Is(2, "ex"), c.Is(2, "px"), c.Is(2, "exat"), c.Is(2, "pxat"):
		cond = string(c.Args[2])
		seconds := c.Is(2, "ex") || c.Is(2, "exat")
		base := tx.Now
		if c.Is(2, "exat") || c.Is(2, "pxat") {
			base = 0
		}
		if at, ok = parseHExpire(c, c.Args[3], seconds, base); !ok {
			return
		}
		fieldsAt = 4
	case c.Is(2, "persist"):
		cond, fieldsAt = "persist", 3
	}
	fields, ok := parseHFields(c, fieldsAt, errHNumFields)
	if !ok {
		return
	}
	p := v.payload(tx)
	if v.h == nil {
		flushHash(c, tx, key, p)
		c.W.ArrayLen(len(fields))
		for range fields {
			c.W.Null()
		}
		return
	}
	s := hashTTLs{v: &v}
	var set, gone [][]byte
	var ats []int64
	c.W.ArrayLen(len(fields))
	for _, f := range fields {
		val, found := s.get(f)
		if !found {
			c.W.Null()
			continue
		}
		c.W.Bulk(val)
		switch {
		case cond == "":
		case cond == "persist":
			if s.ttlOf(f) != 0 {
				s.setTTL(f, 0)
				set, ats = append(set, f), append(ats, 0)
			}
		case at <= tx.Now:
			s.del(f)
			gone = append(gone, f)
		default:
			s.setTTL(f, at)
			set, ats = append(set, f), append(ats, at)
		}
	}
	if len(set) > 0 || (cond != "" && v.h.Encoding() == "listpack") {
		crdt.EncodeHashTTL(p, set, ats)
	}
	if len(gone) > 0 {
		crdt.EncodeHashDel(p, gone)
	}
	flushHash(c, tx, key, p)
}

// cmdHsetex sets fields like HSET and, with EX/PX/EXAT/PXAT, gives them a
// TTL (a time already past deletes them), with KEEPTTL keeps theirs; FNX
// sets only when no field exists, FXX only when all do. Replies 1, or 0 when
// the condition failed.
func cmdHsetex(c *Ctx) {
	key := c.Args[1]
	tx := c.Eng.Begin1(c.DB, key)
	defer tx.End()
	var fnx, fxx, keep, expiry bool
	var at int64
	var pairs [][]byte
	for i := 2; i < len(c.Args) && pairs == nil; i++ {
		switch {
		case c.Is(i, "fields"):
			if i >= len(c.Args)-3 {
				c.WrongArgs()
				return
			}
			n, ok := ParseInt(c.Args[i+1])
			if !ok || n < 1 || n > 1<<31-1 {
				c.Error("ERR invalid number of fields")
				return
			}
			rest := len(c.Args) - i - 2
			if rest%2 != 0 || n != int64(rest/2) {
				c.WrongArgs()
				return
			}
			pairs = c.Args[i+2:]
		case c.Is(i, "ex"), c.Is(i, "px"), c.Is(i, "exat"), c.Is(i, "pxat"), c.Is(i, "keepttl"):
			if expiry || keep {
				c.Error("ERR Only one of EX, PX, EXAT, PXAT or KEEPTTL arguments can be specified")
				return
			}
			if c.Is(i, "keepttl") {
				keep = true
				continue
			}
			if i >= len(c.Args)-1 {
				c.Error("ERR missing expire time")
				return
			}
			seconds := c.Is(i, "ex") || c.Is(i, "exat")
			base := tx.Now
			if c.Is(i, "exat") || c.Is(i, "pxat") {
				base = 0
			}
			var ok bool
			if at, ok = parseHExpire(c, c.Args[i+1], seconds, base); !ok {
				return
			}
			expiry = true
			i++
		case c.Is(i, "fxx"), c.Is(i, "fnx"):
			if fnx || fxx {
				c.Error("ERR Only one of FXX or FNX arguments can be specified")
				return
			}
			fxx, fnx = c.Is(i, "fxx"), c.Is(i, "fnx")
		default:
			c.Error("ERR unknown argument: " + string(c.Args[i]))
			return
		}
	}
	if pairs == nil {
		c.WrongArgs()
		return
	}
	v, ok := writeHash(c, tx, key)
	if !ok {
		return
	}
	p := v.payload(tx)
	if fnx || fxx {
		found := 0
		for i := 0; i < len(pairs); i += 2 {
			if _, ok := v.get(pairs[i]); ok {
				found++
			}
		}
		if (fnx && found != 0) || (fxx && found != len(pairs)/2) {
			flushHash(c, tx, key, p)
			c.W.Int(0)
			return
		}
	}
	switch {
	case expiry && at <= tx.Now:
		// set, then deleted at once: only the fields that were there go,
		// and the encoding changes Redis makes on the way stay
		if v.h != nil {
			if !v.h.IsHashtable() {
				for _, a := range pairs {
					if len(a) > crdt.HashMaxListpackValue {
						crdt.EncodeHashConvert(p, crdt.HashToHT)
						break
					}
				}
			}
			crdt.EncodeHashConvert(p, crdt.HashToLPEx)
			var gone [][]byte
			for i := 0; i < len(pairs); i += 2 {
				if _, ok := v.get(pairs[i]); ok {
					gone = append(gone, pairs[i])
				}
			}
			if len(gone) > 0 {
				crdt.EncodeHashDel(p, gone)
			}
		}
	case expiry:
		crdt.EncodeHashSetTTL(p, pairs, at)
	case keep:
		crdt.EncodeHashSet(p, crdt.HashKeepTTL, pairs)
	default:
		crdt.EncodeHashSet(p, 0, pairs)
	}
	if len(p.B) > 0 {
		tx.Coll(c.DB, key, effect.OpHash, p)
	}
	c.W.Int(1)
}
