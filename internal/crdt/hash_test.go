package crdt

import (
	"bytes"
	"fmt"
	"math/big"
	"math/rand"
	"strconv"
	"strings"
	"testing"

	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/hlc"
	"github.com/lightconedb/lightcone/internal/longdouble"
)

// hashEff builds an effect of node 1 with sequence seq and payload p.
func hashEff(seq uint64, p *Enc, replace bool) *effect.Effect {
	e := &effect.Effect{ID: effect.ID{Node: 1, Seq: seq}, Op: effect.OpHash, Value: append([]byte(nil), p.B...)}
	e.HLC = 0
	if replace {
		e.Flags = effect.FlagReplace
	}
	return e
}

func applyHash(h *Hash, p *Enc) *Hash {
	o := hashType{}.Apply(h, hashEff(1, p, false), Ctx{})
	if o == nil {
		return nil
	}
	r := o.(*Hash)
	if r.Len() == 0 {
		return nil
	}
	return r
}

func hashPairs(kv ...string) [][]byte {
	out := make([][]byte, len(kv))
	for i, s := range kv {
		out[i] = []byte(s)
	}
	return out
}

// dumpHash renders a hash in order: "f=v@ttl f=v ..." and its encoding.
func dumpHash(h *Hash) string {
	if h == nil {
		return "<nil>"
	}
	var b strings.Builder
	b.WriteString(h.Encoding())
	b.WriteString(":")
	h.EachTTL(func(f, v []byte, at int64) bool {
		fmt.Fprintf(&b, " %s=%s", f, v)
		if at != 0 {
			fmt.Fprintf(&b, "@%d", at)
		}
		return true
	})
	return b.String()
}

func TestHashListpackOrderAndUpdates(t *testing.T) {
	var p Enc
	EncodeHashSet(&p, 0, hashPairs("a", "1", "b", "2", "c", "3"))
	h := applyHash(nil, &p)
	p.Reset()
	EncodeHashSet(&p, 0, hashPairs("b", "twenty", "d", "4"))
	h = applyHash(h, &p)
	if got, want := dumpHash(h), "listpack: a=1 b=twenty c=3 d=4"; got != want {
		t.Fatalf("got %q want %q", got, want)
	}
	p.Reset()
	EncodeHashDel(&p, hashPairs("a", "zz"))
	EncodeHashIncr(&p, []byte("c"), 39)
	EncodeHashIncr(&p, []byte("e"), -5)
	EncodeHashIncrFloat(&p, []byte("d"), []byte("0.1"))
	h = applyHash(h, &p)
	if got, want := dumpHash(h), "listpack: b=twenty c=42 d=4.1 e=-5"; got != want {
		t.Fatalf("got %q want %q", got, want)
	}
	if h.Len() != 4 {
		t.Fatalf("len %d", h.Len())
	}
	if v, ok := h.Get([]byte("d")); !ok || string(v) != "4.1" {
		t.Fatalf("get d: %q %v", v, ok)
	}
	if _, ok := h.Get([]byte("a")); ok {
		t.Fatal("a still there")
	}
	p.Reset()
	EncodeHashDel(&p, hashPairs("b", "c", "d", "e"))
	if h = applyHash(h, &p); h != nil {
		t.Fatalf("emptied hash: %s", dumpHash(h))
	}
}

