package wal

import (
	"fmt"
	"sort"
	"time"

	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/engine"
)

// State transfer. A cluster node that needs effects no peer retains any
// more (a new node joining a cluster that has been running, a node away
// longer than its peers' retained windows) takes a peer's snapshot — the
// file Store.Snapshot writes, sent over the network — and installs it in
// its running engine: InstallSnapshot. The node's own effects that the
// snapshot does not hold are applied again on top, so that nothing it
// acknowledged is lost; Store.Install wraps it so that the installed state
// is made durable by a local snapshot before anything else happens.

// InstallInfo says what InstallSnapshot did.
type InstallInfo struct {
	Meta     SnapMeta // the installed snapshot's metadata (End is its cut)
	OwnFrom  uint64   // the highest own Seq the snapshot covered
	OwnAgain int      // own effects beyond it applied again
	OwnLost  uint64   // own Seqs beyond it that own did not provide (0 when none)
	Keys     int      // keys holding a value afterwards
	Duration time.Duration
}

// SnapshotCut reads the end cut of the snapshot at path after checking
// every record of the file (so that a damaged transfer is refused before
// anything is replaced).
func SnapshotCut(path string) (SnapMeta, error) {
	return ReadSnapshot(path, SnapVisitor{})
}

// InstallSnapshot replaces en's state by the snapshot at path, taken by a
// peer: every database is emptied, the snapshot's entries and tail are
// loaded, and the applied frontier of every other origin becomes exactly
// the snapshot's end cut. Then this node's own effects that the cut does
// not cover are applied again, in Seq order: own(from) returns them, those
// with Seq > from (it may return more, or fewer: a Seq it cannot provide is
// counted in OwnLost). The node's own Seq never goes down.
//
// The caller guarantees that nothing else uses the engine meanwhile (no
// command, no remote effect), and that the cut covers every effect of
// other origins the engine had applied (then every own effect's causal
// past is in the snapshot, and applying them again is causal delivery).
func InstallSnapshot(path string, en *engine.Engine, own func(from uint64) ([]effect.Effect, error)) (InstallInfo, error) {
	start := time.Now()
	var info InstallInfo
	m, err := SnapshotCut(path)
	if err != nil {
		return info, err
	}
	if m.Databases > en.Databases() {
		// a block of a database this node lacks would fail half-way
		if err := databasesUsed(path, en.Databases()); err != nil {
			return info, err
		}
	}
	self := en.Node()
	from := effect.FrontierOf(m.End.Applied, self)
	if m.End.Node == self {
		from = m.End.Seq
	}
	info.OwnFrom = from
	var mine []effect.Effect
	if own != nil {
		if mine, err = own(from); err != nil {
			return info, err
		}
	}
	sort.Slice(mine, func(i, j int) bool { return mine[i].ID.Seq < mine[j].ID.Seq })
	last := en.Seq()
	en.ResetForInstall()
	m, err = LoadSnapshot(path, en)
	if err != nil {
		return info, err
	}
	info.Meta = m
	next := from + 1
	for i := range mine {
		e := &mine[i]
		if e.ID.Node != self || e.ID.Seq < next {
			continue
		}
		if e.ID.Seq > next {
			info.OwnLost += e.ID.Seq - next
		}
		en.Replay(e)
		info.OwnAgain++
		next = e.ID.Seq + 1
	}
	if last >= next {
		info.OwnLost += last - next + 1
	}
	en.FinishInstall()
	info.Keys = en.Keys()
	info.Duration = time.Since(start)
	return info, nil
}

// databasesUsed fails when the snapshot at path holds a database >= n.
func databasesUsed(path string, n int) error {
	var bad int = -1
	_, err := ReadSnapshot(path, SnapVisitor{Entries: func(db, _, count int, _ []byte) error {
		if db >= n && count > 0 && bad < 0 {
			bad = db
		}
		return nil
	}})
	if err != nil {
		return err
	}
	if bad >= 0 {
		return fmt.Errorf("the snapshot holds database %d but this node has %d (set --databases)", bad, n)
	}
	return nil
}

// Install runs install (which replaces the engine's state, e.g. with
// InstallSnapshot) while no snapshot of this store is being taken, then
// takes one at once, before any other snapshot can start: the installed
// state is durable when Install returns without error. (The effects the
// install applies are not logged: a restart after it recovers from that
// snapshot.) A snapshot already running is waited for.
func (s *Store) Install(install func() error) (SnapMeta, error) {
	for !s.saving.CompareAndSwap(false, true) {
		time.Sleep(5 * time.Millisecond)
	}
	if err := install(); err != nil {
		s.saving.Store(false)
		return SnapMeta{}, err
	}
	return s.snapshot(true) // clears saving
}
