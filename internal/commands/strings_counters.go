package commands

import (
	"math"

	"github.com/lightconedb/lightcone/internal/engine"
)

// incrDecr adds delta to the integer at c.Args[1] (INCR, DECR, INCRBY,
// DECRBY), replying the new value.
func incrDecr(c *Ctx, delta int64) {
	key := c.Args[1]
	tx := c.Eng.Begin1(c.DB, key)
	defer tx.End()
	ent := tx.Get(c.DB, key)
	if !getString(c, ent) {
		return
	}
	var cur int64
	if ent != nil {
		v, ok := ParseInt(ent.Str)
		if !ok {
			c.Error(ErrNotInt)
			return
		}
		cur = v
	}
	if (delta < 0 && cur < 0 && delta < math.MinInt64-cur) ||
		(delta > 0 && cur > 0 && delta > math.MaxInt64-cur) {
		c.Error(ErrOverflow)
		return
	}
	tx.AddInt(c.DB, key, delta)
	c.W.Int(cur + delta)
}

func cmdIncrby(c *Ctx) {
	delta, ok := c.IntArg(2)
	if !ok {
		return
	}
	incrDecr(c, delta)
}

func cmdDecrby(c *Ctx) {
	delta, ok := c.IntArg(2)
	if !ok {
		return
	}
	if delta == math.MinInt64 {
		c.Error("ERR decrement would overflow")
		return
	}
	incrDecr(c, -delta)
}

func cmdIncrbyfloat(c *Ctx) {
	key := c.Args[1]
	tx := c.Eng.Begin1(c.DB, key)
	defer tx.End()
	ent := tx.Get(c.DB, key)
	if !getString(c, ent) {
		return
	}
	cur, _ := engine.ParseLongDouble([]byte("0"))
	if ent != nil {
		v, ok := engine.ParseLongDouble(ent.Str)
		if !ok {
			c.Error(ErrNotFloat)
			return
		}
		cur = v
	}
	incr, ok := engine.ParseLongDouble(c.Args[2])
	if !ok {
		c.Error(ErrNotFloat)
		return
	}
	if _, ok := engine.AddLongDouble(cur, incr); !ok {
		c.Error(ErrNaNInf)
		return
	}
	tx.AddFloat(c.DB, key, c.Args[2])
	c.W.Bulk(tx.Peek(c.DB, key).Str)
}
