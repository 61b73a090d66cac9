package crdt

import (
	"encoding/binary"
	"io"
	"sort"
	"strconv"

	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/keyspace"
	"github.com/lightconedb/lightcone/internal/listpack"
)

// Stream effects. A payload is a sequence of sub-ops; each records a
// decision the writer took (the ID it minted, exactly which entries it
// deleted or trimmed, which entries it delivered to whom and when, the new
// last-delivered ID), so that replay never decides anything again:
//
//	'M'                          create the stream if missing (MKSTREAM)
//	'a' id n f v ...             add an entry (XADD)
//	't' nodes marked markUpTo bound hasBound
//	                             trim (XTRIM, XADD MAXLEN/MINID): on a single
//	                             node the exact Redis layout change (drop
//	                             nodes, mark entries); in a cluster the
//	                             observed-remove of every entry <= bound
//	'd' n id...                  delete entries (XDEL)
//	's' flags last [added] [maxdel]
//	                             XSETID (flags: 1 ENTRIESADDED, 2 MAXDELETEDID)
//	'G' group last read          create a group (XGROUP CREATE)
//	'X' group                    destroy a group
//	'P' group last read          set the group's position (XGROUP SETID)
//	'V' group last read keep     advance the position (XREADGROUP, XCLAIM
//	                             LASTID); with keep the read counter stays
//	'C' group consumer seen      create a consumer / note it was seen
//	'R' group consumer           delete a consumer (its NACKs go with 'K')
//	'N' group consumer time n (id count)...
//	                             entries pending for the consumer, delivered
//	                             at time with these delivery counts
//	'K' group n id...            entries no longer pending (XACK, ...)
//	'Z' ...                      the whole value (with effect.FlagReplace)
//
// An effect on a missing stream applies only if it creates one ('M', 'a',
// 'Z'): XGROUP, XACK, XDEL... on a stream deleted concurrently are dropped.
//
// Merge rule (cluster): entries are observed-remove elements keyed by ID
// (the last surviving add of an ID gives its fields; XDEL and trims remove
// exactly what their writer had seen). The last generated ID and the
// largest deleted ID are registers that XSETID assigns and XADD / XDEL raise
// (max); entries-added is a counter XSETID assigns. Groups, consumers and
// pending entries are observed-remove maps whose values are registers (a
// pending entry: consumer, delivery time and count; a consumer: seen time;
// a group: its position, which SETID assigns and deliveries raise). Writes
// into a group that does not exist at their place in stamp order are
// dropped, and a group that a destroy leaves absent loses everything it
// held, so that a later create starts afresh, as it does when applied.
//
// The node layout is not part of the value (Digest ignores it): a merge
// rebuilds the nodes it touches, and trims replay as "remove the observed
// entries up to the bound" rather than as Redis' node-by-node plan.
const (
	StreamMk         byte = 'M'
	StreamAdd        byte = 'a'
	StreamTrimOp     byte = 't'
	StreamDel        byte = 'd'
	StreamSetID      byte = 's'
	StreamGroupNew   byte = 'G'
	StreamGroupDel   byte = 'X'
	StreamGroupSet   byte = 'P'
	StreamGroupAdv   byte = 'V'
	StreamConsumerOp byte = 'C'
	StreamConsDel    byte = 'R'
	StreamNACKSet    byte = 'N'
	StreamNACKDel    byte = 'K'
	StreamSnapOp     byte = 'Z'
)

// XSETID flags.
const (
	StreamSetAdded  = 1
	StreamSetMaxDel = 2
)

type streamType struct{}

func init() { Register(effect.OpStream, streamType{}) }

func (streamType) Kind() keyspace.Kind { return keyspace.KindStream }

// ---- encoders (the command layer builds payloads with these) ----

func (p *Enc) streamID(id StreamID) {
	p.Uvarint(id.Ms)
	p.Uvarint(id.Seq)
}

func (d *Dec) streamID() StreamID {
	ms := d.Uvarint()
	return StreamID{ms, d.Uvarint()}
}

// StreamEncMk writes 'M'.
func StreamEncMk(p *Enc) { p.Byte(StreamMk) }

// StreamEncAdd writes an XADD of id with fv (field, value, ...).
func StreamEncAdd(p *Enc, id StreamID, fv [][]byte) {
	p.Byte(StreamAdd)
	p.streamID(id)
	p.Uvarint(uint64(len(fv)))
	for _, b := range fv {
		p.Bytes(b)
	}
}

// StreamEncTrim writes a trim plan (see PlanTrim).
func StreamEncTrim(p *Enc, plan *TrimPlan) {
	p.Byte(StreamTrimOp)
	p.Uvarint(uint64(plan.Nodes))
	p.Uvarint(uint64(plan.Marked))
	p.streamID(plan.MarkUpTo)
	p.streamID(plan.Bound)
	if plan.Removed > 0 {
		p.Byte(1)
	} else {
		p.Byte(0)
	}
}

// StreamEncDel writes an XDEL of ids (those that exist).
func StreamEncDel(p *Enc, ids []StreamID) {
	p.Byte(StreamDel)
	p.Uvarint(uint64(len(ids)))
	for _, id := range ids {
		p.streamID(id)
	}
}

