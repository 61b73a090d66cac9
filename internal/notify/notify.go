// Package notify names Redis' keyspace events: the classes that
// notify-keyspace-events selects (K E g $ l s h z x e t m d n A), the event
// codes an effect carries in effect.Effect.Event (set by a command through
// engine.Tx.Event before its write), and the rule that turns an applied
// effect into the events Redis 7.0 raises for it, in Redis' order.
//
// An effect raises, in order:
//
//  1. "new" (class n) when it created the key (the key held no value before
//     and holds one after), or always for the codes that recreate their key
//     the way Redis' dbDelete+dbAdd does (RENAME, MOVE, COPY, RESTORE);
//  2. its main event(s): those of its Event code, or, when the code is
//     Derive (0), those implied by its Op (see Events);
//  3. "del" (class g) when a write that is not itself a deletion left the
//     key without a value (a collection emptied by LPOP, SREM, ZREM, ...).
//
// A deletion announces itself only if it removed the key: a delete effect
// from another node that had not seen a concurrent write (which survives
// it, see docs/SEMANTICS.md) raises nothing where the key lives on.
//
// The package is pure: no locks, no I/O; it imports only effect.
package notify

import "github.com/lightconedb/lightcone/internal/effect"

// Class is a set of notify-keyspace-events flags.
type Class uint16

// The classes, one per notify-keyspace-events character.
const (
	Keyspace Class = 1 << iota // K: __keyspace@<db>__:<key> channels
	Keyevent                   // E: __keyevent@<db>__:<event> channels
	Generic                    // g: DEL, EXPIRE, RENAME, ...
	String                     // $: string commands
	List                       // l: list commands
	Set                        // s: set commands
	Hash                       // h: hash commands
	ZSet                       // z: sorted set commands
	Expired                    // x: a key deleted because it expired
	Evicted                    // e: a key evicted for maxmemory
	Stream                     // t: stream commands
	KeyMiss                    // m: a read found no key
	Module                     // d: module key type events
	New                        // n: a key was created

	// All is 'A': every class but K, E, m and n.
	All = Generic | String | List | Set | Hash | ZSet | Expired | Evicted | Stream | Module
)

// classChars maps each class character to its flag, in the order Redis
// prints them when 'A' does not cover them.
var classChars = []struct {
	c byte
	f Class
}{
	{'g', Generic}, {'$', String}, {'l', List}, {'s', Set}, {'h', Hash}, {'z', ZSet},
	{'x', Expired}, {'e', Evicted}, {'t', Stream}, {'d', Module}, {'n', New},
}

// ParseClasses parses a notify-keyspace-events value; ok is false when it
// holds a character that names no class (Redis then refuses the value).
func ParseClasses(s string) (c Class, ok bool) {
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; ch {
		case 'A':
			c |= All
		case 'K':
			c |= Keyspace
		case 'E':
			c |= Keyevent
		case 'm':
			c |= KeyMiss
		default:
			found := false
			for _, x := range classChars {
				if x.c == ch {
					c |= x.f
					found = true
					break
				}
			}
			if !found {
				return 0, false
			}
		}
	}
	return c, true
}

// String is the canonical form CONFIG GET prints: "A" when every class of
// 'A' is set (Redis then prints neither the single letters nor 'n'),
// otherwise the class letters in Redis' order; then K, E and m.
func (c Class) String() string {
	var b []byte
	if c&All == All {
		b = append(b, 'A')
	} else {
		for _, x := range classChars {
			if c&x.f != 0 {
				b = append(b, x.c)
			}
		}
	}
	if c&Keyspace != 0 {
		b = append(b, 'K')
	}
	if c&Keyevent != 0 {
		b = append(b, 'E')
	}
	if c&KeyMiss != 0 {
		b = append(b, 'm')
	}
	return string(b)
}

// InvalidClassError is Redis' message for a value ParseClasses refuses.
const InvalidClassError = "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."

// Event is one keyspace event: its class and its name (the message of the
// __keyspace channel, the suffix of the __keyevent channel).
type Event struct {
	Class Class
	Name  string
}

