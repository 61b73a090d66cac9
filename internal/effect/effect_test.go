package effect

import (
	"bytes"
	"encoding/binary"
	"math/rand"
	"reflect"
	"testing"

	"github.com/lightconedb/lightcone/internal/hlc"
)

func randEffect(r *rand.Rand) Effect {
	x := Effect{
		ID:  ID{NodeID(r.Uint64()), r.Uint64() >> uint(r.Intn(64))},
		HLC: hlc.Timestamp(r.Uint64()),
		DB:  uint32(r.Intn(16)),
		Op:  Op(1 + r.Intn(int(opMax)-1)),
		Int: r.Int63() - r.Int63(),
		Key: []byte("key:" + string(rune('a'+r.Intn(26)))),
	}
	x.Flags = uint8(r.Intn(int(flagMask) + 1))
	x.Event = uint8(r.Intn(256))
	if r.Intn(3) > 0 {
		x.Value = make([]byte, r.Intn(40))
		r.Read(x.Value)
	}
	for i := r.Intn(3); i > 0; i-- {
		x.Deps = append(x.Deps, ID{NodeID(i), uint64(r.Intn(100))})
	}
	for i := 1; i <= r.Intn(4); i++ {
		x.Frontier = append(x.Frontier, ID{NodeID(i * 10), uint64(r.Intn(1000))})
	}
	if r.Intn(4) == 0 {
		x.Txn = ID{NodeID(r.Uint64()), r.Uint64()}
	}
	return x
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 5000; i++ {
		x := randEffect(r)
		b := x.AppendBinary(nil)
		y, n, err := Decode(b)
		if err != nil || n != len(b) {
			t.Fatalf("decode %v: n=%d/%d err=%v", x, n, len(b), err)
		}
		// canonical: deps come back sorted; compare after sorting the original
		xs := x.Clone()
		xs.Deps = nil
		if len(x.Deps) > 0 {
			xs.Deps = sortedIDs(x.Deps)
		}
		if !reflect.DeepEqual(normalize(xs), normalize(y)) {
			t.Fatalf("round trip\n in %+v\nout %+v", xs, y)
		}
		if !bytes.Equal(y.AppendBinary(nil), b) {
			t.Fatalf("re-encoding differs")
		}
		for cut := 0; cut < len(b); cut++ {
			if _, _, err := Decode(b[:cut]); err == nil {
				t.Fatalf("decode of %d/%d bytes succeeded", cut, len(b))
			}
		}
	}
}

func sortedIDs(ids []ID) []ID {
	out := append([]ID(nil), ids...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && idLess(out[j], out[j-1]); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func normalize(x Effect) Effect {
	if len(x.Deps) == 0 {
		x.Deps = nil
	}
	if len(x.Frontier) == 0 {
		x.Frontier = nil
	}
	return x
}

func TestObserved(t *testing.T) {
	x := Effect{ID: ID{1, 10}, Frontier: []ID{{2, 5}, {3, 7}}}
	cases := []struct {
		id   ID
		want bool
	}{{ID{1, 9}, true}, {ID{1, 10}, false}, {ID{1, 11}, false}, {ID{2, 5}, true}, {ID{2, 6}, false}, {ID{3, 1}, true}, {ID{4, 1}, false}}
	for _, c := range cases {
		if got := x.Observed(c.id); got != c.want {
			t.Errorf("Observed(%v)=%v want %v", c.id, got, c.want)
		}
	}
}

func FuzzDecode(f *testing.F) {
	r := rand.New(rand.NewSource(7))
	for i := 0; i < 8; i++ {
		x := randEffect(r)
		f.Add(x.AppendBinary(nil))
	}
	f.Add([]byte{2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		x, n, err := Decode(b)
		if err != nil {
			return
		}
		if n > len(b) {
			t.Fatalf("consumed %d of %d", n, len(b))
		}
		if !bytes.Equal(x.AppendBinary(nil), b[:n]) {
			t.Fatalf("accepted a non-canonical encoding")
		}
	})
}

// appendBinaryReference is the canonical encoding written field by field,
// the plain statement of the format that AppendBinary must match.
func appendBinaryReference(x *Effect, dst []byte) []byte {
	dst = append(dst, encVersion)
	dst = binary.AppendUvarint(dst, uint64(x.ID.Node))
	dst = binary.AppendUvarint(dst, x.ID.Seq)
	dst = binary.BigEndian.AppendUint64(dst, uint64(x.HLC))
	dst = binary.AppendUvarint(dst, uint64(x.DB))
	dst = append(dst, byte(x.Op), x.Flags, x.Event)
	dst = binary.AppendVarint(dst, x.Int)
	dst = binary.AppendUvarint(dst, uint64(len(x.Key)))
	dst = append(dst, x.Key...)
	if x.Value == nil {
		dst = append(dst, 0)
	} else {
		dst = binary.AppendUvarint(dst, uint64(len(x.Value))+1)
		dst = append(dst, x.Value...)
	}
	dst = appendIDs(dst, x.Deps)
	dst = appendIDs(dst, x.Frontier)
	dst = binary.AppendUvarint(dst, uint64(x.Txn.Node))
	dst = binary.AppendUvarint(dst, x.Txn.Seq)
	return dst
}

func TestAppendBinaryMatchesReference(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	for i := 0; i < 20000; i++ {
		x := randEffect(r)
		switch r.Intn(4) {
		case 0: // a local write as the log sees it
			x.Deps, x.Frontier, x.Txn = nil, nil, ID{}
		case 1: // big fields
			x.Key = bytes.Repeat([]byte{'k'}, r.Intn(300))
			x.ID.Seq = 1 << uint(r.Intn(64))
			x.DB = uint32(r.Intn(1 << 20))
		}
		pl := r.Intn(5)
		prefix := make([]byte, pl, pl+r.Intn(200))
		r.Read(prefix)
		want := appendBinaryReference(&x, append([]byte(nil), prefix...))
		got := x.AppendBinary(prefix)
		if !bytes.Equal(got, want) {
			t.Fatalf("effect %+v:\n got %x\nwant %x", x, got, want)
		}
	}
}

func BenchmarkAppendBinaryLocal(b *testing.B) {
	x := Effect{ID: ID{0xbb450e79c478a9e6, 123456}, HLC: hlc.Timestamp(1 << 60), Op: OpList,
		Key: []byte("mylist"), Value: []byte("L\x01\x03xxx")}
	buf := make([]byte, 0, 256)
	for b.Loop() {
		buf = x.AppendBinary(buf[:0])
	}
}

func BenchmarkAppendBinaryReference(b *testing.B) {
	x := Effect{ID: ID{0xbb450e79c478a9e6, 123456}, HLC: hlc.Timestamp(1 << 60), Op: OpList,
		Key: []byte("mylist"), Value: []byte("L\x01\x03xxx")}
	buf := make([]byte, 0, 256)
	for b.Loop() {
		buf = appendBinaryReference(&x, buf[:0])
	}
}
