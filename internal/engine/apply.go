package engine

import (
	"github.com/lightconedb/lightcone/internal/listpack"
	"sort"
	"strconv"

	"github.com/lightconedb/lightcone/internal/crdt"
	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/keyspace"
)

// history is an entry's unstable past (cluster only): the folded base state
// that every live effect has observed, plus the live effects in (HLC, Node,
// Seq) order. The materialised entry is always eval(base, live).
type history struct {
	base keyspace.Entry   // Aux unused
	live []*effect.Effect // in stamp order; pointers, so that an insert in the middle moves 8 bytes an effect
	sum  summary          // what live holds, per origin (history.go)
	// ttls counts the live effects that set a TTL, when ttlsOK (it is
	// recounted after live is rebuilt): a value whose history holds no TTL
	// anywhere cannot have its TTL depend on when it was empty
	ttls   int
	ttlsOK bool
	// meta holds, when metaOK, each live effect's identity, operation and
	// crdt.Commuter class (0 for effects of other types), parallel to live
	meta   []crdt.Later
	metaOK bool
}

// classOf is x's crdt.Commuter class (0 when its type has none).
func classOf(x *effect.Effect) uint8 {
	if cm, ok := crdt.For(x.Op).(crdt.Commuter); ok && x.Flags&effect.FlagReplace == 0 {
		return cm.Class(x)
	}
	return 0
}

// metas describes the live effects (crdt.Later), computing it when
// live was rebuilt since.
func (h *history) metas() []crdt.Later {
	if !h.metaOK {
		h.meta = h.meta[:0]
		for _, x := range h.live {
			h.meta = append(h.meta, laterOf(x))
		}
		h.metaOK = true
	}
	return h.meta
}

func laterOf(x *effect.Effect) crdt.Later {
	return crdt.Later{ID: x.ID, Op: x.Op, Class: classOf(x)}
}

// setsTTL reports whether x may give the key a TTL.
func setsTTL(x *effect.Effect) bool {
	return x.Op == effect.OpExpire || (x.Replaces() && (x.Int != 0 || x.Flags&effect.FlagKeepTTL != 0))
}

// noTTL reports whether neither the base nor any live effect sets a TTL.
func (h *history) noTTL() bool {
	if h.base.Expire != 0 {
		return false
	}
	if !h.ttlsOK {
		h.ttls = 0
		for i := range h.live {
			if setsTTL(h.live[i]) {
				h.ttls++
			}
		}
		h.ttlsOK = true
	}
	return h.ttls == 0
}

func histOf(ent *keyspace.Entry) *history {
	if ent == nil {
		return nil
	}
	a := ent.Aux()
	if a == nil {
		return nil
	}
	return a.V.(*history)
}

// applyKey applies a key effect (local or delivered remote) to its shard and
// returns the key's entry afterwards (nil if gone). ent/known let a caller
// that already looked the key up skip the lookup.
//
// trusted says e was just built by a local command (crdt.Ctx.Trusted).
func (en *Engine) applyKey(sh *keyspace.Shard, e *effect.Effect, notify bool, ent *keyspace.Entry, known bool, nowMs int64, trusted bool) *keyspace.Entry {
	if !known {
		ent = sh.Get(e.Key)
	}
	existed := ent != nil && ent.Exists()
	if !en.cluster {
		ent = en.applyStable(sh, e, ent, nowMs, crdt.Ctx{Trusted: trusted})
		if notify && en.hook != nil {
			en.hook(int(e.DB), e.Key, e, existed, ent != nil)
		}
		return ent
	}
	ent, h := en.withHistory(sh, e.Key, ent)
	if en.insertLive(sh, ent, h, e, false) {
		en.stats.Merges.Add(1)
		eval(ent, h, en.ctx())
	}
	sh.Reindex(ent)
	if notify && en.hook != nil {
		en.hook(int(e.DB), e.Key, e, existed, ent.Exists())
	}
	return ent
}

// withHistory returns key's entry (created when ent is nil) and its
// history (started from the entry's value when it has none).
func (en *Engine) withHistory(sh *keyspace.Shard, key []byte, ent *keyspace.Entry) (*keyspace.Entry, *history) {
	h := histOf(ent)
	if ent == nil {
		ent = keyspace.NewEntry(key)
		sh.Put(ent)
	}
	if h == nil {
		h = &history{}
		copyValue(&h.base, ent) // a copy: in-place ops must not reach the base
		ent.SetAux(&keyspace.Aux{V: h})
	}
	return ent, h
}

