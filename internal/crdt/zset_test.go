package crdt

import (
	"bytes"
	"fmt"
	"math"
	"math/rand"
	"sort"
	"strconv"
	"testing"
	"unsafe"

	"github.com/lightconedb/lightcone/internal/effect"
)

// zmodel is the obvious sorted set: a map, sorted on demand.
type zmodel map[string]float64

func (m zmodel) sorted() []ZEntry {
	es := make([]ZEntry, 0, len(m))
	for k, v := range m {
		es = append(es, ZEntry{k, v})
	}
	sort.Slice(es, func(i, j int) bool { return zless(es[i].Score, es[i].Member, es[j].Score, es[j].Member) })
	return es
}

func zall(z *ZSet) []ZEntry {
	var out []ZEntry
	z.Each(func(m string, s float64) bool { out = append(out, ZEntry{m, s}); return true })
	return out
}

// checkTree verifies the tree encoding: the leaf chain both ways, the
// order, each inner node's counts against its subtree, every separator as
// a bound between its neighbours, equal depth, no empty node below the
// root, leaf scores equal to their blobs', length and index.
func checkTree(t *testing.T, tr *ztree) {
	t.Helper()
	var chain []*zleaf
	var prev *zleaf
	for l := tr.first; l != nil; l = l.next {
		if l.prev != prev {
			t.Fatalf("leaf %d: prev link wrong", len(chain))
		}
		chain = append(chain, l)
		prev = l
	}
	if tr.last != prev {
		t.Fatal("last leaf wrong")
	}
	var es []ZEntry
	var blobs []*byte
	for _, l := range chain {
		for i := 0; i < l.n; i++ {
			b := l.blobs[i]
			if math.Float64bits(l.scores[i]) != math.Float64bits(blobScore(b)) {
				t.Fatalf("leaf score %v, blob %v", l.scores[i], blobScore(b))
			}
			es = append(es, ZEntry{blobMember(b), l.scores[i]})
			blobs = append(blobs, b)
		}
		for i := l.n; i < zbLeaf; i++ {
			if l.blobs[i] != nil {
				t.Fatal("a leaf keeps a blob past its end")
			}
		}
	}
	if len(es) != tr.length {
		t.Fatalf("length %d, leaves hold %d", tr.length, len(es))
	}
	for i := 1; i < len(es); i++ {
		if !zless(es[i-1].Score, es[i-1].Member, es[i].Score, es[i].Member) {
			t.Fatalf("order broken at %d", i)
		}
	}
	if tr.index.n != tr.length {
		t.Fatalf("index holds %d, length %d", tr.index.n, tr.length)
	}
	for _, b := range blobs {
		if tr.index.get(blobMember(b)) != b {
			t.Fatalf("index misses %q", blobMember(b))
		}
	}
	// the recursive walk must meet the leaves in chain order
	next := 0
	type bound struct {
		s   float64
		m   string
		set bool
	}
	var walk func(x unsafe.Pointer, h int, lo, hi bound) int
	walk = func(x unsafe.Pointer, h int, lo, hi bound) int {
		if h == 0 {
			l := (*zleaf)(x)
			if next >= len(chain) || chain[next] != l {
				t.Fatalf("tree reaches leaf out of chain order")
			}
			next++
			if l.n == 0 && tr.height > 0 {
				t.Fatal("an empty leaf below the root")
			}
			for i := 0; i < l.n; i++ {
				m := blobMember(l.blobs[i])
				if lo.set && zless(l.scores[i], m, lo.s, lo.m) {
					t.Fatalf("member %q below its separator", m)
				}
				if hi.set && !zless(l.scores[i], m, hi.s, hi.m) {
					t.Fatalf("member %q not below the next separator", m)
				}
			}
			return l.n
		}
		in := (*zinner)(x)
		if in.n == 0 || in.n > zbFan || (in.n == 1 && x == tr.root) {
			t.Fatalf("inner node with %d children", in.n)
		}
		sum := 0
		for i := 0; i < in.n; i++ {
			clo, chi := lo, hi
			if i > 0 {
				clo = bound{in.scores[i], blobMember(in.seps[i]), true}
				if lo.set && zless(clo.s, clo.m, lo.s, lo.m) {
					t.Fatal("separators out of order")
				}
			}
			if i+1 < in.n {
				chi = bound{in.scores[i+1], blobMember(in.seps[i+1]), true}
			}
			c := walk(in.kids[i], h-1, clo, chi)
			if c != in.cnt[i] {
				t.Fatalf("child %d counts %d, holds %d", i, in.cnt[i], c)
			}
			sum += c
		}
		return sum
	}
	if got := walk(tr.root, tr.height, bound{}, bound{}); got != tr.length {
		t.Fatalf("tree holds %d, length %d", got, tr.length)
	}
	if next != len(chain) {
		t.Fatalf("tree reaches %d leaves, chain has %d", next, len(chain))
	}
}

