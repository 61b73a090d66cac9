package engine

import (
	"fmt"
	"strings"
	"testing"

	"github.com/lightconedb/lightcone/internal/crdt"
	"github.com/lightconedb/lightcone/internal/effect"
)

// Worked examples of docs/semantics/stream.md: two nodes A and B write to
// the stream x concurrently, exchange their effects and must agree. The
// effects are the ones the stream commands write (internal/commands
// decides, crdt encodes).

func streamDo(p *pair, en *Engine, build func(s *crdt.Stream, pay *crdt.Enc)) {
	p.do(en, func(tx *Tx) {
		var s *crdt.Stream
		if e := tx.Get(0, []byte("x")); e != nil {
			s = e.Obj().(*crdt.Stream)
		}
		pay := tx.Payload()
		build(s, pay)
		tx.Coll(0, []byte("x"), effect.OpStream, pay)
	})
}

func xadd(p *pair, en *Engine, id crdt.StreamID, field, value string) {
	streamDo(p, en, func(_ *crdt.Stream, pay *crdt.Enc) {
		crdt.StreamEncAdd(pay, id, [][]byte{[]byte(field), []byte(value)})
	})
}

// streamState describes x on a node: entries, counters, groups.
func streamState(en *Engine) string {
	tx := en.Begin1(0, []byte("x"))
	defer tx.End()
	e := tx.Peek(0, []byte("x"))
	if e == nil {
		return "none"
	}
	s := e.Obj().(*crdt.Stream)
	var b strings.Builder
	fmt.Fprintf(&b, "last=%v added=%d maxdel=%v entries:", s.LastID(), s.EntriesAdded(), s.MaxDeletedID())
	s.Range(crdt.StreamID{}, crdt.StreamIDMax, false, func(x *crdt.StreamEntry) bool {
		f, v := x.Next()
		fmt.Fprintf(&b, " %v(%s=%s)", x.ID, f, v)
		return true
	})
	for _, g := range s.Groups() {
		fmt.Fprintf(&b, " | group %s last=%v read=%d consumers:", g.Name, g.LastID, g.EntriesRead)
		for _, c := range g.Consumers() {
			fmt.Fprintf(&b, " %s", c.Name)
		}
		b.WriteString(" pending:")
		g.EachPending(crdt.StreamID{}, crdt.StreamIDMax, false, func(n *crdt.StreamNACK) bool {
			fmt.Fprintf(&b, " %v=%s/%d", n.ID, n.Consumer.Name, n.DeliveryCount)
			return true
		})
	}
	return b.String()
}

func (p *pair) expectStream(want string) {
	p.t.Helper()
	for name, en := range map[string]*Engine{"A": p.a, "B": p.b} {
		if got := streamState(en); got != want {
			p.t.Errorf("node %s:\n got %s\nwant %s", name, got, want)
		}
	}
	if p.a.Digest() != p.b.Digest() {
		p.t.Errorf("digests differ")
	}
}

func id(ms, seq uint64) crdt.StreamID { return crdt.StreamID{Ms: ms, Seq: seq} }

// XADD * on two nodes in the same millisecond: the node tag in the
// sequence keeps the IDs apart, both entries stay, in ID order.
func TestSemanticsStreamConcurrentAddsBothStay(t *testing.T) {
	p := newPair(t)
	xadd(p, p.a, id(1000, 0<<32|1), "from", "a") // node 1's first ID at 1000 ms
	xadd(p, p.b, id(1000, 0<<32|2), "from", "b") // node 2's
	p.sync()
	p.expectStream("last=1000-2 added=2 maxdel=0-0 entries: 1000-1(from=a) 1000-2(from=b)")
}

// The same explicit ID added on both nodes: one entry, the later write's
// fields.
func TestSemanticsStreamSameExplicitIDLastWriterWins(t *testing.T) {
	p := newPair(t)
	p.wallA, p.wallB = 1000, 1005
	xadd(p, p.a, id(7, 0), "f", "a")
	xadd(p, p.b, id(7, 0), "f", "b")
	p.sync()
	p.expectStream("last=7-0 added=2 maxdel=0-0 entries: 7-0(f=b)")
}

// XTRIM removes the entries its node had seen; an entry added concurrently
// elsewhere stays.
func TestSemanticsStreamTrimKeepsUnseenEntries(t *testing.T) {
	p := newPair(t)
	xadd(p, p.a, id(1, 1), "f", "1")
	xadd(p, p.a, id(1, 2), "f", "2")
	p.sync()
	streamDo(p, p.a, func(s *crdt.Stream, pay *crdt.Enc) { // XTRIM x MAXLEN 0
		plan := s.PlanTrim(crdt.StreamTrim{MaxLen: 0}, nil, 0)
		crdt.StreamEncTrim(pay, &plan)
	})
	xadd(p, p.b, id(2, 1), "f", "3")
	p.sync()
	p.expectStream("last=2-1 added=3 maxdel=0-0 entries: 2-1(f=3)")
}

// XSETID and a concurrent XADD: the last ID is the larger, the
// entries-added counter XSETID set gets the unseen XADD on top.
func TestSemanticsStreamSetIDVersusAdd(t *testing.T) {
	p := newPair(t)
	xadd(p, p.a, id(1, 0), "f", "v")
	p.sync()
	streamDo(p, p.a, func(_ *crdt.Stream, pay *crdt.Enc) { // XSETID x 100-0 ENTRIESADDED 50
		added := uint64(50)
		crdt.StreamEncSetID(pay, id(100, 0), &added, nil)
	})
	xadd(p, p.b, id(10, 0), "f", "w")
	p.sync()
	p.expectStream("last=100-0 added=51 maxdel=0-0 entries: 1-0(f=v) 10-0(f=w)")
}

