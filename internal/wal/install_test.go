package wal

import (
	"fmt"
	"sync"
	"testing"

	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/engine"
)

// recorder keeps every effect an engine applies, encoded, in apply order.
type recorder struct {
	mu   sync.Mutex
	recs [][]byte
}

func (r *recorder) Emit(e *effect.Effect, _ bool) {
	r.mu.Lock()
	r.recs = append(r.recs, e.AppendBinary(nil))
	r.mu.Unlock()
}

// effects decodes the recorded effects of origin o with lo < Seq <= hi.
func (r *recorder) effects(t *testing.T, o effect.NodeID, lo, hi uint64) []effect.Effect {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []effect.Effect
	for _, b := range r.recs {
		e, _, err := effect.Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		if e.ID.Node == o && e.ID.Seq > lo && e.ID.Seq <= hi {
			out = append(out, e)
		}
	}
	return out
}

type member struct {
	st  *Store
	en  *engine.Engine
	rec *recorder
}

func openMember(t *testing.T, dir string, id effect.NodeID, peers ...effect.NodeID) *member {
	t.Helper()
	st, err := Open(Options{Dir: dir, Node: id, AppendOnly: true, Fsync: FsyncEverySec})
	if err != nil {
		t.Fatal(err)
	}
	en := engine.New(engine.Config{Node: id, Sink: st})
	en.EnableCluster()
	for _, p := range peers {
		en.AddMember(p)
	}
	if err := st.Recover(en); err != nil {
		st.Abandon()
		t.Fatal(err)
	}
	rec := &recorder{}
	en.SetSink(rec)
	return &member{st: st, en: en, rec: rec}
}

func set(en *engine.Engine, key, val string) {
	tx := en.Begin1(0, []byte(key))
	tx.Assign(0, []byte(key), []byte(val), 0, false)
	tx.End()
}

func get(en *engine.Engine, key string) string {
	tx := en.Begin1(0, []byte(key))
	defer tx.End()
	ent := tx.Get(0, []byte(key))
	if ent == nil || !ent.Exists() {
		return "(nil)"
	}
	return string(ent.Str)
}

// A node installs a peer's snapshot that holds only part of its own
// effects: the rest are applied again on top, its Seq stays its own, its
// frontier becomes the snapshot's, and the result equals a node that
// received every effect by replication. It survives a restart.
func TestInstallKeepsOwnEffectsBeyondTheCut(t *testing.T) {
	const a, b effect.NodeID = 0xa1, 0xb2
	A := openMember(t, t.TempDir(), a, b)
	defer A.st.Close(false)
	dirB := t.TempDir()
	B := openMember(t, dirB, b, a)
	for i := 0; i < 100; i++ {
		set(A.en, fmt.Sprint("a", i), fmt.Sprint(i))
	}
	for _, e := range A.rec.effects(t, a, 0, 50) { // B heard half of A's
		B.en.Apply(&e)
	}
	for i := 0; i < 20; i++ {
		set(B.en, fmt.Sprint("b", i), fmt.Sprint(i))
		set(B.en, fmt.Sprint("a", i), "overwritten by b") // over A's, observed
	}
	for _, e := range B.rec.effects(t, b, 0, 16) { // A heard the first 16 of B's 40
		A.en.Apply(&e)
	}
	for i := 100; i < 150; i++ {
		set(A.en, fmt.Sprint("a", i), fmt.Sprint(i))
	}
	m, err := A.st.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	own := func(from uint64) ([]effect.Effect, error) { return B.rec.effects(t, b, from, 1<<62), nil }
	var info InstallInfo
	if _, err := B.st.Install(func() error {
		info, err = InstallSnapshot(m.Path, B.en, own)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", info)
	if info.OwnFrom != 16 || info.OwnAgain != 24 || info.OwnLost != 0 {
		t.Fatalf("own effects: covered to %d, applied again %d, lost %d; want 16, 24, 0", info.OwnFrom, info.OwnAgain, info.OwnLost)
	}
	if s := B.en.Seq(); s != 40 {
		t.Fatalf("own Seq %d after the install, want 40", s)
	}
	if got := B.en.AppliedOf(a); got != 150 {
		t.Fatalf("applied of A %d, want the snapshot's 150", got)
	}
	for k, want := range map[string]string{"a0": "overwritten by b", "a19": "overwritten by b", "a20": "20", "a149": "149", "b0": "0", "b19": "19"} {
		if got := get(B.en, k); got != want {
			t.Fatalf("%s = %q, want %q", k, got, want)
		}
	}
	// the same effects delivered by replication give the same state
	ref := openMember(t, t.TempDir(), 0xc3, a, b)
	defer ref.st.Close(false)
	for _, e := range A.rec.effects(t, a, 0, 150) {
		ref.en.Apply(&e)
	}
	for _, e := range B.rec.effects(t, b, 0, 40) {
		ref.en.Apply(&e)
	}
	if digest(ref.en) != digest(B.en) {
		t.Fatal("installed state differs from the replicated one")
	}
	want := digest(B.en)
	// durable at once: a restart recovers the installed state
	B.st.Close(false)
	B2 := openMember(t, dirB, b, a)
	defer B2.st.Close(false)
	if got := digest(B2.en); got != want || B2.en.Seq() != 40 || B2.en.AppliedOf(a) != 150 {
		t.Fatalf("after a restart: digest %s (want %s), Seq %d, applied of A %d", got, want, B2.en.Seq(), B2.en.AppliedOf(a))
	}
}

// Without its own effects the install would lose them: InstallSnapshot
// says so.
func TestInstallCountsOwnEffectsItCannotFind(t *testing.T) {
	const a, b effect.NodeID = 0xa1, 0xb2
	A := openMember(t, t.TempDir(), a, b)
	defer A.st.Close(false)
	B := openMember(t, t.TempDir(), b, a)
	defer B.st.Close(false)
	set(A.en, "x", "1")
	for i := 0; i < 5; i++ {
		set(B.en, fmt.Sprint("b", i), "1")
	}
	m, err := A.st.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	info, err := InstallSnapshot(m.Path, B.en, nil)
	if err != nil {
		t.Fatal(err)
	}
	if info.OwnLost != 5 || get(B.en, "b0") != "(nil)" || get(B.en, "x") != "1" || B.en.Seq() != 5 {
		t.Fatalf("lost %d, b0 %q, x %q, Seq %d", info.OwnLost, get(B.en, "b0"), get(B.en, "x"), B.en.Seq())
	}
}
