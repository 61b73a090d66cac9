package engine

import (
	"encoding/binary"
	"errors"

	"github.com/lightconedb/lightcone/internal/crdt"
	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/hlc"
	"github.com/lightconedb/lightcone/internal/keyspace"
)

// What the durable store (internal/wal) needs from the engine: a consistent
// cut of the effect stream, a copy of one shard at a time, the canonical
// encoding of an entry, and, on restart, a way to put entries back and to
// replay logged effects with their original identities. Nothing here does
// I/O.

// A GroupSink is a Sink that is also told which command each local effect
// belongs to, so that it can keep a command's effects together: a log must
// never hold part of a command (half an MSET, a RENAME's delete without its
// write) after a crash, and a snapshot must not be cut inside one.
//
// For each command (Tx) that writes, the engine calls BeginGroup once before
// its first effect is stamped (holding the command's shard locks but not
// the emit lock, so BeginGroup may wait), then EmitIn for each effect (as
// Emit: under the emit lock), and EndGroup after the last one, still holding
// the command's locks. Effects that come from elsewhere (remote delivery)
// go through Emit as before.
type GroupSink interface {
	Sink
	BeginGroup(g *Group)
	EmitIn(e *effect.Effect, g *Group)
	EndGroup(g *Group)
}

// A GroupEncoder is a GroupSink that also wants each of a command's effects
// once more right after EmitIn, outside the emit lock (still holding the
// command's shard locks): work that needs no global order, such as
// encoding the effect into the group's buffer, is done there so that
// commands of other event loops are not kept waiting for it.
type GroupEncoder interface {
	EncodeIn(e *effect.Effect, g *Group)
}

// Group is one command's effects as a GroupSink sees them. Buf is the
// sink's to use (it keeps its memory from one command to the next).
type Group struct {
	Buf  []byte
	N    int  // effects emitted in the group
	Open bool // BeginGroup was called and EndGroup not yet
}

// stamp gives a command's effect its identity and hands it to the sink,
// through the group protocol when the sink speaks it (engine.stamp
// otherwise). The caller holds the locks of every shard the effect touches.
func (tx *Tx) stamp(e *effect.Effect) {
	en := tx.en
	gs, ok := en.sink.(GroupSink)
	if !ok {
		en.stamp(e, tx.Now)
		return
	}
	if !tx.grp.Open {
		tx.grp.Open = true
		tx.grp.N = 0
		gs.BeginGroup(&tx.grp)
	}
	en.emitMu.Lock()
	en.seq++
	e.ID = effect.ID{Node: en.node, Seq: en.seq}
	e.HLC = en.clock.NowAt(tx.Now)
	if en.txnOpen {
		if en.txnID.IsZero() {
			en.txnID = e.ID
		}
		e.Txn = en.txnID
	}
	if en.cluster {
		e.Frontier = en.frontierLocked()
	}
	tx.grp.N++
	gs.EmitIn(e, &tx.grp)
	en.localEffects++
	en.emitMu.Unlock()
	if ge, ok := gs.(GroupEncoder); ok {
		ge.EncodeIn(e, &tx.grp)
	}
}

// endGroup closes the command's group (Tx.End, before the locks go).
func (tx *Tx) endGroup() {
	tx.grp.Open = false
	if gs, ok := tx.en.sink.(GroupSink); ok {
		gs.EndGroup(&tx.grp)
	}
	if cap(tx.grp.Buf) > 64<<10 {
		tx.grp.Buf = nil
	}
}

// Cut is the engine's position in its own history at one instant: every
// effect stamped or delivered before it is applied (or being applied under
// its shard locks), none after it.
type Cut struct {
	Node    effect.NodeID
	Seq     uint64      // this node's last Seq
	Applied []effect.ID // highest Seq applied of every other origin, sorted by node
	HLC     hlc.Timestamp
	// LocalEffects is Engine.LocalEffects at the cut (it cannot be asked
	// for inside Cut's callback)
	LocalEffects int64
}

// Covers reports whether effect id is part of the state at this cut.
func (c *Cut) Covers(id effect.ID) bool {
	if id.Node == c.Node {
		return id.Seq <= c.Seq
	}
	return id.Seq <= effect.FrontierOf(c.Applied, id.Node)
}

