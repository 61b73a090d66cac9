package commands

import "math"

// TTL commands: EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT, TTL, PTTL, EXPIRETIME,
// PEXPIRETIME and PERSIST. TTLs are absolute Unix milliseconds on the entry;
// a TTL set in the past deletes the key.

func init() { families = append(families, registerExpire) }

func registerExpire(t *Table) {
	w := []string{"keyspace", "write", "fast"}
	r := []string{"keyspace", "read", "fast"}
	wflags := []string{"write", "fast"}
	rflags := []string{"readonly", "fast"}
	t.Register(
		&Command{Name: "expire", Arity: -3, Flags: wflags, FirstKey: 1, LastKey: 1, Step: 1, Categories: w,
			Summary: "Set a key's time to live in seconds", Since: "1.0.0", Group: "generic", Complexity: "O(1)",
			Syntax: "key seconds [NX | XX | GT | LT]", Handler: func(c *Ctx) { cmdExpire(c, 1000, false) }},
		&Command{Name: "pexpire", Arity: -3, Flags: wflags, FirstKey: 1, LastKey: 1, Step: 1, Categories: w,
			Summary: "Set a key's time to live in milliseconds", Since: "2.6.0", Group: "generic", Complexity: "O(1)",
			Syntax: "key milliseconds [NX | XX | GT | LT]", Handler: func(c *Ctx) { cmdExpire(c, 1, false) }},
		&Command{Name: "expireat", Arity: -3, Flags: wflags, FirstKey: 1, LastKey: 1, Step: 1, Categories: w,
			Summary: "Set the expiration for a key as a UNIX timestamp", Since: "1.2.0", Group: "generic", Complexity: "O(1)",
			Syntax: "key unix-time-seconds [NX | XX | GT | LT]", Handler: func(c *Ctx) { cmdExpire(c, 1000, true) }},
		&Command{Name: "pexpireat", Arity: -3, Flags: wflags, FirstKey: 1, LastKey: 1, Step: 1, Categories: w,
			Summary: "Set the expiration for a key as a UNIX timestamp specified in milliseconds", Since: "2.6.0", Group: "generic", Complexity: "O(1)",
			Syntax: "key unix-time-milliseconds [NX | XX | GT | LT]", Handler: func(c *Ctx) { cmdExpire(c, 1, true) }},
		&Command{Name: "ttl", Arity: 2, Flags: rflags, FirstKey: 1, LastKey: 1, Step: 1, Categories: r,
			Summary: "Get the time to live for a key in seconds", Since: "1.0.0", Group: "generic", Complexity: "O(1)",
			Syntax: "key", Handler: func(c *Ctx) { cmdTTL(c, false, false) }},
		&Command{Name: "pttl", Arity: 2, Flags: rflags, FirstKey: 1, LastKey: 1, Step: 1, Categories: r,
			Summary: "Get the time to live for a key in milliseconds", Since: "2.6.0", Group: "generic", Complexity: "O(1)",
			Syntax: "key", Handler: func(c *Ctx) { cmdTTL(c, true, false) }},
		&Command{Name: "expiretime", Arity: 2, Flags: rflags, FirstKey: 1, LastKey: 1, Step: 1, Categories: r,
			Summary: "Get the expiration Unix timestamp for a key", Since: "7.0.0", Group: "generic", Complexity: "O(1)",
			Syntax: "key", Handler: func(c *Ctx) { cmdTTL(c, false, true) }},
		&Command{Name: "pexpiretime", Arity: 2, Flags: rflags, FirstKey: 1, LastKey: 1, Step: 1, Categories: r,
			Summary: "Get the expiration Unix timestamp for a key in milliseconds", Since: "7.0.0", Group: "generic", Complexity: "O(1)",
			Syntax: "key", Handler: func(c *Ctx) { cmdTTL(c, true, true) }},
		&Command{Name: "persist", Arity: 2, Flags: wflags, FirstKey: 1, LastKey: 1, Step: 1, Categories: w,
			Summary: "Remove the expiration from a key", Since: "2.2.0", Group: "generic", Complexity: "O(1)",
			Syntax: "key", Handler: cmdPersist},
	)
}

