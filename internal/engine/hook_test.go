package engine

import (
	"testing"

	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/notify"
)

// hookCall is one call of the change or miss hook.
type hookCall struct {
	db              int
	key             string
	nilKey          bool
	op              effect.Op
	event           uint8
	existed, exists bool
	miss            bool
}

func recordHooks(en *Engine) *[]hookCall {
	var calls []hookCall
	en.SetHook(func(db int, key []byte, e *effect.Effect, existed, exists bool) {
		calls = append(calls, hookCall{db: db, key: string(key), nilKey: key == nil, op: e.Op, event: e.Event, existed: existed, exists: exists})
	})
	en.SetMissHook(func(db int, key []byte) {
		calls = append(calls, hookCall{db: db, key: string(key), miss: true})
	})
	return &calls
}

// The change hook says whether the key existed before and after each
// effect, carries the effect's event, and hears of expiry deletions,
// FLUSHDB and SWAPDB; the miss hook hears of reads that found nothing.
func TestHookExistenceAndEvents(t *testing.T) {
	en := New(Config{Node: 1, Databases: 2})
	calls := recordHooks(en)
	k := []byte("k")
	tx := en.Begin1(0, k)
	if tx.Read(0, k) != nil {
		t.Fatal("k exists")
	}
	tx.Assign(0, k, []byte("v"), 0, false)
	tx.Assign(0, k, []byte("w"), 0, false)
	tx.Event = notify.SetBit
	tx.Append(0, k, []byte("x"))
	tx.Delete(0, k)
	tx.Assign(0, k, []byte("old"), tx.Now-1, false) // already past its TTL
	tx.Event = notify.SetKey
	if tx.Get(0, k) != nil { // deletes it ("expired") and keeps the pending event
		t.Fatal("expired key returned")
	}
	tx.Assign(0, k, []byte("again"), 0, false)
	tx.End()
	tx = en.BeginDBs(0, 1)
	tx.SwapDB(0, 1)
	tx.Event = notify.None
	tx.FlushDB(1)
	tx.End()
	tx = en.Begin1(1, k)
	tx.NotifyMiss(1, k)
	tx.End()
	want := []hookCall{
		{db: 0, key: "k", miss: true},
		{db: 0, key: "k", op: effect.OpAssign, existed: false, exists: true},
		{db: 0, key: "k", op: effect.OpAssign, existed: true, exists: true},
		{db: 0, key: "k", op: effect.OpAppend, event: notify.SetBit, existed: true, exists: true},
		{db: 0, key: "k", op: effect.OpDelete, existed: true, exists: false},
		{db: 0, key: "k", op: effect.OpAssign, existed: false, exists: true},
		{db: 0, key: "k", op: effect.OpDelete, event: notify.ExpiredKey, existed: true, exists: false},
		{db: 0, key: "k", op: effect.OpAssign, event: notify.SetKey, existed: false, exists: true},
		{db: 0, nilKey: true, op: effect.OpSwapDB},
		{db: 1, nilKey: true, op: effect.OpFlushDB, event: notify.None},
		{db: 1, key: "k", miss: true},
	}
	if len(*calls) != len(want) {
		t.Fatalf("%d hook calls, want %d: %+v", len(*calls), len(want), *calls)
	}
	for i, c := range *calls {
		if c != want[i] {
			t.Errorf("call %d = %+v, want %+v", i, c, want[i])
		}
	}
}

// Remote effects reach the hook too, with the event their origin chose and
// the existence change seen here: keyspace notifications and invalidations
// follow every node's writes.
func TestHookRemoteEffects(t *testing.T) {
	p := newPair(t)
	calls := recordHooks(p.b)
	p.do(p.a, func(tx *Tx) {
		tx.Event = notify.Restore
		tx.Assign(0, []byte("x"), []byte("1"), 0, false)
	})
	p.do(p.a, func(tx *Tx) { tx.Delete(0, []byte("x")) })
	p.sync()
	want := []hookCall{
		{db: 0, key: "x", op: effect.OpAssign, event: notify.Restore, existed: false, exists: true},
		{db: 0, key: "x", op: effect.OpDelete, existed: true, exists: false},
	}
	if len(*calls) != len(want) {
		t.Fatalf("hook calls %+v, want %+v", *calls, want)
	}
	for i, c := range *calls {
		if c != want[i] {
			t.Errorf("call %d = %+v, want %+v", i, c, want[i])
		}
	}
}