// Event codes, carried in effect.Effect.Event. Derive (0) lets the effect's
// Op decide; None raises nothing (a write Redis does not announce, e.g. a
// PFCOUNT that only refreshes its cached cardinality). A command whose event
// is not the one its Op implies sets tx.Event = notify.X right before its
// write; the code applies to that one write.
const (
	Derive uint8 = iota
	None
	// NoSignal raises nothing and is not "signalled" either: Redis calls no
	// signalModifiedKey for the write (XACK, a consumer's seen-time), so
	// it invalidates no tracked key (see InvalidationOrder)
	NoSignal

	// generic (g)
	Del
	RenameFrom
	RenameTo
	MoveFrom
	MoveTo
	CopyTo
	Restore
	Expire
	Persist
	SortStore
	// raised by the engine and maxmemory
	ExpiredKey // "expired" (x): the engine's expiry deletion
	EvictedKey // "evicted" (e): eviction (none yet)

	// strings ($)
	SetKey      // "set"
	SetExpire   // "set" then "expire" (SET ... EX, SETEX)
	SetRange    // "setrange"
	IncrBy      // "incrby"
	IncrByFloat // "incrbyfloat"
	Append      // "append"
	SetBit      // "setbit" (SETBIT, BITFIELD)
	PFAdd       // "pfadd" (PFADD, PFMERGE)

	// lists (l)
	LPush
	RPush
	LPop
	RPop
	LInsert
	LSet
	LRem
	LTrim
	// LMOVE / RPOPLPUSH with the same source and destination written as
	// one effect: Redis 7.0 raises the push event, then the pop event
	LPushThenLPop
	RPushThenLPop
	LPushThenRPop
	RPushThenRPop

	// hashes (h)
	HSet
	HDel
	HIncrBy
	HIncrByFloat

	// sets (s)
	SAdd
	SRem
	SPop
	SPopDel // "spop" then "del": SPOP with a count that takes the whole set
	SInterStore
	SUnionStore
	SDiffStore

	// sorted sets (z)
	ZAdd
	ZIncr
	ZRem
	ZRemByScore
	ZRemByRank
	ZRemByLex
	ZPopMin
	ZPopMax
	ZInterStore
	ZUnionStore
	ZDiffStore
	ZRangeStore
	GeoRadiusStore
	GeoSearchStore

	// streams (t)
	XAdd
	XAddTrim // "xadd" then "xtrim": XADD with MAXLEN/MINID that trimmed
	XDel
	XTrim
	XSetID
	XGroupCreate
	XGroupCreateConsumer
	XGroupDelConsumer
	XGroupDestroy
	XGroupSetID

	numCodes
)

type codeInfo struct {
	events []Event
	// recreates: Redis deletes and re-adds the key (dbDelete + dbAdd), so
	// "new" is raised even when the key existed
	recreates bool
}

func ev(c Class, names ...string) []Event {
	out := make([]Event, len(names))
	for i, n := range names {
		out[i] = Event{c, n}
	}
	return out
}

