package commands

import (
	"bytes"
	"math"

	"github.com/lightconedb/lightcone/internal/crdt"
	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/engine"
	"github.com/lightconedb/lightcone/internal/keyspace"
	"github.com/lightconedb/lightcone/internal/notify"
	"github.com/lightconedb/lightcone/internal/resp"
)

// Streams: XADD XLEN XRANGE XREVRANGE XDEL XTRIM XSETID here; XREAD and
// XREADGROUP in streams_read.go; groups (XGROUP XACK XPENDING XCLAIM
// XAUTOCLAIM) in streams_group.go; XINFO in streams_info.go; DUMP/RESTORE
// in streams_dump.go. The value and its merge rule: internal/crdt/stream*.go.

func init() { families = append(families, registerStreams) }

const (
	errInvalidStreamID = "ERR Invalid stream ID specified as stream command argument"
	errXaddZero        = "ERR The ID specified in XADD must be greater than 0-0"
	errXaddSmaller     = "ERR The ID specified in XADD is equal or smaller than the target stream top item"
	errXaddExhausted   = "ERR The stream has exhausted the last possible ID, unable to add more items"
	errXaddTooLarge    = "ERR Elements are too large to be stored"
)

func registerStreams(t *Table) {
	wfast := []string{"write", "stream", "fast"}
	wslow := []string{"write", "stream", "slow"}
	rfast := []string{"read", "stream", "fast"}
	rslow := []string{"read", "stream", "slow"}
	t.Register(
		&Command{Name: "xadd", Arity: -5, Flags: []string{"write", "denyoom", "fast"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: wfast,
			Summary:    "Appends a new entry to a stream", Since: "5.0.0", Group: "stream",
			Complexity: "O(1) when adding a new entry, O(N) when trimming where N being the number of entries evicted.",
			Syntax:     "key [NOMKSTREAM] [<MAXLEN | MINID> [= | ~] threshold [LIMIT count]] <* | id> field value [field value ...]",
			Handler:    cmdXadd},
		&Command{Name: "xlen", Arity: 2, Flags: []string{"readonly", "fast"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: rfast,
			Summary:    "Return the number of entries in a stream", Since: "5.0.0", Group: "stream", Complexity: "O(1)",
			Syntax: "key", Handler: cmdXlen},
		&Command{Name: "xrange", Arity: -4, Flags: []string{"readonly"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: rslow,
			Summary:    "Return a range of elements in a stream, with IDs matching the specified IDs interval", Since: "5.0.0", Group: "stream",
			Complexity: "O(N) with N being the number of elements being returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).",
			Syntax:     "key start end [COUNT count]", Handler: func(c *Ctx) { cmdXrange(c, false) }},
		&Command{Name: "xrevrange", Arity: -4, Flags: []string{"readonly"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: rslow,
			Summary:    "Return a range of elements in a stream, with IDs matching the specified IDs interval, in reverse order (from greater to smaller IDs) compared to XRANGE", Since: "5.0.0", Group: "stream",
			Complexity: "O(N) with N being the number of elements returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).",
			Syntax:     "key end start [COUNT count]", Handler: func(c *Ctx) { cmdXrange(c, true) }},
		&Command{Name: "xdel", Arity: -3, Flags: []string{"write", "fast"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: wfast,
			Summary:    "Removes the specified entries from the stream. Returns the number of items actually deleted, that may be different from the number of IDs passed in case certain IDs do not exist.", Since: "5.0.0", Group: "stream",
			Complexity: "O(1) for each single item to delete in the stream, regardless of the stream size.",
			Syntax:     "key id [id ...]", Handler: cmdXdel},
		&Command{Name: "xtrim", Arity: -4, Flags: []string{"write"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: wslow,
			Summary:    "Trims the stream to (approximately if '~' is passed) a certain size", Since: "5.0.0", Group: "stream",
			Complexity: "O(N), with N being the number of evicted entries. Constant times are very small however, since entries are organized in macro nodes containing multiple entries that can be released with a single deallocation.",
			Syntax:     "key <MAXLEN | MINID> [= | ~] threshold [LIMIT count]", Handler: cmdXtrim},
		&Command{Name: "xsetid", Arity: -3, Flags: []string{"write", "denyoom", "fast"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: wfast,
			Summary:    "An internal command for replicating stream values", Since: "5.0.0", Group: "stream", Complexity: "O(1)",
			Syntax: "key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]", Handler: cmdXsetid},
	)
	registerStreamReads(t)
	registerStreamGroups(t)
	registerStreamInfo(t)
}

// ---- IDs ----

// string2ull is Redis' string2ull: a strict int64 that is not negative, or
// else what C's strtoull accepts (leading blanks, a sign, leading zeros; a
// '-' negates modulo 2^64), the whole string, no overflow.
func string2ull(s []byte) (uint64, bool) {
	if v, ok := ParseInt(s); ok {
		if v < 0 {
			return 0, false
		}
		return uint64(v), true
	}
	if len(s) == 0 {
		return 0, false
	}
	i := 0
	for i < len(s) && (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r')) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	start := i
	var v uint64
	over := false
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		d := uint64(s[i] - '0')
		if v > (math.MaxUint64-d)/10 {
			over = true
		}
		v = v*10 + d
		i++
	}
	if i == start || i != len(s) || over {
		return 0, false
	}
	if neg {
		v = -v
	}
	return v, true
}

// parseStreamID parses an ID as Redis' streamGenericParseIDOrReply: "-" and
// "+" (unless strict), "ms" (seq = missingSeq), "ms-seq", and with seqStar
// "ms-*" (seqGiven false). The argument is read as a C string (up to a NUL)
// and may not be longer than 127 bytes.
func parseStreamID(b []byte, missingSeq uint64, strict, seqStar bool) (id crdt.StreamID, seqGiven, ok bool) {
	if len(b) > 127 {
		return id, false, false
	}
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	if len(b) == 1 && (b[0] == '-' || b[0] == '+') {
		if strict {
			return id, false, false
		}
		if b[0] == '-' {
			return crdt.StreamID{}, true, true
		}
		return crdt.StreamIDMax, true, true
	}
	msPart, seqPart := b, []byte(nil)
	dot := bytes.IndexByte(b, '-')
	if dot >= 0 {
		msPart, seqPart = b[:dot], b[dot+1:]
	}
	ms, ok := string2ull(msPart)
	if !ok {
		return id, false, false
	}
	seq := missingSeq
	seqGiven = true
	if dot >= 0 {
		if seqStar && len(seqPart) == 1 && seqPart[0] == '*' {
			seq, seqGiven = 0, false
		} else if seq, ok = string2ull(seqPart); !ok {
			return id, false, false
		}
	}
	return crdt.StreamID{Ms: ms, Seq: seq}, seqGiven, true
}

// streamIDArg parses argument i as a strict ID (no "-" / "+"), replying the
// error when it is not one.
func (c *Ctx) streamIDArg(i int) (crdt.StreamID, bool) {
	id, _, ok := parseStreamID(c.Args[i], 0, true, false)
	if !ok {
		c.Error(errInvalidStreamID)
	}
	return id, ok
}

// intervalID parses a range bound: "(id" is exclusive (strict ID), else any
// ID with "-" and "+".
func intervalID(c *Ctx, b []byte, missingSeq uint64) (id crdt.StreamID, excl, ok bool) {
	if len(b) > 1 && b[0] == '(' {
		id, _, ok = parseStreamID(b[1:], missingSeq, true, false)
		excl = true
	} else {
		id, _, ok = parseStreamID(b, missingSeq, false, false)
	}
	if !ok {
		c.Error(errInvalidStreamID)
	}
	return id, excl, ok
}

// rangeBounds parses XRANGE-style start and end arguments, exclusive bounds
// turned inclusive.
func rangeBounds(c *Ctx, startArg, endArg []byte) (start, end crdt.StreamID, ok bool) {
	start, ex, ok := intervalID(c, startArg, 0)
	if !ok {
		return start, end, false
	}
	if ex {
		if start, ok = start.Next(); !ok {
			c.Error("ERR invalid start ID for the interval")
			return start, end, false
		}
	}
	end, ex, ok = intervalID(c, endArg, math.MaxUint64)
	if !ok {
		return start, end, false
	}
	if ex {
		if end, ok = end.Prev(); !ok {
			c.Error("ERR invalid end ID for the interval")
			return start, end, false
		}
	}
	return start, end, true
}

// ---- lookups and replies ----

// streamOf returns the stream held by ent (nil when ent is nil); ok is false
// (and WRONGTYPE replied) for another type.
func streamOf(c *Ctx, ent *keyspace.Entry) (*crdt.Stream, bool) {
	if ent == nil {
		return nil, true
	}
	if ent.Kind != keyspace.KindStream {
		c.WrongType()
		return nil, false
	}
	s, _ := ent.Obj().(*crdt.Stream)
	return s, true
}

func replyStreamID(w *resp.Writer, id crdt.StreamID) {
	var buf [48]byte
	w.Bulk(id.Append(buf[:0]))
}

// replyEntry writes [id, [field, value, ...]].
func replyEntry(w *resp.Writer, e *crdt.StreamEntry) {
	w.ArrayLen(2)
	replyStreamID(w, e.ID)
	w.ArrayLen(2 * e.NumFields())
	for i := e.NumFields(); i > 0; i-- {
		f, v := e.Next()
		w.Bulk(f)
		w.Bulk(v)
	}
}

// replyRange writes the entries start..end (at most count, 0 = all) as an
// array.
func replyRange(w *resp.Writer, s *crdt.Stream, start, end crdt.StreamID, count int64, rev bool) int64 {
	n := int64(0)
	s.Range(start, end, rev, func(*crdt.StreamEntry) bool {
		n++
		return count == 0 || n < count
	})
	w.ArrayLen(int(n))
	if n == 0 {
		return 0
	}
	i := int64(0)
	s.Range(start, end, rev, func(e *crdt.StreamEntry) bool {
		replyEntry(w, e)
		i++
		return i < n
	})
	return n
}

// writeStream writes one stream effect built in p.
func writeStream(tx *engine.Tx, db int, key []byte, p *crdt.Enc) {
	tx.Coll(db, key, effect.OpStream, p)
}

// uniqueIDs keeps, in order, the first occurrence of each ID for which
// keep is true (in place: it reuses ids).
func uniqueIDs(ids []crdt.StreamID, keep func(crdt.StreamID) bool) []crdt.StreamID {
	out := ids[:0]
	var seen map[crdt.StreamID]bool
	if len(ids) > 16 {
		seen = make(map[crdt.StreamID]bool, len(ids))
	}
	for _, id := range ids {
		dup := false
		if seen != nil {
			dup = seen[id]
			seen[id] = true
		} else {
			for _, x := range out {
				if x == id {
					dup = true
					break
				}
			}
		}
		if !dup && keep(id) {
			out = append(out, id)
		}
	}
	return out
}

// ---- XADD / XTRIM options ----

type addTrimArgs struct {
	trim     crdt.StreamTrim
	trimSet  bool
	nomk     bool
	idGiven  bool
	seqGiven bool
	id       crdt.StreamID
	idPos    int
}

// parseAddTrim parses XADD's options up to the ID (xadd) or XTRIM's, as
// Redis' streamParseAddOrTrimArgsOrReply.
func parseAddTrim(c *Ctx, xadd bool) (a addTrimArgs, ok bool) {
	limitGiven := false
	var limit int64
	i := 2
loop:
	for ; i < len(c.Args); i++ {
		more := len(c.Args) - 1 - i
		o := c.Args[i]
		switch {
		case xadd && len(o) == 1 && o[0] == '*':
			break loop
		case (EqualFold(o, "maxlen") || EqualFold(o, "minid")) && more > 0:
			if a.trimSet {
				c.Error("ERR syntax error, MAXLEN and MINID options at the same time are not compatible")
				return a, false
			}
			minid := EqualFold(o, "minid")
			a.trim.Approx = false
			next := c.Args[i+1]
			if more >= 2 && len(next) == 1 && next[0] == '~' {
				a.trim.Approx = true
				i++
			} else if more >= 2 && len(next) == 1 && next[0] == '=' {
				i++
			}
			if minid {
				id, ok := c.streamIDArg(i + 1)
				if !ok {
					return a, false
				}
				a.trim.MinID, a.trim.ID = true, id
			} else {
				v, ok := c.IntArg(i + 1)
				if !ok {
					return a, false
				}
				if v < 0 {
					c.Error("ERR The MAXLEN argument must be >= 0.")
					return a, false
				}
				a.trim.MaxLen = uint64(v)
			}
			i++
			a.trimSet = true
		case EqualFold(o, "limit") && more > 0:
			v, ok := c.IntArg(i + 1)
			if !ok {
				return a, false
			}
			if v < 0 {
				c.Error("ERR The LIMIT argument must be >= 0.")
				return a, false
			}
			limit, limitGiven = v, true
			i++
		case xadd && EqualFold(o, "nomkstream"):
			a.nomk = true
		case xadd:
			id, seqGiven, ok := parseStreamID(o, 0, true, true)
			if !ok {
				c.Error(errInvalidStreamID)
				return a, false
			}
			a.id, a.seqGiven, a.idGiven = id, seqGiven, true
			break loop
		default:
			c.Syntax()
			return a, false
		}
	}
	a.idPos = i
	if limit != 0 && !a.trimSet {
		c.Error("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy")
		return a, false
	}
	if !xadd && !a.trimSet {
		c.Error("ERR syntax error, XTRIM must be called with a trimming strategy")
		return a, false
	}
	if limitGiven {
		if !a.trim.Approx {
			c.Error("ERR syntax error, LIMIT cannot be used without the special ~ option")
			return a, false
		}
		a.trim.Limit = limit
	} else if a.trim.Approx {
		l := int64(100) * int64(crdt.StreamNodeMaxEntries)
		if l <= 0 || l > 10000 {
			l = 10000
		}
		a.trim.Limit = l
	}
	return a, true
}

// autoStreamID is the ID XADD mints after last at time now. On a single
// node it is Redis' rule (now-0, or last+1 when the clock is not ahead). In
// a cluster the low 32 bits of the sequence carry the node's tag (the low 32
// bits of its NodeID, which members must not share) and the high 32 bits a
// counter, so two nodes never mint the same ID: now-(0<<32|tag), or the
// next ID after last that ends in tag. ms-* (ms given) fills the sequence
// the same way within that millisecond; ok is false when no such ID is
// greater than last.
func autoStreamID(last crdt.StreamID, ms uint64, fixedMs, cluster bool, tag uint32) (crdt.StreamID, bool) {
	if !cluster {
		if fixedMs {
			switch {
			case ms > last.Ms:
				return crdt.StreamID{Ms: ms}, true
			case ms == last.Ms && last.Seq != math.MaxUint64:
				return crdt.StreamID{Ms: ms, Seq: last.Seq + 1}, true
			}
			return crdt.StreamID{}, false
		}
		if ms > last.Ms {
			return crdt.StreamID{Ms: ms}, true
		}
		return last.Next()
	}
	if ms > last.Ms {
		return crdt.StreamID{Ms: ms, Seq: uint64(tag)}, true
	}
	if fixedMs && ms < last.Ms {
		return crdt.StreamID{}, false
	}
	ctr := last.Seq >> 32
	if uint32(last.Seq) >= tag {
		ctr++
	}
	if ctr < 1<<32 {
		return crdt.StreamID{Ms: last.Ms, Seq: ctr<<32 | uint64(tag)}, true
	}
	if fixedMs || last.Ms == math.MaxUint64 {
		return crdt.StreamID{}, false
	}
	return crdt.StreamID{Ms: last.Ms + 1, Seq: uint64(tag)}, true
}

func cmdXadd(c *Ctx) {
	a, ok := parseAddTrim(c, true)
	if !ok {
		return
	}
	fieldPos := a.idPos + 1
	if n := len(c.Args) - fieldPos; n < 2 || n%2 == 1 {
		c.WrongArgs()
		return
	}
	if a.idGiven && a.seqGiven && a.id.IsZero() {
		c.Error(errXaddZero)
		return
	}
	key := c.Args[1]
	tx := c.Eng.Begin1(c.DB, key)
	defer tx.End()
	s, ok := streamOf(c, tx.Get(c.DB, key))
	if !ok {
		return
	}
	if s == nil && a.nomk {
		c.W.Null()
		return
	}
	var last crdt.StreamID
	if s != nil {
		last = s.LastID()
	}
	if last == crdt.StreamIDMax {
		c.Error(errXaddExhausted)
		return
	}
	var id crdt.StreamID
	cluster := c.Eng.Clustered()
	switch {
	case !a.idGiven:
		id, ok = autoStreamID(last, uint64(tx.Now), false, cluster, uint32(c.Eng.Node()))
	case !a.seqGiven:
		id, ok = autoStreamID(last, a.id.Ms, true, cluster, uint32(c.Eng.Node()))
	default:
		id, ok = a.id, last.Less(a.id)
	}
	fv := c.Args[fieldPos:]
	p := tx.Payload()
	if !ok || crdt.FVLen(fv) > crdt.StreamEntryMaxSize {
		if s == nil {
			crdt.StreamEncMk(p)        // Redis creates the key before it fails
			tx.Event = notify.NoSignal // ... and raises only "new" (no signal)
			writeStream(tx, c.DB, key, p)
		}
		if !ok {
			c.Error(errXaddSmaller)
		} else {
			c.Error(errXaddTooLarge)
		}
		return
	}
	crdt.StreamEncAdd(p, id, fv)
	tx.Event = notify.XAdd
	if a.trimSet {
		base := s
		if base == nil {
			base = crdt.NewStream()
		}
		plan := base.PlanTrim(a.trim, &id, crdt.FVLen(fv))
		if plan.Changes() || base.FirstIDStale() {
			crdt.StreamEncTrim(p, &plan)
		}
		if plan.Removed > 0 {
			tx.Event = notify.XAddTrim // "xadd" then "xtrim"
		}
	}
	writeStream(tx, c.DB, key, p)
	replyStreamID(c.W, id)
}

func cmdXlen(c *Ctx) {
	tx := c.Eng.Begin1(c.DB, c.Args[1])
	defer tx.End()
	s, ok := streamOf(c, tx.Read(c.DB, c.Args[1]))
	if !ok {
		return
	}
	if s == nil {
		c.W.Int(0)
		return
	}
	c.W.Int(int64(s.Length()))
}

func cmdXrange(c *Ctx, rev bool) {
	startArg, endArg := c.Args[2], c.Args[3]
	if rev {
		startArg, endArg = endArg, startArg
	}
	start, end, ok := rangeBounds(c, startArg, endArg)
	if !ok {
		return
	}
	count := int64(-1)
	for j := 4; j < len(c.Args); j++ {
		if c.Is(j, "count") && j+1 < len(c.Args) {
			v, ok := c.IntArg(j + 1)
			if !ok {
				return
			}
			if v < 0 {
				v = 0
			}
			count = v
			j++
		} else {
			c.Syntax()
			return
		}
	}
	tx := c.Eng.Begin1(c.DB, c.Args[1])
	defer tx.End()
	s, ok := streamOf(c, tx.Read(c.DB, c.Args[1]))
	if !ok {
		return
	}
	if s == nil {
		c.W.ArrayLen(0)
		return
	}
	if count == 0 {
		c.W.NullArray()
		return
	}
	if count < 0 {
		count = 0
	}
	replyRange(c.W, s, start, end, count, rev)
}

func cmdXdel(c *Ctx) {
	key := c.Args[1]
	tx := c.Eng.Begin1(c.DB, key)
	defer tx.End()
	s, ok := streamOf(c, tx.Get(c.DB, key))
	if !ok {
		return
	}
	if s == nil {
		c.W.Int(0)
		return
	}
	ids := make([]crdt.StreamID, 0, len(c.Args)-2)
	for j := 2; j < len(c.Args); j++ {
		id, ok := c.streamIDArg(j)
		if !ok {
			return
		}
		ids = append(ids, id)
	}
	del := uniqueIDs(ids, s.Has)
	if len(del) > 0 {
		p := tx.Payload()
		crdt.StreamEncDel(p, del)
		tx.Event = notify.XDel
		writeStream(tx, c.DB, key, p)
	}
	c.W.Int(int64(len(del)))
}

func cmdXtrim(c *Ctx) {
	a, ok := parseAddTrim(c, false)
	if !ok {
		return
	}
	key := c.Args[1]
	tx := c.Eng.Begin1(c.DB, key)
	defer tx.End()
	s, ok := streamOf(c, tx.Get(c.DB, key))
	if !ok {
		return
	}
	if s == nil {
		c.W.Int(0)
		return
	}
	plan := s.PlanTrim(a.trim, nil, 0)
	if plan.Changes() || s.FirstIDStale() {
		p := tx.Payload()
		crdt.StreamEncTrim(p, &plan)
		tx.Event = notify.NoSignal // a write that only refreshes a stale first ID
		if plan.Removed > 0 {
			tx.Event = notify.XTrim
		}
		writeStream(tx, c.DB, key, p)
	}
	c.W.Int(plan.Removed)
}

func cmdXsetid(c *Ctx) {
	id, ok := c.streamIDArg(2)
	if !ok {
		return
	}
	added := int64(-1)
	var maxDel crdt.StreamID
	for i := 3; i < len(c.Args); {
		more := i+1 < len(c.Args)
		switch {
		case c.Is(i, "entriesadded") && more:
			v, ok := c.IntArg(i + 1)
			if !ok {
				return
			}
			if v < 0 {
				c.Error("ERR entries_added must be positive")
				return
			}
			added = v
			i += 2
		case c.Is(i, "maxdeletedid") && more:
			v, ok := c.streamIDArg(i + 1)
			if !ok {
				return
			}
			if id.Less(v) {
				c.Error("ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id")
				return
			}
			maxDel = v
			i += 2
		default:
			c.Syntax()
			return
		}
	}
	key := c.Args[1]
	tx := c.Eng.Begin1(c.DB, key)
	defer tx.End()
	s, ok := streamOf(c, tx.Get(c.DB, key))
	if !ok {
		return
	}
	if s == nil {
		c.Error(ErrNoSuchKey)
		return
	}
	if s.Length() > 0 {
		if id.Less(s.LastEntryID()) {
			c.Error("ERR The ID specified in XSETID is smaller than the target stream top item")
			return
		}
		if added != -1 && s.Length() > uint64(added) {
			c.Error("ERR The entries_added specified in XSETID is smaller than the target stream length")
			return
		}
	}
	p := tx.Payload()
	var ap *uint64
	if added != -1 {
		u := uint64(added)
		ap = &u
	}
	var mp *crdt.StreamID
	if !maxDel.IsZero() {
		mp = &maxDel
	}
	crdt.StreamEncSetID(p, id, ap, mp)
	tx.Event = notify.XSetID
	writeStream(tx, c.DB, key, p)
	c.OK()
}