func TestHashConversions(t *testing.T) {
	defer func(e, v int) { HashMaxListpackEntries, HashMaxListpackValue = e, v }(HashMaxListpackEntries, HashMaxListpackValue)
	HashMaxListpackEntries, HashMaxListpackValue = 4, 8
	var p Enc
	EncodeHashSet(&p, 0, hashPairs("a", "1", "b", "2", "c", "3", "d", "4"))
	h := applyHash(nil, &p)
	if h.Encoding() != "listpack" {
		t.Fatal(h.Encoding())
	}
	p.Reset()
	EncodeHashSet(&p, 0, hashPairs("a", "x"))
	h = applyHash(h, &p)
	if h.Encoding() != "listpack" {
		t.Fatal("update converted")
	}
	p.Reset()
	EncodeHashSet(&p, 0, hashPairs("e", "5"))
	h = applyHash(h, &p)
	if h.Encoding() != "hashtable" || h.Len() != 5 {
		t.Fatal(dumpHash(h))
	}
	// hashtable for good, even when small again
	p.Reset()
	EncodeHashDel(&p, hashPairs("a", "b", "c", "d"))
	h = applyHash(h, &p)
	if h.Encoding() != "hashtable" || h.Len() != 1 {
		t.Fatal(dumpHash(h))
	}
	// a long value converts, even for an existing field
	p.Reset()
	EncodeHashSet(&p, 0, hashPairs("a", "1"))
	h = applyHash(nil, &p)
	p.Reset()
	EncodeHashSet(&p, 0, hashPairs("a", "123456789"))
	if h = applyHash(h, &p); h.Encoding() != "hashtable" {
		t.Fatal("long value did not convert")
	}
	// a float result that is too long converts
	p.Reset()
	EncodeHashIncrFloat(&p, []byte("f"), []byte("1e10"))
	if h = applyHash(nil, &p); h.Encoding() != "hashtable" {
		t.Fatal(dumpHash(h))
	}
	// a long field given to HINCRBY converts
	p.Reset()
	EncodeHashIncr(&p, []byte("longfield"), 1)
	if h = applyHash(nil, &p); h.Encoding() != "hashtable" {
		t.Fatal(dumpHash(h))
	}
}

func TestHashListpackExOrder(t *testing.T) {
	var p Enc
	EncodeHashSet(&p, 0, hashPairs("a", "1", "b", "2", "c", "3", "d", "4"))
	h := applyHash(nil, &p)
	p.Reset()
	EncodeHashTTL(&p, hashPairs("c", "a"), []int64{500, 300})
	h = applyHash(h, &p)
	if got, want := dumpHash(h), "listpackex: a=1@300 c=3@500 b=2 d=4"; got != want {
		t.Fatalf("got %q want %q", got, want)
	}
	// equal TTL: the latest placed goes first
	p.Reset()
	EncodeHashTTL(&p, hashPairs("d"), []int64{300})
	h = applyHash(h, &p)
	if got, want := dumpHash(h), "listpackex: d=4@300 a=1@300 c=3@500 b=2"; got != want {
		t.Fatalf("got %q want %q", got, want)
	}
	// persist moves to the end; HSET clears the TTL and moves to the end;
	// KEEPTTL and HINCRBY leave the field in place
	p.Reset()
	EncodeHashTTL(&p, hashPairs("d"), []int64{0})
	EncodeHashSet(&p, 0, hashPairs("a", "one"))
	EncodeHashSet(&p, HashKeepTTL, hashPairs("c", "three"))
	EncodeHashIncr(&p, []byte("b"), 1)
	h = applyHash(h, &p)
	if got, want := dumpHash(h), "listpackex: c=three@500 b=3 d=4 a=one"; got != want {
		t.Fatalf("got %q want %q", got, want)
	}
	// HSETEX with a TTL: new fields and old ones placed by TTL
	p.Reset()
	EncodeHashSetTTL(&p, hashPairs("z", "26", "b", "B"), 400)
	h = applyHash(h, &p)
	if got, want := dumpHash(h), "listpackex: b=B@400 z=26@400 c=three@500 d=4 a=one"; got != want {
		t.Fatalf("got %q want %q", got, want)
	}
	if h.MinExpire() != 400 {
		t.Fatalf("min %d", h.MinExpire())
	}
	if ex := h.Expired(450, nil); len(ex) != 2 || string(ex[0]) != "b" || string(ex[1]) != "z" {
		t.Fatalf("expired %q", ex)
	}
	// an x sub-op without fields only converts
	p.Reset()
	EncodeHashSet(&p, 0, hashPairs("a", "1"))
	h = applyHash(nil, &p)
	p.Reset()
	EncodeHashTTL(&p, nil, nil)
	if h = applyHash(h, &p); h.Encoding() != "listpackex" {
		t.Fatal(h.Encoding())
	}
}