func checkZSet(t *testing.T, z *ZSet, m zmodel) {
	t.Helper()
	want := m.sorted()
	got := zall(z)
	if len(got) != len(want) || z.Len() != len(want) {
		t.Fatalf("len %d/%d, want %d", len(got), z.Len(), len(want))
	}
	for i := range want {
		if got[i].Member != want[i].Member || got[i].Score != want[i].Score {
			t.Fatalf("rank %d: %v, want %v", i, got[i], want[i])
		}
	}
	if z.sl != nil {
		checkTree(t, z.sl)
	}
	for i, e := range want {
		s, ok := z.Score([]byte(e.Member))
		if !ok || s != e.Score {
			t.Fatalf("Score(%q) = %v %v", e.Member, s, ok)
		}
		r, _, ok := z.Rank([]byte(e.Member))
		if !ok || r != i {
			t.Fatalf("Rank(%q) = %d, want %d", e.Member, r, i)
		}
		if mm, ss := z.At(i); mm != e.Member || ss != e.Score {
			t.Fatalf("At(%d) = %q %v", i, mm, ss)
		}
	}
	if _, ok := z.Score([]byte("absent")); ok {
		t.Fatal("absent member found")
	}
}

func TestZSetModel(t *testing.T) {
	defer func(e, v int) { ZSetMaxListpackEntries, ZSetMaxListpackValue = e, v }(ZSetMaxListpackEntries, ZSetMaxListpackValue)
	for seed := int64(0); seed < 24; seed++ {
		r := rand.New(rand.NewSource(seed))
		ZSetMaxListpackEntries = []int{0, 4, 16, 128}[seed%4]
		ZSetMaxListpackValue = 8
		z := NewZSet()
		m := zmodel{}
		nmem := 5 + r.Intn(300)
		for op := 0; op < 800; op++ {
			mem := "m" + strconv.Itoa(r.Intn(nmem))
			if r.Intn(50) == 0 {
				mem += "-long-member"
			}
			switch r.Intn(5) {
			case 0, 1, 2:
				s := float64(r.Intn(20) - 10)
				if r.Intn(4) == 0 {
					s = r.NormFloat64()
				}
				_, had := m[mem]
				if added := z.Set([]byte(mem), s); added == had {
					t.Fatalf("seed %d: Set(%q) added=%v, had=%v", seed, mem, added, had)
				}
				m[mem] = s
			case 3:
				_, had := m[mem]
				if z.Remove([]byte(mem)) != had {
					t.Fatalf("seed %d: Remove(%q) != %v", seed, mem, had)
				}
				delete(m, mem)
			case 4:
				// remove a prefix, as a pop would
				for i := r.Intn(3); i > 0 && z.Len() > 0; i-- {
					mm, _ := z.At(0)
					z.Remove([]byte(mm))
					delete(m, mm)
				}
			}
			if op%100 == 0 || op == 799 {
				checkZSet(t, z, m)
				checkRanges(t, r, z, m)
			}
		}
	}
}

