package engine

import (
	"testing"

	"github.com/lightconedb/lightcone/internal/effect"
)

func TestTxnBatchSharesOneID(t *testing.T) {
	sink := &collector{}
	en := New(Config{Node: 7, Sink: sink})
	write := func(k string) {
		tx := en.Begin1(0, []byte(k))
		tx.Assign(0, []byte(k), []byte("v"), 0, false)
		tx.End()
	}
	write("before")
	en.BeginTxn()
	write("a")
	write("b")
	en.EndTxn()
	write("after")
	if len(sink.out) != 4 {
		t.Fatalf("%d effects", len(sink.out))
	}
	first := sink.out[1].ID
	if !sink.out[0].Txn.IsZero() || !sink.out[3].Txn.IsZero() {
		t.Fatal("effects outside the batch carry a transaction")
	}
	if sink.out[1].Txn != first || sink.out[2].Txn != first || first == (effect.ID{}) {
		t.Fatalf("batch txns = %v %v, want both %v", sink.out[1].Txn, sink.out[2].Txn, first)
	}
}
