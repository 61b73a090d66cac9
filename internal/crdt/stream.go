package crdt

import (
	"encoding/binary"
	"math"
	"sort"
	"strconv"

	"github.com/lightconedb/lightcone/internal/listpack"
)

// Stream: entries ordered by ID, consumer groups with their pending entries
// lists (see stream_effect.go for the payload, Apply and the merge rule).
//
// The entries are held as Redis holds them: a sequence of nodes, each a
// listpack (Redis' byte format, stream_lp.go) starting with a "master
// entry", keyed by its master ID. New entries go to the last node until it
// reaches StreamNodeMaxEntries entries (live + deleted) or
// StreamNodeMaxBytes bytes; XDEL marks an entry deleted in place; trimming
// drops whole nodes from the head and marks entries in the next one. So node
// sizes, XTRIM ~ and XINFO's radix-tree-keys are Redis' for the same history,
// and DUMP writes the listpacks as they are.
//
// A node's listpack:
//
//	master entry: count deleted nfields field_1 .. field_n 0
//	entry:        flags ms-diff seq-diff [nfields field value ...] lp-count
//	              (with the SAMEFIELDS flag only the values, in the master's
//	              field order)
//
// flags: 1 deleted, 2 same fields as the master; ms-diff / seq-diff are the
// ID minus the master ID (wrapping, as uint64); lp-count is the number of
// elements of the entry before it, so that entries can be walked backwards.
type Stream struct {
	nodes        []*streamNode // ascending master IDs
	length       uint64        // live entries
	lastID       StreamID      // last generated ID
	maxDeleted   StreamID      // largest ID removed by XDEL
	firstID      StreamID      // Redis' recorded first ID (see FirstID)
	entriesAdded uint64        // entries ever added
	groups       []*StreamGroup
}

// StreamNodeMaxBytes and StreamNodeMaxEntries are Redis'
// stream-node-max-bytes and stream-node-max-entries (CONFIG SET changes
// them); 0 means no limit.
var (
	StreamNodeMaxBytes   = 4096
	StreamNodeMaxEntries = 100
)

// streamLPMaxSize is Redis' STREAM_LISTPACK_MAX_SIZE: the largest node, and
// the largest total size of one entry's fields and values.
const streamLPMaxSize = 1 << 30

// StreamEntryMaxSize is the largest total length of an entry's fields and
// values (Redis replies "Elements are too large to be stored" beyond it).
const StreamEntryMaxSize = streamLPMaxSize

const (
	streamFlagDeleted    = 1
	streamFlagSameFields = 2
)

type streamNode struct {
	master StreamID
	lp     []byte
}

// StreamID is a stream entry ID, ms-seq.
type StreamID struct{ Ms, Seq uint64 }

// StreamIDMax is the largest ID.
var StreamIDMax = StreamID{math.MaxUint64, math.MaxUint64}

// Cmp compares two IDs: -1, 0 or 1.
func (a StreamID) Cmp(b StreamID) int {
	switch {
	case a.Ms < b.Ms:
		return -1
	case a.Ms > b.Ms:
		return 1
	case a.Seq < b.Seq:
		return -1
	case a.Seq > b.Seq:
		return 1
	}
	return 0
}

// Less reports whether a < b.
func (a StreamID) Less(b StreamID) bool {
	return a.Ms < b.Ms || (a.Ms == b.Ms && a.Seq < b.Seq)
}

// IsZero reports whether the ID is 0-0.
func (a StreamID) IsZero() bool { return a.Ms == 0 && a.Seq == 0 }

// Next is the following ID; ok is false for the largest one.
func (a StreamID) Next() (StreamID, bool) {
	switch {
	case a.Seq != math.MaxUint64:
		return StreamID{a.Ms, a.Seq + 1}, true
	case a.Ms != math.MaxUint64:
		return StreamID{a.Ms + 1, 0}, true
	}
	return a, false
}

// Prev is the preceding ID; ok is false for 0-0.
func (a StreamID) Prev() (StreamID, bool) {
	switch {
	case a.Seq != 0:
		return StreamID{a.Ms, a.Seq - 1}, true
	case a.Ms != 0:
		return StreamID{a.Ms - 1, math.MaxUint64}, true
	}
	return a, false
}