// Cut runs fn while no effect can be stamped or delivered (it holds the lock
// the sink is called under), with the cut at that instant. fn must be quick
// and must not call back into the engine.
func (en *Engine) Cut(fn func(c *Cut)) {
	en.emitMu.Lock()
	c := Cut{Node: en.node, Seq: en.seq, Applied: en.frontierLocked(), HLC: en.clock.Peek(), LocalEffects: en.localEffects}
	fn(&c)
	en.emitMu.Unlock()
}

// Cluster reports whether the engine keeps unstable history (it has peers).
func (en *Engine) Cluster() bool { return en.cluster }

// SnapshotShard runs fn with shard s of database db locked: no effect on a
// key of that shard is applied meanwhile. fn may read every entry (ghosts
// included) and encode them with AppendEntry; it must not change them or use
// the engine.
func (en *Engine) SnapshotShard(db, s int, fn func(sh *keyspace.Shard)) {
	tx := en.newTx()
	tx.locks = append(tx.locks, lockRef{db: db, shard: s})
	tx.lock()
	fn(&tx.locks[0].ptr.Shards[s])
	tx.End()
}

// Frozen runs fn with every shard of every database locked (a snapshot that
// cannot be taken shard by shard falls back to this); shard(db, s) returns a
// locked shard. Cut may be called from fn.
func (en *Engine) Frozen(fn func(shard func(db, s int) *keyspace.Shard)) {
	tx := en.lockEverything()
	fn(func(db, s int) *keyspace.Shard { return &tx.DB(db).Shards[s] })
	tx.End()
}

// lockEverything is BeginAll made safe against a SWAPDB that completes while
// the locks are being taken: each database is resolved once, before its
// first shard is locked, and if a database object turns up a second time
// (it moved to a later index) everything is released and taken again —
// locking it twice would wait on itself forever. The order is BeginAll's,
// (index, shard), so it cannot deadlock with other transactions.
func (en *Engine) lockEverything() *Tx {
	for {
		tx := en.newTx()
		for d := range en.dbs {
			for s := 0; s < keyspace.NumShards; s++ {
				tx.locks = append(tx.locks, lockRef{db: d, shard: s})
			}
		}
		tx.all = true
		held := 0
		ok := true
		seen := make(map[*keyspace.DB]bool, len(en.dbs))
		var cur *keyspace.DB
		for i := range tx.locks {
			l := &tx.locks[i]
			if l.shard == 0 {
				cur = en.db(l.db)
				if seen[cur] {
					ok = false
					break
				}
				seen[cur] = true
			}
			l.ptr = cur
			cur.Shards[l.shard].Lock()
			held = i + 1
		}
		if ok {
			for i := range tx.locks {
				if en.db(tx.locks[i].db) != tx.locks[i].ptr {
					ok = false
					break
				}
			}
		}
		if ok {
			tx.Now = en.now()
			return tx
		}
		for i := held - 1; i >= 0; i-- {
			tx.locks[i].ptr.Shards[tx.locks[i].shard].Unlock()
		}
	}
}

// Entry encoding (snapshots), version 1:
//
//	u8 flags (1 = unstable history follows the value)
//	value: u8 kind | u8 enc | varint expire | uvarint len key | key | uvarint len v | v
//	history: the base value as above without the key | uvarint n | (uvarint len | effect)*
//
// v is a string's bytes, or for a collection the replace payload its
// crdt.Object.Snapshot writes (so the format knows no collection type).
const entryHistory = 1

// AppendEntry appends the encoding of ent (key, value, TTL, encoding and,
// in a cluster, its unstable history) to dst. scratch is a payload buffer
// the caller keeps between calls.
func AppendEntry(dst []byte, ent *keyspace.Entry, scratch *crdt.Enc) []byte {
	h := histOf(ent)
	var fl byte
	if h != nil {
		fl |= entryHistory
	}
	dst = append(dst, fl)
	dst = appendValue(dst, ent, ent.Key(), true, scratch)
	if h != nil {
		dst = appendValue(dst, &h.base, nil, false, scratch)
		dst = binary.AppendUvarint(dst, uint64(len(h.live)))
		for i := range h.live {
			n := len(dst)
			dst = append(dst, 0, 0, 0, 0, 0) // room for the length
			dst = h.live[i].AppendBinary(dst)
			dst = putLen(dst, n)
		}
	}
	return dst
}