// StreamEncSetID writes an XSETID.
func StreamEncSetID(p *Enc, last StreamID, added *uint64, maxDel *StreamID) {
	p.Byte(StreamSetID)
	var fl byte
	if added != nil {
		fl |= StreamSetAdded
	}
	if maxDel != nil {
		fl |= StreamSetMaxDel
	}
	p.Byte(fl)
	p.streamID(last)
	if added != nil {
		p.Uvarint(*added)
	}
	if maxDel != nil {
		p.streamID(*maxDel)
	}
}

// StreamEncGroup writes a group create ('G') or SETID ('P').
func StreamEncGroup(p *Enc, op byte, group []byte, last StreamID, read int64) {
	p.Byte(op)
	p.Bytes(group)
	p.streamID(last)
	p.Varint(read)
}

// StreamEncAdvance writes a position advance.
func StreamEncAdvance(p *Enc, group []byte, last StreamID, read int64, keepRead bool) {
	p.Byte(StreamGroupAdv)
	p.Bytes(group)
	p.streamID(last)
	p.Varint(read)
	if keepRead {
		p.Byte(1)
	} else {
		p.Byte(0)
	}
}

// StreamEncGroupDel writes a group destroy.
func StreamEncGroupDel(p *Enc, group []byte) {
	p.Byte(StreamGroupDel)
	p.Bytes(group)
}

// StreamEncConsumer writes a consumer creation / seen time.
func StreamEncConsumer(p *Enc, group, consumer []byte, seen int64) {
	p.Byte(StreamConsumerOp)
	p.Bytes(group)
	p.Bytes(consumer)
	p.Varint(seen)
}

// StreamEncConsumerDel writes a consumer deletion.
func StreamEncConsumerDel(p *Enc, group, consumer []byte) {
	p.Byte(StreamConsDel)
	p.Bytes(group)
	p.Bytes(consumer)
}

// StreamNACKWrite is one pending entry written by 'N'.
type StreamNACKWrite struct {
	ID    StreamID
	Count uint64
}

// StreamEncNACKs writes entries pending for consumer, delivered at time.
func StreamEncNACKs(p *Enc, group, consumer []byte, at int64, ns []StreamNACKWrite) {
	p.Byte(StreamNACKSet)
	p.Bytes(group)
	p.Bytes(consumer)
	p.Varint(at)
	p.Uvarint(uint64(len(ns)))
	for _, n := range ns {
		p.streamID(n.ID)
		p.Uvarint(n.Count)
	}
}

// StreamEncNACKDel writes entries no longer pending.
func StreamEncNACKDel(p *Enc, group []byte, ids []StreamID) {
	p.Byte(StreamNACKDel)
	p.Bytes(group)
	p.Uvarint(uint64(len(ids)))
	for _, id := range ids {
		p.streamID(id)
	}
}

// ---- decoding ----

// streamOp is one decoded sub-op (slices alias the payload).
type streamOp struct {
	op       byte
	id       StreamID // 'a' id; 's'/'G'/'P'/'V' last
	fv       [][]byte // 'a'
	fvRaw    []byte   // 'a': the encoded pairs (for merges)
	plan     TrimPlan // 't'
	hasBound bool
	ids      []StreamID // 'd', 'K'
	flags    byte       // 's'
	added    uint64
	maxDel   StreamID
	group    []byte
	consumer []byte
	read     int64 // 'G'/'P'/'V' entries read
	keep     bool  // 'V'
	at       int64 // 'C' seen, 'N' time
	nacks    []StreamNACKWrite
	snap     *Stream // 'Z'
}

// decodeStreamOps decodes a whole payload; ok is false when it is malformed
// (then nothing of it applies).
func decodeStreamOps(b []byte) ([]streamOp, bool) {
	d := NewDec(b)
	var ops []streamOp
	for !d.Done() {
		var o streamOp
		o.op = d.Byte()
		switch o.op {
		case StreamMk:
		case StreamAdd:
			o.id = d.streamID()
			rest := d.b
			n := d.Count()
			if n%2 != 0 || n == 0 {
				return nil, false
			}
			o.fv = make([][]byte, n)
			for i := range o.fv {
				o.fv[i] = d.Bytes()
			}
			if !d.Err {
				o.fvRaw = rest[:len(rest)-len(d.b)]
			}
		case StreamTrimOp:
			o.plan.Nodes = int(d.Uvarint())
			o.plan.Marked = int(d.Uvarint())
			o.plan.MarkUpTo = d.streamID()
			o.plan.Bound = d.streamID()
			o.hasBound = d.Byte() == 1
		case StreamDel, StreamNACKDel:
			if o.op == StreamNACKDel {
				o.group = d.Bytes()
			}
			n := d.Count()
			o.ids = make([]StreamID, 0, n)
			for i := 0; i < n && !d.Err; i++ {
				o.ids = append(o.ids, d.streamID())
			}
		case StreamSetID:
			o.flags = d.Byte()
			o.id = d.streamID()
			if o.flags&StreamSetAdded != 0 {
				o.added = d.Uvarint()
			}
			if o.flags&StreamSetMaxDel != 0 {
				o.maxDel = d.streamID()
			}
		case StreamGroupNew, StreamGroupSet:
			o.group = d.Bytes()
			o.id = d.streamID()
			o.read = d.Varint()
		case StreamGroupAdv:
			o.group = d.Bytes()
			o.id = d.streamID()
			o.read = d.Varint()
			o.keep = d.Byte() == 1
		case StreamGroupDel:
			o.group = d.Bytes()
		case StreamConsumerOp:
			o.group = d.Bytes()
			o.consumer = d.Bytes()
			o.at = d.Varint()
		case StreamConsDel:
			o.group = d.Bytes()
			o.consumer = d.Bytes()
		case StreamNACKSet:
			o.group = d.Bytes()
			o.consumer = d.Bytes()
			o.at = d.Varint()
			n := d.Count()
			o.nacks = make([]StreamNACKWrite, 0, n)
			for i := 0; i < n && !d.Err; i++ {
				id := d.streamID()
				o.nacks = append(o.nacks, StreamNACKWrite{id, d.Uvarint()})
			}
		case StreamSnapOp:
			s, ok := decodeStreamSnap(&d)
			if !ok {
				return nil, false
			}
			o.snap = s
		default:
			return nil, false
		}
		if d.Err {
			return nil, false
		}
		ops = append(ops, o)
	}
	return ops, !d.Err
}