func TestHashSnapshotRoundTrip(t *testing.T) {
	var p Enc
	EncodeHashSet(&p, 0, hashPairs("a", "1", "b", "2", "c", "3", "d", "4", "e", "5"))
	EncodeHashTTL(&p, hashPairs("c", "a", "e", "b"), []int64{500, 300, 300, 900})
	h := applyHash(nil, &p)
	want := dumpHash(h)
	p.Reset()
	h.Snapshot(&p)
	r := hashType{}.Apply(nil, hashEff(9, &p, true), Ctx{}).(*Hash)
	if got := dumpHash(r); got != want {
		t.Fatalf("snapshot: got %q want %q", got, want)
	}
	// through a merger as well
	m := hashType{}.Merger(nil, Ctx{})
	m.Step(hashEff(9, &p, true))
	if got := dumpHash(m.Result().(*Hash)); got != want {
		t.Fatalf("merged snapshot: got %q want %q", got, want)
	}
	c := h.Clone().(*Hash)
	p.Reset()
	EncodeHashSet(&p, 0, hashPairs("a", "changed"))
	applyHash(h, &p)
	if dumpHash(c) != want {
		t.Fatal("clone shares memory")
	}
}

func TestHashDigestIgnoresLayout(t *testing.T) {
	var p Enc
	EncodeHashSet(&p, 0, hashPairs("a", "1", "b", "2"))
	lp := applyHash(nil, &p)
	p.Reset()
	EncodeHashConvert(&p, HashToHT)
	EncodeHashSet(&p, 0, hashPairs("b", "2", "a", "1"))
	ht := applyHash(nil, &p)
	var d1, d2 bytes.Buffer
	lp.Digest(&d1)
	ht.Digest(&d2)
	if ht.Encoding() != "hashtable" || d1.String() != d2.String() {
		t.Fatalf("digests differ: %q %q", d1.String(), d2.String())
	}
	p.Reset()
	EncodeHashTTL(&p, hashPairs("a"), []int64{7})
	applyHash(ht, &p)
	d2.Reset()
	ht.Digest(&d2)
	if d1.String() == d2.String() {
		t.Fatal("digest ignores TTLs")
	}
}

func TestHashBadPayloadsIgnored(t *testing.T) {
	var p Enc
	EncodeHashSet(&p, 0, hashPairs("a", "1"))
	h := applyHash(nil, &p)
	for _, b := range [][]byte{nil, {'s'}, {'s', 9, 0}, {'q'}, {'c', 7}, {'d', 5, 1, 'a'}, {'f', 1, 'a', 3, 'n', 'a', 'n'}, append(append([]byte(nil), p.B...), 'z')} {
		before := dumpHash(h)
		hashType{}.Apply(h, &effect.Effect{Op: effect.OpHash, Value: b}, Ctx{})
		if dumpHash(h) != before {
			t.Fatalf("payload %q changed the hash", b)
		}
		m := hashType{}.Merger(h, Ctx{})
		m.Step(&effect.Effect{ID: effect.ID{Node: 1, Seq: 5}, Op: effect.OpHash, Value: b})
		if got := dumpHash(m.Result().(*Hash)); got != before {
			t.Fatalf("merger: payload %q changed the hash: %s", b, got)
		}
	}
}

// TestHashtableIndex drives the open-addressing index through growth,
// shrinking and many removals, against a map.
func TestHashtableIndex(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	h := NewHash()
	h.toHashtable()
	model := map[string]string{}
	for i := 0; i < 40000; i++ {
		k := "f" + strconv.Itoa(r.Intn(3000))
		if r.Intn(3) == 0 {
			if h.del([]byte(k)) != (model[k] != "") {
				t.Fatalf("del %s disagrees", k)
			}
			delete(model, k)
			if h.n == 0 {
				h.toHashtable()
			}
			continue
		}
		v := strconv.Itoa(i)
		h.set([]byte(k), []byte(v), 0, 0, false)
		model[k] = v
	}
	if h.Len() != len(model) {
		t.Fatalf("len %d want %d", h.Len(), len(model))
	}
	for k, v := range model {
		if got, ok := h.Get([]byte(k)); !ok || string(got) != v {
			t.Fatalf("get %s = %q %v want %q", k, got, ok, v)
		}
	}
	for i := 0; i < 3000; i++ {
		k := "f" + strconv.Itoa(i)
		if _, ok := h.Get([]byte(k)); ok != (model[k] != "") {
			t.Fatalf("presence of %s", k)
		}
	}
	// a full scan, however the cursor moves, returns every field
	seen := map[string]bool{}
	cur := uint64(0)
	for {
		cur = h.Scan(cur, 37, func(f, v []byte) { seen[string(f)] = true })
		if cur == 0 {
			break
		}
	}
	if len(seen) != len(model) {
		t.Fatalf("scan saw %d of %d", len(seen), len(model))
	}
}

