package commands

import (
	"bytes"

	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/keyspace"
	"github.com/lightconedb/lightcone/internal/notify"
)

func init() { families = append(families, registerBitmaps) }

func registerBitmaps(t *Table) {
	wslow := []string{"write", "bitmap", "slow"}
	rslow := []string{"read", "bitmap", "slow"}
	rfast := []string{"read", "bitmap", "fast"}
	t.Register(
		&Command{Name: "setbit", Arity: 4, Flags: []string{"write", "denyoom"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: wslow,
			Summary:    "Sets or clears the bit at offset in the string value stored at key", Since: "2.2.0", Group: "bitmap", Complexity: "O(1)",
			Syntax: "key offset value", Handler: cmdSetbit},
		&Command{Name: "getbit", Arity: 3, Flags: []string{"readonly", "fast"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: rfast,
			Summary:    "Returns the bit value at offset in the string value stored at key", Since: "2.2.0", Group: "bitmap", Complexity: "O(1)",
			Syntax: "key offset", Handler: cmdGetbit},
		&Command{Name: "bitcount", Arity: -2, Flags: []string{"readonly"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: rslow,
			Summary:    "Count set bits in a string", Since: "2.6.0", Group: "bitmap", Complexity: "O(N)",
			Syntax: "key [start end [BYTE | BIT]]", Handler: cmdBitcount},
		&Command{Name: "bitpos", Arity: -3, Flags: []string{"readonly"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: rslow,
			Summary:    "Find first bit set or clear in a string", Since: "2.8.7", Group: "bitmap", Complexity: "O(N)",
			Syntax: "key bit [start [end [BYTE | BIT]]]", Handler: cmdBitpos},
		&Command{Name: "bitop", Arity: -4, Flags: []string{"write", "denyoom"}, FirstKey: 2, LastKey: -1, Step: 1,
			Categories: wslow,
			Summary:    "Perform bitwise operations between strings", Since: "2.6.0", Group: "bitmap", Complexity: "O(N)",
			Syntax: "operation destkey key [key ...]", Handler: cmdBitop},
		&Command{Name: "bitfield", Arity: -2, Flags: []string{"write", "denyoom"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: wslow,
			Summary:    "Perform arbitrary bitfield integer operations on strings", Since: "3.2.0", Group: "bitmap", Complexity: "O(1) for each subcommand specified",
			Syntax:  "key [GET encoding offset | [OVERFLOW <WRAP | SAT | FAIL>] <SET encoding offset value | INCRBY encoding offset increment> [GET encoding offset | [OVERFLOW <WRAP | SAT | FAIL>] <SET encoding offset value | INCRBY encoding offset increment> ...]]",
			Handler: func(c *Ctx) { cmdBitfield(c, false) }},
		&Command{Name: "bitfield_ro", Arity: -2, Flags: []string{"readonly", "fast"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: rfast,
			Summary:    "Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD", Since: "6.0.0", Group: "bitmap", Complexity: "O(1) for each subcommand specified",
			Syntax:  "key [GET encoding offset [GET encoding offset ...]]",
			Handler: func(c *Ctx) { cmdBitfield(c, true) }},
	)
}

const errBitArg = "ERR The bit argument must be 1 or 0."

func cmdSetbit(c *Ctx) {
	key := c.Args[1]
	off, ok := parseBitOffset(c.Args[2], false, 0)
	if !ok {
		c.Error(ErrBitOffset)
		return
	}
	on, ok := ParseInt(c.Args[3])
	if !ok || (on != 0 && on != 1) {
		c.Error(ErrBitValue)
		return
	}
	tx := c.Eng.Begin1(c.DB, key)
	defer tx.End()
	ent := tx.Get(c.DB, key)
	if !getString(c, ent) {
		return
	}
	old := 0
	if ent != nil {
		old = getBit(ent.Str, off)
	}
	// like Redis, a SETBIT that changes nothing (same bit, no growth) on a
	// raw string writes nothing: no effect, no touched key for WATCH (it
	// still turns an int or embstr value raw, which takes a silent effect)
	switch {
	case ent == nil || off>>3 >= int64(len(ent.Str)) || int64(old) != on:
		tx.SetBit(c.DB, key, off, on == 1)
	case ent.Enc != keyspace.EncRaw:
		tx.Event = effect.EventSilent
		tx.SetBit(c.DB, key, off, on == 1)
	}
	c.W.Int(int64(old))
}

func cmdGetbit(c *Ctx) {
	key := c.Args[1]
	off, ok := parseBitOffset(c.Args[2], false, 0)
	if !ok {
		c.Error(ErrBitOffset)
		return
	}
	tx := c.Eng.Begin1(c.DB, key)
	defer tx.End()
	ent := tx.Read(c.DB, key)
	if !getString(c, ent) {
		return
	}
	if ent == nil {
		c.W.Int(0)
		return
	}
	c.W.Int(int64(getBit(ent.Str, off)))
}

// bitUnit parses BYTE or BIT; bit reports BIT.
func bitUnit(c *Ctx, i int) (bit, ok bool) {
	switch {
	case c.Is(i, "byte"):
		return false, true
	case c.Is(i, "bit"):
		return true, true
	}
	c.Syntax()
	return false, false
}

func cmdBitcount(c *Ctx) {
	key := c.Args[1]
	tx := c.Eng.Begin1(c.DB, key)
	defer tx.End()
	ent := tx.Read(c.DB, key)
	if ent == nil {
		c.W.Int(0)
		return
	}
	if !getString(c, ent) {
		return
	}
	s := ent.Str
	n := int64(len(s))
	switch len(c.Args) {
	case 2:
		if n == 0 {
			c.W.Int(0)
			return
		}
		c.W.Int(countBits(s, 0, n*8-1))
	case 4, 5:
		start, ok := c.IntArg(2)
		if !ok {
			return
		}
		end, ok := c.IntArg(3)
		if !ok {
			return
		}
		if start < 0 && end < 0 && start > end {
			c.W.Int(0) // before the unit is even looked at
			return
		}
		isBit := false
		if len(c.Args) == 5 {
			if isBit, ok = bitUnit(c, 4); !ok {
				return
			}
		}
		total := n
		if isBit {
			total = n * 8
		}
		from, to, ok := clampRange(start, end, total, true)
		if !ok {
			c.W.Int(0)
			return
		}
		if !isBit {
			from, to = from*8, to*8+7
		}
		c.W.Int(countBits(s, from, to))
	default:
		c.Syntax()
	}
}

func cmdBitpos(c *Ctx) {
	key := c.Args[1]
	bit, ok := c.IntArg(2)
	if !ok {
		return
	}
	if bit != 0 && bit != 1 {
		c.Error(errBitArg)
		return
	}
	tx := c.Eng.Begin1(c.DB, key)
	defer tx.End()
	ent := tx.Read(c.DB, key)
	if ent == nil {
		c.W.Int(-bit)
		return
	}
	if !getString(c, ent) {
		return
	}
	if len(c.Args) > 6 {
		c.Syntax()
		return
	}
	s := ent.Str
	n := int64(len(s))
	start, end := int64(0), int64(-1)
	endGiven, isBit := false, false
	if len(c.Args) >= 4 {
		if start, ok = c.IntArg(3); !ok {
			return
		}
		if len(c.Args) == 6 {
			if isBit, ok = bitUnit(c, 5); !ok {
				return
			}
		}
		if len(c.Args) >= 5 {
			if end, ok = c.IntArg(4); !ok {
				return
			}
			endGiven = true
		}
	}
	total := n
	if isBit {
		total = n * 8
	}
	from, to, ok := clampRange(start, end, total, false)
	if !ok {
		c.W.Int(-1)
		return
	}
	if !isBit {
		from, to = from*8, to*8+7
	}
	pos := findBit(s, int(bit), from, to)
	if pos < 0 && bit == 0 && !endGiven {
		// looking for a clear bit to the end: the string continues with zeros
		pos = to + 1
	}
	c.W.Int(pos)
}

func cmdBitop(c *Ctx) {
	var op string
	switch {
	case c.Is(1, "and"):
		op = "and"
	case c.Is(1, "or"):
		op = "or"
	case c.Is(1, "xor"):
		op = "xor"
	case c.Is(1, "not"):
		op = "not"
	default:
		c.Syntax()
		return
	}
	dest, srcKeys := c.Args[2], c.Args[3:]
	if op == "not" && len(srcKeys) != 1 {
		c.Error("ERR BITOP NOT must be called with a single source key.")
		return
	}
	tx := c.Eng.Begin(c.DB, c.Args[2:]...)
	defer tx.End()
	srcs := make([][]byte, len(srcKeys))
	for i, k := range srcKeys {
		ent := tx.Read(c.DB, k)
		if !getString(c, ent) {
			return
		}
		if ent != nil {
			srcs[i] = ent.Str
		}
	}
	res := bitop(op, srcs)
	if len(res) == 0 {
		if tx.Get(c.DB, dest) != nil {
			tx.Delete(c.DB, dest)
		}
		c.W.Int(0)
		return
	}
	tx.AssignRaw(c.DB, dest, res, 0, false)
	c.W.Int(int64(len(res)))
}

// bfOp is one parsed BITFIELD subcommand.
type bfOp struct {
	kind   byte // 'g' GET, 's' SET, 'i' INCRBY
	signed bool
	width  int
	off    int64
	arg    int64
	ow     int
}

// parseBitfieldType parses i1..i64 and u1..u63.
func parseBitfieldType(b []byte) (signed bool, width int, ok bool) {
	if len(b) < 2 || (b[0] != 'i' && b[0] != 'u') {
		return false, 0, false
	}
	w, ok := ParseInt(b[1:])
	signed = b[0] == 'i'
	if !ok || w < 1 || (signed && w > 64) || (!signed && w > 63) {
		return false, 0, false
	}
	return signed, int(w), true
}

func cmdBitfield(c *Ctx, readOnly bool) {
	key := c.Args[1]
	var ops []bfOp
	ow := owWrap
	writes := false
	var highest int64 = -1 // last bit a write touches
	for i := 2; i < len(c.Args); {
		left := len(c.Args) - i - 1
		var op bfOp
		switch {
		case c.Is(i, "get") && left >= 2:
			op.kind = 'g'
		case c.Is(i, "set") && left >= 3:
			op.kind = 's'
		case c.Is(i, "incrby") && left >= 3:
			op.kind = 'i'
		case c.Is(i, "overflow") && left >= 1:
			switch {
			case c.Is(i+1, "wrap"):
				ow = owWrap
			case c.Is(i+1, "sat"):
				ow = owSat
			case c.Is(i+1, "fail"):
				ow = owFail
			default:
				c.Error("ERR Invalid OVERFLOW type specified")
				return
			}
			i += 2
			continue
		default:
			c.Syntax()
			return
		}
		var ok bool
		op.signed, op.width, ok = parseBitfieldType(c.Args[i+1])
		if !ok {
			c.Error("ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.")
			return
		}
		if op.off, ok = parseBitOffset(c.Args[i+2], true, op.width); !ok {
			c.Error(ErrBitOffset)
			return
		}
		op.ow = ow
		if op.kind == 'g' {
			i += 3
		} else {
			if op.arg, ok = c.IntArg(i + 3); !ok {
				return
			}
			writes = true
			highest = max(highest, op.off+int64(op.width)-1)
			i += 4
		}
		ops = append(ops, op)
	}
	if readOnly && writes {
		c.Error("ERR BITFIELD_RO only supports the GET subcommand")
		return
	}
	tx := c.Eng.Begin1(c.DB, key)
	defer tx.End()
	var ent *keyspace.Entry
	if writes {
		ent = tx.Get(c.DB, key)
	} else {
		ent = tx.Read(c.DB, key)
	}
	if !getString(c, ent) {
		return
	}
	var s []byte
	if ent != nil {
		s = ent.Str
	}
	if writes {
		need := int(highest>>3) + 1
		buf := make([]byte, max(len(s), need))
		copy(buf, s)
		s = buf
	}
	type result struct {
		v    int64
		null bool
	}
	res := make([]result, len(ops))
	// Redis announces the SET and INCRBY that did not fail and either
	// changed bits or come with the string created or grown by the command
	changes := 0
	dirty := writes && (ent == nil || len(s) > len(ent.Str))
	for k, op := range ops {
		old := bfRead(s, op.off, op.width)
		switch {
		case op.kind == 'g' && op.signed:
			res[k].v = bfSigned(old, op.width)
		case op.kind == 'g':
			res[k].v = int64(old)
		case op.signed:
			cur := bfSigned(old, op.width)
			var nv int64
			var ok bool
			if op.kind == 's' {
				nv, ok = bfSetSigned(op.arg, op.width, op.ow)
				res[k].v = cur
			} else {
				nv, ok = bfIncrSigned(cur, op.arg, op.width, op.ow)
				res[k].v = nv
			}
			if !ok {
				res[k].null = true
				continue
			}
			bfWrite(s, op.off, op.width, uint64(nv))
			if dirty || bfRead(s, op.off, op.width) != old {
				changes++
			}
		default:
			var nv uint64
			var ok bool
			if op.kind == 's' {
				nv, ok = bfSetUnsigned(op.arg, op.width, op.ow)
				res[k].v = int64(old)
			} else {
				nv, ok = bfIncrUnsigned(old, op.arg, op.width, op.ow)
				res[k].v = int64(nv)
			}
			if !ok {
				res[k].null = true
				continue
			}
			bfWrite(s, op.off, op.width, nv)
			if dirty || nv != old {
				changes++
			}
		}
	}
	c.W.ArrayLen(len(ops))
	for _, r := range res {
		if r.null {
			c.W.Null()
		} else {
			c.W.Int(r.v)
		}
	}
	if changes > 0 || (writes && (ent == nil || ent.Enc != keyspace.EncRaw || !bytes.Equal(s, ent.Str))) {
		tx.Event = notify.None // a string created but not written raises only "new"
		if changes > 0 {
			tx.Event = notify.SetBit
		}
		tx.AssignRaw(c.DB, key, s, 0, true)
	}
}