func creates(ops []streamOp) bool {
	for _, o := range ops {
		switch o.op {
		case StreamMk, StreamAdd, StreamSnapOp:
			return true
		}
	}
	return false
}

// ---- Apply ----

func (streamType) Apply(obj Object, e *effect.Effect, c Ctx) Object {
	s, _ := obj.(*Stream)
	if !c.IDs && len(e.Value) > 0 && e.Value[0] == StreamAdd {
		if r, ok := applyPlainAdd(s, e.Value); ok {
			return r
		}
	}
	ops, ok := decodeStreamOps(e.Value)
	if !ok {
		return obj
	}
	if s == nil && !creates(ops) {
		return obj
	}
	if s == nil {
		s = NewStream()
	}
	for i := range ops {
		o := &ops[i]
		switch o.op {
		case StreamSnapOp:
			s = o.snap
		case StreamAdd:
			if c.IDs {
				s.insertEntry(o.id, o.fv)
			} else {
				// Redis appends whatever the ID (XSETID may have moved
				// the last ID below a deleted entry)
				s.appendEntry(o.id, o.fv)
			}
			if s.lastID.Less(o.id) {
				s.lastID = o.id
			}
			s.entriesAdded++
			if s.length == 1 {
				s.firstID = o.id
			}
		case StreamTrimOp:
			if c.IDs {
				if o.hasBound {
					s.trimUpTo(o.plan.Bound)
				}
			} else {
				s.execTrim(&o.plan)
			}
			s.refreshFirst()
		case StreamDel:
			deleted, first := false, false
			for _, id := range o.ids {
				if s.deleteEntry(id) {
					deleted = true
					first = first || id == s.firstID
				}
				if s.maxDeleted.Less(id) {
					s.maxDeleted = id
				}
			}
			if deleted && (s.length == 0 || first) {
				s.refreshFirst()
			}
		case StreamSetID:
			s.lastID = o.id
			if o.flags&StreamSetAdded != 0 {
				s.entriesAdded = o.added
			}
			if o.flags&StreamSetMaxDel != 0 {
				s.maxDeleted = o.maxDel
			}
		case StreamGroupNew:
			s.addGroup(o.group, o.id, o.read)
		case StreamGroupDel:
			s.delGroup(o.group)
		default:
			g := s.Group(o.group)
			if g == nil {
				continue
			}
			switch o.op {
			case StreamGroupSet:
				g.LastID, g.EntriesRead = o.id, o.read
			case StreamGroupAdv:
				if g.LastID.Less(o.id) {
					g.LastID = o.id
					if !o.keep {
						g.EntriesRead = o.read
					}
				}
			case StreamConsumerOp:
				g.addConsumer(o.consumer, o.at)
			case StreamConsDel:
				g.delConsumer(o.consumer)
			case StreamNACKSet:
				cons := g.Consumer(o.consumer)
				if cons == nil {
					cons = g.addConsumer(o.consumer, o.at)
				}
				for _, n := range o.nacks {
					g.setNACK(n.ID, cons, o.at, n.Count)
				}
			case StreamNACKDel:
				for _, id := range o.ids {
					g.delNACK(id)
				}
			}
		}
	}
	if c.IDs {
		s.refreshFirst()
	}
	return s
}

// applyPlainAdd is Apply's fast path for the commonest payload, a lone
// XADD on a single node: no allocation for up to 16 fields. ok is false
// when the payload is anything else (the general path decides).
func applyPlainAdd(s *Stream, b []byte) (*Stream, bool) {
	d := NewDec(b[1:])
	id := d.streamID()
	n := d.Count()
	if d.Err || n == 0 || n%2 != 0 || n > 32 {
		return s, false
	}
	var arr [32][]byte
	fv := arr[:n]
	for i := range fv {
		fv[i] = d.Bytes()
	}
	if d.Err || !d.Done() {
		return s, false
	}
	if s == nil {
		s = NewStream()
	}
	s.appendEntry(id, fv)
	if s.lastID.Less(id) {
		s.lastID = id
	}
	s.entriesAdded++
	if s.length == 1 {
		s.firstID = id
	}
	return s, true
}

// refreshFirst sets the recorded first ID from the entries, as Redis does
// after a trim or a deletion of the first entry.
func (s *Stream) refreshFirst() {
	s.firstID = StreamID{}
	if s.length > 0 {
		s.firstID = s.FirstEntryID()
	}
}