// hashModel is a plain reference implementation of the single-node rules.
type hashModel struct {
	f   []string
	v   map[string]string
	ttl map[string]int64
	enc string
}

func (m *hashModel) has(f string) bool { _, ok := m.v[f]; return ok }

func (m *hashModel) remove(f string) {
	for i, x := range m.f {
		if x == f {
			m.f = append(m.f[:i], m.f[i+1:]...)
			break
		}
	}
	delete(m.v, f)
	delete(m.ttl, f)
	if len(m.f) == 0 {
		m.enc = "listpack"
	}
}

func (m *hashModel) place(f string, at int64) {
	old := m.ttl[f]
	if at == 0 && old == 0 {
		return
	}
	for i, x := range m.f {
		if x == f {
			m.f = append(m.f[:i], m.f[i+1:]...)
			break
		}
	}
	if at == 0 {
		delete(m.ttl, f)
		m.f = append(m.f, f)
		return
	}
	m.ttl[f] = at
	pos := len(m.f)
	for i, x := range m.f {
		if t := m.ttl[x]; t == 0 || t >= at {
			pos = i
			break
		}
	}
	m.f = append(m.f[:pos], append([]string{f}, m.f[pos:]...)...)
}

func (m *hashModel) check(f, v string) {
	if m.enc != "hashtable" && (len(f) > HashMaxListpackValue || len(v) > HashMaxListpackValue) {
		m.enc = "hashtable"
	}
}

func (m *hashModel) set(f, v string, mode byte, at int64) {
	m.check(f, v)
	if mode == HashWithTTL && at != 0 && m.enc == "listpack" {
		m.enc = "listpackex"
	}
	if m.has(f) {
		m.v[f] = v
		switch mode {
		case 0:
			m.place(f, 0)
		case HashWithTTL:
			if at != 0 {
				delete(m.ttl, f)
			}
			m.place(f, at)
		}
		return
	}
	m.f = append(m.f, f)
	m.v[f] = v
	if mode == HashWithTTL && at != 0 {
		m.place(f, at)
	}
	if m.enc != "hashtable" && len(m.f) > HashMaxListpackEntries {
		m.enc = "hashtable"
	}
}

func (m *hashModel) render() string {
	if len(m.f) == 0 {
		return "<nil>"
	}
	var b strings.Builder
	b.WriteString(m.enc)
	b.WriteString(":")
	fs := m.f
	if m.enc == "hashtable" {
		return "" // order unspecified: compared by content
	}
	for _, f := range fs {
		fmt.Fprintf(&b, " %s=%s", f, m.v[f])
		if at := m.ttl[f]; at != 0 {
			fmt.Fprintf(&b, "@%d", at)
		}
	}
	return b.String()
}

func sortedContent(h *Hash) string {
	if h == nil {
		return "<nil>"
	}
	var xs []string
	h.EachTTL(func(f, v []byte, at int64) bool {
		xs = append(xs, fmt.Sprintf("%s=%s@%d", f, v, at))
		return true
	})
	sortStrings(xs)
	return h.Encoding() + ":" + strings.Join(xs, " ")
}

func (m *hashModel) sortedContent() string {
	if len(m.f) == 0 {
		return "<nil>"
	}
	var xs []string
	for _, f := range m.f {
		xs = append(xs, fmt.Sprintf("%s=%s@%d", f, m.v[f], m.ttl[f]))
	}
	sortStrings(xs)
	return m.enc + ":" + strings.Join(xs, " ")
}

func sortStrings(xs []string) {
	for i := 1; i < len(xs); i++ {
		for j := i; j > 0 && xs[j] < xs[j-1]; j-- {
			xs[j], xs[j-1] = xs[j-1], xs[j]
		}
	}
}