// putLen rewrites the 5 bytes reserved at dst[n:] as a uvarint of the length
// that follows them, moving the body when the number is shorter.
func putLen(dst []byte, n int) []byte {
	body := len(dst) - n - 5
	var tmp [binary.MaxVarintLen64]byte
	k := binary.PutUvarint(tmp[:], uint64(body))
	copy(dst[n:], tmp[:k])
	if k < 5 {
		copy(dst[n+k:], dst[n+5:])
		dst = dst[:len(dst)-(5-k)]
	}
	return dst
}

func appendValue(dst []byte, ent *keyspace.Entry, key []byte, withKey bool, scratch *crdt.Enc) []byte {
	dst = append(dst, byte(ent.Kind), ent.Enc)
	dst = binary.AppendVarint(dst, ent.Expire)
	if withKey {
		dst = binary.AppendUvarint(dst, uint64(len(key)))
		dst = append(dst, key...)
	}
	switch {
	case ent.Kind == keyspace.KindString:
		dst = binary.AppendUvarint(dst, uint64(len(ent.Str)))
		dst = append(dst, ent.Str...)
	case ent.Kind != keyspace.KindNone:
		o, _ := ent.Obj().(crdt.Object)
		scratch.Reset()
		if o != nil {
			o.Snapshot(scratch)
		}
		dst = binary.AppendUvarint(dst, uint64(len(scratch.B)))
		dst = append(dst, scratch.B...)
	default:
		dst = append(dst, 0)
	}
	return dst
}

// ErrBadEntry is returned for an entry encoding that does not parse.
var ErrBadEntry = errors.New("engine: malformed snapshot entry")

type entryDec struct {
	b   []byte
	err bool
}

