package wal

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lightconedb/lightcone/internal/crdt"
	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/engine"
)

const testNode effect.NodeID = 0x1234

// node is an engine with a store, as a server sets them up.
type node struct {
	st *Store
	en *engine.Engine
}

func openNode(t testing.TB, dir string, mod ...func(*Options)) *node {
	t.Helper()
	opts := Options{Dir: dir, Node: testNode, AppendOnly: true, Fsync: FsyncEverySec}
	for _, f := range mod {
		f(&opts)
	}
	st, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	en := engine.New(engine.Config{Node: testNode, Sink: st})
	if err := st.Recover(en); err != nil {
		st.Abandon()
		t.Fatal(err)
	}
	return &node{st: st, en: en}
}

func (n *node) close(t testing.TB) {
	t.Helper()
	if err := n.st.Close(false); err != nil {
		t.Fatal(err)
	}
}

func digest(en *engine.Engine) string {
	d := en.Digest()
	return hex.EncodeToString(d[:])
}

// op applies one random write, as commands would.
func randomOp(en *engine.Engine, r *rand.Rand, keys int) {
	key := []byte("k" + strconv.Itoa(r.IntN(keys)))
	db := r.IntN(3)
	tx := en.Begin1(db, key)
	defer tx.End()
	ent := tx.Get(db, key)
	switch x := r.IntN(100); {
	case x < 30:
		tx.Assign(db, key, []byte("v"+strconv.Itoa(r.IntN(1000))), 0, false)
	case x < 45:
		if ent == nil || (ent.Kind == 1 && isInt(ent.Str)) {
			tx.AddInt(db, key, int64(r.IntN(10)-3))
		}
	case x < 55:
		if ent == nil || ent.Kind == 1 {
			tx.Append(db, key, []byte("+"))
		}
	case x < 70:
		if ent == nil || ent.Kind == 4 {
			p := tx.Payload()
			crdt.EncodeSet(p, crdt.SetAdd, [][]byte{[]byte(strconv.Itoa(r.IntN(20))), []byte("m" + strconv.Itoa(r.IntN(5)))})
			tx.Coll(db, key, effect.OpSet, p)
		}
	case x < 75:
		if ent != nil && ent.Kind == 4 {
			p := tx.Payload()
			crdt.EncodeSet(p, crdt.SetRem, [][]byte{[]byte(strconv.Itoa(r.IntN(20)))})
			tx.Coll(db, key, effect.OpSet, p)
		}
	case x < 85:
		if ent != nil {
			tx.SetExpire(db, key, tx.Now+int64(1+r.IntN(100))*3600_000)
		}
	case x < 95:
		if ent != nil {
			tx.Delete(db, key)
		}
	default:
		if ent != nil {
			tx.SetBit(db, key, int64(r.IntN(64)), r.IntN(2) == 0)
		}
	}
}

func isInt(b []byte) bool {
	_, ok := engine.ParseInt(b)
	return ok
}

func TestRecoverFromLog(t *testing.T) {
	dir := t.TempDir()
	n := openNode(t, dir)
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 3000; i++ {
		randomOp(n.en, r, 200)
	}
	want, seq := digest(n.en), n.en.Seq()
	n.close(t)

	n = openNode(t, dir)
	if got := digest(n.en); got != want {
		t.Fatalf("digest after restart %s, want %s", got, want)
	}
	if n.en.Seq() != seq {
		t.Fatalf("seq after restart %d, want %d", n.en.Seq(), seq)
	}
	if n.st.Recovery.LogRecords != int64(seq) || n.st.Recovery.Snapshot != "" {
		t.Fatalf("recovery %+v", n.st.Recovery)
	}
	// the node continues its sequence
	randomOp(n.en, r, 200)
	for n.en.Seq() == seq {
		randomOp(n.en, r, 200)
	}
	want, seq = digest(n.en), n.en.Seq()
	n.close(t)
	n = openNode(t, dir)
	defer n.close(t)
	if digest(n.en) != want || n.en.Seq() != seq {
		t.Fatalf("second restart: digest %s seq %d, want %s %d", digest(n.en), n.en.Seq(), want, seq)
	}
}