// randomHashPayload builds a payload of 1-3 sub-ops a command could write
// against the model's state, and applies it to the model.
func randomHashPayload(r *rand.Rand, p *Enc, m *hashModel) {
	field := func() string {
		if len(m.f) > 0 && r.Intn(2) == 0 {
			return m.f[r.Intn(len(m.f))]
		}
		if r.Intn(20) == 0 {
			return strings.Repeat("L", HashMaxListpackValue+1)
		}
		return "f" + strconv.Itoa(r.Intn(12))
	}
	value := func() string {
		switch r.Intn(10) {
		case 0:
			return strings.Repeat("v", HashMaxListpackValue+1)
		case 1, 2, 3:
			return strconv.Itoa(r.Intn(100) - 50)
		}
		return "v" + strconv.Itoa(r.Intn(100))
	}
	for ops := 1 + r.Intn(3); ops > 0; ops-- {
		switch r.Intn(9) {
		case 0, 1:
			n := 1 + r.Intn(3)
			var pairs [][]byte
			mode := []byte{0, 0, HashKeepTTL}[r.Intn(3)]
			for i := 0; i < n; i++ {
				pairs = append(pairs, []byte(field()), []byte(value()))
			}
			EncodeHashSet(p, mode, pairs)
			// as Redis, check every argument first
			for i := 0; i < len(pairs); i++ {
				if len(pairs[i]) > HashMaxListpackValue && m.enc != "hashtable" {
					m.enc = "hashtable"
				}
			}
			for i := 0; i < len(pairs); i += 2 {
				m.set(string(pairs[i]), string(pairs[i+1]), mode, 0)
			}
		case 2:
			var pairs [][]byte
			for i := 1 + r.Intn(2); i > 0; i-- {
				pairs = append(pairs, []byte(field()), []byte(value()))
			}
			at := int64(100 + r.Intn(5))
			EncodeHashSetTTL(p, pairs, at)
			for i := 0; i < len(pairs); i++ {
				if len(pairs[i]) > HashMaxListpackValue && m.enc != "hashtable" {
					m.enc = "hashtable"
				}
			}
			for i := 0; i < len(pairs); i += 2 {
				m.set(string(pairs[i]), string(pairs[i+1]), HashWithTTL, at)
			}
		case 3:
			f := field()
			cur := int64(0)
			if v, ok := m.v[f]; ok {
				c, ok := parseInt([]byte(v))
				if !ok {
					continue
				}
				cur = c
			}
			d := int64(r.Intn(20) - 10)
			EncodeHashIncr(p, []byte(f), d)
			m.set(f, strconv.FormatInt(cur+d, 10), HashKeepTTL, 0)
		case 4:
			f := field()
			cur := longdouble.Zero()
			if v, ok := m.v[f]; ok {
				c, ok := longdouble.Parse([]byte(v))
				if !ok {
					continue
				}
				cur = c
			}
			incr := []byte(strconv.Itoa(r.Intn(10)) + "." + strconv.Itoa(r.Intn(10)))
			sum, _ := longdouble.Add(cur, func() *bigFloat { x, _ := longdouble.Parse(incr); return x }())
			EncodeHashIncrFloat(p, []byte(f), incr)
			m.set(f, string(longdouble.Format(sum)), HashKeepTTL, 0)
		case 5, 6:
			var fs [][]byte
			for i := 1 + r.Intn(2); i > 0; i-- {
				fs = append(fs, []byte(field()))
			}
			EncodeHashDel(p, fs)
			for _, f := range fs {
				if m.has(string(f)) {
					m.remove(string(f))
				}
			}
		case 7:
			if len(m.f) == 0 {
				continue
			}
			var fs [][]byte
			var ats []int64
			for i := 1 + r.Intn(2); i > 0; i-- {
				f := m.f[r.Intn(len(m.f))]
				at := int64(0)
				if r.Intn(3) > 0 {
					at = int64(100 + r.Intn(5))
				} else if m.ttl[f] == 0 {
					continue // HPERSIST writes only fields with a TTL
				}
				fs = append(fs, []byte(f))
				ats = append(ats, at)
			}
			EncodeHashTTL(p, fs, ats)
			if m.enc == "listpack" {
				m.enc = "listpackex"
			}
			for i, f := range fs {
				if at := ats[i]; at != 0 {
					delete(m.ttl, string(f))
					m.place(string(f), at)
				} else {
					m.place(string(f), 0)
				}
			}
		case 8:
			if r.Intn(4) == 0 {
				EncodeHashConvert(p, HashToHT)
				m.enc = "hashtable"
			}
		}
	}
}

