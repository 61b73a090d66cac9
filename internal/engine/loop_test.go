package engine

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lightconedb/lightcone/internal/keyspace"
)

// lockedElsewhere reports whether another goroutine's Begin1 on key waits
// (30 ms) instead of going through at once; if it waits, release is called
// and the other goroutine must then get through.
func lockedElsewhere(en *Engine, key string, release func()) bool {
	done := make(chan struct{})
	go func() {
		tx := en.Begin1(0, []byte(key))
		tx.End()
		close(done)
	}()
	select {
	case <-done:
		return false
	case <-time.After(30 * time.Millisecond):
		release()
		<-done
		return true
	}
}

func TestLoopEngineKeepsLockOnlyWhenArmed(t *testing.T) {
	en := New(Config{Node: 1})
	le := en.Loop()
	set := func(e *Engine, k, v string) {
		tx := e.Begin1(0, []byte(k))
		tx.Assign(0, []byte(k), []byte(v), 0, false)
		tx.End()
	}

	// not armed: nothing is kept
	set(le, "k", "1")
	if le.Holding() {
		t.Fatal("an unarmed command kept its lock")
	}

	// armed: the lock is kept after End, and another goroutine waits for it
	le.Arm()
	set(le, "k", "2")
	le.Disarm()
	if !le.Holding() {
		t.Fatal("an armed single-key command did not keep its lock")
	}
	if !lockedElsewhere(en, "k", le.Release) {
		t.Fatal("another goroutine got the kept lock")
	}

	// the next command on the same shard takes the kept lock over and
	// sees the value; one on another shard releases it first
	le.Arm()
	set(le, "k", "3")
	tx := le.Begin1(0, []byte("k"))
	if e := tx.Get(0, []byte("k")); e == nil || string(e.Str) != "3" {
		t.Fatalf("after takeover: %v", e)
	}
	tx.End()
	other := ""
	for i := 0; other == ""; i++ {
		k := fmt.Sprintf("o%d", i)
		if keyspace.ShardIndex([]byte(k)) != keyspace.ShardIndex([]byte("k")) {
			other = k
		}
	}
	set(le, other, "x")
	le.Disarm()
	if lockedElsewhere(en, "k", le.Release) {
		t.Fatal("moving to another shard did not release the kept lock")
	}
	le.Release()

	// a multi-key Tx never keeps, and releases a kept lock before locking
	le.Arm()
	set(le, "k", "4")
	tx = le.Begin(0, []byte("k"), []byte(other))
	tx.End()
	le.Disarm()
	if le.Holding() {
		t.Fatal("a multi-key Tx kept its locks")
	}
	if lockedElsewhere(en, "k", le.Release) || lockedElsewhere(en, other, le.Release) {
		t.Fatal("a multi-key Tx left a lock held")
	}

	// engine-wide operations on a Loop engine release first instead of
	// waiting for themselves
	le.Arm()
	set(le, "k", "5")
	le.Disarm()
	if n := le.DBSize(0); n != 2 {
		t.Fatalf("DBSize = %d", n)
	}
	if le.Holding() {
		t.Fatal("DBSize left the kept lock")
	}
}

func TestLoopEngineSwapDBWhileKept(t *testing.T) {
	en := New(Config{Node: 1})
	le := en.Loop()
	le.Arm()
	tx := le.Begin1(0, []byte("k"))
	tx.Assign(0, []byte("k"), []byte("db0"), 0, false)
	tx.End()
	le.Disarm()
	swapped := make(chan struct{})
	go func() {
		tx := en.BeginAll()
		tx.SwapDB(0, 1)
		tx.End()
		close(swapped)
	}()
	select {
	case <-swapped:
		t.Fatal("SWAPDB ran while a loop kept a shard lock")
	case <-time.After(30 * time.Millisecond):
	}
	le.Release()
	<-swapped
	// the loop's next command sees the swapped databases
	le.Arm()
	tx = le.Begin1(0, []byte("k"))
	if e := tx.Get(0, []byte("k")); e != nil {
		t.Fatalf("db 0 still holds k after SWAPDB: %q", e.Str)
	}
	tx.End()
	tx = le.Begin1(1, []byte("k"))
	if e := tx.Get(1, []byte("k")); e == nil || string(e.Str) != "db0" {
		t.Fatalf("db 1 after SWAPDB: %v", e)
	}
	tx.End()
	le.Disarm()
	le.Release()
}

// A loop pipelining commands on one key without end still gives the kept
// lock back now and then (maxKeptUses): a goroutine waiting for the key
// (another loop, expiry, a snapshot, a peer's effect) gets through.
func TestKeptLockGivesWaitersATurn(t *testing.T) {
	en := New(Config{Node: 1})
	le := en.Loop()
	le.Arm()
	tx := le.Begin1(0, []byte("k"))
	tx.Assign(0, []byte("k"), []byte("0"), 0, false)
	tx.End()
	var through atomic.Bool
	go func() {
		tx := en.Begin1(0, []byte("k"))
		tx.Assign(0, []byte("k"), []byte("other"), 0, false)
		tx.End()
		through.Store(true)
	}()
	n := 0
	for ; n < 1_000_000 && !through.Load(); n++ {
		tx := le.Begin1(0, []byte("k"))
		tx.Assign(0, []byte("k"), []byte("loop"), 0, false)
		tx.End()
	}
	le.Disarm()
	le.Release()
	if !through.Load() {
		t.Fatalf("the waiting goroutine did not get the key during %d commands of the loop", n)
	}
}