// insertLive adds (a copy of) e to the key's history in stamp order and
// brings the entry's value up to date where that takes no merge. It reports
// whether the value needs one (eval over the history). With stale set the
// value is already waiting for a merge (an earlier effect of a run of
// remote effects, remote_batch.go): e only joins the history.
func (en *Engine) insertLive(sh *keyspace.Shard, ent *keyspace.Entry, h *history, e *effect.Effect, stale bool) bool {
	c := new(effect.Effect)
	*c = e.Clone()
	// insert in stamp order
	i := sort.Search(len(h.live), func(i int) bool { return effect.Less(c, h.live[i]) })
	observedAll := i == len(h.live)
	if observedAll && c.Replaces() && c.Flags&effect.FlagKeepTTL != 0 && ent.Exists() && ent.Kind != opKind(c) {
		// replacing a value of another kind but keeping its TTL: history
		// evaluation keeps a TTL only within one kind, so take that path
		// (a documented cluster deviation; a single node keeps the TTL)
		observedAll = false
	}
	if observedAll {
		observedAll = h.observedBy(c)
	}
	h.live = append(h.live, nil)
	copy(h.live[i+1:], h.live[i:])
	h.live[i] = c
	if h.metaOK {
		h.meta = append(h.meta, crdt.Later{})
		copy(h.meta[i+1:], h.meta[i:])
		h.meta[i] = laterOf(c)
	}
	sh.NoteFold(uint64(c.ID.Node), c.ID.Seq, ent)
	h.added(c, observedAll)
	if h.ttlsOK && setsTTL(c) {
		h.ttls++
	}
	switch {
	case stale:
		return true
	case observedAll:
		applyOp(ent, c, en.ctx()) // it saw everything: the incremental answer is the merged one
	case h.shadowed(i):
		// a concurrent SET that a later SET overrides: the value stays
	case h.overrides(i):
		applyOp(ent, c, en.ctx()) // a concurrent SET, last: it alone gives the value
	case h.noTTL() && applyConcurrent(ent, c, h, i, en.ctx()):
		// a push between concurrent pushes, an add between removes
	default:
		return true
	}
	return false
}

// applyConcurrent applies c, which did not observe everything live, to the
// entry's value directly when its type can tell that this gives the merged
// value (crdt.Commuter): the key holds a value of c's type with no TTL,
// nothing stamped after c is of another type or replaces the value, and
// the value does not end empty. It reports whether it did.
func applyConcurrent(ent *keyspace.Entry, c *effect.Effect, h *history, i int, ctx crdt.Ctx) bool {
	t := crdt.For(c.Op)
	cm, ok := t.(crdt.Commuter)
	if !ok || !ent.Exists() || ent.Kind != t.Kind() || ent.Expire != 0 || c.Flags&effect.FlagReplace != 0 {
		return false
	}
	later := h.metas()[i+1:]
	for k := range later {
		if later[k].Op != c.Op || later[k].Class == 0 {
			return false
		}
	}
	obj, _ := ent.Obj().(crdt.Object)
	res, ok := cm.ApplyConcurrent(obj, c, later, ctx)
	if !ok {
		return false
	}
	if res == nil || res.Len() == 0 {
		// emptied: the merge decides what a TTL or a later write makes of
		// that; ApplyConcurrent changed obj, so merge from the history
		return false
	}
	ent.SetObj(res)
	return true
}

// applyStable is the standalone path: every effect is stable the moment it is
// applied, so it folds straight into the materialised entry.
func (en *Engine) applyStable(sh *keyspace.Shard, e *effect.Effect, ent *keyspace.Entry, nowMs int64, c crdt.Ctx) *keyspace.Entry {
	if e.Op == effect.OpDelete {
		if ent != nil {
			sh.Delete(e.Key)
		}
		return nil
	}
	if ent == nil {
		if e.Op == effect.OpExpire {
			return nil // TTL on a missing key changes nothing
		}
		ent = keyspace.NewEntry(e.Key)
		applyOp(ent, e, c)
		if !ent.Exists() {
			return nil
		}
		en.born(ent, nowMs)
		sh.Put(ent)
		return ent
	}
	hadTTL := ent.Expire != 0
	applyOp(ent, e, c)
	if !ent.Exists() {
		sh.Delete(e.Key)
		return nil
	}
	if hadTTL != (ent.Expire != 0) {
		sh.Reindex(ent)
	}
	return ent
}

