package commands

import (
	"strconv"

	"github.com/lightconedb/lightcone/internal/crdt"
	"github.com/lightconedb/lightcone/internal/notify"
)

// Consumer groups: XGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM.

var xgroupHelp = []string{
	"XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"CREATE <key> <groupname> <id|$> [option]",
	"    Create a new consumer group. Options are:",
	"    * MKSTREAM",
	"      Create the empty stream if it does not exist.",
	"    * ENTRIESREAD entries_read",
	"      Set the group's entries_read counter (internal use).",
	"CREATECONSUMER <key> <groupname> <consumer>",
	"    Create a new consumer in the specified group.",
	"DELCONSUMER <key> <groupname> <consumer>",
	"    Remove the specified consumer.",
	"DESTROY <key> <groupname>",
	"    Remove the specified group.",
	"SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
	"    Set the current group ID and entries_read counter.",
	"HELP",
	"    Prints this help.",
}

func registerStreamGroups(t *Table) {
	sub := func(name string, arity int, flags []string, cats []string, summary, since, complexity, syntax string) *Command {
		return &Command{Name: name, Arity: arity, Flags: flags, FirstKey: 2, LastKey: 2, Step: 1,
			Categories: cats, Summary: summary, Since: since, Group: "stream", Complexity: complexity,
			Syntax: syntax, Handler: cmdXgroup}
	}
	wslow := []string{"write", "stream", "slow"}
	wfast := []string{"write", "stream", "fast"}
	t.Register(
		&Command{Name: "xgroup", Arity: -2,
			Categories: []string{"slow"},
			Summary:    "A container for consumer groups commands", Since: "5.0.0", Group: "stream", Complexity: "Depends on subcommand.",
			Handler: func(c *Ctx) { c.WrongArgs() },
			Subs: map[string]*Command{
				"create": sub("create", -5, []string{"write", "denyoom"}, wslow, "Create a consumer group.", "5.0.0", "O(1)",
					"key group <id | $> [MKSTREAM] [ENTRIESREAD entries-read]"),
				"setid": sub("setid", -5, []string{"write"}, wslow, "Set a consumer group to an arbitrary last delivered ID value.", "5.0.0", "O(1)",
					"key group <id | $> [ENTRIESREAD entries-read]"),
				"destroy": sub("destroy", 4, []string{"write"}, wslow, "Destroy a consumer group.", "5.0.0",
					"O(N) where N is the number of entries in the group's pending entries list (PEL).", "key group"),
				"createconsumer": sub("createconsumer", 5, []string{"write", "denyoom"}, wslow, "Create a consumer in a consumer group.", "6.2.0", "O(1)",
					"key group consumer"),
				"delconsumer": sub("delconsumer", 5, []string{"write"}, wslow, "Delete a consumer from a consumer group.", "5.0.0", "O(1)",
					"key group consumer"),
				"help": {Name: "help", Arity: 2, Flags: []string{"loading", "stale"},
					Categories: []string{"stream", "slow"},
					Summary:    "Show helpful text about the different subcommands", Since: "5.0.0", Group: "stream", Complexity: "O(1)",
					Handler: func(c *Ctx) { replyHelp(c, xgroupHelp) }},
			}},
		&Command{Name: "xack", Arity: -4, Flags: []string{"write", "fast"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: wfast,
			Summary:    "Marks a pending message as correctly processed, effectively removing it from the pending entries list of the consumer group. Return value of the command is the number of messages successfully acknowledged, that is, the IDs we were actually able to resolve in the PEL.", Since: "5.0.0", Group: "stream",
			Complexity: "O(1) for each message ID processed.",
			Syntax:     "key group id [id ...]", Handler: cmdXack},
		&Command{Name: "xpending", Arity: -3, Flags: []string{"readonly"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: []string{"read", "stream", "slow"},
			Summary:    "Return information and entries from a stream consumer group pending entries list, that are messages fetched but never acknowledged.", Since: "5.0.0", Group: "stream",
			Complexity: "O(N) with N being the number of elements returned, so asking for a small fixed number of entries per call is O(1). O(M), where M is the total number of entries scanned when used with the IDLE filter. When the command returns just the summary and the list of consumers is small, it runs in O(1) time; otherwise, an additional O(N) time for iterating every consumer.",
			Syntax:     "key group [[IDLE min-idle-time] start end count [consumer]]", Handler: cmdXpending},
		&Command{Name: "xclaim", Arity: -6, Flags: []string{"write", "fast"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: wfast,
			Summary:    "Changes (or acquires) ownership of a message in a consumer group, as if the message was delivered to the specified consumer.", Since: "5.0.0", Group: "stream",
			Complexity: "O(log N) with N being the number of messages in the PEL of the consumer group.",
			Syntax:     "key group consumer min-idle-time id [id ...] [IDLE ms] [TIME unix-time-milliseconds] [RETRYCOUNT count] [FORCE] [JUSTID] [LASTID lastid]",
			Handler:    cmdXclaim},
		&Command{Name: "xautoclaim", Arity: -6, Flags: []string{"write", "fast"}, FirstKey: 1, LastKey: 1, Step: 1,
			Categories: wfast,
			Summary:    "Changes (or acquires) ownership of messages in a consumer group, as if the messages were delivered to the specified consumer.", Since: "6.2.0", Group: "stream",
			Complexity: "O(1) if COUNT is small.",
			Syntax:     "key group consumer min-idle-time start [COUNT count] [JUSTID]", Handler: cmdXautoclaim},
	)
}

func replyHelp(c *Ctx, lines []string) {
	c.W.ArrayLen(len(lines))
	for _, l := range lines {
		c.W.Simple(l)
	}
}

// subcommandSyntax is Redis' addReplySubcommandSyntaxError.
func subcommandSyntax(c *Ctx) {
	name := cstr(c.Args[1])
	if len(name) > 128 {
		name = name[:128]
	}
	c.Error("ERR unknown subcommand or wrong number of arguments for '" + string(name) + "'. Try " + Upper(string(c.Args[0])) + " HELP.")
}

func cmdXgroup(c *Ctx) {
	create := c.Is(1, "create")
	mkstream := false
	entriesRead := int64(-1)
	if create {
		for i := 5; i < len(c.Args); {
			switch {
			case c.Is(i, "mkstream"):
				mkstream = true
				i++
			case c.Is(i, "entriesread") && i+1 < len(c.Args):
				v, ok := c.IntArg(i + 1)
				if !ok {
					return
				}
				if v < 0 && v != -1 {
					c.Error("ERR value for ENTRIESREAD must be positive or -1")
					return
				}
				entriesRead = v
				i += 2
			default:
				subcommandSyntax(c)
				return
			}
		}
	}
	key, grp := c.Args[2], c.Args[3]
	tx := c.Eng.Begin1(c.DB, key)
	defer tx.End()
	s, ok := streamOf(c, tx.Get(c.DB, key))
	if !ok {
		return
	}
	var g *crdt.StreamGroup
	if !mkstream {
		if s == nil {
			c.Error("ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.")
			return
		}
		g = s.Group(grp)
		if g == nil && (c.Is(1, "setid") || c.Is(1, "createconsumer") || c.Is(1, "delconsumer")) {
			c.Error("NOGROUP No such consumer group '" + string(cstr(grp)) + "' for key name '" + string(cstr(key)) + "'")
			return
		}
	}
	n := len(c.Args)
	switch {
	case create && n >= 5 && n <= 8:
		var id crdt.StreamID
		if a := cstr(c.Args[4]); len(a) == 1 && a[0] == '$' {
			if s != nil {
				id = s.LastID()
			}
		} else if id, ok = c.streamIDArg(4); !ok {
			return
		}
		if s != nil && s.Group(grp) != nil {
			c.Error("BUSYGROUP Consumer Group name already exists")
			return
		}
		p := tx.Payload()
		if s == nil {
			crdt.StreamEncMk(p)
		}
		crdt.StreamEncGroup(p, crdt.StreamGroupNew, grp, id, entriesRead)
		tx.Event = notify.XGroupCreate // (signalled when MKSTREAM created the key)
		writeStream(tx, c.DB, key, p)
		c.OK()
	case c.Is(1, "setid") && (n == 5 || n == 7):
		var id crdt.StreamID
		if a := cstr(c.Args[4]); len(a) == 1 && a[0] == '$' {
			id = s.LastID()
		} else {
			var ok bool
			if id, _, ok = parseStreamID(c.Args[4], 0, false, false); !ok {
				c.Error(errInvalidStreamID)
				return
			}
		}
		if n == 7 {
			if !c.Is(5, "entriesread") {
				subcommandSyntax(c)
				return
			}
			v, ok := c.IntArg(6)
			if !ok {
				return
			}
			if v < 0 && v != -1 {
				c.Error("ERR value for ENTRIESREAD must be positive or -1")
				return
			}
			entriesRead = v
		}
		p := tx.Payload()
		crdt.StreamEncGroup(p, crdt.StreamGroupSet, grp, id, entriesRead)
		tx.Event = notify.XGroupSetID
		writeStream(tx, c.DB, key, p)
		c.OK()
	case c.Is(1, "destroy") && n == 4:
		if g == nil {
			c.W.Int(0)
			return
		}
		p := tx.Payload()
		crdt.StreamEncGroupDel(p, grp)
		tx.Event = notify.XGroupDestroy
		writeStream(tx, c.DB, key, p)
		c.W.Int(1)
	case c.Is(1, "createconsumer") && n == 5:
		if g.Consumer(c.Args[4]) != nil {
			c.W.Int(0)
			return
		}
		p := tx.Payload()
		crdt.StreamEncConsumer(p, grp, c.Args[4], tx.Now)
		tx.Event = notify.XGroupCreateConsumer
		writeStream(tx, c.DB, key, p)
		c.W.Int(1)
	case c.Is(1, "delconsumer") && n == 5:
		cons := g.Consumer(c.Args[4])
		if cons == nil {
			c.W.Int(0)
			return
		}
		var ids []crdt.StreamID
		g.EachConsumerPending(cons, crdt.StreamID{}, crdt.StreamIDMax, func(nk *crdt.StreamNACK) bool {
			ids = append(ids, nk.ID)
			return true
		})
		p := tx.Payload()
		if len(ids) > 0 {
			crdt.StreamEncNACKDel(p, grp, ids)
		}
		crdt.StreamEncConsumerDel(p, grp, c.Args[4])
		tx.Event = notify.XGroupDelConsumer
		writeStream(tx, c.DB, key, p)
		c.W.Int(int64(len(ids)))
	default:
		subcommandSyntax(c)
	}
}

// noGroup replies Redis' NOGROUP error for a missing key or group (names
// read as C strings, as Redis formats them).
func noGroup(c *Ctx, key, group []byte) {
	c.Error("NOGROUP No such key '" + string(cstr(key)) + "' or consumer group '" + string(cstr(group)) + "'")
}

func cmdXack(c *Ctx) {
	key := c.Args[1]
	tx := c.Eng.Begin1(c.DB, key)
	defer tx.End()
	s, ok := streamOf(c, tx.Read(c.DB, key))
	if !ok {
		return
	}
	var g *crdt.StreamGroup
	if s != nil {
		g = s.Group(c.Args[2])
	}
	if g == nil {
		c.W.Int(0)
		return
	}
	ids := make([]crdt.StreamID, 0, len(c.Args)-3)
	for j := 3; j < len(c.Args); j++ {
		id, ok := c.streamIDArg(j)
		if !ok {
			return
		}
		ids = append(ids, id)
	}
	acked := uniqueIDs(ids, func(id crdt.StreamID) bool { return g.NACK(id) != nil })
	if len(acked) > 0 {
		p := tx.Payload()
		crdt.StreamEncNACKDel(p, c.Args[2], acked)
		tx.Event = notify.NoSignal
		writeStream(tx, c.DB, key, p)
	}
	c.W.Int(int64(len(acked)))
}

func cmdXpending(c *Ctx) {
	n := len(c.Args)
	if n != 3 && (n < 6 || n > 9) {
		c.Syntax()
		return
	}
	var start, end crdt.StreamID
	var count, minIdle int64
	var consumer []byte
	if n >= 6 {
		si := 3
		if c.Is(3, "idle") {
			v, ok := c.IntArg(4)
			if !ok {
				return
			}
			minIdle = v
			if n < 8 {
				c.Syntax()
				return
			}
			si += 2
		}
		v, ok := c.IntArg(si + 2)
		if !ok {
			return
		}
		if v < 0 {
			v = 0
		}
		count = v
		if start, end, ok = rangeBounds(c, c.Args[si], c.Args[si+1]); !ok {
			return
		}
		if si+3 < n {
			consumer = c.Args[si+3]
		}
	}
	key := c.Args[1]
	tx := c.Eng.Begin1(c.DB, key)
	defer tx.End()
	s, ok := streamOf(c, tx.Read(c.DB, key))
	if !ok {
		return
	}
	var g *crdt.StreamGroup
	if s != nil {
		g = s.Group(c.Args[2])
	}
	if g == nil {
		noGroup(c, key, c.Args[2])
		return
	}
	w := c.W
	if n == 3 {
		w.ArrayLen(4)
		w.Int(int64(g.Pending()))
		if g.Pending() == 0 {
			w.Null()
			w.Null()
			w.NullArray()
			return
		}
		g.EachPending(crdt.StreamID{}, crdt.StreamIDMax, false, func(nk *crdt.StreamNACK) bool {
			replyStreamID(w, nk.ID)
			return false
		})
		g.EachPending(crdt.StreamID{}, crdt.StreamIDMax, true, func(nk *crdt.StreamNACK) bool {
			replyStreamID(w, nk.ID)
			return false
		})
		k := 0
		for _, cs := range g.Consumers() {
			if cs.Pending() > 0 {
				k++
			}
		}
		w.ArrayLen(k)
		var buf [24]byte
		for _, cs := range g.Consumers() {
			if cs.Pending() > 0 {
				w.ArrayLen(2)
				w.BulkString(cs.Name)
				w.Bulk(strconv.AppendInt(buf[:0], int64(cs.Pending()), 10))
			}
		}
		return
	}
	var cons *crdt.StreamConsumer
	if consumer != nil {
		if cons = g.Consumer(consumer); cons == nil {
			w.ArrayLen(0)
			return
		}
	}
	now := tx.Now
	var out []*crdt.StreamNACK
	visit := func(nk *crdt.StreamNACK) bool {
		if count == 0 {
			return false
		}
		if minIdle != 0 && now-nk.DeliveryTime < minIdle {
			return true
		}
		out = append(out, nk)
		count--
		return true
	}
	if cons != nil {
		g.EachConsumerPending(cons, start, end, visit)
	} else {
		g.EachPending(start, end, false, visit)
	}
	w.ArrayLen(len(out))
	for _, nk := range out {
		w.ArrayLen(4)
		replyStreamID(w, nk.ID)
		w.BulkString(nk.Consumer.Name)
		el := now - nk.DeliveryTime
		if el < 0 {
			el = 0
		}
		w.Int(el)
		w.Int(int64(nk.DeliveryCount))
	}
}

// claimState tracks NACKs changed so far by one XCLAIM / XAUTOCLAIM.
type claimState struct {
	at    map[crdt.StreamID]claimNACK
	order []crdt.StreamNACKWrite
}

type claimNACK struct {
	mine  bool // now owned by the claiming consumer
	count uint64
	time  int64
	gone  bool
}

func cmdXclaim(c *Ctx) {
	key := c.Args[1]
	tx := c.Eng.Begin1(c.DB, key)
	defer tx.End()
	s, ok := streamOf(c, tx.Read(c.DB, key))
	if !ok {
		return
	}
	var g *crdt.StreamGroup
	if s != nil {
		g = s.Group(c.Args[2])
	}
	if g == nil {
		noGroup(c, key, c.Args[2])
		return
	}
	minIdle, ok := ParseInt(c.Args[4])
	if !ok {
		c.Error("ERR Invalid min-idle-time argument for XCLAIM")
		return
	}
	if minIdle < 0 {
		minIdle = 0
	}
	j := 5
	for ; j < len(c.Args); j++ {
		if _, _, ok := parseStreamID(c.Args[j], 0, true, false); !ok {
			break
		}
	}
	lastIDArg := j - 1
	now := tx.Now
	var lastID crdt.StreamID
	retry := int64(-1)
	delivery := int64(-1)
	force, justid := false, false
	for ; j < len(c.Args); j++ {
		more := len(c.Args) - 1 - j
		switch {
		case c.Is(j, "force"):
			force = true
		case c.Is(j, "justid"):
			justid = true
		case c.Is(j, "idle") && more > 0:
			j++
			v, ok := ParseInt(c.Args[j])
			if !ok {
				c.Error("ERR Invalid IDLE option argument for XCLAIM")
				return
			}
			delivery = now - v
		case c.Is(j, "time") && more > 0:
			j++
			v, ok := ParseInt(c.Args[j])
			if !ok {
				c.Error("ERR Invalid TIME option argument for XCLAIM")
				return
			}
			delivery = v
		case c.Is(j, "retrycount") && more > 0:
			j++
			v, ok := ParseInt(c.Args[j])
			if !ok {
				c.Error("ERR Invalid RETRYCOUNT option argument for XCLAIM")
				return
			}
			retry = v
		case c.Is(j, "lastid") && more > 0:
			j++
			id, ok := c.streamIDArg(j)
			if !ok {
				return
			}
			lastID = id
		default:
			c.Error("ERR Unrecognized XCLAIM option '" + string(cstr(c.Args[j])) + "'")
			return
		}
	}
	if delivery != -1 {
		if delivery < 0 || delivery > now {
			delivery = now
		}
	} else {
		delivery = now
	}
	consumer := c.Args[3]
	cons := g.Consumer(consumer)
	st := claimState{at: map[crdt.StreamID]claimNACK{}}
	var gone []crdt.StreamID
	var claimed []crdt.StreamID
	lookup := func(id crdt.StreamID) (claimNACK, bool) {
		if x, ok := st.at[id]; ok {
			return x, !x.gone
		}
		nk := g.NACK(id)
		if nk == nil {
			return claimNACK{}, false
		}
		return claimNACK{mine: cons != nil && nk.Consumer == cons, count: nk.DeliveryCount, time: nk.DeliveryTime}, true
	}
	for k := 5; k <= lastIDArg; k++ {
		id, _, _ := parseStreamID(c.Args[k], 0, true, false)
		x, exists := lookup(id)
		if !s.Has(id) {
			if exists {
				st.at[id] = claimNACK{gone: true}
				gone = append(gone, id)
			}
			continue
		}
		forced := false
		if force && !exists {
			x, exists, forced = claimNACK{count: 1, time: now}, true, true
		}
		if !exists {
			continue
		}
		if !forced && minIdle != 0 && now-x.time < minIdle {
			continue
		}
		x.mine = true
		x.time = delivery
		if retry >= 0 {
			x.count = uint64(retry)
		} else if !justid {
			x.count++
		}
		st.at[id] = x
		st.order = append(st.order, crdt.StreamNACKWrite{ID: id, Count: x.count})
		claimed = append(claimed, id)
	}
	p := tx.Payload()
	grp := c.Args[2]
	if g.LastID.Less(lastID) {
		crdt.StreamEncAdvance(p, grp, lastID, 0, true)
	}
	if len(gone) > 0 {
		crdt.StreamEncNACKDel(p, grp, gone)
	}
	if len(claimed) > 0 {
		crdt.StreamEncConsumer(p, grp, consumer, now)
		crdt.StreamEncNACKs(p, grp, consumer, delivery, st.order)
	}
	tx.Event = notify.NoSignal
	if len(claimed) > 0 && cons == nil {
		tx.Event = notify.XGroupCreateConsumer
	}
	if len(p.B) > 0 {
		writeStream(tx, c.DB, key, p)
	}
	w := c.W
	w.ArrayLen(len(claimed))
	for _, id := range claimed {
		if justid {
			replyStreamID(w, id)
			continue
		}
		found := false
		s.Range(id, id, false, func(e *crdt.StreamEntry) bool {
			replyEntry(w, e)
			found = true
			return false
		})
		if !found {
			w.Null()
		}
	}
}

func cmdXautoclaim(c *Ctx) {
	// Redis looks the key up before it parses the arguments (a missing key
	// raises "keymiss" even when an argument is refused), and checks its
	// type after
	key := c.Args[1]
	tx := c.Eng.Begin1(c.DB, key)
	defer tx.End()
	ent := tx.Read(c.DB, key)
	minIdle, ok := ParseInt(c.Args[4])
	if !ok {
		c.Error("ERR Invalid min-idle-time argument for XAUTOCLAIM")
		return
	}
	if minIdle < 0 {
		minIdle = 0
	}
	start, ex, ok := intervalID(c, c.Args[5], 0)
	if !ok {
		return
	}
	if ex {
		if start, ok = start.Next(); !ok {
			c.Error("ERR invalid start ID for the interval")
			return
		}
	}
	count := int64(100)
	justid := false
	for j := 6; j < len(c.Args); j++ {
		more := len(c.Args) - 1 - j
		switch {
		case c.Is(j, "count") && more > 0:
			v, ok := ParseInt(c.Args[j+1])
			if !ok || v < 1 || v > (1<<63-1)/16 {
				c.Error("ERR COUNT must be > 0")
				return
			}
			count = v
			j++
		case c.Is(j, "justid"):
			justid = true
		default:
			c.Syntax()
			return
		}
	}
	s, ok := streamOf(c, ent)
	if !ok {
		return
	}
	var g *crdt.StreamGroup
	if s != nil {
		g = s.Group(c.Args[2])
	}
	if g == nil {
		noGroup(c, key, c.Args[2])
		return
	}
	attempts := count * 10
	now := tx.Now
	var gone, claimed []crdt.StreamID
	var writes []crdt.StreamNACKWrite
	next := crdt.StreamID{}
	g.EachPending(start, crdt.StreamIDMax, false, func(nk *crdt.StreamNACK) bool {
		if attempts == 0 || count == 0 {
			next = nk.ID
			return false
		}
		attempts--
		if !s.Has(nk.ID) {
			gone = append(gone, nk.ID)
			count--
			return true
		}
		if minIdle != 0 && now-nk.DeliveryTime < minIdle {
			return true
		}
		cnt := nk.DeliveryCount
		if !justid {
			cnt++
		}
		writes = append(writes, crdt.StreamNACKWrite{ID: nk.ID, Count: cnt})
		claimed = append(claimed, nk.ID)
		count--
		return true
	})
	p := tx.Payload()
	grp := c.Args[2]
	if len(gone) > 0 {
		crdt.StreamEncNACKDel(p, grp, gone)
	}
	if len(claimed) > 0 {
		crdt.StreamEncConsumer(p, grp, c.Args[3], now)
		crdt.StreamEncNACKs(p, grp, c.Args[3], now, writes)
	}
	tx.Event = notify.NoSignal
	if len(claimed) > 0 && g.Consumer(c.Args[3]) == nil {
		tx.Event = notify.XGroupCreateConsumer
	}
	if len(p.B) > 0 {
		writeStream(tx, c.DB, key, p)
	}
	w := c.W
	w.ArrayLen(3)
	replyStreamID(w, next)
	w.ArrayLen(len(claimed))
	for _, id := range claimed {
		if justid {
			replyStreamID(w, id)
			continue
		}
		s.Range(id, id, false, func(e *crdt.StreamEntry) bool {
			replyEntry(w, e)
			return false
		})
	}
	w.ArrayLen(len(gone))
	for _, id := range gone {
		replyStreamID(w, id)
	}
}