type bigFloat = big.Float

func hlcOf(ms uint64) hlc.Timestamp { return hlc.Make(int64(ms), 0) }

// TestHashApplyMatchesModel: random single-node histories, Apply against
// the reference model (order, values, TTLs, encoding).
func TestHashApplyMatchesModel(t *testing.T) {
	defer func(e, v int) { HashMaxListpackEntries, HashMaxListpackValue = e, v }(HashMaxListpackEntries, HashMaxListpackValue)
	HashMaxListpackEntries, HashMaxListpackValue = 8, 16
	for seed := int64(0); seed < 300; seed++ {
		r := rand.New(rand.NewSource(seed))
		m := &hashModel{v: map[string]string{}, ttl: map[string]int64{}, enc: "listpack"}
		var h *Hash
		var p Enc
		for step := 0; step < 60; step++ {
			p.Reset()
			before := dumpHash(h)
			randomHashPayload(r, &p, m)
			if len(p.B) == 0 {
				continue
			}
			if len(m.f) == 0 {
				m.enc = "listpack"
			}
			h = applyHash(h, &p)
			if m.enc == "hashtable" {
				if got, want := sortedContent(h), m.sortedContent(); got != want {
					t.Fatalf("seed %d step %d: payload %q on %s\ngot  %s\nwant %s", seed, step, p.B, before, got, want)
				}
			} else if got, want := dumpHash(h), m.render(); got != want {
				t.Fatalf("seed %d step %d: payload %q on %s\ngot  %s\nwant %s", seed, step, p.B, before, got, want)
			}
		}
	}
}

// TestHashMergeAgreesWithApply: a sequential history (each effect observed
// the ones before) merged from any base gives exactly what Apply gave:
// same order, values, TTLs and encoding.
func TestHashMergeAgreesWithApply(t *testing.T) {
	defer func(e, v int) { HashMaxListpackEntries, HashMaxListpackValue = e, v }(HashMaxListpackEntries, HashMaxListpackValue)
	HashMaxListpackEntries, HashMaxListpackValue = 8, 16
	for seed := int64(0); seed < 300; seed++ {
		r := rand.New(rand.NewSource(seed))
		m := &hashModel{v: map[string]string{}, ttl: map[string]int64{}, enc: "listpack"}
		var effs []*effect.Effect
		var states []*Hash
		var h *Hash
		for step := 0; step < 40; step++ {
			var p Enc
			randomHashPayload(r, &p, m)
			if len(m.f) == 0 {
				m.enc = "listpack"
			}
			if len(p.B) == 0 {
				continue
			}
			e := hashEff(uint64(len(effs)+1), &p, false)
			effs = append(effs, e)
			if h != nil {
				h = h.Clone().(*Hash)
			}
			if o := (hashType{}).Apply(h, e, Ctx{}); o != nil && o.Len() > 0 {
				h = o.(*Hash)
			} else {
				h = nil
			}
			states = append(states, h)
		}
		for from := 0; from <= len(effs); from++ {
			var base Object
			if from > 0 && states[from-1] != nil {
				base = states[from-1]
			}
			mg := hashType{}.Merger(base, Ctx{})
			for i := from; i < len(effs); i++ {
				mg.Step(effs[i])
				want := states[i]
				if mg.Exists() != (want != nil) {
					t.Fatalf("seed %d from %d step %d: exists %v want %s", seed, from, i, mg.Exists(), dumpHash(want))
				}
			}
			if from == len(effs) {
				continue
			}
			var got *Hash
			if o := mg.Result(); o != nil {
				got = o.(*Hash)
			}
			want := states[len(effs)-1]
			if dumpHash(got) != dumpHash(want) && !(got != nil && want != nil && got.IsHashtable() && sortedContent(got) == sortedContent(want)) {
				t.Fatalf("seed %d from %d:\nmerged %s\napply  %s", seed, from, dumpHash(got), dumpHash(want))
			}
		}
	}
}