const (
	expireNX = 1 << iota
	expireXX
	expireGT
	expireLT
)

// cmdExpire is the EXPIRE family: unit is 1000 for seconds, 1 for
// milliseconds; abs for the *AT forms.
func cmdExpire(c *Ctx, unit int64, abs bool) {
	flags := 0
	for i := 3; i < len(c.Args); i++ {
		switch {
		case c.Is(i, "nx"):
			flags |= expireNX
		case c.Is(i, "xx"):
			flags |= expireXX
		case c.Is(i, "gt"):
			flags |= expireGT
		case c.Is(i, "lt"):
			flags |= expireLT
		default:
			c.Error("ERR Unsupported option " + string(c.Args[i]))
			return
		}
	}
	if flags&expireNX != 0 && flags&(expireXX|expireGT|expireLT) != 0 {
		c.Error("ERR NX and XX, GT or LT options at the same time are not compatible")
		return
	}
	if flags&expireGT != 0 && flags&expireLT != 0 {
		c.Error("ERR GT and LT options at the same time are not compatible")
		return
	}
	when, ok := ParseInt(c.Args[2])
	if !ok {
		c.Error(ErrNotInt)
		return
	}
	key := c.Args[1]
	tx := c.Eng.Begin1(c.DB, key)
	defer tx.End()
	if unit != 1 {
		if when > math.MaxInt64/unit || when < math.MinInt64/unit {
			c.Errorf(ErrInvalidExpire, c.Cmd.Name)
			return
		}
		when *= unit
	}
	if !abs {
		if when > math.MaxInt64-tx.Now {
			c.Errorf(ErrInvalidExpire, c.Cmd.Name)
			return
		}
		when += tx.Now
	}
	ent := tx.Get(c.DB, key)
	if ent == nil {
		c.W.Int(0)
		return
	}
	cur := ent.Expire // 0: no TTL, i.e. infinite
	switch {
	case flags&expireNX != 0 && cur != 0,
		flags&expireXX != 0 && cur == 0,
		flags&expireGT != 0 && (cur == 0 || when <= cur),
		flags&expireLT != 0 && cur != 0 && when >= cur:
		c.W.Int(0)
		return
	}
	if when <= tx.Now {
		tx.Delete(c.DB, key)
		c.W.Int(1)
	} else {
		c.W.Int(1) // Redis replies before it announces "expire"
		tx.SetExpire(c.DB, key, when)
	}
}

// cmdTTL is TTL, PTTL, EXPIRETIME and PEXPIRETIME: -2 for a missing key, -1
// for a key without TTL; seconds are rounded to the nearest, as Redis does.
func cmdTTL(c *Ctx, ms, abs bool) {
	key := c.Args[1]
	tx := c.Eng.Begin1(c.DB, key)
	ent := peekRead(c, tx, c.DB, key)
	now := tx.Now
	exp := int64(0)
	if ent != nil {
		exp = ent.Expire
	}
	tx.End()
	if ent == nil {
		c.W.Int(-2)
		return
	}
	if exp == 0 {
		c.W.Int(-1)
		return
	}
	v := exp
	if !abs {
		v = max(exp-now, 0)
	}
	if !ms {
		// rounded to the nearest second without overflowing near
		// math.MaxInt64 (v >= 0 here), which is what Redis replies
		v = int64((uint64(v) + 500) / 1000)
	}
	c.W.Int(v)
}

func cmdPersist(c *Ctx) {
	key := c.Args[1]
	tx := c.Eng.Begin1(c.DB, key)
	defer tx.End()
	ent := tx.Get(c.DB, key)
	if ent == nil || ent.Expire == 0 {
		c.W.Int(0)
		return
	}
	tx.SetExpire(c.DB, key, 0)
	c.W.Int(1)
}