// applyOp applies one effect to an entry's materialised value, as if it came
// after everything the entry reflects. It never fails: an operation that does
// not fit the value (a delta on a non-number, an overflow) leaves it alone.
func applyOp(ent *keyspace.Entry, e *effect.Effect, c crdt.Ctx) {
	if e.Op.Collection() {
		applyColl(ent, e, c)
		return
	}
	switch e.Op {
	case effect.OpAssign:
		ent.Kind = keyspace.KindString
		ent.SetObj(nil)
		ent.SetStr(e.Value)
		if e.Flags&effect.FlagEncRaw != 0 {
			ent.Enc = keyspace.EncRaw
		} else if e.Flags&effect.FlagEncEmbstr != 0 && len(ent.Str) <= embstrMax {
			ent.Enc = keyspace.EncEmbstr
		} else {
			ent.Enc = StringEncoding(ent.Str)
		}
		if e.Flags&effect.FlagKeepTTL == 0 {
			ent.Expire = e.Int
		}
	case effect.OpAddInt:
		var cur int64
		if ent.Kind == keyspace.KindString {
			v, ok := ParseInt(ent.Str)
			if !ok {
				return
			}
			cur = v
		} else if ent.Kind != keyspace.KindNone {
			return
		}
		sum := cur + e.Int
		if (e.Int > 0 && sum < cur) || (e.Int < 0 && sum > cur) {
			return
		}
		ent.Kind = keyspace.KindString
		var num [24]byte
		ent.SetStr(strconv.AppendInt(num[:0], sum, 10))
		ent.Enc = keyspace.EncInt
	case effect.OpAddFloat:
		incr, ok := ParseLongDouble(e.Value)
		if !ok {
			return
		}
		cur, _ := ParseLongDouble([]byte("0"))
		if ent.Kind == keyspace.KindString {
			if cur, ok = ParseLongDouble(ent.Str); !ok {
				return
			}
		} else if ent.Kind != keyspace.KindNone {
			return
		}
		sum, ok := AddLongDouble(cur, incr)
		if !ok {
			return
		}
		ent.Kind = keyspace.KindString
		ent.SetStr(FormatLongDouble(sum))
		if len(ent.Str) <= embstrMax {
			ent.Enc = keyspace.EncEmbstr
		} else {
			ent.Enc = keyspace.EncRaw
		}
	case effect.OpAppend:
		if ent.Kind == keyspace.KindNone {
			ent.Kind = keyspace.KindString
			ent.SetStr(e.Value)
			ent.Enc = StringEncoding(ent.Str)
			return
		}
		if ent.Kind != keyspace.KindString {
			return
		}
		ent.AppendStr(e.Value)
		ent.Enc = keyspace.EncRaw
	case effect.OpSetRange:
		if ent.Kind != keyspace.KindNone && ent.Kind != keyspace.KindString {
			return
		}
		ent.Kind = keyspace.KindString
		end := int(e.Int) + len(e.Value)
		ent.GrowStr(end)
		copy(ent.Str[e.Int:], e.Value)
		ent.Enc = keyspace.EncRaw
	case effect.OpSetBit:
		if ent.Kind != keyspace.KindNone && ent.Kind != keyspace.KindString {
			return
		}
		ent.Kind = keyspace.KindString
		byteIdx := int(e.Int >> 3)
		ent.GrowStr(byteIdx + 1)
		mask := byte(1) << (7 - uint(e.Int&7))
		if e.Flags&effect.FlagBit != 0 {
			ent.Str[byteIdx] |= mask
		} else {
			ent.Str[byteIdx] &^= mask
		}
		ent.Enc = keyspace.EncRaw
	case effect.OpHLL:
		if (ent.Kind != keyspace.KindNone && ent.Kind != keyspace.KindString) || crdt.HLLApply == nil {
			return
		}
		var cur []byte
		if ent.Kind == keyspace.KindString {
			cur = ent.Str
		}
		out, ok := crdt.HLLApply(cur, e.Value)
		if !ok {
			return
		}
		ent.Kind = keyspace.KindString
		ent.SetStr(out)
		ent.Enc = keyspace.EncRaw
	case effect.OpExpire:
		if ent.Kind != keyspace.KindNone {
			ent.Expire = e.Int
		}
	case effect.OpDelete:
		clearEntry(ent)
	}
}