func TestHashMergeConcurrentRules(t *testing.T) {
	mk := func(node effect.NodeID, seq uint64, hlc uint64, frontier []effect.ID, p *Enc) *effect.Effect {
		e := &effect.Effect{ID: effect.ID{Node: node, Seq: seq}, Op: effect.OpHash, Value: append([]byte(nil), p.B...), Frontier: frontier}
		e.HLC = hlcOf(hlc)
		return e
	}
	var p Enc
	EncodeHashSet(&p, 0, hashPairs("a", "10", "b", "x"))
	base := applyHash(nil, &p)
	// A: HDEL a; B (concurrent): HINCRBY a 5 -> add wins, B's increment
	// applies to a field created afresh
	p.Reset()
	EncodeHashDel(&p, hashPairs("a"))
	ea := mk(1, 1, 10, nil, &p)
	p.Reset()
	EncodeHashIncr(&p, []byte("a"), 5)
	eb := mk(2, 1, 11, nil, &p)
	// C (concurrent): HSET b y, D (concurrent): HINCRBYFLOAT... b is text,
	// so D cannot exist; instead D sets b z later: LWW
	p.Reset()
	EncodeHashSet(&p, 0, hashPairs("b", "y"))
	ec := mk(3, 1, 12, nil, &p)
	p.Reset()
	EncodeHashSet(&p, 0, hashPairs("b", "z"))
	ed := mk(4, 1, 13, nil, &p)
	for _, order := range [][]*effect.Effect{{ea, eb, ec, ed}} {
		m := hashType{}.Merger(base, Ctx{})
		for _, e := range order {
			m.Step(e)
		}
		got := m.Result().(*Hash)
		if a, _ := got.Get([]byte("a")); string(a) != "5" {
			t.Fatalf("a = %q want 5 (%s)", a, dumpHash(got))
		}
		if b, _ := got.Get([]byte("b")); string(b) != "z" {
			t.Fatalf("b = %q want z", b)
		}
	}
}

// A whole-value payload (RESTORE, RENAME) keeps the encoding it names,
// whatever the sizes: Redis loads a listpack with long values as a listpack.
func TestHashWholeValueKeepsEncoding(t *testing.T) {
	long := []byte(strings.Repeat("v", HashMaxListpackValue+10))
	var p Enc
	EncodeHashValue(&p, "listpack", []HashEntry{{Field: []byte("a"), Value: long}, {Field: []byte("b"), Value: []byte("1")}})
	h := hashType{}.Apply(nil, hashEff(1, &p, true), Ctx{}).(*Hash)
	if h.Encoding() != "listpack" || h.Len() != 2 {
		t.Fatalf("restored as %s", dumpHash(h))
	}
	m := hashType{}.Merger(nil, Ctx{})
	m.Step(hashEff(1, &p, true))
	if got := dumpHash(m.Result().(*Hash)); got != dumpHash(h) {
		t.Fatalf("merged %s, applied %s", got, dumpHash(h))
	}
	// a later write of a short value leaves it a listpack; a long one converts
	p.Reset()
	EncodeHashSet(&p, 0, hashPairs("c", "2"))
	if h = applyHash(h, &p); h.Encoding() != "listpack" {
		t.Fatal(h.Encoding())
	}
	p.Reset()
	EncodeHashSet(&p, 0, [][]byte{[]byte("d"), long})
	if h = applyHash(h, &p); h.Encoding() != "hashtable" {
		t.Fatal(h.Encoding())
	}
	// and the snapshot of a hashtable is a hashtable, even when small
	p.Reset()
	h.Snapshot(&p)
	r := hashType{}.Apply(nil, hashEff(2, &p, true), Ctx{}).(*Hash)
	if r.Encoding() != "hashtable" || sortedContent(r) != sortedContent(h) {
		t.Fatalf("snapshot: %s", sortedContent(r))
	}
}
