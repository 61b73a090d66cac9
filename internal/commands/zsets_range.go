package commands

import (
	"github.com/lightconedb/lightcone/internal/crdt"
	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/engine"
	"github.com/lightconedb/lightcone/internal/notify"
)

// ZRANGE and its older forms, ZRANGESTORE, ZREMRANGEBY*.

type zrType int

const (
	zrAuto zrType = iota
	zrRank
	zrScore
	zrLex
)

type zdir int

const (
	zdAuto zdir = iota
	zdForward
	zdReverse
)

// zrangeGeneric is Redis' zrangeGenericCommand: ZRANGE (all options),
// ZRANGEBYSCORE, ZREVRANGEBYSCORE, ZRANGEBYLEX, ZREVRANGEBYLEX, ZREVRANGE,
// and with store ZRANGESTORE (dst first).
func zrangeGeneric(c *Ctx, store bool, rt zrType, dir zdir) {
	argStart := 1
	if store {
		argStart = 2
	}
	minIdx, maxIdx := argStart+1, argStart+2
	withScores := false
	offset, limit := int64(0), int64(-1)
	for j := argStart + 3; j < len(c.Args); j++ {
		left := len(c.Args) - j - 1
		switch {
		case !store && c.Is(j, "withscores"):
			withScores = true
		case c.Is(j, "limit") && left >= 2:
			o, ok := c.IntArg(j + 1)
			if !ok {
				return
			}
			l, ok := c.IntArg(j + 2)
			if !ok {
				return
			}
			offset, limit = o, l
			j += 2
		case dir == zdAuto && c.Is(j, "rev"):
			dir = zdReverse
		case rt == zrAuto && c.Is(j, "bylex"):
			rt = zrLex
		case rt == zrAuto && c.Is(j, "byscore"):
			rt = zrScore
		default:
			c.Syntax()
			return
		}
	}
	if dir == zdAuto {
		dir = zdForward
	}
	if rt == zrAuto {
		rt = zrRank
	}
	if limit != -1 && rt == zrRank {
		c.Error("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX")
		return
	}
	if withScores && rt == zrLex {
		c.Error("ERR syntax error, WITHSCORES not supported in combination with BYLEX")
		return
	}
	rev := dir == zdReverse
	if rev && rt != zrRank {
		minIdx, maxIdx = maxIdx, minIdx
	}
	var start, end int64
	var smin, smax crdt.ScoreBound
	var lmin, lmax crdt.LexBound
	switch rt {
	case zrRank:
		var ok bool
		if start, ok = c.IntArg(minIdx); !ok {
			return
		}
		if end, ok = c.IntArg(maxIdx); !ok {
			return
		}
	case zrScore:
		var ok1, ok2 bool
		smin, ok1 = parseScoreBound(c.Args[minIdx])
		smax, ok2 = parseScoreBound(c.Args[maxIdx])
		if !ok1 || !ok2 {
			c.Error("ERR min or max is not a float")
			return
		}
	case zrLex:
		var ok1, ok2 bool
		lmin, ok1 = parseLexBound(c.Args[minIdx])
		lmax, ok2 = parseLexBound(c.Args[maxIdx])
		if !ok1 || !ok2 {
			c.Error("ERR min or max not valid string range item")
			return
		}
	}
	key := c.Args[argStart]
	var dst []byte
	var tx *engine.Tx
	if store {
		dst = c.Args[1]
		tx = c.Eng.Begin(c.DB, dst, key)
	} else {
		tx = c.Eng.Begin1(c.DB, key)
	}
	defer tx.End()
	z, ok := zsetOf(c, tx.Read(c.DB, key))
	if !ok {
		return
	}
	lo, hi := 0, 0
	if z != nil {
		n := z.Len()
		switch rt {
		case zrRank:
			lo, hi = rankRange(start, end, n)
			if rev {
				lo, hi = n-hi, n-lo
			}
		case zrScore:
			lo, hi = z.ScoreRanks(smin, smax)
			lo, hi = limitRange(lo, hi, rev, offset, limit, n)
		case zrLex:
			lo, hi = z.LexWalk(lmin, lmax, rev, offset, limit)
		}
	}
	if store {
		// Redis sizes the destination by the range's length when it knows
		// it (a rank range): a skiplist from the start if it will not fit
		enc := crdt.ZSnapIncremental
		if rt == zrRank && hi-lo > crdt.ZSetMaxListpackEntries {
			enc = crdt.ZSnapSkiplist
		}
		zstoreRange(c, tx, dst, z, lo, hi, rev, enc)
		return
	}
	zreplyRange(c, z, lo, hi, rev, withScores)
}

// rankRange turns Redis start/stop indexes (negative from the end) into
// ranks [lo, hi) of a set of n members.
func rankRange(start, end int64, n int) (int, int) {
	ln := int64(n)
	if start < 0 {
		start += ln
	}
	if end < 0 {
		end += ln
	}
	if start < 0 {
		start = 0
	}
	if start > end || start >= ln {
		return 0, 0
	}
	if end >= ln {
		end = ln - 1
	}
	return int(start), int(end + 1)
}