func (d *entryDec) byte() byte {
	if d.err || len(d.b) == 0 {
		d.err = true
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *entryDec) uvarint() uint64 {
	if d.err {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = true
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *entryDec) varint() int64 {
	if d.err {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.err = true
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *entryDec) bytes() []byte {
	n := d.uvarint()
	if d.err || n > uint64(len(d.b)) {
		d.err = true
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

type valueRec struct {
	kind   keyspace.Kind
	enc    uint8
	expire int64
	key    []byte
	val    []byte
}

func (d *entryDec) value(withKey bool) valueRec {
	var v valueRec
	v.kind = keyspace.Kind(d.byte())
	v.enc = d.byte()
	v.expire = d.varint()
	if withKey {
		v.key = d.bytes()
	}
	v.val = d.bytes()
	if v.kind > keyspace.KindStream {
		d.err = true
	}
	return v
}

// build materialises a decoded value into ent (which holds its key).
func (v *valueRec) build(ent *keyspace.Entry, db int, c crdt.Ctx) bool {
	switch v.kind {
	case keyspace.KindNone:
		return true
	case keyspace.KindString:
		ent.Kind = keyspace.KindString
		ent.SetStr(v.val)
		ent.Enc = v.enc
		ent.Expire = v.expire
		return true
	}
	t := crdt.For(crdt.OpOf(v.kind))
	if t == nil {
		return false // a type this build does not know
	}
	e := effect.Effect{Op: crdt.OpOf(v.kind), Flags: effect.FlagReplace, Int: v.expire, Value: v.val, DB: uint32(db), Key: ent.Key()}
	applyColl(ent, &e, c)
	return ent.Kind == v.kind
}

// LoadEntry decodes one entry from the front of b (as AppendEntry wrote it)
// and puts it into database db, replacing any entry of that key. It returns
// the bytes consumed. It is for a node that is not serving yet (recovery);
// it takes the shard lock all the same.
func (en *Engine) LoadEntry(db int, b []byte) (int, error) {
	if db < 0 || db >= len(en.dbs) {
		return 0, ErrBadEntry
	}
	d := entryDec{b: b}
	fl := d.byte()
	v := d.value(true)
	var base valueRec
	var live []*effect.Effect
	if fl&entryHistory != 0 {
		base = d.value(false)
		n := d.uvarint()
		if n > uint64(len(d.b)) {
			d.err = true
		}
		for i := uint64(0); i < n && !d.err; i++ {
			raw := d.bytes()
			e, k, err := effect.Decode(raw)
			if err != nil || k != len(raw) {
				d.err = true
				break
			}
			c := e.Clone()
			live = append(live, &c)
		}
	}
	if d.err || fl&^entryHistory != 0 {
		return 0, ErrBadEntry
	}
	used := len(b) - len(d.b)
	ent := keyspace.NewEntry(v.key)
	if !v.build(ent, db, en.ctx()) {
		return 0, ErrBadEntry
	}
	if fl&entryHistory != 0 {
		h := &history{live: live}
		bk := keyspace.NewEntry(nil)
		if !base.build(bk, db, en.ctx()) {
			return 0, ErrBadEntry
		}
		h.base.CopyValue(bk)
		ent.SetAux(&keyspace.Aux{V: h})
	} else if !ent.Exists() {
		return used, nil // nothing to keep
	}
	tx := en.beginReplay(db, v.key)
	sh := &tx.locks[0].ptr.Shards[tx.locks[0].shard]
	sh.Put(ent)
	if h := histOf(ent); h != nil {
		for i := range h.live {
			sh.NoteFold(uint64(h.live[i].ID.Node), h.live[i].ID.Seq, ent)
		}
	}
	tx.End()
	return used, nil
}

// Replay applies an effect read back from this node's log (or a snapshot's
// tail) after a restart: exactly as it was applied the first time, with its
// own identity and stamp. It is handed to no sink and wakes no client. The
// node's Seq and the applied frontier move up to cover it.
func (en *Engine) Replay(e *effect.Effect) {
	en.clock.Observe(e.HLC)
	var tx *Tx
	switch e.Op {
	case effect.OpFlushDB:
		if int(e.DB) < len(en.dbs) {
			tx = en.BeginDBs(int(e.DB))
			en.applyFlush(tx.DB(int(e.DB)), e)
		}
	case effect.OpSwapDB:
		if int(e.DB) < len(en.dbs) && e.Int >= 0 && int(e.Int) < len(en.dbs) {
			tx = en.BeginDBs(int(e.DB), int(e.Int))
			en.applySwap(int(e.DB), int(e.Int), e)
		}
	default:
		if int(e.DB) < len(en.dbs) {
			tx = en.beginReplay(int(e.DB), e.Key)
			en.applyKey(&tx.locks[0].ptr.Shards[tx.locks[0].shard], e, false, nil, false, en.startMs, false)
		}
	}
	en.emitMu.Lock()
	if e.ID.Node == en.node {
		if e.ID.Seq > en.seq {
			en.seq = e.ID.Seq
		}
	} else if e.ID.Seq > en.applied[e.ID.Node] {
		en.applied[e.ID.Node] = e.ID.Seq
		en.noteKnown(e.ID.Node, e.Frontier, e.ID.Seq)
	}
	en.emitMu.Unlock()
	if tx != nil {
		tx.End()
	}
}

// beginReplay locks the shard of one key like Begin1, without reading the
// clock (a replayed effect's time is its own).
func (en *Engine) beginReplay(db int, key []byte) *Tx {
	tx := en.newTx()
	tx.locks = append(tx.locks, lockRef{db: db, shard: keyspace.ShardIndex(key)})
	l := &tx.locks[0]
	for {
		l.ptr = en.db(db)
		l.ptr.Shards[l.shard].Lock()
		if en.db(db) == l.ptr {
			return tx
		}
		l.ptr.Shards[l.shard].Unlock() // swapped meanwhile
	}
}

// Restore sets the node's position after loading a snapshot taken at c: its
// own Seq (when c is this node's), the applied frontier of the others, and
// the clock, so that new effects continue the node's history. Effects of a
// cut taken by another node (a restored copy) count as applied from that
// node.
func (en *Engine) Restore(c *Cut) {
	en.clock.Observe(c.HLC)
	en.emitMu.Lock()
	defer en.emitMu.Unlock()
	if c.Node == en.node {
		if c.Seq > en.seq {
			en.seq = c.Seq
		}
	} else if c.Node != 0 && c.Seq > en.applied[c.Node] {
		en.applied[c.Node] = c.Seq
	}
	for _, id := range c.Applied {
		if id.Node == en.node {
			if id.Seq > en.seq {
				en.seq = id.Seq
			}
			continue
		}
		if id.Seq > en.applied[id.Node] {
			en.applied[id.Node] = id.Seq
		}
	}
}

// Keys is the number of keys holding a value in every database (ghosts not
// counted), one shard lock at a time.
func (en *Engine) Keys() int {
	n := 0
	for db := range en.dbs {
		n += en.DBSize(db)
	}
	return n
}