func checkRanges(t *testing.T, r *rand.Rand, z *ZSet, m zmodel) {
	t.Helper()
	want := m.sorted()
	for k := 0; k < 20; k++ {
		min := ScoreBound{Score: float64(r.Intn(24) - 12), Exclusive: r.Intn(2) == 0}
		max := ScoreBound{Score: float64(r.Intn(24) - 12), Exclusive: r.Intn(2) == 0}
		if r.Intn(6) == 0 {
			min.Score = math.Inf(-1)
		}
		if r.Intn(6) == 0 {
			max.Score = math.Inf(1)
		}
		lo, hi := z.ScoreRanks(min, max)
		var wlo, whi = -1, -1
		for i, e := range want {
			in := (e.Score > min.Score || !min.Exclusive && e.Score == min.Score) &&
				(e.Score < max.Score || !max.Exclusive && e.Score == max.Score)
			if in {
				if wlo < 0 {
					wlo = i
				}
				whi = i + 1
			}
		}
		if wlo < 0 {
			if lo < hi {
				t.Fatalf("ScoreRanks(%v,%v) = [%d,%d), want empty", min, max, lo, hi)
			}
		} else if lo != wlo || hi != whi {
			t.Fatalf("ScoreRanks(%v,%v) = [%d,%d), want [%d,%d)", min, max, lo, hi, wlo, whi)
		}
		if z.Len() > 0 {
			a := r.Intn(z.Len())
			b := a + r.Intn(z.Len()-a)
			rev := r.Intn(2) == 0
			var got []ZEntry
			z.Range(a, b, rev, func(mm string, s float64) bool { got = append(got, ZEntry{mm, s}); return true })
			if len(got) != b-a+1 {
				t.Fatalf("Range(%d,%d,%v) gave %d", a, b, rev, len(got))
			}
			for i := range got {
				w := want[a+i]
				if rev {
					w = want[b-i]
				}
				if got[i] != w {
					t.Fatalf("Range(%d,%d,%v)[%d] = %v, want %v", a, b, rev, i, got[i], w)
				}
			}
		}
	}
}

func TestZSetLexRanks(t *testing.T) {
	defer func(e int) { ZSetMaxListpackEntries = e }(ZSetMaxListpackEntries)
	r := rand.New(rand.NewSource(1))
	for iter := 0; iter < 400; iter++ {
		ZSetMaxListpackEntries = []int{0, 128}[iter%2]
		z := NewZSet()
		var ms []string
		for i := r.Intn(40); i > 0; i-- {
			mm := string(rune('a'+r.Intn(26))) + string(rune('a'+r.Intn(3)))
			if z.Set([]byte(mm), 0) {
				ms = append(ms, mm)
			}
		}
		sort.Strings(ms)
		bound := func() LexBound {
			switch r.Intn(8) {
			case 0:
				return LexBound{Inf: -1}
			case 1:
				return LexBound{Inf: 1}
			}
			return LexBound{Value: string(rune('a' + r.Intn(27))), Exclusive: r.Intn(2) == 0}
		}
		for k := 0; k < 20; k++ {
			min, max := bound(), bound()
			rev := r.Intn(2) == 0
			lo, hi := z.LexRanks(min, max, rev)
			var want []string
			for _, mm := range ms {
				if min.gteMin(mm) && max.lteMax(mm) {
					want = append(want, mm)
				}
			}
			var got []string
			if lo < hi {
				got = ms[lo:hi]
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("%v LexRanks(%+v, %+v, %v) = %v, want %v", ms, min, max, rev, got, want)
			}
		}
	}
}

// A listpack with mixed scores answers lex ranges as Redis' listpack walk:
// forwards from the first member >= min while <= max.
func TestZSetLexRanksMixedScoresListpack(t *testing.T) {
	z := NewZSet()
	z.Set([]byte("c"), 1)
	z.Set([]byte("a"), 2)
	z.Set([]byte("b"), 3)
	// order: c a b
	lo, hi := z.LexRanks(LexBound{Value: "b"}, LexBound{Inf: 1}, false)
	if lo != 0 || hi != 3 { // c >= b, then a, b <= +
		t.Fatalf("forward [%d,%d)", lo, hi)
	}
	lo, hi = z.LexRanks(LexBound{Inf: -1}, LexBound{Value: "b"}, false)
	if lo != 0 || hi != 0 { // c > b stops at once
		t.Fatalf("forward to b: [%d,%d)", lo, hi)
	}
	lo, hi = z.LexRanks(LexBound{Value: "b"}, LexBound{Inf: 1}, true)
	if lo != 2 || hi != 3 { // backwards from b (<= +), then a < b stops
		t.Fatalf("reverse: [%d,%d)", lo, hi)
	}
	lo, hi = z.LexRanks(LexBound{Inf: -1}, LexBound{Value: "b"}, true)
	if lo != 0 || hi != 0 { // the first member, c, is past b: nothing
		t.Fatalf("reverse to b: [%d,%d)", lo, hi)
	}
}

