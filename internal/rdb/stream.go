package rdb

import (
	"encoding/binary"
	"math"
)

// Streams in RDB: type 19 (stream listpacks 2, Redis 7.0) and type 15
// (stream listpacks, Redis 5 and 6, still loaded by 7.0).
//
//	nodes: count, then per node its master ID (a 16-byte string, big
//	       endian ms and seq) and its listpack (a string, as is)
//	length, last ID (ms, seq)
//	type 19 only: first ID, max deleted ID, entries added
//	groups: count, then per group: name, last ID, (type 19) entries read,
//	       its PEL (count, then 16-byte raw ID, delivery time as 8-byte LE
//	       ms, delivery count), its consumers (count, then name, seen time
//	       as 8-byte LE ms, and the IDs of its PEL: count, 16-byte raw IDs)
//
// Numbers are RDB lengths; strings RDB strings (so a listpack may be LZF
// compressed and a name integer-encoded).

// StreamID is a stream entry ID.
type StreamID struct{ Ms, Seq uint64 }

// StreamValue is a decoded stream.
type StreamValue struct {
	Nodes        []StreamNode
	Length       uint64
	LastID       StreamID
	V2           bool // type 19: FirstID, MaxDeleted, EntriesAdded and EntriesRead are set
	FirstID      StreamID
	MaxDeleted   StreamID
	EntriesAdded uint64
	Groups       []StreamGroup
}

// StreamNode is one node: master ID and listpack bytes.
type StreamNode struct {
	Master StreamID
	LP     []byte
}

// StreamGroup is one consumer group.
type StreamGroup struct {
	Name        []byte
	LastID      StreamID
	EntriesRead int64 // type 19 only
	PEL         []StreamNACK
	Consumers   []StreamConsumer
}

// StreamNACK is one pending entry of a group.
type StreamNACK struct {
	ID            StreamID
	DeliveryTime  int64
	DeliveryCount uint64
}

// StreamConsumer is one consumer and the IDs of its pending entries.
type StreamConsumer struct {
	Name     []byte
	SeenTime int64
	PEL      []StreamID
}

func init() {
	RegisterDecoder(TypeStreamListpacks, func(b []byte) (any, error) { return decodeStream(b, false) })
	RegisterDecoder(TypeStreamListpacks2, func(b []byte) (any, error) { return decodeStream(b, true) })
}

func appendRawID(p []byte, id StreamID) []byte {
	p = binary.BigEndian.AppendUint64(p, id.Ms)
	return binary.BigEndian.AppendUint64(p, id.Seq)
}

// DumpStream returns the DUMP payload (type 19) of a stream, byte for byte
// what redis-server 7.0 writes for the same nodes and groups.
func DumpStream(v *StreamValue) []byte {
	size := 16
	for _, n := range v.Nodes {
		size += 32 + len(n.LP)
	}
	p := make([]byte, 0, size)
	p = append(p, TypeStreamListpacks2)
	p = AppendLength(p, uint64(len(v.Nodes)))
	for _, n := range v.Nodes {
		var k [16]byte
		binary.BigEndian.PutUint64(k[:], n.Master.Ms)
		binary.BigEndian.PutUint64(k[8:], n.Master.Seq)
		p = AppendString(p, k[:])
		p = AppendString(p, n.LP)
	}
	p = AppendLength(p, v.Length)
	p = AppendLength(p, v.LastID.Ms)
	p = AppendLength(p, v.LastID.Seq)
	p = AppendLength(p, v.FirstID.Ms)
	p = AppendLength(p, v.FirstID.Seq)
	p = AppendLength(p, v.MaxDeleted.Ms)
	p = AppendLength(p, v.MaxDeleted.Seq)
	p = AppendLength(p, v.EntriesAdded)
	p = AppendLength(p, uint64(len(v.Groups)))
	for _, g := range v.Groups {
		p = AppendString(p, g.Name)
		p = AppendLength(p, g.LastID.Ms)
		p = AppendLength(p, g.LastID.Seq)
		p = AppendLength(p, uint64(g.EntriesRead))
		p = AppendLength(p, uint64(len(g.PEL)))
		for _, n := range g.PEL {
			p = appendRawID(p, n.ID)
			p = binary.LittleEndian.AppendUint64(p, uint64(n.DeliveryTime))
			p = AppendLength(p, n.DeliveryCount)
		}
		p = AppendLength(p, uint64(len(g.Consumers)))
		for _, c := range g.Consumers {
			p = AppendString(p, c.Name)
			p = binary.LittleEndian.AppendUint64(p, uint64(c.SeenTime))
			p = AppendLength(p, uint64(len(c.PEL)))
			for _, id := range c.PEL {
				p = appendRawID(p, id)
			}
		}
	}
	return appendFooter(p)
}

