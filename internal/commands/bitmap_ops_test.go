package commands

import (
	"bytes"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// refBit is bit i of s (MSB first), 0 past the end.
func refBit(s []byte, i int64) int {
	if i>>3 >= int64(len(s)) {
		return 0
	}
	return int(s[i>>3]>>(7-uint(i&7))) & 1
}

func randBitmap(r *rand.Rand) []byte {
	b := make([]byte, r.IntN(40))
	for i := range b {
		switch r.IntN(4) {
		case 0:
			b[i] = 0
		case 1:
			b[i] = 0xff
		default:
			b[i] = byte(r.IntN(256))
		}
	}
	return b
}

func TestCountAndFindBits(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 20000; n++ {
		s := randBitmap(r)
		if len(s) == 0 {
			continue
		}
		total := int64(len(s)) * 8
		from := r.Int64N(total)
		to := from + r.Int64N(total-from)
		var want int64
		first := [2]int64{-1, -1}
		for i := from; i <= to; i++ {
			b := refBit(s, i)
			want += int64(b)
			if first[b] < 0 {
				first[b] = i
			}
		}
		if got := countBits(s, from, to); got != want {
			t.Fatalf("countBits(%x, %d, %d) = %d, want %d", s, from, to, got, want)
		}
		for bit := 0; bit < 2; bit++ {
			if got := findBit(s, bit, from, to); got != first[bit] {
				t.Fatalf("findBit(%x, %d, %d, %d) = %d, want %d", s, bit, from, to, got, first[bit])
			}
		}
	}
}

func TestClampRange(t *testing.T) {
	for _, c := range []struct {
		start, end, n int64
		neg           bool
		from, to      int64
		ok            bool
	}{
		{0, -1, 5, true, 0, 4, true},
		{0, -100, 5, true, 0, 0, true}, // Redis 7.0: end clamps to 0
		{-1, -5, 5, true, 0, 0, false},
		{-1, -100, 1, true, 0, 0, false}, // both negative and reversed
		{-1, -100, 1, false, 0, 0, true}, // BITPOS has no such rule
		{5, 10, 5, true, 0, 0, false},
		{4, 10, 5, true, 4, 4, true},
		{-100, 100, 5, true, 0, 4, true},
		{0, -1, 0, true, 0, 0, false},
		{math.MinInt64, math.MaxInt64, 3, true, 0, 2, true},
		{math.MaxInt64, math.MinInt64, 3, true, 0, 0, false},
	} {
		from, to, ok := clampRange(c.start, c.end, c.n, c.neg)
		if ok != c.ok || (ok && (from != c.from || to != c.to)) {
			t.Errorf("clampRange(%d, %d, %d, %v) = %d, %d, %v; want %d, %d, %v",
				c.start, c.end, c.n, c.neg, from, to, ok, c.from, c.to, c.ok)
		}
	}
}

func TestBitop(t *testing.T) {
	a, b := []byte{0xff, 0x0f}, []byte{0x0f}
	for _, c := range []struct {
		op   string
		srcs [][]byte
		want []byte
	}{
		{"and", [][]byte{a, b}, []byte{0x0f, 0x00}},
		{"or", [][]byte{a, b}, []byte{0xff, 0x0f}},
		{"xor", [][]byte{a, b}, []byte{0xf0, 0x0f}},
		{"not", [][]byte{a}, []byte{0x00, 0xf0}},
		{"and", [][]byte{a, nil}, []byte{0, 0}},
		{"or", [][]byte{nil, a}, []byte{0xff, 0x0f}},
		{"and", [][]byte{a}, []byte{0xff, 0x0f}},
		{"or", [][]byte{nil, {}}, nil},
		{"not", [][]byte{nil}, nil},
	} {
		got := bitop(c.op, c.srcs)
		if !bytes.Equal(got, c.want) {
			t.Errorf("bitop(%s, %x) = %x, want %x", c.op, c.srcs, got, c.want)
		}
	}
	if a[0] != 0xff || b[0] != 0x0f {
		t.Fatal("bitop modified a source")
	}
}

func TestParseBitOffset(t *testing.T) {
	for _, c := range []struct {
		in    string
		hash  bool
		width int
		want  int64
		ok    bool
	}{
		{"0", false, 0, 0, true},
		{"4294967295", false, 0, 4294967295, true},
		{"4294967296", false, 0, 0, false},
		{"-1", false, 0, 0, false},
		{"+1", false, 0, 0, false},
		{"x", false, 0, 0, false},
		{"#1", false, 0, 0, false},
		{"#1", true, 8, 8, true},
		{"#-1", true, 8, 0, false},
		{"#", true, 8, 0, false},
		{"#536870911", true, 8, 4294967288, true},
		{"#536870912", true, 8, 0, false},
		{"#68174084", true, 63, 4294967292, true},
		{"#9223372036854775807", true, 8, 0, false},
		{"#1152921504606846975", true, 8, 0, false},
	} {
		got, ok := parseBitOffset([]byte(c.in), c.hash, c.width)
		if ok != c.ok || (ok && got != c.want) {
			t.Errorf("parseBitOffset(%q, %v, %d) = %d, %v; want %d, %v", c.in, c.hash, c.width, got, ok, c.want, c.ok)
		}
	}
}

func TestParseBitfieldType(t *testing.T) {
	good := map[string][2]int{"i1": {1, 1}, "i64": {1, 64}, "u1": {0, 1}, "u63": {0, 63}, "i8": {1, 8}}
	for in, w := range good {
		signed, width, ok := parseBitfieldType([]byte(in))
		if !ok || signed != (w[0] == 1) || width != w[1] {
			t.Errorf("parseBitfieldType(%q) = %v, %d, %v", in, signed, width, ok)
		}
	}
	for _, in := range []string{"u64", "i65", "i0", "u0", "u", "i", "U8", "I8", "u08", "u+8", "u 8", "u8x", "x8", ""} {
		if _, _, ok := parseBitfieldType([]byte(in)); ok {
			t.Errorf("parseBitfieldType(%q) accepted", in)
		}
	}
}

func TestBitfieldReadWrite(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for n := 0; n < 20000; n++ {
		s := make([]byte, 20)
		for i := range s {
			s[i] = byte(r.IntN(256))
		}
		orig := append([]byte(nil), s...)
		width := 1 + r.IntN(64)
		off := r.Int64N(int64(len(s))*8 - int64(width) + 1)
		v := r.Uint64() & widthMask(width)
		bfWrite(s, off, width, v)
		if got := bfRead(s, off, width); got != v {
			t.Fatalf("read back %d bits at %d: got %x, want %x", width, off, got, v)
		}
		for i := int64(0); i < int64(len(s))*8; i++ {
			if (i < off || i >= off+int64(width)) && refBit(s, i) != refBit(orig, i) {
				t.Fatalf("bfWrite(%d bits at %d) changed bit %d", width, off, i)
			}
		}
	}
	if got := bfRead([]byte{0xff}, 4, 8); got != 0xf0 {
		t.Errorf("bits past the end must read as 0: got %x", got)
	}
	if got := bfSigned(0xff, 8); got != -1 {
		t.Errorf("bfSigned(0xff, 8) = %d", got)
	}
	if got := bfSigned(1<<63, 64); got != math.MinInt64 {
		t.Errorf("bfSigned(1<<63, 64) = %d", got)
	}
}

// Reference arithmetic with big integers.
func refRange(signed bool, width int) (lo, hi *big.Int) {
	one := big.NewInt(1)
	if signed {
		hi = new(big.Int).Sub(new(big.Int).Lsh(one, uint(width-1)), one)
		lo = new(big.Int).Neg(new(big.Int).Lsh(one, uint(width-1)))
	} else {
		hi = new(big.Int).Sub(new(big.Int).Lsh(one, uint(width)), one)
		lo = big.NewInt(0)
	}
	return
}

// refWrap reduces x into the field's range modulo 2^width.
func refWrap(x *big.Int, signed bool, width int) *big.Int {
	m := new(big.Int).Lsh(big.NewInt(1), uint(width))
	r := new(big.Int).Mod(x, m)
	if _, hi := refRange(signed, width); signed && r.Cmp(hi) > 0 {
		r.Sub(r, m)
	}
	return r
}

func TestBitfieldIncr(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	extremes := []int64{math.MaxInt64, math.MinInt64, math.MaxInt64 - 1, math.MinInt64 + 1, 1 << 62, -1 << 62, 0, 1, -1}
	pick := func() int64 {
		switch r.IntN(3) {
		case 0:
			return extremes[r.IntN(len(extremes))]
		case 1:
			return r.Int64N(1000) - 500
		}
		return int64(r.Uint64())
	}
	for n := 0; n < 200000; n++ {
		signed := r.IntN(2) == 0
		width := 1 + r.IntN(63)
		if signed {
			width = 1 + r.IntN(64)
		}
		lo, hi := refRange(signed, width)
		old := refWrap(big.NewInt(pick()), signed, width)
		incr := pick()
		sum := new(big.Int).Add(old, big.NewInt(incr))
		for ow := owWrap; ow <= owFail; ow++ {
			var want *big.Int
			switch {
			case sum.Cmp(lo) >= 0 && sum.Cmp(hi) <= 0:
				want = sum
			case ow == owWrap:
				want = refWrap(sum, signed, width)
			case ow == owSat && sum.Cmp(hi) > 0:
				want = hi
			case ow == owSat:
				want = lo
			}
			var got *big.Int
			var ok bool
			if signed {
				var v int64
				v, ok = bfIncrSigned(old.Int64(), incr, width, ow)
				got = big.NewInt(v)
			} else {
				var v uint64
				v, ok = bfIncrUnsigned(old.Uint64(), incr, width, ow)
				got = new(big.Int).SetUint64(v)
			}
			if ok != (want != nil) || (ok && got.Cmp(want) != 0) {
				t.Fatalf("incr signed=%v width=%d old=%v incr=%d ow=%d: got %v, %v; want %v", signed, width, old, incr, ow, got, ok, want)
			}
		}
	}
}

func TestBitfieldSet(t *testing.T) {
	// Observed Redis 7.0 replies (BITFIELD k OVERFLOW <ow> SET <type> 0 v GET <type> 0).
	for _, c := range []struct {
		signed bool
		width  int
		v      int64
		ow     int
		want   int64
		ok     bool
	}{
		{true, 8, 200, owWrap, -56, true},
		{true, 8, 200, owSat, 127, true},
		{true, 8, -200, owSat, -128, true},
		{true, 8, 200, owFail, 0, false},
		{true, 8, -1000, owSat, -128, true},
		{true, 8, math.MinInt64, owSat, 127, true},
		{true, 8, math.MinInt64 + 1, owSat, 127, true},
		{true, 8, -1 << 62, owSat, -128, true},
		{true, 8, -1<<62 - 1, owSat, -128, true},
		{true, 8, math.MaxInt64, owSat, 127, true},
		{true, 8, math.MinInt64, owFail, 0, false},
		{true, 8, math.MinInt64, owWrap, 0, true},
		{true, 64, math.MinInt64, owSat, math.MinInt64, true},
		{true, 63, math.MinInt64, owSat, 1<<62 - 1, true},
		{true, 63, -1<<62 - 1, owSat, 1<<62 - 1, true},
		{true, 63, -1 << 62, owSat, -1 << 62, true},
		{true, 62, -1<<62 - 1, owSat, -1 << 61, true},
		{true, 1, 1, owWrap, -1, true},
		{true, 1, 1, owSat, 0, true},
		{true, 1, -2, owWrap, 0, true},
		{false, 8, -1, owWrap, 255, true},
		{false, 8, -1, owSat, 255, true},
		{false, 8, -1, owFail, 0, false},
		{false, 8, 256, owSat, 255, true},
		{false, 8, 256, owWrap, 0, true},
		{false, 8, 257, owWrap, 1, true},
		{false, 8, math.MinInt64, owSat, 255, true},
		{false, 63, math.MaxInt64, owFail, math.MaxInt64, true},
	} {
		var got int64
		var ok bool
		if c.signed {
			got, ok = bfSetSigned(c.v, c.width, c.ow)
		} else {
			var u uint64
			u, ok = bfSetUnsigned(c.v, c.width, c.ow)
			got = int64(u)
		}
		if ok != c.ok || (ok && got != c.want) {
			t.Errorf("set signed=%v width=%d v=%d ow=%d: got %d, %v; want %d, %v", c.signed, c.width, c.v, c.ow, got, ok, c.want, c.ok)
		}
	}
}