func TestZSetScanCoversMembersAcrossResizes(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	for iter := 0; iter < 30; iter++ {
		z := NewZSetSkiplist(0)
		stable := map[string]bool{}
		for i := 0; i < 200; i++ {
			k := "s" + strconv.Itoa(i)
			z.Set([]byte(k), float64(i))
			stable[k] = true
		}
		seen := map[string]bool{}
		cursor := uint64(0)
		var churn []string
		next := 0
		for calls := 0; ; calls++ {
			cursor = z.Scan(cursor, 1+r.Intn(20), func(m string, _ float64) { seen[m] = true })
			// grow and shrink the table between calls
			if calls%2 == 0 {
				for i := r.Intn(600); i > 0; i-- {
					k := "t" + strconv.Itoa(next)
					next++
					z.Set([]byte(k), 1)
					churn = append(churn, k)
				}
			} else {
				r.Shuffle(len(churn), func(i, j int) { churn[i], churn[j] = churn[j], churn[i] })
				for keep := r.Intn(100); len(churn) > keep; {
					z.Remove([]byte(churn[len(churn)-1]))
					churn = churn[:len(churn)-1]
				}
			}
			if cursor == 0 {
				break
			}
		}
		for k := range stable {
			if !seen[k] {
				t.Fatalf("iter %d: scan missed %q", iter, k)
			}
		}
	}
}

func TestZSetNegativeZero(t *testing.T) {
	z := NewZSet()
	z.Set([]byte("a"), math.Copysign(0, -1))
	if s, _ := z.Score([]byte("a")); math.Signbit(s) {
		t.Fatal("listpack kept -0")
	}
	z.ToSkiplist()
	z.Set([]byte("b"), math.Copysign(0, -1))
	if s, _ := z.Score([]byte("b")); !math.Signbit(s) {
		t.Fatal("skiplist lost -0")
	}
	z.Set([]byte("b"), 0)
	if s, _ := z.Score([]byte("b")); math.Signbit(s) {
		t.Fatal("skiplist did not take 0 over -0")
	}
}

func TestZSetConversion(t *testing.T) {
	z := NewZSet()
	for i := 0; i < ZSetMaxListpackEntries; i++ {
		z.Set([]byte(strconv.Itoa(i)), float64(i))
	}
	if !z.IsListpack() {
		t.Fatal("converted too early")
	}
	z.Set([]byte("x"), 1)
	if z.IsListpack() {
		t.Fatal("129 members in a listpack")
	}
	for i := 0; i < 120; i++ {
		z.Remove([]byte(strconv.Itoa(i)))
	}
	if z.IsListpack() {
		t.Fatal("a skiplist went back to listpack")
	}
	y := NewZSet()
	y.Set([]byte("short"), 1)
	y.Set(bytes.Repeat([]byte("x"), ZSetMaxListpackValue), 1)
	if !y.IsListpack() {
		t.Fatal("a 64-byte member converted")
	}
	y.Set(bytes.Repeat([]byte("x"), ZSetMaxListpackValue+1), 1)
	if y.IsListpack() {
		t.Fatal("a 65-byte member stayed in a listpack")
	}
}

// zApplyAll applies effects one by one through Apply.
func zApplyAll(es []effect.Effect) Object {
	var obj Object
	t := zsetType{}
	for i := range es {
		if es[i].Flags&effect.FlagReplace != 0 {
			obj = nil
		}
		obj = t.Apply(obj, &es[i], Ctx{})
		if obj != nil && obj.Len() == 0 {
			obj = nil
		}
	}
	return obj
}

func zDigestOf(o Object) string {
	if o == nil {
		return ""
	}
	var b bytes.Buffer
	o.Digest(&b)
	return b.String()
}