// Append appends "ms-seq" to b.
func (a StreamID) Append(b []byte) []byte {
	b = strconv.AppendUint(b, a.Ms, 10)
	b = append(b, '-')
	return strconv.AppendUint(b, a.Seq, 10)
}

func (a StreamID) String() string { return string(a.Append(nil)) }

// Key is the 16-byte big-endian form Redis uses as rax key (and in RDB).
func (a StreamID) Key() [16]byte {
	var k [16]byte
	binary.BigEndian.PutUint64(k[:], a.Ms)
	binary.BigEndian.PutUint64(k[8:], a.Seq)
	return k
}

// NewStream returns an empty stream (a stream exists without entries).
func NewStream() *Stream { return &Stream{} }

// Length is the number of entries.
func (s *Stream) Length() uint64 { return s.length }

// LastID is the last generated ID.
func (s *Stream) LastID() StreamID { return s.lastID }

// MaxDeletedID is the largest ID ever removed with XDEL.
func (s *Stream) MaxDeletedID() StreamID { return s.maxDeleted }

// EntriesAdded counts the entries ever added.
func (s *Stream) EntriesAdded() uint64 { return s.entriesAdded }

// Nodes is the number of listpack nodes (XINFO radix-tree-keys).
func (s *Stream) Nodes() int { return len(s.nodes) }

// ---- node internals ----

// nodeMaster reads a node's master entry: live and deleted counts, the
// number of master fields, the offset of the first master field and of the
// first entry.
func nodeMaster(lp []byte) (count, deleted int64, nmf int, mfOff, first int) {
	off := listpack.HeaderSize
	count = listpack.Int(lp, off)
	off = listpack.Next(lp, off)
	deleted = listpack.Int(lp, off)
	off = listpack.Next(lp, off)
	nmf = int(listpack.Int(lp, off))
	off = listpack.Next(lp, off)
	mfOff = off
	for i := 0; i < nmf; i++ {
		off = listpack.Next(lp, off)
	}
	first = listpack.Next(lp, off) // skip the master terminator
	return
}

// entryPos is one parsed entry of a node.
type entryPos struct {
	off   int // its flags element
	flags int64
	id    StreamID
	nf    int
	fv    int // first field (or value, with same fields)
	end   int // the next entry (or the EOF)
}

func (e *entryPos) deleted() bool { return e.flags&streamFlagDeleted != 0 }

// parseEntry reads the entry whose flags are at off.
func (n *streamNode) parseEntry(off, nmf int) entryPos {
	lp := n.lp
	e := entryPos{off: off}
	e.flags = listpack.Int(lp, off)
	off = listpack.Next(lp, off)
	e.id.Ms = n.master.Ms + uint64(listpack.Int(lp, off))
	off = listpack.Next(lp, off)
	e.id.Seq = n.master.Seq + uint64(listpack.Int(lp, off))
	off = listpack.Next(lp, off)
	skip := 0
	if e.flags&streamFlagSameFields != 0 {
		e.nf = nmf
		skip = nmf
	} else {
		e.nf = int(listpack.Int(lp, off))
		off = listpack.Next(lp, off)
		skip = 2 * e.nf
	}
	e.fv = off
	for i := 0; i < skip; i++ {
		off = listpack.Next(lp, off)
	}
	e.end = listpack.Next(lp, off) // skip lp-count
	return e
}

// prevEntry returns the offset of the flags of the entry ending right
// before end (an entry start or the EOF), -1 when none (master entry).
func (n *streamNode) prevEntry(end int) int {
	lp := n.lp
	p := listpack.Prev(lp, end)
	cnt := listpack.Int(lp, p)
	if cnt == 0 {
		return -1
	}
	for i := int64(0); i < cnt; i++ {
		p = listpack.Prev(lp, p)
	}
	return p
}

// rawLast is the ID of the node's last entry, deleted or not.
func (n *streamNode) rawLast() StreamID {
	_, _, nmf, _, _ := nodeMaster(n.lp)
	off := n.prevEntry(len(n.lp) - 1)
	if off < 0 {
		return n.master
	}
	return n.parseEntry(off, nmf).id
}

// lastLive is the ID of the node's last live entry.
func (n *streamNode) lastLive() (StreamID, bool) {
	_, _, nmf, _, _ := nodeMaster(n.lp)
	end := len(n.lp) - 1
	for {
		off := n.prevEntry(end)
		if off < 0 {
			return StreamID{}, false
		}
		p := n.parseEntry(off, nmf)
		if !p.deleted() {
			return p.id, true
		}
		end = off
	}
}