func TestRecoverSnapshotAndTail(t *testing.T) {
	dir := t.TempDir()
	n := openNode(t, dir)
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 2000; i++ {
		randomOp(n.en, r, 300)
	}
	m, err := n.st.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if m.Keys != int64(n.en.Keys()) {
		t.Errorf("snapshot says %d keys, engine has %d", m.Keys, n.en.Keys())
	}
	for i := 0; i < 1000; i++ {
		randomOp(n.en, r, 300)
	}
	want, seq := digest(n.en), n.en.Seq()
	n.close(t)

	n = openNode(t, dir)
	defer n.close(t)
	if got := digest(n.en); got != want {
		t.Fatalf("digest %s, want %s", got, want)
	}
	if n.en.Seq() != seq {
		t.Fatalf("seq %d, want %d", n.en.Seq(), seq)
	}
	ri := n.st.Recovery
	if ri.Snapshot != m.Path || ri.LogFrom != m.LogPos || ri.LogRecords == 0 || ri.LogRecords >= int64(seq) {
		t.Fatalf("recovery %+v (snapshot at %d)", ri, m.LogPos)
	}
	// the log behind the snapshot is gone (no retention)
	segs, _ := ListSegments(n.st.LogDir())
	if len(segs) == 0 || segs[0].Start < m.LogPos {
		t.Fatalf("segments after snapshot at %d: %+v", m.LogPos, segs)
	}
}