// On a causal chain (each effect observed all before it), replaying through
// the Merger gives what Apply gives, also from a folded base.
func TestZSetApplyAgreesWithMerger(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	for iter := 0; iter < 500; iter++ {
		var es []effect.Effect
		var obj Object
		for i := 0; i < 30; i++ {
			var p Enc
			switch k := r.Intn(10); {
			case k < 4:
				w := BeginZSet(&p, ZSetAssign, 0)
				for j := r.Intn(3) + 1; j > 0; j-- {
					w.Pair([]byte("m"+strconv.Itoa(r.Intn(8))), float64(r.Intn(10))-4.5)
				}
				w.End()
			case k < 7:
				m := "m" + strconv.Itoa(r.Intn(8))
				d := float64(r.Intn(7)) - 3
				if r.Intn(10) == 0 {
					d = math.Inf(1 - 2*r.Intn(2))
				}
				if cur, ok := zScoreOf(obj, m); ok && math.IsNaN(cur+d) {
					continue // the writer refuses
				}
				EncodeZSetPairs(&p, ZSetIncr, [][]byte{[]byte(m)}, []float64{d})
			case k < 9:
				EncodeZSetMembers(&p, ZSetRem, [][]byte{[]byte("m" + strconv.Itoa(r.Intn(8)))})
			default:
				w := BeginZSet(&p, ZSetSnap, byte(r.Intn(3)))
				w.Pair([]byte("s"), 1)
				w.End()
			}
			e := effect.Effect{Op: effect.OpZSet, Value: p.B, ID: effect.ID{Node: 1, Seq: uint64(i + 1)}}
			if p.B[0] == ZSetSnap {
				e.Flags = effect.FlagReplace
			}
			es = append(es, e)
			obj = zApplyAll(es)
		}
		split := r.Intn(len(es) + 1)
		base := zApplyAll(es[:split])
		mg := zsetType{}.Merger(base, Ctx{})
		for i := split; i < len(es); i++ {
			mg.Step(&es[i])
		}
		got := mg.Result()
		if zDigestOf(got) != zDigestOf(obj) {
			t.Fatalf("iter %d: merger %q, apply %q", iter, zDigestOf(got), zDigestOf(obj))
		}
	}
}

func zScoreOf(o Object, m string) (float64, bool) {
	if o == nil {
		return 0, false
	}
	return o.(*ZSet).Score([]byte(m))
}

func TestZSetMalformedPayloads(t *testing.T) {
	r := rand.New(rand.NewSource(9))
	for i := 0; i < 20000; i++ {
		b := make([]byte, r.Intn(24))
		r.Read(b)
		if len(b) > 0 && r.Intn(2) == 0 {
			b[0] = "airs"[r.Intn(4)]
		}
		e := effect.Effect{Op: effect.OpZSet, Value: b}
		z := NewZSet()
		z.Set([]byte("x"), 1)
		zsetType{}.Apply(z, &e, Ctx{})
		m := zsetType{}.Merger(z, Ctx{})
		m.Step(&e)
		m.Result()
	}
}

// Concurrent increments add up; a concurrent assignment keeps the
// increments it had not seen; a remove loses to an unseen add.
func TestZSetMergeRule(t *testing.T) {
	mk := func(node effect.NodeID, seq uint64, op byte, m string, s float64) effect.Effect {
		var p Enc
		if op == ZSetRem {
			EncodeZSetMembers(&p, op, [][]byte{[]byte(m)})
		} else {
			EncodeZSetPairs(&p, op, [][]byte{[]byte(m)}, []float64{s})
		}
		return effect.Effect{Op: effect.OpZSet, Value: p.B, ID: effect.ID{Node: node, Seq: seq}}
	}
	base := NewZSet()
	base.Set([]byte("a"), 10)
	a := mk(1, 1, ZSetIncr, "a", 1)
	b := mk(2, 1, ZSetIncr, "a", 2)
	m := zsetType{}.Merger(base, Ctx{})
	m.Step(&a)
	m.Step(&b)
	if s, _ := m.Result().(*ZSet).Score([]byte("a")); s != 13 {
		t.Fatalf("increments: %v", s)
	}
	set := mk(1, 2, ZSetAssign, "a", 100)
	m = zsetType{}.Merger(base, Ctx{})
	m.Step(&b)
	m.Step(&set)
	if s, _ := m.Result().(*ZSet).Score([]byte("a")); s != 102 {
		t.Fatalf("assign + unseen increment: %v", s)
	}
	rem := mk(1, 3, ZSetRem, "a", 0)
	add := mk(2, 2, ZSetAssign, "a", 5)
	m = zsetType{}.Merger(base, Ctx{})
	m.Step(&add)
	m.Step(&rem)
	if s, ok := m.Result().(*ZSet).Score([]byte("a")); !ok || s != 5 {
		t.Fatalf("remove vs unseen add: %v %v", s, ok)
	}
}