func (n *streamNode) count() int64 { return listpack.Int(n.lp, listpack.HeaderSize) }

// setCounts rewrites the master entry's live and deleted counts.
func (n *streamNode) setCounts(count, deleted int64) {
	n.lp = listpack.ReplaceInt(n.lp, listpack.HeaderSize, count)
	n.lp = listpack.ReplaceInt(n.lp, listpack.Next(n.lp, listpack.HeaderSize), deleted)
}

// markDeleted sets the deleted flag of the entry (same size).
func (n *streamNode) markDeleted(e *entryPos) {
	n.lp = listpack.ReplaceInt(n.lp, e.off, e.flags|streamFlagDeleted)
	e.flags |= streamFlagDeleted
}

// nodeFor is the index of the last node whose master ID is <= id, -1 when
// id is before every node.
func (s *Stream) nodeFor(id StreamID) int {
	i := sort.Search(len(s.nodes), func(i int) bool { return id.Less(s.nodes[i].master) })
	return i - 1
}

// ---- reading ----

// StreamEntry is one entry during a Range: its ID and a cursor over its
// field/value pairs. The bytes it returns are valid only during the call
// (and until the next Next).
type StreamEntry struct {
	ID     StreamID
	lp     []byte
	nf     int
	same   bool
	fv, mf int
	cf, cm int
	fb, vb [24]byte
}

// NumFields is the number of field/value pairs.
func (e *StreamEntry) NumFields() int { return e.nf }

// Rewind restarts Next from the first pair.
func (e *StreamEntry) Rewind() { e.cf, e.cm = e.fv, e.mf }

// Next returns the next field/value pair.
func (e *StreamEntry) Next() (f, v []byte) {
	if e.same {
		f = listpack.Value(e.lp, e.cm, e.fb[:])
		e.cm = listpack.Next(e.lp, e.cm)
	} else {
		f = listpack.Value(e.lp, e.cf, e.fb[:])
		e.cf = listpack.Next(e.lp, e.cf)
	}
	v = listpack.Value(e.lp, e.cf, e.vb[:])
	e.cf = listpack.Next(e.lp, e.cf)
	return f, v
}

// CopyFV copies the entry's pairs (field, value, ...) out of the stream.
func (e *StreamEntry) CopyFV() [][]byte {
	e.Rewind()
	out := make([][]byte, 0, 2*e.nf)
	for i := 0; i < e.nf; i++ {
		f, v := e.Next()
		out = append(out, append([]byte(nil), f...), append([]byte(nil), v...))
	}
	e.Rewind()
	return out
}

func (e *StreamEntry) set(n *streamNode, p *entryPos, mf int) {
	e.ID = p.id
	e.lp = n.lp
	e.nf = p.nf
	e.same = p.flags&streamFlagSameFields != 0
	e.fv, e.mf = p.fv, mf
	e.Rewind()
}

// Range calls fn for every entry with start <= ID <= end, ascending (or
// descending with rev), until fn returns false.
func (s *Stream) Range(start, end StreamID, rev bool, fn func(e *StreamEntry) bool) {
	if end.Less(start) || len(s.nodes) == 0 {
		return
	}
	var se StreamEntry
	if !rev {
		i := s.nodeFor(start)
		if i < 0 {
			i = 0
		}
		for ; i < len(s.nodes); i++ {
			n := s.nodes[i]
			if end.Less(n.master) {
				return
			}
			_, _, nmf, mf, off := nodeMaster(n.lp)
			for off < len(n.lp)-1 {
				p := n.parseEntry(off, nmf)
				off = p.end
				if p.deleted() || p.id.Less(start) {
					continue
				}
				if end.Less(p.id) {
					return
				}
				se.set(n, &p, mf)
				if !fn(&se) {
					return
				}
			}
		}
		return
	}
	for i := s.nodeFor(end); i >= 0; i-- {
		n := s.nodes[i]
		_, _, nmf, mf, _ := nodeMaster(n.lp)
		end2 := len(n.lp) - 1
		for {
			off := n.prevEntry(end2)
			if off < 0 {
				break
			}
			end2 = off
			p := n.parseEntry(off, nmf)
			if p.deleted() || end.Less(p.id) {
				continue
			}
			if p.id.Less(start) {
				return
			}
			se.set(n, &p, mf)
			if !fn(&se) {
				return
			}
		}
	}
}

