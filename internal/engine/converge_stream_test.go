package engine

import (
	"math/rand"
	"strconv"

	"github.com/lightconedb/lightcone/internal/crdt"
	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/keyspace"
)

func init() { typeWriters["stream"] = randomStreamWrite }

// randomStreamWrite makes the effects stream commands make, deciding as
// the command layer does (IDs above the last one, deletions of existing
// entries, trim plans, deliveries with the read counter, claims...), on
// small streams with explicit IDs that collide across nodes, automatic
// IDs (node-tagged), a few groups and consumers.
func randomStreamWrite(r *rand.Rand, en *Engine) {
	db := 0
	if r.Intn(4) == 0 {
		db = 1
	}
	key := []byte("k" + strconv.Itoa(r.Intn(3)))
	tx := en.Begin1(db, key)
	defer tx.End()
	ent := tx.Get(db, key)
	if ent != nil && ent.Kind != keyspace.KindStream {
		if r.Intn(3) == 0 {
			tx.Delete(db, key)
		}
		return
	}
	var s *crdt.Stream
	if ent != nil {
		s = ent.Obj().(*crdt.Stream)
	}
	groups := []string{"g1", "g2"}
	consumers := []string{"alice", "bob", "carol"}
	group := []byte(groups[r.Intn(len(groups))])
	consumer := []byte(consumers[r.Intn(len(consumers))])
	var g *crdt.StreamGroup
	if s != nil {
		g = s.Group(group)
	}
	now := tx.Now
	p := tx.Payload()
	write := func() { tx.Coll(db, key, effect.OpStream, p) }
	// existing entry IDs
	ids := func() []crdt.StreamID {
		var out []crdt.StreamID
		if s != nil {
			s.Range(crdt.StreamID{}, crdt.StreamIDMax, false, func(e *crdt.StreamEntry) bool {
				out = append(out, e.ID)
				return true
			})
		}
		return out
	}
	pick := func(all []crdt.StreamID) crdt.StreamID {
		if len(all) == 0 || r.Intn(5) == 0 {
			return crdt.StreamID{Ms: uint64(r.Intn(30)), Seq: uint64(r.Intn(3))}
		}
		return all[r.Intn(len(all))]
	}
	switch r.Intn(22) {
	case 0, 1, 2, 3, 4, 20, 21:
		var last crdt.StreamID
		if s != nil {
			last = s.LastID()
		}
		var id crdt.StreamID
		if r.Intn(3) == 0 {
			// automatic: the cluster scheme, node tag in the sequence
			tag := uint64(uint32(en.Node()))
			ms := uint64(20 + r.Intn(15))
			switch {
			case ms > last.Ms:
				id = crdt.StreamID{Ms: ms, Seq: tag}
			default:
				ctr := last.Seq >> 32
				if uint32(last.Seq) >= uint32(tag) {
					ctr++
				}
				id = crdt.StreamID{Ms: last.Ms, Seq: ctr<<32 | tag}
			}
		} else {
			id = crdt.StreamID{Ms: uint64(1 + r.Intn(30)), Seq: uint64(r.Intn(3))}
			if !last.Less(id) {
				return
			}
		}
		fv := [][]byte{[]byte("f"), []byte(strconv.Itoa(r.Intn(100)))}
		if r.Intn(4) == 0 {
			fv[1] = make([]byte, 900+r.Intn(200)) // a few per node
		}
		if r.Intn(3) == 0 {
			fv = append(fv, []byte("x"+strconv.Itoa(r.Intn(3))), []byte("v"))
		}
		crdt.StreamEncAdd(p, id, fv)
		if r.Intn(4) == 0 {
			base := s
			if base == nil {
				base = crdt.NewStream()
			}
			t := crdt.StreamTrim{MaxLen: uint64(r.Intn(6)), Approx: r.Intn(3) == 0}
			if r.Intn(2) == 0 {
				t = crdt.StreamTrim{MinID: true, ID: pick(ids())}
			}
			plan := base.PlanTrim(t, &id, crdt.FVLen(fv))
			if plan.Changes() {
				crdt.StreamEncTrim(p, &plan)
			}
		}
		write()
	case 5, 6:
		if s == nil {
			return
		}
		all := ids()
		var del []crdt.StreamID
		for i := r.Intn(3); i >= 0; i-- {
			id := pick(all)
			if s.Has(id) && !containsID(del, id) {
				del = append(del, id)
			}
		}
		if len(del) > 0 {
			crdt.StreamEncDel(p, del)
			write()
		}
	case 7:
		if s == nil {
			return
		}
		t := crdt.StreamTrim{MaxLen: uint64(r.Intn(5))}
		if r.Intn(2) == 0 {
			t = crdt.StreamTrim{MinID: true, ID: pick(ids())}
		}
		plan := s.PlanTrim(t, nil, 0)
		if plan.Changes() {
			crdt.StreamEncTrim(p, &plan)
			write()
		}
	case 8:
		if s == nil {
			return
		}
		id := crdt.StreamID{Ms: uint64(r.Intn(40)), Seq: uint64(r.Intn(3))}
		if s.Length() > 0 && id.Less(s.LastEntryID()) {
			return
		}
		var added *uint64
		if r.Intn(3) == 0 {
			v := s.Length() + uint64(r.Intn(4))
			added = &v
		}
		var maxDel *crdt.StreamID
		if r.Intn(3) == 0 {
			v := crdt.StreamID{Ms: uint64(r.Intn(int(id.Ms) + 1)), Seq: 1}
			if !id.Less(v) {
				maxDel = &v
			}
		}
		crdt.StreamEncSetID(p, id, added, maxDel)
		write()
	case 9:
		if g != nil {
			return
		}
		if s == nil {
			crdt.StreamEncMk(p)
		}
		last := pick(ids())
		if s != nil && r.Intn(2) == 0 {
			last = s.LastID()
		}
		crdt.StreamEncGroup(p, crdt.StreamGroupNew, group, last, int64(r.Intn(3))-1)
		write()
	case 10:
		if g == nil {
			return
		}
		if r.Intn(3) == 0 {
			crdt.StreamEncGroupDel(p, group)
		} else {
			crdt.StreamEncGroup(p, crdt.StreamGroupSet, group, pick(ids()), int64(r.Intn(4))-1)
		}
		write()
	case 11:
		if g == nil {
			return
		}
		cs := g.Consumer(consumer)
		if r.Intn(2) == 0 {
			if cs != nil {
				return
			}
			crdt.StreamEncConsumer(p, group, consumer, now)
		} else {
			if cs == nil {
				return
			}
			var pend []crdt.StreamID
			g.EachConsumerPending(cs, crdt.StreamID{}, crdt.StreamIDMax, func(n *crdt.StreamNACK) bool {
				pend = append(pend, n.ID)
				return true
			})
			if len(pend) > 0 {
				crdt.StreamEncNACKDel(p, group, pend)
			}
			crdt.StreamEncConsumerDel(p, group, consumer)
		}
		write()
	case 12, 13, 14:
		// XREADGROUP >
		if g == nil || s.Length() == 0 || !g.LastID.Less(s.LastEntryID()) {
			return
		}
		crdt.StreamEncConsumer(p, group, consumer, now)
		start, _ := g.LastID.Next()
		last, read := g.LastID, g.EntriesRead
		count := 1 + r.Intn(3)
		noack := r.Intn(4) == 0
		var ns []crdt.StreamNACKWrite
		s.Range(start, crdt.StreamIDMax, false, func(e *crdt.StreamEntry) bool {
			last, read = s.AdvanceRead(last, read, e.ID)
			if !noack {
				ns = append(ns, crdt.StreamNACKWrite{ID: e.ID, Count: 1})
			}
			count--
			return count > 0
		})
		crdt.StreamEncAdvance(p, group, last, read, false)
		if len(ns) > 0 {
			crdt.StreamEncNACKs(p, group, consumer, now, ns)
		}
		write()
	case 15:
		// XREADGROUP history
		if g == nil {
			return
		}
		crdt.StreamEncConsumer(p, group, consumer, now)
		if cs := g.Consumer(consumer); cs != nil {
			var ns []crdt.StreamNACKWrite
			g.EachConsumerPending(cs, crdt.StreamID{}, crdt.StreamIDMax, func(n *crdt.StreamNACK) bool {
				if s.Has(n.ID) {
					ns = append(ns, crdt.StreamNACKWrite{ID: n.ID, Count: n.DeliveryCount + 1})
				}
				return true
			})
			if len(ns) > 0 {
				crdt.StreamEncNACKs(p, group, consumer, now, ns)
			}
		}
		write()
	case 16:
		// XACK
		if g == nil || g.Pending() == 0 {
			return
		}
		var ack []crdt.StreamID
		g.EachPending(crdt.StreamID{}, crdt.StreamIDMax, false, func(n *crdt.StreamNACK) bool {
			if r.Intn(2) == 0 {
				ack = append(ack, n.ID)
			}
			return true
		})
		if len(ack) > 0 {
			crdt.StreamEncNACKDel(p, group, ack)
			write()
		}
	case 17:
		// XCLAIM / XAUTOCLAIM (min-idle 0): pending entries move to consumer
		if g == nil || g.Pending() == 0 {
			return
		}
		var gone []crdt.StreamID
		var ns []crdt.StreamNACKWrite
		g.EachPending(crdt.StreamID{}, crdt.StreamIDMax, false, func(n *crdt.StreamNACK) bool {
			if r.Intn(2) == 0 {
				return true
			}
			if !s.Has(n.ID) {
				gone = append(gone, n.ID)
			} else {
				ns = append(ns, crdt.StreamNACKWrite{ID: n.ID, Count: n.DeliveryCount + 1})
			}
			return true
		})
		if r.Intn(3) == 0 {
			if id := pick(ids()); g.LastID.Less(id) {
				crdt.StreamEncAdvance(p, group, id, 0, true)
			}
		}
		if len(gone) > 0 {
			crdt.StreamEncNACKDel(p, group, gone)
		}
		if len(ns) > 0 {
			crdt.StreamEncConsumer(p, group, consumer, now)
			crdt.StreamEncNACKs(p, group, consumer, now-int64(r.Intn(1000)), ns)
		}
		if len(p.B) > 0 {
			write()
		}
	case 18:
		// RESTORE REPLACE / COPY onto itself: the whole value
		if s == nil {
			return
		}
		s.Snapshot(p)
		tx.CollReplace(db, key, effect.OpStream, p, 0, false)
	case 19:
		if s == nil {
			return
		}
		if r.Intn(2) == 0 {
			tx.Delete(db, key)
		} else {
			tx.SetExpire(db, key, 4_000_000_000_000+int64(r.Intn(9)))
		}
	}
}

func containsID(ids []crdt.StreamID, id crdt.StreamID) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}