func clearEntry(ent *keyspace.Entry) {
	ent.Kind = keyspace.KindNone
	ent.Str = ent.Str[:0]
	ent.SetObj(nil)
	ent.Expire, ent.Enc = 0, 0
}

// applyColl applies a collection effect through its type's rule.
func applyColl(ent *keyspace.Entry, e *effect.Effect, c crdt.Ctx) {
	t := crdt.For(e.Op)
	if t == nil {
		return
	}
	var obj crdt.Object
	switch {
	case e.Flags&effect.FlagReplace != 0:
		expire := ent.Expire
		clearEntry(ent)
		if e.Flags&effect.FlagKeepTTL != 0 {
			ent.Expire = expire
		} else {
			ent.Expire = e.Int
		}
	case ent.Kind == t.Kind():
		obj, _ = ent.Obj().(crdt.Object)
	case ent.Kind != keyspace.KindNone:
		return // another kind: the writer would have refused (WRONGTYPE)
	}
	res := t.Apply(obj, e, c)
	if res == nil || res.Len() == 0 {
		clearEntry(ent)
		return
	}
	ent.Kind = t.Kind()
	ent.Enc = 0
	ent.Str = ent.Str[:0]
	ent.SetObj(res)
}

// copyValue copies src's value into dst, deep-copying a collection.
func copyValue(dst, src *keyspace.Entry) {
	dst.CopyValue(src)
	if o, ok := src.Obj().(crdt.Object); ok {
		dst.SetObj(o.Clone())
	}
}

// opKind is the kind of value an effect writes (KindNone for TTL and
// removal effects, which write no value).
func opKind(e *effect.Effect) keyspace.Kind {
	switch e.Op {
	case effect.OpExpire, effect.OpDelete, effect.OpFlushDB, effect.OpSwapDB:
		return keyspace.KindNone
	}
	if t := crdt.For(e.Op); t != nil {
		return t.Kind()
	}
	return keyspace.KindString
}

// eval recomputes the materialised entry from base and live effects — a pure
// function of the set of effects, whatever order they arrived in. It is a
// left fold over the surviving effects in stamp order (so folding a stable
// prefix into the base and continuing gives the same answer):
//   - a delete removes exactly the effects it observed (and the base, which
//     every live effect observed); those effects are skipped;
//   - the key holds one kind at a time: a write of another kind takes over
//     when it replaces the value (SET, a collection STORE, RESTORE) or when
//     the current value does not exist; otherwise it is dropped (type
//     conflicts: the branch that held the key first keeps it);
//   - a string: the last assignment W of the branch gives the value; the
//     branch's deltas and patches that W did not observe apply on top of it
//     in stamp order;
//   - a collection: its type's Merger replays the branch;
//   - the TTL is last-writer-wins among TTL-setting effects that found the
//     value existing; a value created afresh has none.
func eval(ent *keyspace.Entry, h *history, c crdt.Ctx) {
	var rm removed
	rm.collect(h.live)
	f := folder{c: c}
	if !rm.any && h.base.Exists() {
		f.start(h.base.Kind, &h.base)
		f.expire = h.base.Expire
	}
	for i := range h.live {
		x := h.live[i]
		if x.Op == effect.OpDelete || rm.covers(x.ID) {
			continue
		}
		f.step(x)
	}
	st := f.result()
	if !st.Exists() {
		st.Expire = 0
	}
	ent.CopyValue(&st)
}

// folder is eval's state: the kind the key holds and that branch's value.
type folder struct {
	c      crdt.Ctx
	kind   keyspace.Kind
	exists bool
	expire int64

	// a string branch: its starting value and its effects
	base *keyspace.Entry
	strs []*effect.Effect
	// a collection branch
	m     crdt.Merger
	mBase crdt.Object
}