var codes = [numCodes]codeInfo{
	None:       {},
	NoSignal:   {},
	Del:        {events: ev(Generic, "del")},
	RenameFrom: {events: ev(Generic, "rename_from")},
	RenameTo:   {events: ev(Generic, "rename_to"), recreates: true},
	MoveFrom:   {events: ev(Generic, "move_from")},
	MoveTo:     {events: ev(Generic, "move_to"), recreates: true},
	CopyTo:     {events: ev(Generic, "copy_to"), recreates: true},
	Restore:    {events: ev(Generic, "restore"), recreates: true},
	Expire:     {events: ev(Generic, "expire")},
	Persist:    {events: ev(Generic, "persist")},
	SortStore:  {events: ev(List, "sortstore")}, // class l in Redis 7.0
	ExpiredKey: {events: ev(Expired, "expired")},
	EvictedKey: {events: ev(Evicted, "evicted")},

	SetKey:      {events: ev(String, "set")},
	SetExpire:   {events: []Event{{String, "set"}, {Generic, "expire"}}},
	SetRange:    {events: ev(String, "setrange")},
	IncrBy:      {events: ev(String, "incrby")},
	IncrByFloat: {events: ev(String, "incrbyfloat")},
	Append:      {events: ev(String, "append")},
	SetBit:      {events: ev(String, "setbit")},
	PFAdd:       {events: ev(String, "pfadd")},

	LPush:         {events: ev(List, "lpush")},
	RPush:         {events: ev(List, "rpush")},
	LPop:          {events: ev(List, "lpop")},
	RPop:          {events: ev(List, "rpop")},
	LInsert:       {events: ev(List, "linsert")},
	LSet:          {events: ev(List, "lset")},
	LRem:          {events: ev(List, "lrem")},
	LTrim:         {events: ev(List, "ltrim")},
	LPushThenLPop: {events: ev(List, "lpush", "lpop")},
	RPushThenLPop: {events: ev(List, "rpush", "lpop")},
	LPushThenRPop: {events: ev(List, "lpush", "rpop")},
	RPushThenRPop: {events: ev(List, "rpush", "rpop")},

	HSet:         {events: ev(Hash, "hset")},
	HDel:         {events: ev(Hash, "hdel")},
	HIncrBy:      {events: ev(Hash, "hincrby")},
	HIncrByFloat: {events: ev(Hash, "hincrbyfloat")},

	SAdd:        {events: ev(Set, "sadd")},
	SRem:        {events: ev(Set, "srem")},
	SPop:        {events: ev(Set, "spop")},
	SPopDel:     {events: []Event{{Set, "spop"}, {Generic, "del"}}},
	SInterStore: {events: ev(Set, "sinterstore")},
	SUnionStore: {events: ev(Set, "sunionstore")},
	SDiffStore:  {events: ev(Set, "sdiffstore")},

	ZAdd:           {events: ev(ZSet, "zadd")},
	ZIncr:          {events: ev(ZSet, "zincr")},
	ZRem:           {events: ev(ZSet, "zrem")},
	ZRemByScore:    {events: ev(ZSet, "zremrangebyscore")},
	ZRemByRank:     {events: ev(ZSet, "zremrangebyrank")},
	ZRemByLex:      {events: ev(ZSet, "zremrangebylex")},
	ZPopMin:        {events: ev(ZSet, "zpopmin")},
	ZPopMax:        {events: ev(ZSet, "zpopmax")},
	ZInterStore:    {events: ev(ZSet, "zinterstore")},
	ZUnionStore:    {events: ev(ZSet, "zunionstore")},
	ZDiffStore:     {events: ev(ZSet, "zdiffstore")},
	ZRangeStore:    {events: ev(ZSet, "zrangestore")},
	GeoRadiusStore: {events: ev(ZSet, "georadiusstore")},
	GeoSearchStore: {events: ev(ZSet, "geosearchstore")},

	XAdd:                 {events: ev(Stream, "xadd")},
	XAddTrim:             {events: ev(Stream, "xadd", "xtrim")},
	XDel:                 {events: ev(Stream, "xdel")},
	XTrim:                {events: ev(Stream, "xtrim")},
	XSetID:               {events: ev(Stream, "xsetid")},
	XGroupCreate:         {events: ev(Stream, "xgroup-create")},
	XGroupCreateConsumer: {events: ev(Stream, "xgroup-createconsumer")},
	XGroupDelConsumer:    {events: ev(Stream, "xgroup-delconsumer")},
	XGroupDestroy:        {events: ev(Stream, "xgroup-destroy")},
	XGroupSetID:          {events: ev(Stream, "xgroup-setid")},
}

// Names lists the events a code raises (nil for Derive, None and unknown
// codes).
func Names(code uint8) []Event {
	if int(code) >= len(codes) {
		return nil
	}
	return codes[code].events
}

// Code returns the code whose events are exactly (class, name), or 0.
func Code(c Class, name string) uint8 {
	for i := range codes {
		if e := codes[i].events; len(e) == 1 && e[0].Class == c && e[0].Name == name {
			return uint8(i)
		}
	}
	return 0
}

var (
	evNew      = Event{New, "new"}
	evDel      = Event{Generic, "del"}
	evKeyMiss  = Event{KeyMiss, "keymiss"}
	derived    [effect.OpStream + 1][]Event
	setExpire  = codes[SetExpire].events
	persistEvs = codes[Persist].events
)