// Has reports whether an entry with this ID exists.
func (s *Stream) Has(id StreamID) bool {
	found := false
	s.Range(id, id, false, func(*StreamEntry) bool { found = true; return false })
	return found
}

// FirstID is the first entry's ID as Redis records it: kept up to date by
// XADD, XDEL and trims, 0-0 once emptied, but whatever RESTORE loaded until
// then (a stream written by Redis 6 without entries loads as max-max).
func (s *Stream) FirstID() StreamID { return s.firstID }

// FirstEntryID is the ID of the first entry (0-0 when empty).
func (s *Stream) FirstEntryID() StreamID {
	var id StreamID
	s.Range(StreamID{}, StreamIDMax, false, func(e *StreamEntry) bool { id = e.ID; return false })
	return id
}

// LastEntryID is the ID of the last entry (0-0 when empty).
func (s *Stream) LastEntryID() StreamID {
	var id StreamID
	s.Range(StreamID{}, StreamIDMax, true, func(e *StreamEntry) bool { id = e.ID; return false })
	return id
}

// ---- writing (Redis' layout) ----

// needNewNode reports whether an entry of totLen bytes of fields and values
// starts a new node after n, as Redis decides it.
func needNewNode(n *streamNode, totLen int) bool {
	count, deleted, _, _, _ := nodeMaster(n.lp)
	return nodeFull(len(n.lp), count+deleted, totLen)
}

// nodeFull is needNewNode for a node of size bytes holding entries (live
// and deleted).
func nodeFull(size int, entries int64, totLen int) bool {
	maxBytes := StreamNodeMaxBytes
	if maxBytes <= 0 || maxBytes > streamLPMaxSize {
		maxBytes = streamLPMaxSize
	}
	if size+totLen >= maxBytes {
		return true
	}
	return StreamNodeMaxEntries > 0 && entries >= int64(StreamNodeMaxEntries)
}

// FVLen is the total length of fields and values.
func FVLen(fv [][]byte) int {
	t := 0
	for _, b := range fv {
		t += len(b)
	}
	return t
}

// appendEntry adds an entry after every other one, as Redis' XADD does.
// fv holds field, value, field, value...
func (s *Stream) appendEntry(id StreamID, fv [][]byte) { s.appendWith(id, fv, true) }

// appendWith is appendEntry; without limits the entry goes to the last node
// whatever its size.
func (s *Stream) appendWith(id StreamID, fv [][]byte, limits bool) {
	nf := len(fv) / 2
	var n *streamNode
	var count, deleted int64
	var nmf, mf int
	if len(s.nodes) > 0 {
		n = s.nodes[len(s.nodes)-1]
		count, deleted, nmf, mf, _ = nodeMaster(n.lp)
		if limits && nodeFull(len(n.lp), count+deleted, FVLen(fv)) {
			// the full node keeps only its bytes (Redis' lpShrinkToFit)
			if cap(n.lp) > len(n.lp) {
				n.lp = append(make([]byte, 0, len(n.lp)), n.lp...)
			}
			n = nil
		}
	}
	flags := int64(0)
	if n == nil {
		capHint := 4096
		if StreamNodeMaxBytes > 0 && StreamNodeMaxBytes < capHint {
			capHint = StreamNodeMaxBytes
		}
		lp := listpack.New(capHint)
		lp = listpack.PushInt(lp, 1)
		lp = listpack.PushInt(lp, 0)
		lp = listpack.PushInt(lp, int64(nf))
		for i := 0; i < nf; i++ {
			lp = listpack.Push(lp, fv[2*i])
		}
		lp = listpack.PushInt(lp, 0)
		n = &streamNode{master: id, lp: lp}
		s.nodes = append(s.nodes, n)
		flags = streamFlagSameFields
	} else {
		before := len(n.lp)
		n.lp = listpack.ReplaceInt(n.lp, listpack.HeaderSize, count+1)
		mf += len(n.lp) - before
		if nmf == nf {
			var buf [24]byte
			same := true
			off := mf
			for i := 0; i < nf; i++ {
				if string(listpack.Value(n.lp, off, buf[:])) != string(fv[2*i]) {
					same = false
					break
				}
				off = listpack.Next(n.lp, off)
			}
			if same {
				flags = streamFlagSameFields
			}
		}
	}
	lp := n.lp
	lp = listpack.PushInt(lp, flags)
	lp = listpack.PushInt(lp, int64(id.Ms-n.master.Ms))
	lp = listpack.PushInt(lp, int64(id.Seq-n.master.Seq))
	if flags&streamFlagSameFields == 0 {
		lp = listpack.PushInt(lp, int64(nf))
	}
	for i := 0; i < nf; i++ {
		if flags&streamFlagSameFields == 0 {
			lp = listpack.Push(lp, fv[2*i])
		}
		lp = listpack.Push(lp, fv[2*i+1])
	}
	cnt := int64(nf) + 3
	if flags&streamFlagSameFields == 0 {
		cnt += int64(nf) + 1
	}
	lp = listpack.PushInt(lp, cnt)
	n.lp = lp
	s.length++
}

