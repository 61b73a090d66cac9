package commands

import (
	"bytes"

	"github.com/lightconedb/lightcone/internal/crdt"
	"github.com/lightconedb/lightcone/internal/engine"
	"github.com/lightconedb/lightcone/internal/keyspace"
	"github.com/lightconedb/lightcone/internal/notify"
)

// XREAD and XREADGROUP.

func registerStreamReads(t *Table) {
	t.Register(
		&Command{Name: "xread", Arity: -4, Flags: []string{"readonly", "blocking"}, Keys: streamsKeys(1),
			Categories: []string{"read", "stream", "slow", "blocking"},
			Summary:    "Return never seen elements in multiple streams, with IDs greater than the ones reported by the caller for each stream. Can block.", Since: "5.0.0", Group: "stream",
			Complexity: "For each stream mentioned: O(N) with N being the number of elements being returned, it means that XREAD-ing with a fixed COUNT is O(1). Note that when the BLOCK option is used, XADD will pay O(M) time in order to serve the M clients blocked on the stream getting new data.",
			Syntax:     "[COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...]",
			Handler:    func(c *Ctx) { cmdXread(c, false) }},
		&Command{Name: "xreadgroup", Arity: -7, Flags: []string{"write", "blocking"}, Keys: streamsKeys(4),
			Categories: []string{"write", "stream", "slow", "blocking"},
			Summary:    "Return new entries from a stream using a consumer group, or access the history of the pending entries for a given consumer. Can block.", Since: "5.0.0", Group: "stream",
			Complexity: "For each stream mentioned: O(M) with M being the number of elements returned. If M is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1). On the other side when XREADGROUP blocks, XADD will pay the O(N) time in order to serve the N clients blocked on the stream getting new data.",
			Syntax:     "GROUP group consumer [COUNT count] [BLOCK milliseconds] [NOACK] STREAMS key [key ...] id [id ...]",
			Handler:    func(c *Ctx) { cmdXread(c, true) }},
	)
}

// streamsKeys finds the keys after the STREAMS keyword (searched from
// argument from on): the first half of what follows it.
func streamsKeys(from int) KeysFunc {
	return func(args [][]byte) []int {
		for i := from; i < len(args); i++ {
			if EqualFold(args[i], "streams") {
				n := (len(args) - i - 1) / 2
				out := make([]int, n)
				for j := range out {
					out[j] = i + 1 + j
				}
				return out
			}
		}
		return nil
	}
}

// cstr is b read as a C string (up to its first NUL), as Redis' strcmp
// sees an argument.
func cstr(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}

// xreadReq is a parsed XREAD / XREADGROUP.
type xreadReq struct {
	group      bool
	count      int64
	noack      bool
	streamsArg int
	n          int
	ids        []crdt.StreamID // resolved; StreamIDMax for ">"
	groupArg   int             // index of the group name (consumer after it)
}

