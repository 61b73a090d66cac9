package wal

import (
	"bytes"
	"testing"

	"github.com/lightconedb/lightcone/internal/crdt"
	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/engine"
	"github.com/lightconedb/lightcone/internal/keyspace"
)

// seedSegment is a small valid segment: a few single records and a
// three-record command.
func seedSegment() []byte {
	b := encodeSegHeader(testNode, 0, 1700000000000, 0)
	mk := func(seq uint64, op effect.Op, key, val string) effect.Effect {
		return effect.Effect{ID: effect.ID{Node: testNode, Seq: seq}, HLC: 1 << 40, Op: op, Key: []byte(key), Value: []byte(val)}
	}
	for _, e := range []effect.Effect{mk(1, effect.OpAssign, "a", "1"), mk(2, effect.OpAppend, "a", "xyz")} {
		f, at := beginFrame(nil)
		b = append(b, finishFrame(e.AppendBinary(f), at)...)
	}
	var g []byte
	for _, e := range []effect.Effect{mk(3, effect.OpAssign, "k1", "v"), mk(4, effect.OpAssign, "k2", "v"), mk(5, effect.OpDelete, "a", "")} {
		f, at := beginFrame(g)
		f = e.AppendBinary(f)
		setFrameLen(f, at)
		g = f
	}
	sealGroup(g)
	return append(b, g...)
}

// FuzzLogReader feeds arbitrary bytes to the segment reader as the log's
// last segment (where torn tails are allowed) and as a closed one. It must
// never panic; what it accepts must be well-formed (increasing positions
// inside the data, effects that re-encode to their records), and a torn
// tail cut away must leave a segment that reads clean with the same
// records.
func FuzzLogReader(f *testing.F) {
	seed := seedSegment()
	f.Add(seed)
	f.Add(seed[:len(seed)-3])
	f.Add(seed[:segHeaderLen])
	f.Add(seed[:segHeaderLen+5])
	flipped := append([]byte(nil), seed...)
	flipped[segHeaderLen+10] ^= 1
	f.Add(flipped)
	f.Add(append(append([]byte(nil), seed...), make([]byte, 64)...))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, last := range []bool{true, false} {
			seg := Segment{Path: "fuzz.seg", Start: 0}
			var positions []uint64
			var enc [][]byte
			off, err := scanSegment(&seg, b, last, 0, func(pos uint64, e *effect.Effect) error {
				positions = append(positions, pos)
				enc = append(enc, e.AppendBinary(nil))
				return nil
			})
			if off < 0 || off > int64(len(b)) {
				t.Fatalf("offset %d outside the data (%d bytes)", off, len(b))
			}
			for i := 1; i < len(positions); i++ {
				if positions[i] <= positions[i-1] {
					t.Fatalf("positions not increasing: %v", positions)
				}
			}
			for i, p := range positions {
				at := int(p) + segHeaderLen + frameHeader
				if at+len(enc[i]) > len(b) || !bytes.Equal(b[at:at+len(enc[i])], enc[i]) {
					t.Fatalf("record at %d does not re-encode to its bytes", p)
				}
			}
			p, isProblem := err.(*Problem)
			if err != nil && !isProblem {
				t.Fatalf("unexpected error type %T: %v", err, err)
			}
			if err == nil && off != int64(len(b)) {
				t.Fatalf("no error but stopped at %d of %d", off, len(b))
			}
			if isProblem {
				if p.Torn && !last {
					t.Fatalf("torn tail reported in a closed segment")
				}
				if p.Offset < 0 || p.Offset > int64(len(b)) || p.Bytes != int64(len(b))-p.Offset {
					t.Fatalf("problem %+v outside the data (%d bytes)", p, len(b))
				}
				if p.Torn && p.Offset >= segHeaderLen {
					cut := b[:p.Offset]
					n := 0
					seg2 := Segment{Path: "fuzz.seg"}
					off2, err2 := scanSegment(&seg2, cut, true, 0, func(uint64, *effect.Effect) error { n++; return nil })
					if err2 != nil || off2 != int64(len(cut)) || n != len(positions) {
						t.Fatalf("after cutting the torn tail: %v, %d records (had %d)", err2, n, len(positions))
					}
				}
			}
		}
	})
}

// FuzzLoadEntry feeds arbitrary bytes to the snapshot entry decoder: it must
// never panic, and what it accepts must encode back to the same bytes.
func FuzzLoadEntry(f *testing.F) {
	en := engine.New(engine.Config{Node: testNode})
	tx := en.Begin1(0, []byte("k"))
	tx.Assign(0, []byte("k"), []byte("value"), 1<<45, false)
	tx.End()
	var seed []byte
	var scratch crdt.Enc
	for s := 0; s < keyspace.NumShards; s++ {
		en.SnapshotShard(0, s, func(sh *keyspace.Shard) {
			sh.Range(func(e *keyspace.Entry) bool { seed = engine.AppendEntry(seed, e, &scratch); return true })
		})
	}
	f.Add(seed)
	f.Add([]byte{0, 1, 0, 0, 1, 'k', 1, 'v'})
	f.Fuzz(func(t *testing.T, b []byte) {
		e := engine.New(engine.Config{Node: testNode})
		n, err := e.LoadEntry(0, b)
		if err != nil {
			return
		}
		if n <= 0 || n > len(b) {
			t.Fatalf("consumed %d of %d", n, len(b))
		}
	})
}