func BenchmarkZSetSkiplistAdd(b *testing.B) {
	z := NewZSetSkiplist(0)
	ms := make([][]byte, 1<<16)
	for i := range ms {
		ms[i] = []byte("member:" + strconv.Itoa(i))
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m := ms[i&(len(ms)-1)]
		if !z.Set(m, float64(i)) {
			continue
		}
	}
}

// LexWalk against a literal model of Redis' listpack walk for ZRANGEBYLEX
// with LIMIT, on members in score order (not sorted by name).
func TestZSetLexWalkMixedScores(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	for iter := 0; iter < 3000; iter++ {
		z := NewZSet()
		for i := r.Intn(8); i > 0; i-- {
			z.Set([]byte(string(rune('a'+r.Intn(6)))), float64(r.Intn(5)))
		}
		ms := []string{}
		z.Each(func(m string, _ float64) bool { ms = append(ms, m); return true })
		bound := func() LexBound {
			switch r.Intn(6) {
			case 0:
				return LexBound{Inf: -1}
			case 1:
				return LexBound{Inf: 1}
			}
			return LexBound{Value: string(rune('a' + r.Intn(7))), Exclusive: r.Intn(2) == 0}
		}
		min, max := bound(), bound()
		rev := r.Intn(2) == 0
		offset, limit := int64(r.Intn(5)-1), int64(r.Intn(6)-2)
		// the model
		var want []string
		n := len(ms)
		if n > 0 && !lexEmpty(&min, &max) && min.gteMin(ms[n-1]) && max.lteMax(ms[0]) && offset >= 0 {
			i := -1
			if !rev {
				for j := 0; j < n; j++ {
					if min.gteMin(ms[j]) {
						i = j
						break
					}
				}
				if i >= 0 && !max.lteMax(ms[i]) {
					i = -1
				}
			} else {
				for j := n - 1; j >= 0; j-- {
					if max.lteMax(ms[j]) {
						i = j
						break
					}
				}
				if i >= 0 && !min.gteMin(ms[i]) {
					i = -1
				}
			}
			step := 1
			if rev {
				step = -1
			}
			if i >= 0 {
				for o := offset; o > 0 && i >= 0 && i < n; o-- {
					i += step
				}
				for l := limit; i >= 0 && i < n && l != 0; l-- {
					if (!rev && !max.lteMax(ms[i])) || (rev && !min.gteMin(ms[i])) {
						break
					}
					want = append(want, ms[i])
					i += step
				}
			}
		}
		lo, hi := z.LexWalk(min, max, rev, offset, limit)
		var got []string
		if lo < hi {
			z.Range(lo, hi-1, rev, func(m string, _ float64) bool { got = append(got, m); return true })
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%v %+v %+v rev=%v offset=%d limit=%d: got %v, want %v", ms, min, max, rev, offset, limit, got, want)
		}
	}
}

func BenchmarkZSetSkiplistUpdate(b *testing.B) {
	const n = 100000
	z := NewZSetSkiplist(0)
	ms := make([][]byte, n)
	r := rand.New(rand.NewSource(1))
	for i := range ms {
		ms[i] = []byte("element:" + strconv.Itoa(i))
		z.Set(ms[i], float64(r.Intn(n)))
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		z.Set(ms[r.Intn(n)], float64(r.Intn(n)))
	}
}