func cmdXread(c *Ctx, group bool) {
	r := xreadReq{group: group}
	blocking := false
	var deadline int64
loop:
	for i := 1; i < len(c.Args); i++ {
		more := len(c.Args) - i - 1
		switch {
		case c.Is(i, "block") && more > 0:
			i++
			d, ok := c.TimeoutArg(i, false)
			if !ok {
				return
			}
			blocking, deadline = true, d
		case c.Is(i, "count") && more > 0:
			i++
			v, ok := c.IntArg(i)
			if !ok {
				return
			}
			if v < 0 {
				v = 0
			}
			r.count = v
		case c.Is(i, "streams") && more > 0:
			r.streamsArg = i + 1
			n := len(c.Args) - r.streamsArg
			if n%2 != 0 {
				c.Error("ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.")
				return
			}
			r.n = n / 2
			break loop
		case c.Is(i, "group") && more >= 2:
			if !group {
				c.Error("ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.")
				return
			}
			r.groupArg = i + 1
			i += 2
		case c.Is(i, "noack"):
			if !group {
				c.Error("ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.")
				return
			}
			r.noack = true
		default:
			c.Syntax()
			return
		}
	}
	if r.streamsArg == 0 {
		c.Syntax()
		return
	}
	if group && r.groupArg == 0 {
		c.Error("ERR Missing GROUP option for XREADGROUP")
		return
	}
	keys := c.Args[r.streamsArg : r.streamsArg+r.n]
	tx := c.Eng.Begin(c.DB, keys...)
	r.ids = make([]crdt.StreamID, r.n)
	var groupName []byte
	if group {
		groupName = c.Args[r.groupArg]
	}
	for i := 0; i < r.n; i++ {
		key := keys[i]
		idArg := cstr(c.Args[r.streamsArg+r.n+i])
		s, ok := streamOf(c, tx.Read(c.DB, key))
		if !ok {
			tx.End()
			return
		}
		if group && (s == nil || s.Group(groupName) == nil) {
			tx.End()
			c.Error("NOGROUP No such key '" + string(cstr(key)) + "' or consumer group '" + string(cstr(groupName)) + "' in XREADGROUP with GROUP option")
			return
		}
		switch {
		case len(idArg) == 1 && idArg[0] == '$':
			if group {
				tx.End()
				c.Error("ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.")
				return
			}
			if s != nil {
				r.ids[i] = s.LastID()
			}
		case len(idArg) == 1 && idArg[0] == '>':
			if !group {
				tx.End()
				c.Error("ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.")
				return
			}
			r.ids[i] = crdt.StreamIDMax
		default:
			id, ok := c.streamIDArg(r.streamsArg + r.n + i)
			if !ok {
				tx.End()
				return
			}
			r.ids[i] = id
		}
	}
	served := r.serve(c, tx, -1)
	tx.End()
	if served {
		return
	}
	if !blocking || c.Blocker == nil {
		c.W.NullArray()
		return
	}
	c.Blocker.Block(c, keys, deadline, func(c2 *Ctx) bool {
		keys := c2.Args[r.streamsArg : r.streamsArg+r.n]
		tx := c2.Eng.Begin(c2.DB, keys...)
		defer tx.End()
		if i := readyIndex(c2, keys); i >= 0 {
			return r.serve(c2, tx, i) // only the stream that woke it, as Redis
		}
		for i := 0; i < r.n; i++ {
			if r.serve(c2, tx, i) {
				return true
			}
		}
		return false
	}, func(c2 *Ctx) { c2.W.NullArray() })
}

// xreadServed is one stream that gets a reply.
type xreadServed struct {
	i       int // stream index
	s       *crdt.Stream
	start   crdt.StreamID
	end     crdt.StreamID // XREADGROUP ">": the last delivered
	n       int64
	history []crdt.StreamID // XREADGROUP history: the IDs to reply
}