// insertEntry adds an entry wherever its ID belongs (replacing a live entry
// with the same ID). Entries after the last one are appended as Redis does;
// anything else rebuilds the node it falls in (merges only).
func (s *Stream) insertEntry(id StreamID, fv [][]byte) {
	if len(s.nodes) == 0 || s.nodes[len(s.nodes)-1].rawLast().Less(id) {
		s.appendEntry(id, fv)
		return
	}
	i := s.nodeFor(id)
	if i < 0 {
		n := buildNode([]rebuiltEntry{{id, fv}})
		s.nodes = append(s.nodes, nil)
		copy(s.nodes[1:], s.nodes)
		s.nodes[0] = n
		s.length++
		return
	}
	old := s.nodes[i]
	var ents []rebuiltEntry
	replaced, inserted := false, false
	var se StreamEntry
	_, _, nmf, mf, off := nodeMaster(old.lp)
	for off < len(old.lp)-1 {
		p := old.parseEntry(off, nmf)
		off = p.end
		if p.deleted() {
			continue
		}
		if !inserted && !p.id.Less(id) {
			ents = append(ents, rebuiltEntry{id, fv})
			inserted = true
			if p.id == id {
				replaced = true
				continue
			}
		}
		se.set(old, &p, mf)
		ents = append(ents, rebuiltEntry{p.id, se.CopyFV()})
	}
	if !inserted {
		ents = append(ents, rebuiltEntry{id, fv})
	}
	s.nodes[i] = buildNode(ents)
	if !replaced {
		s.length++
	}
}

type rebuiltEntry struct {
	id StreamID
	fv [][]byte
}

// buildNode makes one node holding ents (ascending, at least one).
func buildNode(ents []rebuiltEntry) *streamNode {
	var tmp Stream
	for _, e := range ents {
		tmp.appendWith(e.id, e.fv, false)
	}
	return tmp.nodes[0]
}

// deleteEntry marks the entry id deleted, as XDEL does (a node left with no
// live entry goes); it reports whether there was such an entry.
func (s *Stream) deleteEntry(id StreamID) bool {
	i := s.nodeFor(id)
	if i < 0 {
		return false
	}
	n := s.nodes[i]
	count, deleted, nmf, _, off := nodeMaster(n.lp)
	for off < len(n.lp)-1 {
		p := n.parseEntry(off, nmf)
		off = p.end
		if p.id != id || p.deleted() {
			// live entries ascend; a deleted one may not (XSETID can move
			// the last ID back below it)
			if !p.deleted() && id.Less(p.id) {
				return false
			}
			continue
		}
		n.markDeleted(&p)
		if count == 1 {
			s.removeNode(i)
		} else {
			n.setCounts(count-1, deleted+1)
		}
		s.length--
		return true
	}
	return false
}

func (s *Stream) removeNode(i int) {
	copy(s.nodes[i:], s.nodes[i+1:])
	s.nodes[len(s.nodes)-1] = nil
	s.nodes = s.nodes[:len(s.nodes)-1]
}

// EachNode calls fn for every node in order with its master ID and its
// listpack (Redis' bytes; fn must not keep or change them).
func (s *Stream) EachNode(fn func(master StreamID, lp []byte)) {
	for _, n := range s.nodes {
		fn(n.master, n.lp)
	}
}
