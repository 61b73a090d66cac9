package engine

import "github.com/lightconedb/lightcone/internal/effect"

// Transactions (MULTI/EXEC, scripts): the caller makes sure nothing else
// touches the keyspace between BeginTxn and EndTxn (the server's gate), so
// the effects written in between are one atomic batch; each carries the ID of
// the batch's first effect as its Txn, which the log and replication use to
// keep the batch whole (and the horizon commit will coordinate).

// TxnSink is a sink that keeps a transaction's effects together (the
// effect log: a crash must not leave part of an EXEC on disk).
type TxnSink interface {
	BeginTxn()
	EndTxn()
}

// BeginTxn starts a batch: effects stamped until EndTxn share one Txn.
func (en *Engine) BeginTxn() {
	if ts, ok := en.sink.(TxnSink); ok {
		ts.BeginTxn()
	}
	en.emitMu.Lock()
	en.txnOpen = true
	en.txnID = effect.ID{}
	en.emitMu.Unlock()
}

// EndTxn ends the batch.
func (en *Engine) EndTxn() {
	en.emitMu.Lock()
	en.txnOpen = false
	en.txnID = effect.ID{}
	en.emitMu.Unlock()
	if ts, ok := en.sink.(TxnSink); ok {
		ts.EndTxn()
	}
}

// KeyState reports whether key holds a value in db and whether that value
// is past its TTL (and so about to be deleted), without deleting it or
// touching its access clock (WATCH needs both facts as they are).
func (en *Engine) KeyState(db int, key []byte) (exists, expired bool) {
	tx := en.Begin1(db, key)
	defer tx.End()
	e := tx.shard(db, key).Get(key)
	if e == nil || !e.Exists() {
		return false, false
	}
	return true, e.Expire != 0 && e.Expire <= tx.Now
}
