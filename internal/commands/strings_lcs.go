package commands

import "github.com/lightconedb/lightcone/internal/keyspace"

// lcsMatch is one common run found by LCS ... IDX: a[A0..A1] == b[B0..B1].
type lcsMatch struct {
	A0, A1, B0, B1 int
}

// lcsTableFits reports whether LCS' dynamic-programming table for strings of
// lengths la and lb (4 bytes a cell, like Redis) stays within maxBytes.
func lcsTableFits(la, lb int, maxBytes int64) bool {
	cells := (uint64(la) + 1) * (uint64(lb) + 1) // both lengths are < 2^32
	return maxBytes >= 0 && cells <= uint64(maxBytes)/4
}

// lcs computes a longest common subsequence of a and b, as Redis' LCS
// reports it: the subsequence, its length, and the runs it is made of,
// from the end of the strings to their start. The choice among equally long
// subsequences follows a backtrack from the end that moves along a when that
// keeps a strictly longer subsequence, and along b otherwise. wantStr and
// wantRuns skip work the caller does not need.
func lcs(a, b []byte, wantStr, wantRuns bool) (seq []byte, n int, runs []lcsMatch) {
	la, lb := len(a), len(b)
	w := lb + 1
	t := make([]uint32, (la+1)*w)
	for i := 1; i <= la; i++ {
		row, prev := t[i*w:(i+1)*w], t[(i-1)*w:i*w]
		ai := a[i-1]
		for j := 1; j <= lb; j++ {
			switch {
			case ai == b[j-1]:
				row[j] = prev[j-1] + 1
			case prev[j] > row[j-1]:
				row[j] = prev[j]
			default:
				row[j] = row[j-1]
			}
		}
	}
	n = int(t[la*w+lb])
	if !wantStr && !wantRuns {
		return nil, n, nil
	}
	if wantStr {
		seq = make([]byte, n)
	}
	k := n
	i, j := la, lb
	open := false
	var cur lcsMatch
	for i > 0 && j > 0 {
		if a[i-1] == b[j-1] {
			k--
			if wantStr {
				seq[k] = a[i-1]
			}
			if open {
				cur.A0, cur.B0 = i-1, j-1
			} else {
				cur = lcsMatch{A0: i - 1, A1: i - 1, B0: j - 1, B1: j - 1}
				open = true
			}
			i--
			j--
			continue
		}
		if open {
			runs = append(runs, cur)
			open = false
		}
		if t[(i-1)*w+j] > t[i*w+j-1] {
			i--
		} else {
			j--
		}
	}
	if open {
		runs = append(runs, cur)
	}
	return seq, n, runs
}

func cmdLcs(c *Ctx) {
	tx := c.Eng.Begin(c.DB, c.Args[1], c.Args[2])
	defer tx.End()
	ea := tx.Read(c.DB, c.Args[1])
	eb := tx.Read(c.DB, c.Args[2])
	if (ea != nil && ea.Kind != keyspace.KindString) || (eb != nil && eb.Kind != keyspace.KindString) {
		c.Error("ERR The specified keys must contain string values")
		return
	}
	var getLen, getIdx, withLen bool
	var minLen int64
	for i := 3; i < len(c.Args); i++ {
		a := c.Args[i]
		switch {
		case EqualFold(a, "len"):
			getLen = true
		case EqualFold(a, "idx"):
			getIdx = true
		case EqualFold(a, "withmatchlen"):
			withLen = true
		case EqualFold(a, "minmatchlen") && i+1 < len(c.Args):
			v, ok := c.IntArg(i + 1)
			if !ok {
				return
			}
			minLen = max(v, 0)
			i++
		default:
			c.Syntax()
			return
		}
	}
	if getLen && getIdx {
		c.Error("ERR If you want both the length and indexes, please just use IDX.")
		return
	}
	var sa, sb []byte
	if ea != nil {
		sa = ea.Str
	}
	if eb != nil {
		sb = eb.Str
	}
	if !lcsTableFits(len(sa), len(sb), protoMaxBulkLen.Load()) {
		c.Error("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len")
		return
	}
	seq, n, runs := lcs(sa, sb, !getLen && !getIdx, getIdx)
	switch {
	case getLen:
		c.W.Int(int64(n))
	case getIdx:
		kept := 0
		for _, r := range runs {
			if int64(r.A1-r.A0+1) >= minLen {
				kept++
			}
		}
		c.W.MapLen(2)
		c.W.BulkString("matches")
		c.W.ArrayLen(kept)
		for _, r := range runs {
			l := int64(r.A1 - r.A0 + 1)
			if l < minLen {
				continue
			}
			if withLen {
				c.W.ArrayLen(3)
			} else {
				c.W.ArrayLen(2)
			}
			c.W.ArrayLen(2)
			c.W.Int(int64(r.A0))
			c.W.Int(int64(r.A1))
			c.W.ArrayLen(2)
			c.W.Int(int64(r.B0))
			c.W.Int(int64(r.B1))
			if withLen {
				c.W.Int(l)
			}
		}
		c.W.BulkString("len")
		c.W.Int(int64(n))
	default:
		c.W.Bulk(seq)
	}
}