// serve replies to the request if any stream has something for it (only
// stream only when only >= 0: a blocked client's retry). It reports
// whether it replied (an error counts).
func (r *xreadReq) serve(c *Ctx, tx *engine.Tx, only int) bool {
	var out []xreadServed
	var groupName, consumer []byte
	if r.group {
		groupName, consumer = c.Args[r.groupArg], c.Args[r.groupArg+1]
	}
	for i := 0; i < r.n; i++ {
		if only >= 0 && i != only {
			continue
		}
		key := c.Args[r.streamsArg+i]
		ent := tx.Read(c.DB, key)
		if ent == nil || ent.Kind != keyspace.KindStream {
			if r.group && only >= 0 {
				c.Error("UNBLOCKED the stream key no longer exists")
				return true
			}
			continue
		}
		s, _ := ent.Obj().(*crdt.Stream)
		if s == nil {
			continue
		}
		gt := r.ids[i]
		if !r.group {
			if s.Length() > 0 && gt.Less(s.LastEntryID()) {
				start, _ := gt.Next()
				out = append(out, xreadServed{i: i, s: s, start: start})
			}
			continue
		}
		g := s.Group(groupName)
		if g == nil {
			if only >= 0 {
				c.Error("NOGROUP the consumer group this client was blocked on no longer exists")
				return true
			}
			continue
		}
		history := gt != crdt.StreamIDMax
		if !history {
			if s.Length() == 0 || !g.LastID.Less(s.LastEntryID()) {
				continue
			}
			gt = g.LastID
		}
		start, _ := gt.Next()
		sv := xreadServed{i: i, start: start}
		r.deliver(c, tx, key, s, g, consumer, history, &sv)
		// the write may have replaced the stream object: read it again
		ent = tx.Get(c.DB, key)
		sv.s, _ = ent.Obj().(*crdt.Stream)
		out = append(out, sv)
	}
	if len(out) == 0 {
		return false
	}
	w := c.W
	if w.Proto() == 3 {
		w.MapLen(len(out))
	} else {
		w.ArrayLen(len(out))
	}
	for _, sv := range out {
		if w.Proto() != 3 {
			w.ArrayLen(2)
		}
		w.Bulk(c.Args[r.streamsArg+sv.i])
		switch {
		case !r.group:
			replyRange(w, sv.s, sv.start, crdt.StreamIDMax, r.count, false)
		case sv.history != nil || sv.n == 0:
			w.ArrayLen(len(sv.history))
			for _, id := range sv.history {
				found := false
				sv.s.Range(id, id, false, func(e *crdt.StreamEntry) bool {
					replyEntry(w, e)
					found = true
					return false
				})
				if !found {
					w.ArrayLen(2)
					replyStreamID(w, id)
					w.NullArray()
				}
			}
		default:
			replyRange(w, sv.s, sv.start, sv.end, sv.n, false)
		}
	}
	return true
}

// deliver is XREADGROUP on one stream: it writes the effect (consumer seen,
// deliveries, new position) and records in sv what to reply.
func (r *xreadReq) deliver(c *Ctx, tx *engine.Tx, key []byte, s *crdt.Stream, g *crdt.StreamGroup, consumer []byte, history bool, sv *xreadServed) {
	now := tx.Now
	p := tx.Payload()
	crdt.StreamEncConsumer(p, []byte(g.Name), consumer, now)
	cons := g.Consumer(consumer)
	tx.Event = notify.NoSignal // for the one write below
	if cons == nil {
		tx.Event = notify.XGroupCreateConsumer
	}
	if history {
		sv.history = []crdt.StreamID{}
		var redeliver []crdt.StreamNACKWrite
		if cons != nil {
			g.EachConsumerPending(cons, sv.start, crdt.StreamIDMax, func(n *crdt.StreamNACK) bool {
				sv.history = append(sv.history, n.ID)
				if s.Has(n.ID) {
					redeliver = append(redeliver, crdt.StreamNACKWrite{ID: n.ID, Count: n.DeliveryCount + 1})
				}
				return r.count == 0 || int64(len(sv.history)) < r.count
			})
		}
		if len(redeliver) > 0 {
			crdt.StreamEncNACKs(p, []byte(g.Name), consumer, now, redeliver)
		}
		writeStream(tx, c.DB, key, p)
		return
	}
	last, read := g.LastID, g.EntriesRead
	var ns []crdt.StreamNACKWrite
	s.Range(sv.start, crdt.StreamIDMax, false, func(e *crdt.StreamEntry) bool {
		id := e.ID
		last, read = s.AdvanceRead(last, read, id)
		if !r.noack {
			ns = append(ns, crdt.StreamNACKWrite{ID: id, Count: 1})
		}
		sv.n++
		sv.end = id
		return r.count == 0 || sv.n < r.count
	})
	if last != g.LastID || read != g.EntriesRead {
		crdt.StreamEncAdvance(p, []byte(g.Name), last, read, false)
	}
	if len(ns) > 0 {
		crdt.StreamEncNACKs(p, []byte(g.Name), consumer, now, ns)
	}
	writeStream(tx, c.DB, key, p)
}