// Score changes that move members (ZADD on existing members, ZINCRBY) keep
// the skiplist's order, spans, backward links and ranks right: many
// members, scores with many ties, tall and short nodes alike.
func TestZSetSkiplistMoves(t *testing.T) {
	for seed := int64(0); seed < 8; seed++ {
		r := rand.New(rand.NewSource(seed))
		z := NewZSetSkiplist(0)
		m := zmodel{}
		nmem := 50 + r.Intn(3000)
		spread := []int{3, 50, 100000}[seed%3]
		for op := 0; op < 20000; op++ {
			mem := "element:" + strconv.Itoa(r.Intn(nmem))
			s := float64(r.Intn(spread))
			if r.Intn(10) == 0 {
				s = -s
			}
			z.Set([]byte(mem), s)
			m[mem] = s
			if r.Intn(20) == 0 {
				z.Remove([]byte(mem))
				delete(m, mem)
			}
			if op%2000 == 0 || op == 19999 {
				checkZSet(t, z, m)
			}
		}
	}
}

// The tree through growth past three levels and back to empty: leaf and
// inner splits, merges and root collapses, bulk-built trees (Clone, the
// listpack conversion) taking further changes, removals in random order,
// from the low end (ZPOPMIN) and from the high end.
func TestZSetTreeGrowShrink(t *testing.T) {
	for seed := int64(0); seed < 6; seed++ {
		r := rand.New(rand.NewSource(seed))
		z := NewZSetSkiplist(0)
		m := zmodel{}
		spread := []int{5, 1000, 1 << 30}[seed%3]
		nmem := 40000
		if testing.Short() {
			nmem = 8000
		}
		for op := 0; len(m) < nmem; op++ {
			mem := fmt.Sprintf("m%d", r.Intn(nmem*2))
			s := float64(r.Intn(spread))
			z.Set([]byte(mem), s)
			m[mem] = s
			if r.Intn(5) == 0 {
				k := fmt.Sprintf("m%d", r.Intn(nmem*2))
				z.Remove([]byte(k))
				delete(m, k)
			}
			if op%10007 == 0 {
				checkZSet(t, z, m)
			}
		}
		checkZSet(t, z, m)
		if h := z.sl.height; h < 3 && !testing.Short() {
			t.Fatalf("%d members make a tree of height %d only", len(m), h)
		}
		if seed%2 == 1 {
			z = z.Clone().(*ZSet)
			checkZSet(t, z, m)
		}
		order := m.sorted()
		switch seed % 3 {
		case 0:
			r.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		case 2:
			for i, j := 0, len(order)-1; i < j; i, j = i+1, j-1 {
				order[i], order[j] = order[j], order[i]
			}
		}
		for i, e := range order {
			if !z.Remove([]byte(e.Member)) {
				t.Fatalf("%q not removed", e.Member)
			}
			delete(m, e.Member)
			if i%4001 == 0 || len(m) < 300 && i%37 == 0 {
				checkZSet(t, z, m)
			}
		}
		checkZSet(t, z, m)
		// the emptied tree takes members again
		for i := 0; i < 500; i++ {
			mem := fmt.Sprintf("again%d", i)
			z.Set([]byte(mem), float64(r.Intn(spread)))
			m[mem], _ = z.Score([]byte(mem))
		}
		checkZSet(t, z, m)
	}
}

// A listpack converted to the tree keeps taking members in every place.
func TestZSetConvertedTreeTakesChanges(t *testing.T) {
	defer func(e int) { ZSetMaxListpackEntries = e }(ZSetMaxListpackEntries)
	ZSetMaxListpackEntries = 3000
	r := rand.New(rand.NewSource(7))
	z := NewZSet()
	m := zmodel{}
	for len(m) < 3000 {
		mem := strconv.Itoa(r.Intn(100000))
		s := float64(r.Intn(500))
		z.Set([]byte(mem), s)
		m[mem] = s
	}
	if !z.IsListpack() {
		t.Fatal("converted early")
	}
	z.Set([]byte("one more"), 42) // past the limit: converts
	m["one more"] = 42
	if z.IsListpack() {
		t.Fatal("not converted")
	}
	checkZSet(t, z, m)
	for i := 0; i < 20000; i++ {
		mem := strconv.Itoa(r.Intn(100000))
		if r.Intn(3) == 0 {
			z.Remove([]byte(mem))
			delete(m, mem)
			continue
		}
		s := float64(r.Intn(500))
		z.Set([]byte(mem), s)
		m[mem] = s
	}
	checkZSet(t, z, m)
}