// FirstIDStale reports whether the recorded first ID differs from the one
// the entries give (only after RESTORE of odd payloads): a trim that changes
// nothing else still fixes it in Redis.
func (s *Stream) FirstIDStale() bool {
	want := StreamID{}
	if s.length > 0 {
		want = s.FirstEntryID()
	}
	return want != s.firstID
}

// ---- Object ----

// Kind is KindStream.
func (s *Stream) Kind() keyspace.Kind { return keyspace.KindStream }

// Len is the number of entries, but at least 1: a stream exists without
// entries (only DEL removes it).
func (s *Stream) Len() int {
	if s.length == 0 {
		return 1
	}
	if s.length > 1<<62 {
		return 1 << 62
	}
	return int(s.length)
}

// Encoding is "stream".
func (s *Stream) Encoding() string { return "stream" }

// Clone is a deep copy.
func (s *Stream) Clone() Object {
	c := &Stream{length: s.length, lastID: s.lastID, maxDeleted: s.maxDeleted, firstID: s.firstID, entriesAdded: s.entriesAdded}
	c.nodes = make([]*streamNode, len(s.nodes))
	for i, n := range s.nodes {
		c.nodes[i] = &streamNode{master: n.master, lp: append([]byte(nil), n.lp...)}
	}
	c.groups = make([]*StreamGroup, len(s.groups))
	for i, g := range s.groups {
		c.groups[i] = cloneGroup(g)
	}
	return c
}

// Digest writes the entries, the counters and the groups.
func (s *Stream) Digest(w io.Writer) {
	var b []byte
	u := func(v uint64) { b = binary.AppendUvarint(b, v) }
	id := func(x StreamID) { u(x.Ms); u(x.Seq) }
	str := func(x []byte) { u(uint64(len(x))); b = append(b, x...) }
	id(s.lastID)
	id(s.maxDeleted)
	u(s.entriesAdded)
	u(s.length)
	s.Range(StreamID{}, StreamIDMax, false, func(e *StreamEntry) bool {
		id(e.ID)
		u(uint64(e.nf))
		for i := 0; i < e.nf; i++ {
			f, v := e.Next()
			str(f)
			str(v)
		}
		if len(b) > 1<<16 {
			w.Write(b)
			b = b[:0]
		}
		return true
	})
	u(uint64(len(s.groups)))
	for _, g := range s.groups {
		str([]byte(g.Name))
		id(g.LastID)
		u(uint64(g.EntriesRead))
		u(uint64(len(g.consumers)))
		for _, c := range g.consumers {
			str([]byte(c.Name))
			u(uint64(c.SeenTime))
			u(uint64(c.pending))
		}
		u(uint64(g.pel.len()))
		g.pel.each(StreamID{}, StreamIDMax, false, func(n *StreamNACK) bool {
			id(n.ID)
			str([]byte(n.Consumer.Name))
			u(uint64(n.DeliveryTime))
			u(n.DeliveryCount)
			return true
		})
	}
	w.Write(b)
}

// ---- snapshot ----

// Snapshot writes 'Z': the counters, the nodes as they are (so the layout
// survives RENAME/COPY/MOVE, as in Redis) and the groups.
func (s *Stream) Snapshot(p *Enc) {
	p.Byte(StreamSnapOp)
	p.streamID(s.lastID)
	p.streamID(s.maxDeleted)
	p.streamID(s.firstID)
	p.Uvarint(s.entriesAdded)
	p.Uvarint(uint64(len(s.nodes)))
	for _, n := range s.nodes {
		p.streamID(n.master)
		p.Bytes(n.lp)
	}
	p.Uvarint(uint64(len(s.groups)))
	for _, g := range s.groups {
		p.Bytes([]byte(g.Name))
		p.streamID(g.LastID)
		p.Varint(g.EntriesRead)
		p.Uvarint(uint64(len(g.consumers)))
		idx := make(map[*StreamConsumer]int, len(g.consumers))
		for i, c := range g.consumers {
			idx[c] = i
			p.Bytes([]byte(c.Name))
			p.Varint(c.SeenTime)
		}
		p.Uvarint(uint64(g.pel.len()))
		g.pel.each(StreamID{}, StreamIDMax, false, func(n *StreamNACK) bool {
			p.streamID(n.ID)
			p.Uvarint(uint64(idx[n.Consumer]))
			p.Varint(n.DeliveryTime)
			p.Uvarint(n.DeliveryCount)
			return true
		})
	}
}

// StreamSnap is a whole stream as RESTORE builds it: nodes as listpacks in
// Redis' format, counters and groups. EncodeStreamSnap checks it.
type StreamSnap struct {
	LastID     StreamID
	MaxDeleted StreamID
	FirstID    StreamID
	// FirstFromEntries: FirstID comes from the entries and groups'
	// EntriesRead may be StreamEstimateRead (an RDB type 15 payload)
	FirstFromEntries bool
	EntriesAdded     uint64
	Length           uint64 // must match the nodes
	Nodes            []StreamSnapNode
	Groups           []StreamSnapGroup
}

// StreamEstimateRead as a group's EntriesRead (with FirstFromEntries) asks
// EncodeStreamSnap to estimate it from the entries, as Redis does when it
// loads a stream written before 7.0 (RDB type 15).
const StreamEstimateRead = -1 << 63

