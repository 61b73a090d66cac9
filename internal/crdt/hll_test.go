package crdt

import (
	"bytes"
	"math/rand"
	"strconv"
	"testing"
)

// registersOf decodes any valid HLL into its 16384 registers.
func registersOf(t *testing.T, b []byte) [HLLRegisters]uint8 {
	t.Helper()
	if !HLLValid(b) {
		t.Fatalf("not a valid HLL: %q", b[:min(len(b), 20)])
	}
	var regs [HLLRegisters]uint8
	if !HLLMergeInto(&regs, b) {
		t.Fatalf("corrupt HLL")
	}
	return regs
}

func pfadd(t *testing.T, cur []byte, elems ...string) []byte {
	t.Helper()
	var p Enc
	bs := make([][]byte, len(elems))
	for i, e := range elems {
		bs[i] = []byte(e)
	}
	write, _, corrupt := HLLPlanAdd(&p, cur, bs)
	if corrupt {
		t.Fatal("corrupt")
	}
	if !write {
		return cur
	}
	out, ok := HLLApply(cur, p.B)
	if !ok {
		t.Fatal("apply refused")
	}
	return out
}

func TestHLLHashAndBytesMatchRedis(t *testing.T) {
	// redis-server 7.0: PFADD k a; GET k
	want := []byte("HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80q\xa6\x84NW")
	if reg, count := HLLHash([]byte("a")); reg != 12711 || count != 2 {
		t.Fatalf("HLLHash(a) = %d, %d", reg, count)
	}
	if got := pfadd(t, nil, "a"); !bytes.Equal(got, want) {
		t.Fatalf("PFADD k a = %q, want %q", got, want)
	}
	// PFADD k (nothing): an empty sparse HLL, cache stale
	if got := pfadd(t, nil); !bytes.Equal(got, []byte("HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff")) {
		t.Fatalf("PFADD k = %q", got)
	}
	// MurmurHash64A of the empty input and of a block plus a tail
	if MurmurHash64A(nil, 0) != 0 {
		t.Fatal("MurmurHash64A of nothing with seed 0 is 0")
	}
	if a, b := MurmurHash64A([]byte("123456789"), 1), MurmurHash64A([]byte("123456780"), 1); a == b {
		t.Fatal("the tail byte is ignored")
	}
}

func TestHLLSparseAndDenseAgree(t *testing.T) {
	defer func(v int) { HLLSparseMaxBytes = v }(HLLSparseMaxBytes)
	for _, max := range []int{3000, 200, 20} {
		HLLSparseMaxBytes = max
		r := rand.New(rand.NewSource(int64(max)))
		sparse := pfadd(t, nil)
		dense, _ := HLLToDense(sparse)
		var model [HLLRegisters]uint8
		for step := 0; step < 3000; step++ {
			e := "el" + strconv.Itoa(r.Intn(5000))
			reg, count := HLLHash([]byte(e))
			if count > model[reg] {
				model[reg] = count
			}
			sparse = pfadd(t, sparse, e)
			dense = pfadd(t, dense, e)
			if step%97 == 0 {
				if registersOf(t, sparse) != model || registersOf(t, dense) != model {
					t.Fatalf("max %d step %d: registers differ from the model", max, step)
				}
				a, inv1 := HLLCount(sparse)
				b, inv2 := HLLCount(dense)
				if inv1 || inv2 || a != b || a != HLLCountRegisters(&model) {
					t.Fatalf("max %d step %d: counts %d %d %d", max, step, a, b, HLLCountRegisters(&model))
				}
				if !HLLIsDense(sparse) && len(sparse) > max {
					t.Fatalf("sparse HLL of %d bytes over a limit of %d", len(sparse), max)
				}
			}
		}
	}
}

func TestHLLAccuracy(t *testing.T) {
	b := pfadd(t, nil)
	for n := 1; n <= 200000; n++ {
		b = pfadd(t, b, "x:"+strconv.Itoa(n))
		if n == 10 || n == 1000 || n == 200000 {
			got, _ := HLLCount(b)
			if diff := float64(got) - float64(n); diff > 0.03*float64(n) || -diff > 0.03*float64(n) {
				t.Fatalf("count %d for %d elements", got, n)
			}
		}
	}
}

// randomHLLEffects returns PFADD/PFMERGE/PFCOUNT/TODENSE payloads as nodes
// would write them from states of their own.
func randomHLLEffects(r *rand.Rand, n int) [][]byte {
	var out [][]byte
	state := HLLNew()
	for len(out) < n {
		var p Enc
		switch r.Intn(5) {
		case 0, 1:
			var elems [][]byte
			for k := r.Intn(20); k >= 0; k-- {
				elems = append(elems, []byte("e"+strconv.Itoa(r.Intn(3000))))
			}
			if w, _, _ := HLLPlanAdd(&p, state, elems); !w {
				continue
			}
		case 2:
			var max [HLLRegisters]uint8
			for k := r.Intn(40); k >= 0; k-- {
				max[r.Intn(HLLRegisters)] = uint8(1 + r.Intn(60))
			}
			EncodeHLLMerge(&p, r.Intn(4) == 0, &max)
		case 3:
			p.Byte(HLLCache)
		default:
			p.Byte(HLLDense)
		}
		if next, ok := HLLApply(append([]byte(nil), state...), p.B); ok {
			state = next
		}
		out = append(out, append([]byte(nil), p.B...))
	}
	return out
}