// streamReader reads the body of a stream payload, remembering the first
// error.
type streamReader struct {
	p   []byte
	err error
}

func (r *streamReader) length() uint64 {
	if r.err != nil {
		return 0
	}
	n, enc, rest, err := ReadLength(r.p)
	if err != nil || enc {
		r.err = ErrBadData
		return 0
	}
	r.p = rest
	return n
}

// count reads a length that counts items of at least min bytes each.
func (r *streamReader) count(min int) int {
	n := r.length()
	if r.err == nil && (n > math.MaxInt32 || n*uint64(min) > uint64(len(r.p))) {
		r.err = ErrBadData
		return 0
	}
	return int(n)
}

func (r *streamReader) str() []byte {
	if r.err != nil {
		return nil
	}
	s, rest, err := ReadString(r.p)
	if err != nil {
		r.err = ErrBadData
		return nil
	}
	r.p = rest
	return s
}

func (r *streamReader) raw(n int) []byte {
	if r.err != nil {
		return nil
	}
	if len(r.p) < n {
		r.err = ErrBadData
		return nil
	}
	b := r.p[:n]
	r.p = r.p[n:]
	return b
}

func (r *streamReader) rawID() StreamID {
	b := r.raw(16)
	if b == nil {
		return StreamID{}
	}
	return StreamID{binary.BigEndian.Uint64(b), binary.BigEndian.Uint64(b[8:])}
}

func (r *streamReader) ms() int64 {
	b := r.raw(8)
	if b == nil {
		return 0
	}
	return int64(binary.LittleEndian.Uint64(b))
}

func (r *streamReader) id() StreamID {
	ms := r.length()
	return StreamID{ms, r.length()}
}

func decodeStream(body []byte, v2 bool) (any, error) {
	r := &streamReader{p: body}
	v := &StreamValue{V2: v2}
	nn := r.count(2)
	for i := 0; i < nn && r.err == nil; i++ {
		k := r.str()
		lp := r.str()
		if r.err != nil {
			break
		}
		if len(k) != 16 || len(lp) == 0 {
			return nil, ErrBadData
		}
		v.Nodes = append(v.Nodes, StreamNode{
			Master: StreamID{binary.BigEndian.Uint64(k), binary.BigEndian.Uint64(k[8:])},
			LP:     lp,
		})
	}
	v.Length = r.length()
	v.LastID = r.id()
	if v2 {
		v.FirstID = r.id()
		v.MaxDeleted = r.id()
		v.EntriesAdded = r.length()
	}
	ng := r.count(3)
	for i := 0; i < ng && r.err == nil; i++ {
		var g StreamGroup
		g.Name = r.str()
		g.LastID = r.id()
		if v2 {
			g.EntriesRead = int64(r.length())
		}
		np := r.count(25)
		for j := 0; j < np && r.err == nil; j++ {
			var n StreamNACK
			n.ID = r.rawID()
			n.DeliveryTime = r.ms()
			n.DeliveryCount = r.length()
			g.PEL = append(g.PEL, n)
		}
		nc := r.count(10)
		for j := 0; j < nc && r.err == nil; j++ {
			var c StreamConsumer
			c.Name = r.str()
			c.SeenTime = r.ms()
			k := r.count(16)
			for x := 0; x < k && r.err == nil; x++ {
				c.PEL = append(c.PEL, r.rawID())
			}
			g.Consumers = append(g.Consumers, c)
		}
		v.Groups = append(v.Groups, g)
	}
	if r.err != nil {
		return nil, ErrBadData
	}
	return v, nil
}