// StreamSnapNode is one node: its master ID and listpack.
type StreamSnapNode struct {
	Master StreamID
	LP     []byte
}

// StreamSnapGroup is one consumer group; a pending entry names its
// consumer by index.
type StreamSnapGroup struct {
	Name        []byte
	LastID      StreamID
	EntriesRead int64
	Consumers   []StreamSnapConsumer
	PEL         []StreamSnapNACK
}

// StreamSnapConsumer is one consumer.
type StreamSnapConsumer struct {
	Name     []byte
	SeenTime int64
}

// StreamSnapNACK is one pending entry.
type StreamSnapNACK struct {
	ID            StreamID
	Consumer      int
	DeliveryTime  int64
	DeliveryCount uint64
}

// EncodeStreamSnap writes snap as a 'Z' payload (for tx.CollReplace) after
// checking it as thoroughly as the decoder will; ok is false when it is
// not a valid stream (nothing is written then).
func EncodeStreamSnap(p *Enc, snap *StreamSnap) bool {
	if snap.FirstFromEntries {
		// an RDB without counters (Redis 6): the first ID from the entries
		// (max-max when there is none, as Redis' streamGetEdgeID gives),
		// read counters estimated
		base := *snap
		base.Groups = nil
		base.FirstFromEntries = false
		var b Enc
		if !EncodeStreamSnap(&b, &base) {
			return false
		}
		d := NewDec(b.B[1:])
		s, _ := decodeStreamSnap(&d)
		snap.FirstID = StreamIDMax
		if s.length > 0 {
			snap.FirstID = s.FirstEntryID()
		}
		s.firstID = snap.FirstID
		for j := range snap.Groups {
			g := &snap.Groups[j]
			if g.EntriesRead == StreamEstimateRead {
				g.EntriesRead = -1
				if v, ok := s.EstimateDistance(g.LastID); ok {
					g.EntriesRead = v
				}
			}
		}
		snap.FirstFromEntries = false
	}
	var tmp Enc
	tmp.Byte(StreamSnapOp)
	tmp.streamID(snap.LastID)
	tmp.streamID(snap.MaxDeleted)
	tmp.streamID(snap.FirstID)
	tmp.Uvarint(snap.EntriesAdded)
	tmp.Uvarint(uint64(len(snap.Nodes)))
	for _, n := range snap.Nodes {
		tmp.streamID(n.Master)
		tmp.Bytes(n.LP)
	}
	tmp.Uvarint(uint64(len(snap.Groups)))
	for _, g := range snap.Groups {
		tmp.Bytes(g.Name)
		tmp.streamID(g.LastID)
		tmp.Varint(g.EntriesRead)
		tmp.Uvarint(uint64(len(g.Consumers)))
		for _, c := range g.Consumers {
			tmp.Bytes(c.Name)
			tmp.Varint(c.SeenTime)
		}
		tmp.Uvarint(uint64(len(g.PEL)))
		for _, n := range g.PEL {
			tmp.streamID(n.ID)
			tmp.Uvarint(uint64(n.Consumer))
			tmp.Varint(n.DeliveryTime)
			tmp.Uvarint(n.DeliveryCount)
		}
	}
	d := NewDec(tmp.B[1:])
	s, ok := decodeStreamSnap(&d)
	if !ok || !d.Done() || s.length != snap.Length {
		return false
	}
	p.B = append(p.B, tmp.B...)
	return true
}

// decodeStreamSnap reads a 'Z' body and checks it: every listpack well
// formed as a stream node, nodes and entries ascending, pending entries
// naming existing consumers, names distinct.
func decodeStreamSnap(d *Dec) (*Stream, bool) {
	s := &Stream{}
	s.lastID = d.streamID()
	s.maxDeleted = d.streamID()
	s.firstID = d.streamID()
	s.entriesAdded = d.Uvarint()
	nn := d.Count()
	var prevLast StreamID
	for i := 0; i < nn && !d.Err; i++ {
		master := d.streamID()
		lp := d.Bytes()
		if d.Err {
			return nil, false
		}
		if i > 0 && !prevLast.Less(master) {
			return nil, false
		}
		n := &streamNode{master: master, lp: append([]byte(nil), lp...)}
		live, last, ok := checkNode(n, i == 0)
		if !ok {
			return nil, false
		}
		if i > 0 && !prevLast.Less(master) {
			return nil, false
		}
		prevLast = last
		s.nodes = append(s.nodes, n)
		s.length += uint64(live)
	}
	ng := d.Count()
	for i := 0; i < ng && !d.Err; i++ {
		name := d.Bytes()
		last := d.streamID()
		read := d.Varint()
		if d.Err || s.Group(name) != nil {
			return nil, false
		}
		g := s.addGroup(name, last, read)
		nc := d.Count()
		cons := make([]*StreamConsumer, 0, nc)
		for j := 0; j < nc && !d.Err; j++ {
			cn := d.Bytes()
			seen := d.Varint()
			if d.Err || g.Consumer(cn) != nil {
				return nil, false
			}
			cons = append(cons, g.addConsumer(cn, seen))
		}
		np := d.Count()
		for j := 0; j < np && !d.Err; j++ {
			id := d.streamID()
			ci := d.Uvarint()
			at := d.Varint()
			cnt := d.Uvarint()
			if d.Err || ci >= uint64(len(cons)) || g.pel.get(id) != nil {
				return nil, false
			}
			g.setNACK(id, cons[ci], at, cnt)
		}
	}
	if d.Err {
		return nil, false
	}
	return s, true
}