func init() {
	derived[effect.OpAssign] = codes[SetKey].events
	derived[effect.OpAddInt] = codes[IncrBy].events
	derived[effect.OpAddFloat] = codes[IncrByFloat].events
	derived[effect.OpAppend] = codes[Append].events
	derived[effect.OpSetRange] = codes[SetRange].events
	derived[effect.OpSetBit] = codes[SetBit].events
	derived[effect.OpExpire] = codes[Expire].events
	derived[effect.OpDelete] = codes[Del].events
	derived[effect.OpHLL] = codes[PFAdd].events
	// collection ops raise nothing by themselves: their families set the
	// code of every write (a code per command, see the constants)
}

// Where a write's tracking invalidation comes among its keyspace events:
// Redis signals the key at different points in different commands.
const (
	InvalidateFirst     uint8 = iota // "new", the invalidation, the other events (most writes)
	InvalidateLast                   // the events, then the invalidation (pops, expiry)
	InvalidateBeforeDel              // the events, the invalidation, then "del" (ZPOPMIN/ZPOPMAX)
	InvalidateNever                  // no invalidation: Redis does not signal the write
)

// InvalidationOrder is where an effect with this code invalidates tracked
// keys relative to its events (observed on Redis 7.0: LPOP, RPOP, LMPOP,
// SPOP and the source of LMOVE raise their events first; ZPOPMIN/ZPOPMAX
// signal between the pop and "del"; an expiry raises "expired" first; XTRIM
// signals after "xtrim"; XSETID, XGROUP (but a MKSTREAM that created the
// key), XREADGROUP, XCLAIM, XAUTOCLAIM and XACK do not signal at all).
func InvalidationOrder(code uint8) uint8 {
	switch code {
	case NoSignal, XSetID, XGroupCreate, XGroupCreateConsumer, XGroupDelConsumer, XGroupDestroy, XGroupSetID:
		return InvalidateNever
	case LPop, RPop, SPop, SPopDel, XTrim, ExpiredKey, EvictedKey:
		return InvalidateLast
	case ZPopMin, ZPopMax:
		return InvalidateBeforeDel
	}
	return InvalidateFirst
}

// InvalidationOrderOf is InvalidationOrder for an effect that created its
// key or not: an XGROUP CREATE ... MKSTREAM that created the stream is
// signalled (Redis adds the key and signals it), other XGROUP CREATEs not.
func InvalidationOrderOf(code uint8, created bool) uint8 {
	if code == XGroupCreate && created {
		return InvalidateFirst
	}
	return InvalidationOrder(code)
}

// KeyMissEvent is the event a read that finds no key raises.
func KeyMissEvent() Event { return evKeyMiss }

// Events appends to dst the events e raises, given whether its key held a
// value before (existed) and after (exists) it was applied. FLUSHDB and
// SWAPDB raise none.
func Events(dst []Event, e *effect.Effect, existed, exists bool) []Event {
	if e.Op == effect.OpFlushDB || e.Op == effect.OpSwapDB {
		return dst
	}
	if e.Op == effect.OpDelete && (!existed || exists) {
		// a removal that removed nothing here (a remote delete that had not
		// seen a concurrent write, which survives): nothing to announce
		return dst
	}
	var main []Event
	recreates := false
	switch {
	case e.Event == Derive:
		if int(e.Op) < len(derived) {
			main = derived[e.Op]
		}
		switch {
		case e.Op == effect.OpAssign && e.Int != 0 && e.Flags&effect.FlagKeepTTL == 0:
			main = setExpire
		case e.Op == effect.OpExpire && e.Int == 0:
			main = persistEvs
		}
	case int(e.Event) < len(codes):
		main = codes[e.Event].events
		recreates = codes[e.Event].recreates
	}
	if exists && (!existed || recreates) {
		dst = append(dst, evNew)
	}
	dst = append(dst, main...)
	if existed && !exists && e.Op != effect.OpDelete && e.Op != effect.OpExpire {
		dst = append(dst, evDel)
	}
	return dst
}