// TestHLLRegisterMaxWhateverTheOrder: the registers after a set of effects
// are the same in any order; in one order, so are the bytes.
func TestHLLRegisterMaxWhateverTheOrder(t *testing.T) {
	defer func(v int) { HLLSparseMaxBytes = v }(HLLSparseMaxBytes)
	HLLSparseMaxBytes = 400 // promotions happen in some orders and not others
	for seed := int64(0); seed < 200; seed++ {
		r := rand.New(rand.NewSource(seed))
		effs := randomHLLEffects(r, 2+r.Intn(12))
		apply := func(order []int) []byte {
			var b []byte
			for _, i := range order {
				if out, ok := HLLApply(b, effs[i]); ok {
					b = out
				}
			}
			return b
		}
		order := r.Perm(len(effs))
		first := apply(order)
		again := apply(order)
		if !bytes.Equal(first, again) {
			t.Fatalf("seed %d: the same order gives different bytes", seed)
		}
		want := registersOf(t, first)
		for k := 0; k < 5; k++ {
			got := apply(r.Perm(len(effs)))
			if registersOf(t, got) != want {
				t.Fatalf("seed %d: registers depend on the order", seed)
			}
			if c, ok := HLLCached(got); ok {
				if n, _ := HLLCount(got); n != c {
					t.Fatalf("seed %d: cache says %d, registers count %d", seed, c, n)
				}
			}
		}
	}
}

func TestHLLApplyRefusals(t *testing.T) {
	h := pfadd(t, nil, "a")
	for _, cur := range [][]byte{[]byte("hello"), []byte("HYLL\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"), h[:10]} {
		var p Enc
		p.Byte(HLLAdd)
		p.Uvarint(0)
		if _, ok := HLLApply(cur, p.B); ok {
			t.Fatalf("applied on %q", cur)
		}
	}
	for _, pay := range [][]byte{nil, {'z'}, {HLLAdd, 0xff}, {HLLMerge}} {
		if _, ok := HLLApply(append([]byte(nil), h...), pay); ok {
			t.Fatalf("payload %q applied", pay)
		}
	}
	// a cache or a conversion on a missing key (a concurrent DEL took it)
	// starts from an empty HLL, as every string patch does
	if b, ok := HLLApply(nil, []byte{HLLCache}); !ok || !bytes.Equal(b, HLLNew()) {
		t.Fatalf("cache on nothing: %q", b)
	}
	if b, ok := HLLApply(nil, []byte{HLLDense}); !ok || !HLLIsDense(b) || registersOf(t, b) != [HLLRegisters]uint8{} {
		t.Fatal("todense on nothing")
	}
}

func TestHLLCacheAndPromotionKeepHeader(t *testing.T) {
	h := pfadd(t, nil, "a", "b", "c")
	h, _ = HLLApply(h, []byte{HLLCache})
	if c, ok := HLLCached(h); !ok || c != 3 {
		t.Fatalf("cache %d %v", c, ok)
	}
	h = pfadd(t, h, "d")
	if h[8] != 3 || h[15] != 0x80 {
		t.Fatalf("a stale cache keeps its old value with the top bit set: % x", h[8:16])
	}
	d, _ := HLLApply(h, []byte{HLLDense})
	if !HLLIsDense(d) || !bytes.Equal(d[:4], []byte("HYLL")) || !bytes.Equal(d[5:16], h[5:16]) || len(d) != hllDenseSize {
		t.Fatalf("dense header % x", d[:16])
	}
}

func hllOfN(n int) []byte {
	var p Enc
	h := HLLNew()
	for i := 0; i < n; i++ {
		p.Reset()
		if w, _, _ := HLLPlanAdd(&p, h, [][]byte{[]byte("e" + strconv.Itoa(i))}); w {
			h, _ = HLLApply(h, p.B)
		}
	}
	return h
}

func BenchmarkHLLCountDense(b *testing.B) {
	h := hllOfN(20000)
	if !HLLIsDense(h) {
		b.Fatal("not dense")
	}
	for i := 0; i < b.N; i++ {
		HLLCount(h)
	}
}

func BenchmarkHLLCountSparse(b *testing.B) {
	h := hllOfN(1000)
	if HLLIsDense(h) {
		b.Fatal("dense")
	}
	for i := 0; i < b.N; i++ {
		HLLCount(h)
	}
}

func BenchmarkHLLAddDense(b *testing.B) {
	h := hllOfN(20000)
	var p Enc
	elems := [][]byte{nil}
	for i := 0; i < b.N; i++ {
		p.Reset()
		elems[0] = []byte("x" + strconv.Itoa(i))
		if w, _, _ := HLLPlanAdd(&p, h, elems); w {
			h, _ = HLLApply(h, p.B)
		}
	}
}

func BenchmarkHLLEstimate(b *testing.B) {
	h := hllOfN(20000)
	var max [HLLRegisters]uint8
	HLLMergeInto(&max, h)
	var histo [64]int
	for _, v := range max {
		histo[v]++
	}
	for i := 0; i < b.N; i++ {
		hllEstimate(&histo)
	}
}