// checkNode walks a node's listpack and checks it is a well formed stream
// node; it returns the live entries and the last entry's ID.
func checkNode(n *streamNode, first bool) (live int64, last StreamID, ok bool) {
	lp := n.lp
	if _, ok := listpack.Validate(lp); !ok {
		return 0, last, false
	}
	end := len(lp) - 1
	off := listpack.HeaderSize
	intAt := func() (int64, bool) {
		if off >= end {
			return 0, false
		}
		_, v, isInt := listpack.Decode(lp, off)
		off = listpack.Next(lp, off)
		return v, isInt
	}
	skip := func(k int64) bool {
		for ; k > 0; k-- {
			if off >= end {
				return false
			}
			off = listpack.Next(lp, off)
		}
		return true
	}
	count, ok1 := intAt()
	deleted, ok2 := intAt()
	nmf, ok3 := intAt()
	if !ok1 || !ok2 || !ok3 || count < 0 || deleted < 0 || nmf < 0 || !skip(nmf) {
		return 0, last, false
	}
	if z, ok := intAt(); !ok || z != 0 {
		return 0, last, false
	}
	var seen, dead int64
	prev := StreamID{}
	firstEntry := true
	for off < end {
		flags, ok := intAt()
		if !ok || flags < 0 || flags > 3 {
			return 0, last, false
		}
		msd, ok1 := intAt()
		sqd, ok2 := intAt()
		if !ok1 || !ok2 {
			return 0, last, false
		}
		id := StreamID{n.master.Ms + uint64(msd), n.master.Seq + uint64(sqd)}
		if id.Less(n.master) || (!firstEntry && !prev.Less(id)) {
			return 0, last, false
		}
		firstEntry = false
		prev = id
		nf := nmf
		elems := int64(3)
		if flags&streamFlagSameFields != 0 {
			if !skip(nmf) {
				return 0, last, false
			}
			elems += nmf
		} else {
			v, ok := intAt()
			if !ok || v < 0 || v > int64(len(lp)) {
				return 0, last, false
			}
			nf = v
			if !skip(2 * nf) {
				return 0, last, false
			}
			elems += 1 + 2*nf
		}
		if nf == 0 {
			return 0, last, false
		}
		cnt, ok := intAt()
		if !ok || cnt != elems {
			return 0, last, false
		}
		if flags&streamFlagDeleted != 0 {
			dead++
		} else {
			seen++
		}
		last = id
	}
	if firstEntry || seen != count || dead != deleted {
		return 0, last, false
	}
	return count, last, true
}

// ---- merge ----

type streamGroupPos struct {
	last StreamID
	read int64
	keep bool
}

func addGroupPos(v, d streamGroupPos) (streamGroupPos, bool) {
	if v.last.Less(d.last) {
		r := streamGroupPos{last: d.last, read: d.read}
		if d.keep {
			r.read = v.read
		}
		return r, true
	}
	return v, true
}

type streamNACKVal struct {
	consumer string
	at       int64
	count    uint64
}

type mGroup struct {
	exist Cell[struct{}]
	pos   Cell[streamGroupPos]
	pel   map[StreamID]*Cell[streamNACKVal]
	cons  map[string]*Cell[int64]
}

func (g *mGroup) present() bool { return g.exist.Present() }

// remove is a group destroy (or a replace) by e: observed-remove of the
// group and of what it holds; a group left absent loses everything it held
// (a later create starts afresh, as it does when applied), even writes e
// had not seen.
func (g *mGroup) remove(e *effect.Effect) {
	g.exist.Remove(e)
	if !g.exist.Present() {
		g.pos = Cell[streamGroupPos]{}
		clear(g.pel)
		clear(g.cons)
		return
	}
	g.pos.Remove(e)
	for _, c := range g.pel {
		c.Remove(e)
	}
	for _, c := range g.cons {
		c.Remove(e)
	}
}

func (g *mGroup) nack(id StreamID) *Cell[streamNACKVal] {
	c := g.pel[id]
	if c == nil {
		c = &Cell[streamNACKVal]{}
		g.pel[id] = c
	}
	return c
}

func (g *mGroup) consumer(name string) *Cell[int64] {
	c := g.cons[name]
	if c == nil {
		c = &Cell[int64]{}
		g.cons[name] = c
	}
	return c
}

type streamMerger struct {
	c        Ctx
	base     *Stream
	baseGone bool
	trimSet  bool
	trim     StreamID // base entries <= trim are gone
	exists   bool
	cells    map[StreamID]*Cell[[]byte] // value: encoded pairs; nil = the base's
	lastID   Cell[StreamID]
	maxDel   Cell[StreamID]
	added    Cell[uint64]
	groups   map[string]*mGroup
}