// readGroup is XREADGROUP GROUP g consumer COUNT n STREAMS x > as the
// command writes it.
func readGroup(p *pair, en *Engine, consumer string, n int) {
	streamDo(p, en, func(s *crdt.Stream, pay *crdt.Enc) {
		g := s.Group([]byte("g"))
		crdt.StreamEncConsumer(pay, []byte("g"), []byte(consumer), 5000)
		start, _ := g.LastID.Next()
		last, read := g.LastID, g.EntriesRead
		var ns []crdt.StreamNACKWrite
		s.Range(start, crdt.StreamIDMax, false, func(e *crdt.StreamEntry) bool {
			last, read = s.AdvanceRead(last, read, e.ID)
			ns = append(ns, crdt.StreamNACKWrite{ID: e.ID, Count: 1})
			return len(ns) < n
		})
		crdt.StreamEncAdvance(pay, []byte("g"), last, read, false)
		crdt.StreamEncNACKs(pay, []byte("g"), []byte(consumer), 5000, ns)
	})
}

func groupSetup(p *pair) {
	for i := uint64(1); i <= 3; i++ {
		xadd(p, p.a, id(i, 0), "f", "v")
	}
	streamDo(p, p.a, func(_ *crdt.Stream, pay *crdt.Enc) { // XGROUP CREATE x g 0
		crdt.StreamEncGroup(pay, crdt.StreamGroupNew, []byte("g"), id(0, 0), -1)
	})
	p.sync()
}

const threeEntries = "last=3-0 added=3 maxdel=0-0 entries: 1-0(f=v) 2-0(f=v) 3-0(f=v)"

// Two nodes read the same group concurrently: both deliver (a group is
// at-least-once across nodes); the last-delivered ID is the larger, an
// entry delivered on both is pending for the later delivery.
func TestSemanticsStreamConcurrentGroupReads(t *testing.T) {
	p := newPair(t)
	groupSetup(p)
	p.wallA, p.wallB = 2000, 2005
	readGroup(p, p.a, "alice", 2) // 1-0, 2-0
	readGroup(p, p.b, "bob", 1)   // 1-0
	p.sync()
	p.expectStream(threeEntries + " | group g last=2-0 read=2 consumers: alice bob pending: 1-0=bob/1 2-0=alice/1")
}

// XACK and a concurrent XCLAIM of the same entry: the ack removes the
// delivery it saw, the claim it did not see keeps the entry pending.
func TestSemanticsStreamAckVersusClaim(t *testing.T) {
	p := newPair(t)
	groupSetup(p)
	readGroup(p, p.a, "alice", 1)
	p.sync()
	streamDo(p, p.a, func(_ *crdt.Stream, pay *crdt.Enc) { // XACK x g 1-0
		crdt.StreamEncNACKDel(pay, []byte("g"), []crdt.StreamID{id(1, 0)})
	})
	streamDo(p, p.b, func(_ *crdt.Stream, pay *crdt.Enc) { // XCLAIM x g bob 0 1-0
		crdt.StreamEncConsumer(pay, []byte("g"), []byte("bob"), 6000)
		crdt.StreamEncNACKs(pay, []byte("g"), []byte("bob"), 6000, []crdt.StreamNACKWrite{{ID: id(1, 0), Count: 2}})
	})
	p.sync()
	p.expectStream(threeEntries + " | group g last=1-0 read=1 consumers: alice bob pending: 1-0=bob/2")
}

// XGROUP DESTROY and a concurrent XREADGROUP: the group is gone, with what
// the read delivered.
func TestSemanticsStreamDestroyVersusRead(t *testing.T) {
	p := newPair(t)
	groupSetup(p)
	streamDo(p, p.a, func(_ *crdt.Stream, pay *crdt.Enc) {
		crdt.StreamEncGroupDel(pay, []byte("g"))
	})
	readGroup(p, p.b, "bob", 2)
	p.sync()
	p.expectStream(threeEntries)
}

// The same group created on both nodes (neither had it): one group, the
// later creation's position.
func TestSemanticsStreamConcurrentCreates(t *testing.T) {
	p := newPair(t)
	for i := uint64(1); i <= 3; i++ {
		xadd(p, p.a, id(i, 0), "f", "v")
	}
	p.sync()
	p.wallA, p.wallB = 3000, 3005
	streamDo(p, p.a, func(_ *crdt.Stream, pay *crdt.Enc) {
		crdt.StreamEncGroup(pay, crdt.StreamGroupNew, []byte("g"), id(0, 0), -1)
	})
	streamDo(p, p.b, func(_ *crdt.Stream, pay *crdt.Enc) {
		crdt.StreamEncGroup(pay, crdt.StreamGroupNew, []byte("g"), id(3, 0), 3)
	})
	p.sync()
	p.expectStream(threeEntries + " | group g last=3-0 read=3 consumers: pending:")
}

// XDEL of an entry and a concurrent XDEL of another: both go; the largest
// deleted ID is the larger of the two.
func TestSemanticsStreamConcurrentDeletes(t *testing.T) {
	p := newPair(t)
	for i := uint64(1); i <= 3; i++ {
		xadd(p, p.a, id(i, 0), "f", "v")
	}
	p.sync()
	streamDo(p, p.a, func(_ *crdt.Stream, pay *crdt.Enc) { crdt.StreamEncDel(pay, []crdt.StreamID{id(3, 0)}) })
	streamDo(p, p.b, func(_ *crdt.Stream, pay *crdt.Enc) { crdt.StreamEncDel(pay, []crdt.StreamID{id(1, 0)}) })
	p.sync()
	p.expectStream("last=3-0 added=3 maxdel=3-0 entries: 2-0(f=v)")
}
