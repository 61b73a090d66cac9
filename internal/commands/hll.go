package commands

import (
	"math/rand/v2"
	"strconv"

	"github.com/lightconedb/lightcone/internal/crdt"
	"github.com/lightconedb/lightcone/internal/engine"
	"github.com/lightconedb/lightcone/internal/keyspace"
	"github.com/lightconedb/lightcone/internal/notify"
)

// HyperLogLog commands. The value is a string in Redis' format; every change
// (PFADD's register updates, PFMERGE's maxima, PFCOUNT's cached
// cardinality, PFDEBUG's conversion to dense) is one HLL effect, applied as
// a string patch (see crdt/hll.go).

func init() { families = append(families, registerHLL) }

func registerHLL(t *Table) {
	t.Register(
		&Command{Name: "pfadd", Arity: -2, Flags: []string{"write", "denyoom", "fast"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: []string{"write", "hyperloglog", "fast"},
			Summary:    "Adds the specified elements to the specified HyperLogLog.", Since: "2.8.9", Group: "hyperloglog",
			Complexity: "O(1) to add every element.", Syntax: "key [element [element ...]]", Handler: cmdPfadd},
		&Command{Name: "pfcount", Arity: -2, Flags: []string{"readonly"}, FirstKey: 1, LastKey: -1, Step: 1,
			Categories: []string{"read", "hyperloglog", "slow"},
			Summary:    "Return the approximated cardinality of the set(s) observed by the HyperLogLog at key(s).", Since: "2.8.9", Group: "hyperloglog",
			Complexity: "O(1) with a very small average constant time when called with a single key. O(N) with N being the number of keys, and much bigger constant times, when called with multiple keys.",
			Syntax:     "key [key ...]", Handler: cmdPfcount},
		&Command{Name: "pfmerge", Arity: -2, Flags: []string{"write", "denyoom"}, FirstKey: 1, LastKey: -1, Step: 1,
			Categories: []string{"write", "hyperloglog", "slow"},
			Summary:    "Merge N different HyperLogLogs into a single one.", Since: "2.8.9", Group: "hyperloglog",
			Complexity: "O(N) to merge N HyperLogLogs, but with high constant times.",
			Syntax:     "destkey sourcekey [sourcekey ...]", Handler: cmdPfmerge},
		&Command{Name: "pfselftest", Arity: 1, Flags: []string{"admin"},
			Categories: []string{"hyperloglog", "admin", "slow", "dangerous"},
			Summary:    "An internal command for testing HyperLogLog values", Since: "2.8.9", Group: "hyperloglog",
			Complexity: "N/A", Handler: cmdPfselftest},
		&Command{Name: "pfdebug", Arity: 3, Flags: []string{"write", "denyoom", "admin"}, FirstKey: 2, LastKey: 2, Step: 1,
			Categories: []string{"write", "hyperloglog", "admin", "slow", "dangerous"},
			Summary:    "Internal commands for debugging HyperLogLog values", Since: "2.8.9", Group: "hyperloglog",
			Complexity: "N/A", Syntax: "subcommand key", Handler: cmdPfdebug},
	)
}

const (
	errNotHLL     = "WRONGTYPE Key is not a valid HyperLogLog string value."
	errCorruptHLL = "INVALIDOBJ Corrupted HLL object detected"
)

// hllOf returns the HLL string of ent (nil when ent is nil). A key of
// another kind replies WRONGTYPE, a string that is not an HLL Redis'
// HyperLogLog WRONGTYPE; ok is false then.
func hllOf(c *Ctx, ent *keyspace.Entry) (b []byte, ok bool) {
	if ent == nil {
		return nil, true
	}
	if ent.Kind != keyspace.KindString {
		c.WrongType()
		return nil, false
	}
	if ent.Enc == keyspace.EncInt || !crdt.HLLValid(ent.Str) {
		c.Error(errNotHLL)
		return nil, false
	}
	return ent.Str, true
}

// hllUnshare mirrors Redis' dbUnshareStringValue, which PFADD, PFCOUNT of
// one key and PFDEBUG apply to the key before anything else: a string that
// is not "raw" becomes raw. Here that is an HLL effect that changes no
// register (every HLL effect leaves the value raw).
func hllUnshare(tx *engine.Tx, db int, key []byte, ent *keyspace.Entry) {
	if ent != nil && ent.Enc != keyspace.EncRaw {
		p := tx.Payload()
		p.Byte(crdt.HLLAdd)
		p.Uvarint(0)
		tx.Event = notify.None // Redis announces nothing
		tx.HLL(db, key, p)
	}
}

func cmdPfadd(c *Ctx) {
	key := c.Args[1]
	tx := c.Eng.Begin1(c.DB, key)
	defer tx.End()
	ent := tx.Get(c.DB, key)
	cur, ok := hllOf(c, ent)
	if !ok {
		return
	}
	p := tx.Payload()
	write, updated, corrupt := crdt.HLLPlanAdd(p, cur, c.Args[2:])
	if write {
		if !updated || corrupt {
			// "pfadd" only when a register (or the key) changed and no
			// corrupt code stopped the command
			tx.Event = notify.None
		}
		tx.HLL(c.DB, key, p)
	} else {
		hllUnshare(tx, c.DB, key, ent)
	}
	switch {
	case corrupt:
		c.Error(errCorruptHLL)
	case updated:
		c.W.Int(1)
	default:
		c.W.Int(0)
	}
}

func cmdPfcount(c *Ctx) {
	if len(c.Args) > 2 {
		pfcountMany(c)
		return
	}
	key := c.Args[1]
	tx := c.Eng.Begin1(c.DB, key)
	defer tx.End()
	ent := tx.Read(c.DB, key)
	b, ok := hllOf(c, ent)
	if !ok {
		return
	}
	if b == nil {
		c.W.Int(0)
		return
	}
	if card, valid := crdt.HLLCached(b); valid {
		hllUnshare(tx, c.DB, key, ent)
		c.W.Int(int64(card))
		return
	}
	if !crdt.HLLIsDense(b) {
		// a sparse code may be corrupt: then nothing is cached
		if _, invalid := crdt.HLLCount(b); invalid {
			hllUnshare(tx, c.DB, key, ent)
			c.Error(errCorruptHLL)
			return
		}
	}
	// The cardinality is cached in the value: a write, which counts the
	// registers where it applies. Here that is at once, on these very
	// registers, so the reply is the cache it leaves.
	p := tx.Payload()
	p.Byte(crdt.HLLCache)
	tx.Event = notify.None // refreshing the cache raises no event
	tx.HLL(c.DB, key, p)
	if ent := tx.Peek(c.DB, key); ent != nil {
		if card, valid := crdt.HLLCached(ent.Str); valid {
			c.W.Int(int64(card))
			return
		}
	}
	card, _ := crdt.HLLCount(b) // not reached: the write cached it
	c.W.Int(int64(card))
}

// pfcountMany is the cardinality of the union, computed on the side: the
// keys stay as they are.
func pfcountMany(c *Ctx) {
	keys := c.Args[1:]
	tx := c.Eng.Begin(c.DB, keys...)
	defer tx.End()
	var max [crdt.HLLRegisters]uint8
	for _, k := range keys {
		b, ok := hllOf(c, tx.Read(c.DB, k))
		if !ok {
			return
		}
		if b != nil && !crdt.HLLMergeInto(&max, b) {
			c.Error(errCorruptHLL)
			return
		}
	}
	c.W.Int(int64(crdt.HLLCountRegisters(&max)))
}

func cmdPfmerge(c *Ctx) {
	keys := c.Args[1:]
	tx := c.Eng.Begin(c.DB, keys...)
	defer tx.End()
	var max [crdt.HLLRegisters]uint8
	dense := false
	for _, k := range keys {
		b, ok := hllOf(c, tx.Read(c.DB, k))
		if !ok {
			return
		}
		if b == nil {
			continue
		}
		if crdt.HLLIsDense(b) {
			dense = true
		}
		if !crdt.HLLMergeInto(&max, b) {
			c.Error(errCorruptHLL)
			return
		}
	}
	p := tx.Payload()
	crdt.EncodeHLLMerge(p, dense, &max)
	tx.HLL(c.DB, c.Args[1], p)
	c.OK()
}

func cmdPfdebug(c *Ctx) {
	key := c.Args[2]
	tx := c.Eng.Begin1(c.DB, key)
	defer tx.End()
	ent := tx.Get(c.DB, key)
	if ent == nil {
		c.Error("ERR The specified key does not exist")
		return
	}
	b, ok := hllOf(c, ent)
	if !ok {
		return
	}
	// GETREG and TODENSE of a sparse HLL convert it, which leaves it raw;
	// the others only unshare it
	converts := !crdt.HLLIsDense(b) && (c.Is(1, "getreg") || c.Is(1, "todense"))
	if !converts {
		hllUnshare(tx, c.DB, key, ent)
	}
	switch {
	case c.Is(1, "getreg"):
		d, ok := crdt.HLLToDense(b)
		if !ok {
			hllUnshare(tx, c.DB, key, ent)
			c.Error(errCorruptHLL)
			return
		}
		if !crdt.HLLIsDense(b) {
			pfdebugToDense(tx, c.DB, key)
		}
		c.W.ArrayLen(crdt.HLLRegisters)
		for i := 0; i < crdt.HLLRegisters; i++ {
			c.W.Int(int64(crdt.HLLRegister(d, i)))
		}
	case c.Is(1, "decode"):
		if crdt.HLLIsDense(b) {
			c.Error("ERR HLL encoding is not sparse")
			return
		}
		c.W.BulkString(crdt.HLLDecode(b))
	case c.Is(1, "encoding"):
		if crdt.HLLIsDense(b) {
			c.W.Simple("dense")
		} else {
			c.W.Simple("sparse")
		}
	case c.Is(1, "todense"):
		if crdt.HLLIsDense(b) {
			c.W.Int(0)
			return
		}
		if _, ok := crdt.HLLToDense(b); !ok {
			hllUnshare(tx, c.DB, key, ent)
			c.Error(errCorruptHLL)
			return
		}
		pfdebugToDense(tx, c.DB, key)
		c.W.Int(1)
	default:
		c.Error("ERR Unknown PFDEBUG subcommand '" + string(c.Args[1]) + "'")
	}
}

func pfdebugToDense(tx *engine.Tx, db int, key []byte) {
	p := tx.Payload()
	p.Byte(crdt.HLLDense)
	tx.Event = notify.None // PFDEBUG raises no event
	tx.HLL(db, key, p)
}

// cmdPfselftest checks the HLL code on this server: dense registers hold
// every value in every position, and sparse and dense encodings of the
// same elements count alike, within the error HyperLogLog promises.
func cmdPfselftest(c *Ctx) {
	if msg := hllSelfTest(); msg != "" {
		c.Error("ERR TESTFAILED " + msg)
		return
	}
	c.OK()
}

func hllSelfTest() string {
	r := rand.New(rand.NewPCG(rand.Uint64(), 1))
	// 1: register packing, every position
	var max [crdt.HLLRegisters]uint8
	for i := range max {
		max[i] = uint8(r.IntN(64))
	}
	var p crdt.Enc
	crdt.EncodeHLLMerge(&p, true, &max)
	d, ok := crdt.HLLApply(nil, p.B)
	if !ok {
		return "dense merge refused"
	}
	for i, v := range max {
		if got := crdt.HLLRegister(d, i); got != v {
			return "register " + strconv.Itoa(i) + " holds " + strconv.Itoa(int(got)) + " not " + strconv.Itoa(int(v))
		}
	}
	// 2: sparse and dense count alike, and close to the truth
	sparse := crdt.HLLNew()
	var dense []byte
	elem := make([]byte, 0, 16)
	for n := 1; n <= 20000; n++ {
		elem = append(elem[:0], "selftest:"...)
		elem = append(elem, strconv.Itoa(n)...)
		p.Reset()
		_, _, corrupt := crdt.HLLPlanAdd(&p, sparse, [][]byte{elem})
		if corrupt {
			return "corrupt sparse HLL"
		}
		if len(p.B) > 0 {
			sparse, _ = crdt.HLLApply(sparse, p.B)
		}
		if dense == nil {
			dense, _ = crdt.HLLToDense(sparse)
		} else if len(p.B) > 0 {
			dense, _ = crdt.HLLApply(dense, p.B)
		}
		if n%1000 != 0 {
			continue
		}
		a, inv1 := crdt.HLLCount(sparse)
		b, inv2 := crdt.HLLCount(dense)
		if inv1 || inv2 || a != b {
			return "sparse and dense counts differ at " + strconv.Itoa(n)
		}
		if diff := float64(a) - float64(n); diff > float64(n)*0.05 || -diff > float64(n)*0.05 {
			return "count " + strconv.Itoa(int(a)) + " too far from " + strconv.Itoa(n)
		}
	}
	return ""
}