func (streamType) Merger(base Object, c Ctx) Merger {
	m := &streamMerger{c: c, cells: map[StreamID]*Cell[[]byte]{}, groups: map[string]*mGroup{}}
	if b, ok := base.(*Stream); ok && b != nil {
		m.base = b
		m.exists = true
		m.lastID = Cell[StreamID]{Base: true, BaseVal: b.lastID}
		m.maxDel = Cell[StreamID]{Base: true, BaseVal: b.maxDeleted}
		m.added = Cell[uint64]{Base: true, BaseVal: b.entriesAdded}
		for _, g := range b.groups {
			mg := m.group(g.Name)
			mg.exist.Base = true
			mg.pos = Cell[streamGroupPos]{Base: true, BaseVal: streamGroupPos{last: g.LastID, read: g.EntriesRead}}
			for _, cs := range g.consumers {
				mg.cons[cs.Name] = &Cell[int64]{Base: true, BaseVal: cs.SeenTime}
			}
			g.pel.each(StreamID{}, StreamIDMax, false, func(n *StreamNACK) bool {
				mg.pel[n.ID] = &Cell[streamNACKVal]{Base: true, BaseVal: streamNACKVal{n.Consumer.Name, n.DeliveryTime, n.DeliveryCount}}
				return true
			})
		}
	}
	return m
}

func (m *streamMerger) group(name string) *mGroup {
	g := m.groups[name]
	if g == nil {
		g = &mGroup{pel: map[StreamID]*Cell[streamNACKVal]{}, cons: map[string]*Cell[int64]{}}
		m.groups[name] = g
	}
	return g
}

// inBase reports whether the base still holds entry id.
func (m *streamMerger) inBase(id StreamID) bool {
	if m.base == nil || m.baseGone || (m.trimSet && !m.trim.Less(id)) {
		return false
	}
	return m.base.Has(id)
}

func (m *streamMerger) cell(id StreamID) *Cell[[]byte] {
	c := m.cells[id]
	if c == nil {
		c = &Cell[[]byte]{Base: m.inBase(id)}
		m.cells[id] = c
	}
	return c
}

func maxID(v, d StreamID) (StreamID, bool) {
	if v.Less(d) {
		return d, true
	}
	return v, true
}

func addU64(v, d uint64) (uint64, bool) { return v + d, true }

func (m *streamMerger) Step(e *effect.Effect) {
	ops, ok := decodeStreamOps(e.Value)
	if !ok {
		return
	}
	if !m.exists && !creates(ops) {
		return
	}
	m.exists = true
	if e.Flags&effect.FlagReplace != 0 {
		m.baseGone = true
		for _, c := range m.cells {
			c.Remove(e)
		}
		m.lastID.Remove(e)
		m.maxDel.Remove(e)
		m.added.Remove(e)
		for _, g := range m.groups {
			g.remove(e)
		}
	}
	for i := range ops {
		o := &ops[i]
		switch o.op {
		case StreamSnapOp:
			m.stepSnap(e, o.snap)
		case StreamAdd:
			m.cell(o.id).Assign(e, o.fvRaw)
			m.lastID.Delta(e, o.id)
			m.added.Delta(e, 1)
		case StreamTrimOp:
			if !o.hasBound {
				continue
			}
			b := o.plan.Bound
			if !m.trimSet || m.trim.Less(b) {
				m.trim, m.trimSet = b, true
			}
			for id, c := range m.cells {
				if !b.Less(id) {
					c.removeWithSelf(e)
				}
			}
		case StreamDel:
			for _, id := range o.ids {
				m.cell(id).Remove(e)
				m.maxDel.Delta(e, id)
			}
		case StreamSetID:
			m.lastID.Assign(e, o.id)
			if o.flags&StreamSetAdded != 0 {
				m.added.Assign(e, o.added)
			}
			if o.flags&StreamSetMaxDel != 0 {
				m.maxDel.Assign(e, o.maxDel)
			}
		case StreamGroupNew:
			g := m.group(string(o.group))
			g.exist.Assign(e, struct{}{})
			g.pos.Assign(e, streamGroupPos{last: o.id, read: o.read})
		case StreamGroupDel:
			if g := m.groups[string(o.group)]; g != nil {
				g.remove(e)
			}
		default:
			g := m.groups[string(o.group)]
			if g == nil || !g.present() {
				continue
			}
			switch o.op {
			case StreamGroupSet:
				g.pos.Assign(e, streamGroupPos{last: o.id, read: o.read})
			case StreamGroupAdv:
				g.pos.Delta(e, streamGroupPos{last: o.id, read: o.read, keep: o.keep})
			case StreamConsumerOp:
				g.consumer(string(o.consumer)).Assign(e, o.at)
			case StreamConsDel:
				if c := g.cons[string(o.consumer)]; c != nil {
					c.Remove(e)
				}
			case StreamNACKSet:
				for _, n := range o.nacks {
					g.nack(n.ID).Assign(e, streamNACKVal{string(o.consumer), o.at, n.Count})
				}
			case StreamNACKDel:
				for _, id := range o.ids {
					if c := g.pel[id]; c != nil {
						c.Remove(e)
					}
				}
			}
		}
	}
}

// stepSnap records a whole value written by e.
func (m *streamMerger) stepSnap(e *effect.Effect, s *Stream) {
	s.Range(StreamID{}, StreamIDMax, false, func(se *StreamEntry) bool {
		var p Enc
		p.Uvarint(uint64(2 * se.nf))
		for i := 0; i < se.nf; i++ {
			f, v := se.Next()
			p.Bytes(f)
			p.Bytes(v)
		}
		m.cell(se.ID).Assign(e, p.B)
		return true
	})
	m.lastID.Assign(e, s.lastID)
	m.maxDel.Assign(e, s.maxDeleted)
	m.added.Assign(e, s.entriesAdded)
	for _, sg := range s.groups {
		g := m.group(sg.Name)
		g.exist.Assign(e, struct{}{})
		g.pos.Assign(e, streamGroupPos{last: sg.LastID, read: sg.EntriesRead})
		for _, c := range sg.consumers {
			g.consumer(c.Name).Assign(e, c.SeenTime)
		}
		sg.pel.each(StreamID{}, StreamIDMax, false, func(n *StreamNACK) bool {
			g.nack(n.ID).Assign(e, streamNACKVal{n.Consumer.Name, n.DeliveryTime, n.DeliveryCount})
			return true
		})
	}
}