// TestSnapshotIsACut checks that a snapshot taken while writers run holds
// exactly the effects its end cut covers: load it alone and compare with the
// log's effects up to that cut replayed from nothing. Writers include
// non-idempotent writes (INCR, APPEND), FLUSHDB and SWAPDB.
func TestSnapshotIsACut(t *testing.T) {
	for round := 0; round < 6; round++ {
		t.Run(strconv.Itoa(round), func(t *testing.T) {
			dir := t.TempDir()
			// keep all history, to rebuild each snapshot's state from the log
			n := openNode(t, dir, func(o *Options) { o.Retention.Duration = 1 << 40 })
			r := rand.New(rand.NewPCG(uint64(round), 9))
			for i := 0; i < 3000; i++ {
				randomOp(n.en, r, 2000)
			}
			var wg sync.WaitGroup
			stop := make(chan struct{})
			for w := 0; w < 3; w++ {
				wg.Add(1)
				go func(w int) {
					defer wg.Done()
					r := rand.New(rand.NewPCG(uint64(round), uint64(w)))
					for i := 0; ; i++ {
						select {
						case <-stop:
							return
						default:
						}
						randomOp(n.en, r, 2000)
						if w == 0 && i%700 == 699 {
							switch round % 3 {
							case 1:
								tx := n.en.BeginDBs(1)
								tx.FlushDB(1)
								tx.End()
							case 2:
								tx := n.en.BeginDBs(1, 2)
								tx.SwapDB(1, 2)
								tx.End()
							}
						}
					}
				}(w)
			}
			// at least 4 snapshots, and more (up to 40) until one of them
			// overlapped a write: on a loaded machine the writers may not
			// run during the first ones
			var metas []SnapMeta
			overlapped := false
			for k := 0; k < 40 && (k < 4 || !overlapped); k++ {
				m, err := n.st.Snapshot()
				if err != nil {
					t.Fatal(err)
				}
				metas = append(metas, m)
				overlapped = overlapped || m.Start.Seq != m.End.Seq || m.Frozen
				time.Sleep(time.Millisecond) // let the writers run
			}
			close(stop)
			wg.Wait()
			final := digest(n.en)
			n.close(t)

			concurrent := 0
			for _, m := range metas {
				if m.Start.Seq != m.End.Seq || m.Frozen {
					concurrent++
				}
				got := engine.New(engine.Config{Node: testNode})
				if _, err := LoadSnapshot(m.Path, got); err != nil {
					t.Fatal(err)
				}
				t.Logf("%s: %d keys, tail %d, discarded %d, cut %d..%d, frozen %v", filepath.Base(m.Path), m.Keys, m.Tail, len(m.Discarded), m.Start.Seq, m.End.Seq, m.Frozen)
				if got.Seq() != m.End.Seq {
					t.Errorf("seq after load %d, want %d", got.Seq(), m.End.Seq)
				}
				ref := engine.New(engine.Config{Node: testNode})
				_, err := ReadLog(filepath.Join(dir, "log"), 0, func(pos uint64, e *effect.Effect) error {
					if m.End.Covers(e.ID) != (pos < m.LogPos) {
						t.Fatalf("effect %v at %d: covered %v, snapshot log position %d", e.ID, pos, m.End.Covers(e.ID), m.LogPos)
					}
					if pos < m.LogPos {
						ref.Replay(e)
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				if digest(got) != digest(ref) {
					t.Fatalf("snapshot %s is not the state at its cut", m.Path)
				}
			}
			if concurrent == 0 {
				t.Errorf("no snapshot overlapped a write: the test proves nothing")
			}
			n = openNode(t, dir)
			defer n.close(t)
			if digest(n.en) != final {
				t.Fatalf("recovered state differs from the final one")
			}
		})
	}
}

func TestTornTail(t *testing.T) {
	dir := t.TempDir()
	n := openNode(t, dir)
	r := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < 500; i++ {
		randomOp(n.en, r, 50)
	}
	want := digest(n.en)
	n.close(t)
	segs, _ := ListSegments(filepath.Join(dir, "log"))
	last := segs[len(segs)-1].Path
	fi, _ := os.Stat(last)
	// a record cut short, as a crash mid-write leaves it
	var e effect.Effect
	e.ID = effect.ID{Node: testNode, Seq: 1 << 40}
	e.Op, e.Key, e.Value = effect.OpAssign, []byte("torn"), bytes.Repeat([]byte("x"), 100)
	rec, at := beginFrame(nil)
	rec = finishFrame(e.AppendBinary(rec), at)
	f, _ := os.OpenFile(last, os.O_APPEND|os.O_WRONLY, 0)
	f.Write(rec[:len(rec)-7])
	f.Close()

	n = openNode(t, dir)
	if got := digest(n.en); got != want {
		t.Fatalf("digest %s, want %s", got, want)
	}
	tt := n.st.Recovery.Torn
	if tt == nil || tt.Path != last || tt.Offset != fi.Size() || tt.Bytes != int64(len(rec)-7) {
		t.Fatalf("torn tail report %+v (file %s size %d)", tt, last, fi.Size())
	}
	n.close(t)
	if fi2, _ := os.Stat(last); fi2.Size() != fi.Size() {
		t.Fatalf("torn tail not truncated: %d bytes, want %d", fi2.Size(), fi.Size())
	}
	n = openNode(t, dir)
	defer n.close(t)
	if n.st.Recovery.Torn != nil || digest(n.en) != want {
		t.Fatalf("after repair: %+v", n.st.Recovery)
	}
}

func TestBitFlipInTheMiddle(t *testing.T) {
	dir := t.TempDir()
	n := openNode(t, dir)
	r := rand.New(rand.NewPCG(7, 8))
	for i := 0; i < 500; i++ {
		randomOp(n.en, r, 50)
	}
	n.close(t)
	segs, _ := ListSegments(filepath.Join(dir, "log"))
	path := segs[0].Path
	b, _ := os.ReadFile(path)
	off := len(b)/2 + 0
	b[off] ^= 0x10
	os.WriteFile(path, b, 0o644)

	st, err := Open(Options{Dir: dir, Node: testNode, AppendOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Abandon()
	err = st.Recover(engine.New(engine.Config{Node: testNode, Sink: st}))
	if err == nil || !IsCorrupt(err) {
		t.Fatalf("recover: %v, want a corrupt-log error", err)
	}
	msg := err.Error()
	if !strings.Contains(msg, path) || !strings.Contains(msg, "lightcone check-log --fix") || !strings.Contains(msg, "offset") {
		t.Fatalf("message %q should name the file, the offset and the repair", msg)
	}
	p := err.(*Problem)
	if p.Offset > int64(off) || p.Offset < int64(off)-200 {
		t.Fatalf("damage reported at %d, the flipped byte is at %d", p.Offset, off)
	}
	t.Log(msg)
}

// TestCommandsStayWhole cuts the log at record boundaries (what a power cut
// can leave: any prefix of unsynced writes) and checks that no command is
// ever half there: each "MSET" writes the same value to two keys.
func TestCommandsStayWhole(t *testing.T) {
	dir := t.TempDir()
	n := openNode(t, dir)
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 400; i++ {
				a := []byte(fmt.Sprintf("a%d-%d", w, i%37))
				b := []byte(fmt.Sprintf("b%d-%d", w, i%37))
				v := []byte(fmt.Sprintf("%d", i))
				tx := n.en.Begin(0, a, b)
				tx.Assign(0, a, v, 0, false)
				tx.Assign(0, b, v, 0, false)
				tx.End()
				if i%10 == 0 {
					n.st.Log().Write(n.st.Appended())
				}
			}
		}(w)
	}
	wg.Wait()
	n.close(t)
	segs, _ := ListSegments(filepath.Join(dir, "log"))
	data, _ := os.ReadFile(segs[0].Path)
	var bounds []int
	for off := segHeaderLen; off < len(data); {
		_, k, err := parseFrame(data[off:])
		if err != nil {
			t.Fatal(err)
		}
		off += k
		bounds = append(bounds, off)
	}
	r := rand.New(rand.NewPCG(1, 1))
	cont := 0
	for trial := 0; trial < 150; trial++ {
		cut := bounds[r.IntN(len(bounds))]
		if frameContinued(data[cut-0:]) || cut < len(data) && frameContinued(data[cut:]) {
			cont++
		}
		d := t.TempDir()
		os.MkdirAll(filepath.Join(d, "log"), 0o755)
		os.WriteFile(filepath.Join(d, "log", filepath.Base(segs[0].Path)), data[:cut], 0o644)
		m := openNode(t, d, func(o *Options) { o.AppendOnly = false })
		for w := 0; w < 4; w++ {
			for i := 0; i < 37; i++ {
				a := []byte(fmt.Sprintf("a%d-%d", w, i))
				b := []byte(fmt.Sprintf("b%d-%d", w, i))
				tx := m.en.Begin(0, a, b)
				ea, eb := tx.Peek(0, a), tx.Peek(0, b)
				ok := (ea == nil) == (eb == nil) && (ea == nil || string(ea.Str) == string(eb.Str))
				tx.End()
				if !ok {
					t.Fatalf("cut at %d: %s and %s differ: half a command was recovered", cut, a, b)
				}
			}
		}
		m.close(t)
	}
	if cont == 0 {
		t.Fatalf("no cut fell inside a command")
	}
}

// TestLogRestartNeedsSnapshot: the log turned on at runtime after writes that
// were not logged is only replayed once a snapshot covers those writes;
// before that, a restart recovers the last snapshot and sets the new log
// aside (rather than replay it on a state that misses writes it followed).
func TestLogRestartNeedsSnapshot(t *testing.T) {
	dir := t.TempDir()
	n := openNode(t, dir, func(o *Options) { o.AppendOnly = false })
	r := rand.New(rand.NewPCG(21, 22))
	writeSome(n, r, 300)
	if _, err := n.st.Snapshot(); err != nil {
		t.Fatal(err)
	}
	saved := digest(n.en)
	writeSome(n, r, 300) // not logged, not snapshotted
	// the log comes back without the snapshot that SetAppendOnly takes
	l, err := n.st.openLog(n.st.pos.Load()+1, true)
	if err != nil {
		t.Fatal(err)
	}
	n.en.Cut(func(*engine.Cut) { n.st.log.Store(l) })
	writeSome(n, r, 300)
	n.close(t)

	n = openNode(t, dir)
	if digest(n.en) != saved || n.st.Recovery.Restarted == "" {
		t.Fatalf("recovered %v, want the snapshot's state and the restarted log set aside (%+v)", digest(n.en) == saved, n.st.Recovery)
	}
	if orphans, _ := filepath.Glob(filepath.Join(dir, "log", "*.orphan")); len(orphans) == 0 {
		t.Fatalf("no segment set aside")
	}
	// with the snapshot, everything is back
	writeSome(n, r, 200)
	n.close(t)
	n = openNode(t, dir, func(o *Options) { o.AppendOnly = false })
	writeSome(n, r, 200)
	if err := n.st.SetAppendOnly(true); err != nil {
		t.Fatal(err)
	}
	for saving, _ := n.st.Saving(); saving; saving, _ = n.st.Saving() {
		time.Sleep(5 * time.Millisecond)
	}
	writeSome(n, r, 200)
	want := digest(n.en)
	n.close(t)
	n = openNode(t, dir)
	defer n.close(t)
	if digest(n.en) != want {
		t.Fatalf("after the snapshot that turning the log on takes, a restart lost writes")
	}
}

// TestGarbageTailIsCheap: a long run of garbage after a bad record (a torn
// tail in a big segment) is told from damage in the middle; candidates are
// screened before any checksum, so this takes one cheap test per byte.
func TestGarbageTailIsCheap(t *testing.T) {
	seg := seedSegment()
	r := rand.New(rand.NewPCG(5, 5))
	garbage := make([]byte, 8<<20)
	for i := range garbage {
		garbage[i] = byte(r.Uint32())
	}
	b := append(append([]byte(nil), seg...), garbage...)
	start := time.Now()
	_, err := scanSegment(&Segment{Path: "x.seg"}, b, true, 0, nil)
	p, ok := err.(*Problem)
	if !ok || !p.Torn || p.Offset != int64(len(seg)) {
		t.Fatalf("got %v, want a torn tail at %d", err, len(seg))
	}
	t.Logf("8 MB of garbage classified in %v", time.Since(start))
}

// TestTxnStaysWhole: the commands between BeginTxn and EndTxn (an EXEC)
// reach the log as one piece: cut the log anywhere, recovery has all of the
// transaction's writes or none.
func TestTxnStaysWhole(t *testing.T) {
	dir := t.TempDir()
	n := openNode(t, dir)
	for i := 0; i < 200; i++ {
		n.st.BeginTxn()
		for k := 0; k < 4; k++ { // four commands, one key each
			key := []byte(fmt.Sprintf("t%d", k))
			tx := n.en.Begin1(0, key)
			tx.Assign(0, key, []byte(strconv.Itoa(i)), 0, false)
			tx.End()
		}
		n.st.EndTxn()
		if i%7 == 0 {
			n.st.Log().Write(n.st.Appended())
		}
	}
	n.close(t)
	segs, _ := ListSegments(filepath.Join(dir, "log"))
	data, _ := os.ReadFile(segs[0].Path)
	for off, recs := segHeaderLen, 0; off < len(data); recs++ {
		_, k, err := parseFrame(data[off:])
		if err != nil {
			t.Fatal(err)
		}
		off += k
		if recs%3 != 0 {
			continue // every third boundary is plenty
		}
		d := t.TempDir()
		os.MkdirAll(filepath.Join(d, "log"), 0o755)
		os.WriteFile(filepath.Join(d, "log", filepath.Base(segs[0].Path)), data[:off], 0o644)
		m := openNode(t, d, func(o *Options) { o.AppendOnly = false })
		var vals []string
		for k := 0; k < 4; k++ {
			key := []byte(fmt.Sprintf("t%d", k))
			tx := m.en.Begin1(0, key)
			v := "-"
			if e := tx.Peek(0, key); e != nil {
				v = string(e.Str)
			}
			tx.End()
			vals = append(vals, v)
		}
		m.close(t)
		for k := 1; k < 4; k++ {
			if vals[k] != vals[0] {
				t.Fatalf("cut at %d: values %v: half a transaction recovered", off, vals)
			}
		}
	}
}

// TestSnapshotWaitsForTxn: a snapshot's end cut does not fall inside a
// transaction (between two of an EXEC's commands).
func TestSnapshotWaitsForTxn(t *testing.T) {
	dir := t.TempDir()
	n := openNode(t, dir)
	defer n.close(t)
	set := func(k, v string) {
		tx := n.en.Begin1(0, []byte(k))
		tx.Assign(0, []byte(k), []byte(v), 0, false)
		tx.End()
	}
	set("x", "0")
	set("y", "0")
	n.st.BeginTxn()
	set("x", "1")
	done := make(chan SnapMeta)
	go func() {
		m, err := n.st.Snapshot()
		if err != nil {
			t.Error(err)
		}
		done <- m
	}()
	select {
	case <-done:
		t.Fatal("the snapshot ended inside the transaction")
	case <-time.After(100 * time.Millisecond):
	}
	set("y", "1")
	n.st.EndTxn()
	m := <-done
	got := engine.New(engine.Config{Node: testNode})
	if _, err := LoadSnapshot(m.Path, got); err != nil {
		t.Fatal(err)
	}
	var vals []string
	for _, k := range []string{"x", "y"} {
		tx := got.Begin1(0, []byte(k))
		vals = append(vals, string(tx.Peek(0, []byte(k)).Str))
		tx.End()
	}
	if vals[0] != "1" || vals[1] != "1" {
		t.Fatalf("snapshot holds x=%s y=%s, want the whole transaction", vals[0], vals[1])
	}
}

// TestCheckLogFix: check-log finds damage in the middle of a log, --fix
// truncates the log there, and the node starts again with what came before.
func TestCheckLogFix(t *testing.T) {
	dir := t.TempDir()
	n := openNode(t, dir, func(o *Options) { o.SegmentSize = 8 << 10 })
	r := rand.New(rand.NewPCG(31, 32))
	for i := 0; i < 20; i++ {
		writeSome(n, r, 100)
		n.st.Log().Write(n.st.Appended()) // as replies would: segments fill and rotate
	}
	n.close(t)
	rep, err := CheckDir(dir, false)
	if err != nil || !rep.OK() || rep.Records == 0 || len(rep.Segments) < 3 {
		t.Fatalf("clean log: %v %+v", err, rep)
	}
	// damage the second segment
	segs, _ := ListSegments(filepath.Join(dir, "log"))
	b, _ := os.ReadFile(segs[1].Path)
	b[len(b)/2] ^= 0x40
	os.WriteFile(segs[1].Path, b, 0o644)
	rep, err = CheckDir(dir, false)
	if err != nil || rep.OK() || rep.Corrupt == nil || rep.Corrupt.Path != segs[1].Path {
		t.Fatalf("damaged log: %v %+v", err, rep)
	}
	rep, err = CheckDir(dir, true)
	if err != nil || len(rep.Fixed) == 0 {
		t.Fatalf("--fix: %v %+v", err, rep)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "log", "*.discarded")); len(left) != len(segs)-2 {
		t.Fatalf("%d segments set aside, want %d", len(left), len(segs)-2)
	}
	rep, err = CheckDir(dir, false)
	if err != nil || !rep.OK() {
		t.Fatalf("after --fix: %v %+v", err, rep)
	}
	n = openNode(t, dir)
	defer n.close(t)
	if n.en.Keys() == 0 || n.st.Recovery.LogRecords != rep.Records {
		t.Fatalf("after --fix the node recovered %d effects, check-log counts %d", n.st.Recovery.LogRecords, rep.Records)
	}
}