// start begins a branch of kind k from base (nil: from nothing).
func (f *folder) start(k keyspace.Kind, base *keyspace.Entry) {
	f.kind = k
	f.base, f.strs, f.m, f.mBase = nil, f.strs[:0], nil, nil
	f.exists = base != nil
	if k == keyspace.KindString {
		f.base = base
		return
	}
	if base != nil {
		f.mBase, _ = base.Obj().(crdt.Object)
	}
	f.m = crdt.For(collOp(k)).Merger(f.mBase, f.c)
}

func (f *folder) step(x *effect.Effect) {
	if x.Op == effect.OpExpire {
		if f.exists {
			f.expire = x.Int
		}
		return
	}
	k := opKind(x)
	if k == keyspace.KindNone {
		return
	}
	if k != f.kind {
		if !x.Replaces() && f.exists {
			return // a stray write of another kind: the holding branch keeps the key
		}
		f.start(k, nil)
		f.exists = false
	}
	was := f.exists
	if k == keyspace.KindString {
		f.strs = append(f.strs, x)
		f.exists = true
	} else {
		f.m.Step(x)
		f.exists = f.m.Exists()
	}
	switch {
	case x.Replaces() && (x.Flags&effect.FlagKeepTTL == 0 || !was):
		f.expire = x.Int
		if x.Flags&effect.FlagKeepTTL != 0 {
			f.expire = 0
		}
	case !was && f.exists:
		f.expire = 0 // created afresh
	}
}

func (f *folder) result() keyspace.Entry {
	var st keyspace.Entry
	if !f.exists {
		return st
	}
	switch f.kind {
	case keyspace.KindString:
		var w *effect.Effect
		for i := len(f.strs) - 1; i >= 0; i-- {
			if f.strs[i].Op == effect.OpAssign {
				w = f.strs[i]
				break
			}
		}
		if w == nil && f.base != nil {
			copyValue(&st, f.base)
		}
		if w != nil {
			applyOp(&st, w, f.c)
		}
		for _, x := range f.strs {
			if x.Op != effect.OpAssign && (w == nil || !w.Observed(x.ID)) {
				applyOp(&st, x, f.c)
			}
		}
	default:
		res := f.m.Result()
		if res != nil && res == f.mBase {
			res = res.Clone() // the entry never shares the base's collection
		}
		if res == nil || res.Len() == 0 {
			return st
		}
		st.Kind = f.kind
		st.SetObj(res)
	}
	st.Expire = f.expire
	return st
}

// collOp is the effect op of a collection kind.
func collOp(k keyspace.Kind) effect.Op { return crdt.OpOf(k) }

// embstrMax is the longest string Redis stores "embstr".
const embstrMax = 44

// StringEncoding is the OBJECT ENCODING Redis gives a freshly set string.
func StringEncoding(b []byte) uint8 {
	if len(b) <= 20 {
		if _, ok := ParseInt(b); ok {
			return keyspace.EncInt
		}
	}
	if len(b) <= embstrMax {
		return keyspace.EncEmbstr
	}
	return keyspace.EncRaw
}

// ParseInt parses b as Redis' string2ll: a canonical base-10 int64 (no sign
// other than a leading '-', no leading zeros, no spaces, "-0" rejected).
func ParseInt(b []byte) (int64, bool) { return listpack.ParseInt(b) }

// applyFlush applies FLUSHDB to a database whose shards are all held.
func (en *Engine) applyFlush(d *keyspace.DB, e *effect.Effect) {
	for i := range d.Shards {
		sh := &d.Shards[i]
		if !en.cluster {
			if sh.Len() > 0 {
				sh.Clear()
			}
			continue
		}
		// observed-remove, key by key: each key gets the flush as a delete
		for _, ent := range sh.Entries() {
			del := *e
			del.Op = effect.OpDelete
			del.Key = append([]byte(nil), ent.Key()...)
			en.applyKey(sh, &del, false, ent, true, 0, false)
		}
	}
	if en.hook != nil {
		en.hook(int(e.DB), nil, e, false, false)
	}
}

func (en *Engine) applySwap(a, b int, e *effect.Effect) {
	da, db := en.dbs[a].Load(), en.dbs[b].Load()
	en.dbs[a].Store(db)
	en.dbs[b].Store(da)
	if en.hook != nil {
		en.hook(a, nil, e, false, false) // WATCH and blocked clients of both databases
	}
}