func (m *streamMerger) Exists() bool { return m.exists }

// removeWithSelf is Remove that also drops e's own writes (a trim removes
// the entry its own XADD added: XADD ... MAXLEN 0).
func (c *Cell[V]) removeWithSelf(e *effect.Effect) {
	c.Remove(e)
	out := c.w[:0]
	for _, w := range c.w {
		if w.e != e && w.e.ID != e.ID {
			out = append(out, w)
		}
	}
	c.w = out
}

func noDelta[V any](v, _ V) (V, bool) { return v, false }

func (m *streamMerger) Result() Object {
	if !m.exists {
		return nil
	}
	var s *Stream
	if m.base != nil && !m.baseGone {
		s = m.base.Clone().(*Stream)
		s.groups = nil
		if m.trimSet {
			s.trimUpTo(m.trim)
		}
	} else {
		s = NewStream()
	}
	ids := make([]StreamID, 0, len(m.cells))
	for id := range m.cells {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i].Less(ids[j]) })
	for _, id := range ids {
		v, ok := m.cells[id].Result(nil, noDelta[[]byte])
		switch {
		case !ok:
			s.deleteEntry(id)
		case v != nil:
			d := NewDec(v)
			n := d.Count()
			fv := make([][]byte, n)
			for i := range fv {
				fv[i] = append([]byte(nil), d.Bytes()...)
			}
			if !d.Err && n > 0 && n%2 == 0 {
				s.insertEntry(id, fv)
			}
		}
	}
	s.refreshFirst()
	s.lastID, _ = m.lastID.Result(StreamID{}, maxID)
	s.maxDeleted, _ = m.maxDel.Result(StreamID{}, maxID)
	s.entriesAdded, _ = m.added.Result(0, addU64)
	names := make([]string, 0, len(m.groups))
	for name, g := range m.groups {
		if g.present() {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		mg := m.groups[name]
		pos, _ := mg.pos.Result(streamGroupPos{}, addGroupPos)
		g := s.addGroup([]byte(name), pos.last, pos.read)
		cnames := make([]string, 0, len(mg.cons))
		for cn, c := range mg.cons {
			if c.Present() {
				cnames = append(cnames, cn)
			}
		}
		sort.Strings(cnames)
		for _, cn := range cnames {
			seen, _ := mg.cons[cn].Result(0, noDelta[int64])
			g.addConsumer([]byte(cn), seen)
		}
		pids := make([]StreamID, 0, len(mg.pel))
		for id, c := range mg.pel {
			if c.Present() {
				pids = append(pids, id)
			}
		}
		sort.Slice(pids, func(i, j int) bool { return pids[i].Less(pids[j]) })
		for _, id := range pids {
			v, _ := mg.pel[id].Result(streamNACKVal{}, noDelta[streamNACKVal])
			cons := g.Consumer([]byte(v.consumer))
			if cons == nil {
				cons = g.addConsumer([]byte(v.consumer), v.at)
			}
			g.setNACK(id, cons, v.at, v.count)
		}
	}
	return s
}

// StreamPayloadString describes a stream payload (for logs and tests).
func StreamPayloadString(b []byte) string {
	ops, ok := decodeStreamOps(b)
	if !ok {
		return "malformed"
	}
	var out []byte
	for i, o := range ops {
		if i > 0 {
			out = append(out, "; "...)
		}
		out = append(out, o.op)
		switch o.op {
		case StreamAdd:
			out = append(out, ' ')
			out = o.id.Append(out)
		case StreamTrimOp:
			out = append(out, " nodes="...)
			out = strconv.AppendInt(out, int64(o.plan.Nodes), 10)
			out = append(out, " bound="...)
			out = o.plan.Bound.Append(out)
			if !o.hasBound {
				out = append(out, "(none)"...)
			}
		case StreamDel, StreamNACKDel:
			out = append(out, ' ')
			out = append(out, o.group...)
			for _, id := range o.ids {
				out = append(out, ' ')
				out = id.Append(out)
			}
		case StreamSetID, StreamGroupNew, StreamGroupSet, StreamGroupAdv:
			out = append(out, ' ')
			out = append(out, o.group...)
			out = append(out, ' ')
			out = o.id.Append(out)
			out = append(out, " read="...)
			out = strconv.AppendInt(out, o.read, 10)
		case StreamGroupDel, StreamConsumerOp, StreamConsDel:
			out = append(out, ' ')
			out = append(out, o.group...)
			out = append(out, ' ')
			out = append(out, o.consumer...)
		case StreamNACKSet:
			out = append(out, ' ')
			out = append(out, o.group...)
			out = append(out, ' ')
			out = append(out, o.consumer...)
			for _, n := range o.nacks {
				out = append(out, ' ')
				out = n.ID.Append(out)
			}
		}
	}
	return string(out)
}
