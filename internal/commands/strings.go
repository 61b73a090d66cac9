package commands

import (
	"github.com/lightconedb/lightcone/internal/keyspace"
)

func init() { families = append(families, registerStrings) }

func registerStrings(t *Table) {
	t.Register(
		&Command{Name: "get", Arity: 2, Flags: []string{"readonly", "fast"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: []string{"read", "string", "fast"},
			Summary:    "Returns the string value of a key.", Since: "1.0.0", Group: "string", Complexity: "O(1)", Syntax: "key",
			Handler: cmdGet},
		&Command{Name: "set", Arity: -3, Flags: []string{"write", "denyoom"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: []string{"write", "string", "slow"},
			Summary:    "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.", Since: "1.0.0", Group: "string", Complexity: "O(1)",
			Syntax:  "key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]",
			Handler: cmdSet},
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

func cmdGet(c *Ctx) {
	tx := c.Eng.Begin1(c.DB, c.Args[1])
	ent := tx.Read(c.DB, c.Args[1])
	if !getString(c, ent) {
		tx.End()
		return
	}
	if ent == nil {
		c.W.Null()
	} else {
		c.W.Bulk(ent.Str)
	}
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

func cmdSet(c *Ctx) {
	var nx, xx, get bool
	unit := expNone
	var ttlArg []byte
	for i := 3; i < len(c.Args); i++ {
		a := c.Args[i]
		next := i+1 < len(c.Args)
		switch {
		case EqualFold(a, "nx") && !xx:
			nx = true
		case EqualFold(a, "xx") && !nx:
			xx = true
		case EqualFold(a, "get"):
			get = true
		case EqualFold(a, "keepttl") && unit == expNone:
			unit = expKeep
		case EqualFold(a, "ex") && unit == expNone && next:
			unit, ttlArg = expEX, c.Args[i+1]
			i++
		case EqualFold(a, "px") && unit == expNone && next:
			unit, ttlArg = expPX, c.Args[i+1]
			i++
		case EqualFold(a, "exat") && unit == expNone && next:
			unit, ttlArg = expEXAT, c.Args[i+1]
			i++
		case EqualFold(a, "pxat") && unit == expNone && next:
			unit, ttlArg = expPXAT, c.Args[i+1]
			i++
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
	ent := tx.Get(c.DB, key)
	if get {
		if !getString(c, ent) {
			return
		}
	}
	if (nx && ent != nil) || (xx && ent == nil) {
		if get {
			if ent == nil {
				c.W.Null()
			} else {
				c.W.Bulk(ent.Str)
			}
		} else {
			c.W.Null()
		}
		return
	}
	if get {
		if ent == nil {
			c.W.Null()
		} else {
			c.W.Bulk(ent.Str) // written before the value is replaced
		}
	}
	tx.Assign(c.DB, key, c.Args[2], expireAt, unit == expKeep)
	if !get {
		c.OK()
	}
}

// expireFromArg turns an EX/PX/EXAT/PXAT argument into an absolute Unix ms,
// replying Redis' errors. For expNone/expKeep it returns 0.
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