// limitRange applies LIMIT offset count to the ranks [lo, hi) walked
// forwards (or backwards when rev): a negative offset gives nothing, a
// negative count everything after the offset.
func limitRange(lo, hi int, rev bool, offset, limit int64, n int) (int, int) {
	if offset < 0 || (offset > 0 && offset >= int64(n)) || lo >= hi {
		return 0, 0
	}
	avail := int64(hi-lo) - offset
	if avail <= 0 {
		return 0, 0
	}
	if limit >= 0 && limit < avail {
		avail = limit
	}
	if rev {
		h := hi - int(offset)
		return h - int(avail), h
	}
	l := lo + int(offset)
	return l, l + int(avail)
}

// zreplyRange replies the members of ranks [lo, hi), descending when rev:
// with scores a flat array in RESP2, pairs in RESP3.
func zreplyRange(c *Ctx, z *crdt.ZSet, lo, hi int, rev, withScores bool) {
	n := hi - lo
	if n <= 0 || z == nil {
		c.W.ArrayLen(0)
		return
	}
	resp3 := c.Proto() > 2
	if withScores && !resp3 {
		c.W.ArrayLen(2 * n)
	} else {
		c.W.ArrayLen(n)
	}
	z.Range(lo, hi-1, rev, func(m string, s float64) bool {
		if withScores && resp3 {
			c.W.ArrayLen(2)
		}
		c.W.BulkString(m)
		if withScores {
			c.W.Double(s)
		}
		return true
	})
}

// zstoreRange writes the members of ranks [lo, hi) of z to dst as a new
// sorted set (ZRANGESTORE), or deletes dst when there are none.
func zstoreRange(c *Ctx, tx *engine.Tx, dst []byte, z *crdt.ZSet, lo, hi int, rev bool, enc byte) {
	n := hi - lo
	if n <= 0 || z == nil {
		if tx.Get(c.DB, dst) != nil {
			tx.Delete(c.DB, dst)
		}
		c.W.Int(0)
		return
	}
	p := tx.Payload()
	w := crdt.BeginZSet(p, crdt.ZSetSnap, enc)
	z.Range(lo, hi-1, rev, func(m string, s float64) bool {
		w.PairString(m, s)
		return true
	})
	w.End()
	tx.Event = notify.ZRangeStore
	tx.CollReplace(c.DB, dst, effect.OpZSet, p, 0, false)
	c.W.Int(int64(n))
}

// zremrange is ZREMRANGEBYRANK, ZREMRANGEBYSCORE and ZREMRANGEBYLEX.
func zremrange(c *Ctx, rt zrType) {
	var start, end int64
	var smin, smax crdt.ScoreBound
	var lmin, lmax crdt.LexBound
	switch rt {
	case zrRank:
		var ok bool
		if start, ok = c.IntArg(2); !ok {
			return
		}
		if end, ok = c.IntArg(3); !ok {
			return
		}
	case zrScore:
		var ok1, ok2 bool
		smin, ok1 = parseScoreBound(c.Args[2])
		smax, ok2 = parseScoreBound(c.Args[3])
		if !ok1 || !ok2 {
			c.Error("ERR min or max is not a float")
			return
		}
	case zrLex:
		var ok1, ok2 bool
		lmin, ok1 = parseLexBound(c.Args[2])
		lmax, ok2 = parseLexBound(c.Args[3])
		if !ok1 || !ok2 {
			c.Error("ERR min or max not valid string range item")
			return
		}
	}
	key := c.Args[1]
	tx := c.Eng.Begin1(c.DB, key)
	defer tx.End()
	z, ok := zsetOf(c, tx.Get(c.DB, key))
	if !ok {
		return
	}
	if z == nil {
		c.W.Int(0)
		return
	}
	var lo, hi int
	switch rt {
	case zrRank:
		lo, hi = rankRange(start, end, z.Len())
	case zrScore:
		lo, hi = z.ScoreRanks(smin, smax)
	case zrLex:
		lo, hi = z.LexRanks(lmin, lmax, false)
	}
	if hi <= lo {
		c.W.Int(0)
		return
	}
	tx.Event = [...]uint8{zrRank: notify.ZRemByRank, zrScore: notify.ZRemByScore, zrLex: notify.ZRemByLex}[rt]
	zremRanks(c, tx, key, z, lo, hi)
	c.W.Int(int64(hi - lo))
}

// zremRanks writes the removal of the members of ranks [lo, hi).
func zremRanks(c *Ctx, tx *engine.Tx, key []byte, z *crdt.ZSet, lo, hi int) {
	p := tx.Payload()
	w := crdt.BeginZSet(p, crdt.ZSetRem, 0)
	z.Range(lo, hi-1, false, func(m string, _ float64) bool {
		w.MemberString(m)
		return true
	})
	w.End()
	tx.Coll(c.DB, key, effect.OpZSet, p)
}
