package wal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lightconedb/lightcone/internal/crdt"
	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/engine"
	"github.com/lightconedb/lightcone/internal/keyspace"
)

// Options configure a Store.
type Options struct {
	Dir         string // the data directory (log/ and snapshots/ go in it)
	Node        effect.NodeID
	AppendOnly  bool  // keep the effect log (appendonly yes)
	Fsync       Fsync // appendfsync
	SegmentSize int64
	Retention   Retention
	Archive     string // where closed segments and snapshots are copied: a directory or s3://... ("" = none; see OpenArchive)
	Log         *slog.Logger
}

// Retention says how much history to keep beyond what recovery needs: a
// duration (every state of the last Duration can be restored), or a size
// (as much history as fits in Bytes of segments and snapshots). Zero keeps
// only what recovery needs.
type Retention struct {
	Duration time.Duration
	Bytes    int64
}

// Store makes one node durable. It is the engine's sink: every applied effect
// goes to the log (when appendonly is on) and, while a snapshot is being
// copied, to the snapshot's tail. Recover loads the newest snapshot and
// replays the log after it; Snapshot writes a new one without stopping
// writes; the log behind the newest snapshot is dropped unless history
// retention keeps it.
type Store struct {
	opts    Options
	logDir  string
	snapDir string
	lock    *os.File
	en      *engine.Engine

	log    atomic.Pointer[Log]
	track  atomic.Pointer[snapTrack]
	inTxn  atomic.Bool // between BeginTxn and EndTxn (group.go)
	txnMu  sync.Mutex
	txnBuf []byte
	pos    atomic.Uint64 // log position while the log is off (where it stopped)

	snapMu       sync.Mutex // one snapshot at a time
	saving       atomic.Bool
	saveStarted  atomic.Int64 // Unix ms
	lastSave     atomic.Int64 // Unix s of the last successful snapshot
	lastOK       atomic.Bool
	lastDuration atomic.Int64 // ms
	saves        atomic.Int64
	lastSize     atomic.Int64
	lastLogPos   atomic.Uint64 // the newest snapshot's log position
	dirtyBase    atomic.Int64  // engine effect count at the newest snapshot's start cut
	dirtyAtStart int64         // the same for the snapshot being taken (snapMu)
	lastErr      atomic.Pointer[string]

	archive   Archive
	archiveCh chan string
	archWG    sync.WaitGroup

	Recovery RecoveryInfo
	closed   atomic.Bool
}

// RecoveryInfo tells what the last start found and did.
type RecoveryInfo struct {
	Snapshot    string // the snapshot loaded, "" when none
	KeysLoaded  int64
	TailApplied int64 // effects of the snapshot's tail
	LogRecords  int64 // log effects replayed
	LogFrom     uint64
	LogEnd      uint64
	Torn        *Problem // a torn tail that was truncated
	Restarted   string   // segments set aside: logging had restarted after them
	Duration    time.Duration
	Skipped     []string // damaged snapshots passed over
}

// Open prepares the data directory (and takes its lock: one node per
// directory). Call Recover next.
func Open(opts Options) (*Store, error) {
	if opts.Log == nil {
		opts.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Store{
		opts:    opts,
		logDir:  filepath.Join(opts.Dir, "log"),
		snapDir: filepath.Join(opts.Dir, "snapshots"),
	}
	for _, d := range []string{s.logDir, s.snapDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	lock, err := lockDir(opts.Dir)
	if err != nil {
		return nil, err
	}
	s.lock = lock
	s.lastOK.Store(true)
	if opts.Archive != "" {
		a, err := OpenArchive(opts.Archive)
		if err != nil {
			lock.Close()
			return nil, err
		}
		s.archive = a
		s.archiveCh = make(chan string, 1024)
		s.archWG.Add(1)
		go s.archiver()
	}
	return s, nil
}

// LogDir and SnapshotDir are where the store keeps its files.
func (s *Store) LogDir() string      { return s.logDir }
func (s *Store) SnapshotDir() string { return s.snapDir }

// Emit implements engine.Sink.
func (s *Store) Emit(e *effect.Effect, local bool) {
	if t := s.track.Load(); t != nil {
		t.note(e)
	}
	if l := s.log.Load(); l != nil {
		l.Append(e)
	}
}

// Recover loads the newest usable snapshot into en (which must be new and
// have s as its sink), replays the log after it, repairs a torn tail, and
// opens the log for new effects when appendonly is on.
func (s *Store) Recover(en *engine.Engine) error {
	start := time.Now()
	s.en = en
	// loading allocates what stays: collect less often meanwhile
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	ri := &s.Recovery
	snaps, err := ListSnapshots(s.snapDir)
	if err != nil {
		return err
	}
	removeTemps(s.snapDir)
	var meta *SnapMeta
	for i := len(snaps) - 1; i >= 0; i-- {
		m, err := ReadSnapshotMeta(snaps[i])
		if err != nil {
			s.opts.Log.Warn("skipping a damaged snapshot", "err", err)
			ri.Skipped = append(ri.Skipped, snaps[i])
			continue
		}
		meta = &m
		break
	}
	from := uint64(0)
	if meta != nil {
		m, err := LoadSnapshot(meta.Path, en)
		if err != nil {
			return err
		}
		ri.Snapshot = meta.Path
		ri.KeysLoaded = int64(en.Keys())
		ri.TailApplied = m.Tail
		from = m.LogPos
		s.lastSave.Store(m.Created / 1000)
		s.lastLogPos.Store(m.LogPos)
		s.lastSize.Store(m.Size)
	}
	ri.LogFrom = from
	rp := newReplayer(en)
	info, err := ReadLog(s.logDir, from, func(pos uint64, e *effect.Effect) error {
		if meta != nil && meta.End.Covers(e.ID) {
			return nil
		}
		rp.apply(e)
		ri.LogRecords++
		return nil
	})
	rp.close()
	if err != nil {
		return err
	}
	for _, seg := range info.Segments {
		if seg.Node != s.opts.Node && seg.Node != 0 {
			return fmt.Errorf("effect log segment %s belongs to node %016x, not to this node (%016x): the data directory mixes two nodes' files", seg.Path, uint64(seg.Node), uint64(s.opts.Node))
		}
	}
	end := info.End
	if info.Torn != nil {
		p := info.Torn
		s.opts.Log.Warn("effect log ends with a torn record (a crash interrupted a write); truncating it",
			"file", p.Path, "offset", p.Offset, "bytes", p.Bytes, "reason", p.Reason)
		if err := RepairTorn(p); err != nil {
			return fmt.Errorf("truncating the torn tail of %s: %w", p.Path, err)
		}
		ri.Torn = p
	}
	if info.Restart != nil {
		// logging restarted (CONFIG SET appendonly yes) and no snapshot
		// was finished after: what follows cannot be replayed on this state
		segs, _ := ListSegments(s.logDir)
		for _, seg := range segs {
			if seg.Start >= info.Restart.Start {
				os.Rename(seg.Path, seg.Path+".orphan")
			}
		}
		ri.Restarted = info.Restart.Path
		s.opts.Log.Warn("effect log restarted after unlogged writes and no snapshot followed; set aside the segments from there on",
			"from", info.Restart.Path)
	}
	if meta != nil && meta.LogPos > end {
		end = meta.LogPos
	}
	ri.LogEnd = end
	s.pos.Store(end)
	ri.Duration = time.Since(start)
	s.dirtyBase.Store(s.effects())
	if s.opts.AppendOnly {
		l, err := s.openLog(end, false)
		if err != nil {
			return err
		}
		s.log.Store(l)
	}
	s.catchUpArchive()
	return nil
}

func (s *Store) openLog(start uint64, restart bool) (*Log, error) {
	return OpenLog(LogOptions{
		Dir: s.logDir, Node: s.opts.Node, SegmentSize: s.opts.SegmentSize,
		Fsync: s.opts.Fsync, Start: start, Restart: restart,
		OnClose: func(seg Segment) { s.toArchive(seg.Path) },
	})
}

func removeTemps(dir string) {
	ents, _ := os.ReadDir(dir)
	for _, de := range ents {
		if filepath.Ext(de.Name()) == ".tmp" {
			os.Remove(filepath.Join(dir, de.Name()))
		}
	}
}

// LoadSnapshot loads a snapshot into en: its entries (blocks in parallel),
// then its tail, then the node's position at its cut.
func LoadSnapshot(path string, en *engine.Engine) (SnapMeta, error) {
	bl := newBlockLoader(en, path)
	finished := false
	finish := func() error {
		if finished {
			return nil
		}
		finished = true
		return bl.finish()
	}
	m, err := ReadSnapshot(path, SnapVisitor{
		Entries: func(db, shard, count int, data []byte) error {
			if db >= en.Databases() {
				return fmt.Errorf("snapshot %s holds database %d but the node has %d (set --databases)", path, db, en.Databases())
			}
			bl.add(db, count, data)
			return nil
		},
		Tail: func(e *effect.Effect) error {
			if err := finish(); err != nil {
				return err
			}
			en.Replay(e)
			return nil
		},
	})
	if ferr := finish(); err == nil {
		err = ferr
	}
	if err != nil {
		return m, err
	}
	en.Restore(&m.End)
	return m, nil
}

// loadBlock loads one block of count entries of database db.
func loadBlock(en *engine.Engine, path string, db, count int, data []byte) error {
	for i := 0; i < count; i++ {
		n, err := en.LoadEntry(db, data)
		if err != nil {
			return fmt.Errorf("snapshot %s: entry %d of a block of database %d: %w", path, i, db, err)
		}
		data = data[n:]
	}
	if len(data) != 0 {
		return fmt.Errorf("snapshot %s: trailing bytes in a block of database %d", path, db)
	}
	return nil
}

// Appended is the log position after the last effect logged (0 with the log
// off): a reply that must wait for durability waits for this.
func (s *Store) Appended() uint64 {
	if l := s.log.Load(); l != nil {
		return l.Appended()
	}
	return 0
}

// Done reports whether everything up to target is as durable as the fsync
// policy asks before replying.
func (s *Store) Done(target uint64) bool {
	l := s.log.Load()
	return l == nil || l.Done(target)
}

// Commit makes everything up to target as durable as the policy asks: written
// to the OS, and with appendfsync always fsynced.
func (s *Store) Commit(target uint64) error {
	l := s.log.Load()
	if l == nil {
		return nil
	}
	if target > l.Appended() {
		target = l.Appended() // a position of an earlier log (appendonly was switched)
	}
	return l.Commit(target)
}

// Log is the effect log, nil when appendonly is off.
func (s *Store) Log() *Log { return s.log.Load() }

// SetFsync changes the fsync policy.
func (s *Store) SetFsync(f Fsync) {
	s.opts.Fsync = f
	if l := s.log.Load(); l != nil {
		l.SetFsync(f)
	}
}

// SetAppendOnly turns the log on or off at runtime. Turning it on starts a
// new log (flagged as a restart: the writes made meanwhile were not logged)
// and takes a snapshot in the background, after which a restart recovers
// from snapshot + log again; until then a crash recovers the state as of
// the log's end, as with appendonly off.
func (s *Store) SetAppendOnly(on bool) error {
	if s.en == nil {
		s.opts.AppendOnly = on
		return nil
	}
	if on == (s.log.Load() != nil) {
		return nil
	}
	if !on {
		var l *Log
		s.between(func() {
			s.en.Cut(func(*engine.Cut) {
				l = s.log.Swap(nil)
				s.pos.Store(l.Appended())
			})
		})
		s.opts.AppendOnly = false
		return l.Close()
	}
	l, err := s.openLog(s.pos.Load()+1, true)
	if err != nil {
		return err
	}
	s.between(func() {
		s.en.Cut(func(*engine.Cut) { s.log.Store(l) })
	})
	s.opts.AppendOnly = true
	s.BackgroundSnapshot()
	return nil
}

// between runs fn between commands and between transactions: with every
// shard locked (a command holds its shards until it ends), at a moment when
// no BeginTxn is open (an EXEC between two of its commands holds no lock:
// then the locks are let go and taken again a little later).
func (s *Store) between(fn func()) {
	for {
		done := false
		s.en.Frozen(func(func(int, int) *keyspace.Shard) {
			if !s.inTxn.Load() {
				fn()
				done = true
			}
		})
		if done {
			return
		}
		time.Sleep(50 * time.Microsecond)
	}
}

// position is the log position at this instant; call it within a Cut.
func (s *Store) position() uint64 {
	if l := s.log.Load(); l != nil {
		return l.Appended()
	}
	return s.pos.Load()
}

// Saving reports whether a snapshot is being taken, and since when (Unix ms).
func (s *Store) Saving() (bool, int64) { return s.saving.Load(), s.saveStarted.Load() }

// LastSave is the Unix time of the last successful snapshot (0 if none).
func (s *Store) LastSave() int64 { return s.lastSave.Load() }

// SaveStats is what INFO persistence reports about snapshots.
type SaveStats struct {
	LastOK        bool
	LastDuration  int64 // ms
	Saves         int64
	LastSize      int64
	LastLogPos    uint64
	Dirty         int64 // effects since the last snapshot's cut
	LastError     string
	LogBytes      int64 // bytes in log segments on disk
	LogSegments   int
	Snapshots     int
	SnapshotBytes int64
}

// SaveStats samples the snapshot counters and the files on disk.
func (s *Store) SaveStats() SaveStats {
	st := s.Counters()
	if segs, err := ListSegments(s.logDir); err == nil {
		st.LogSegments = len(segs)
		for _, g := range segs {
			st.LogBytes += g.Size
		}
	}
	if snaps, err := ListSnapshots(s.snapDir); err == nil {
		st.Snapshots = len(snaps)
		for _, p := range snaps {
			if fi, err := os.Stat(p); err == nil {
				st.SnapshotBytes += fi.Size()
			}
		}
	}
	return st
}

// Counters is SaveStats without looking at the files (cheap).
func (s *Store) Counters() SaveStats {
	st := SaveStats{
		LastOK: s.lastOK.Load(), LastDuration: s.lastDuration.Load(), Saves: s.saves.Load(),
		LastSize: s.lastSize.Load(), LastLogPos: s.lastLogPos.Load(),
	}
	st.Dirty = s.Dirty()
	if e := s.lastErr.Load(); e != nil {
		st.LastError = *e
	}
	return st
}

// Dirty is the number of effects applied since the last snapshot's cut.
func (s *Store) Dirty() int64 {
	if s.en == nil {
		return 0
	}
	return s.effects() - s.dirtyBase.Load()
}

// ErrSaving is returned when a snapshot is already being taken.
var ErrSaving = errors.New("a snapshot is already in progress")

// BackgroundSnapshot starts a snapshot unless one is running; it reports
// whether it started one.
func (s *Store) BackgroundSnapshot() bool {
	if !s.saving.CompareAndSwap(false, true) {
		return false
	}
	go func() {
		s.snapshot(true)
	}()
	return true
}

// SaveInBackground starts a snapshot unless one is running: onStart runs
// before it returns true, onDone when the snapshot is finished.
func (s *Store) SaveInBackground(onStart func(), onDone func(error)) bool {
	if !s.saving.CompareAndSwap(false, true) {
		return false
	}
	onStart()
	go func() {
		_, err := s.snapshot(true)
		onDone(err)
	}()
	return true
}

// Snapshot takes a snapshot now (the caller waits; writes go on).
func (s *Store) Snapshot() (SnapMeta, error) {
	if !s.saving.CompareAndSwap(false, true) {
		return SnapMeta{}, ErrSaving
	}
	return s.snapshot(true)
}

var errRetry = errors.New("retry")

// snapshot takes a snapshot; saving is already set.
func (s *Store) snapshot(prune bool) (SnapMeta, error) {
	s.snapMu.Lock()
	defer s.snapMu.Unlock()
	defer s.saving.Store(false)
	t0 := time.Now()
	s.saveStarted.Store(t0.UnixMilli())
	var m SnapMeta
	var err error
	for attempt := 0; ; attempt++ {
		m, err = s.snapshotOnce(attempt >= 3)
		if err != errRetry {
			break
		}
		s.opts.Log.Info("snapshot restarted: the databases were swapped while it was copied", "attempt", attempt+1)
	}
	s.lastDuration.Store(time.Since(t0).Milliseconds())
	if err != nil {
		s.lastOK.Store(false)
		msg := err.Error()
		s.lastErr.Store(&msg)
		s.opts.Log.Warn("snapshot failed", "err", err)
		return m, err
	}
	s.lastOK.Store(true)
	s.lastErr.Store(nil)
	s.lastSave.Store(time.Now().Unix())
	s.saves.Add(1)
	s.lastSize.Store(m.Size)
	s.lastLogPos.Store(m.LogPos)
	s.opts.Log.Info("snapshot saved", "file", m.Path, "keys", m.Keys, "tail", m.Tail, "bytes", m.Size, "ms", m.Duration)
	s.toArchive(m.Path)
	if l := s.log.Load(); l != nil {
		if err := l.Rotate(); err != nil {
			s.opts.Log.Warn("effect log rotation failed", "err", err)
		}
	}
	if prune {
		if err := s.Prune(); err != nil {
			s.opts.Log.Warn("pruning old history failed", "err", err)
		}
	}
	return m, nil
}

// snapTrack follows the effects applied while a snapshot is copied, so that
// the snapshot is exactly the state at its end cut. It is only touched under
// the engine's emit lock (note) or a shard lock (copied).
type snapTrack struct {
	cluster bool
	copied  [][keyspace.NumShards]bool // shards copied so far, per database
	tail    []byte                     // effects on copied shards: (uvarint len, effect)*
	recs    []tailRec
	discard map[[2]int]bool
	invalid atomic.Bool // the copy cannot be completed consistently (SWAPDB)
}

type tailRec struct {
	db       uint32
	from, to int
}

func (t *snapTrack) note(e *effect.Effect) {
	switch e.Op {
	case effect.OpSwapDB:
		t.invalid.Store(true)
	case effect.OpFlushDB:
		if t.cluster {
			t.invalid.Store(true) // observed-remove key by key: take it again
			return
		}
		db := int(e.DB)
		if db >= len(t.copied) {
			return
		}
		// the copied blocks of db are gone, and so is every effect on db
		// kept so far; the shards not yet copied will be copied empty
		for sh, done := range t.copied[db] {
			if done {
				t.discard[[2]int{db, sh}] = true
			}
		}
		out := t.tail[:0]
		recs := t.recs[:0]
		for _, r := range t.recs {
			if r.db != e.DB {
				n := len(out)
				out = append(out, t.tail[r.from:r.to]...)
				recs = append(recs, tailRec{db: r.db, from: n, to: len(out)})
			}
		}
		t.tail, t.recs = out, recs
	default:
		if int(e.DB) >= len(t.copied) || !t.copied[e.DB][keyspace.ShardIndex(e.Key)] {
			return // the copy will include it
		}
		from := len(t.tail)
		t.tail = append(t.tail, 0, 0, 0, 0, 0)
		t.tail = e.AppendBinary(t.tail)
		t.tail = putUvarint5(t.tail, from)
		t.recs = append(t.recs, tailRec{db: e.DB, from: from, to: len(t.tail)})
	}
}

// putUvarint5 writes the length of what follows the 5 bytes reserved at
// dst[at:] there as a uvarint, closing up the gap.
func putUvarint5(dst []byte, at int) []byte {
	body := len(dst) - at - 5
	var tmp [binary.MaxVarintLen64]byte
	k := binary.PutUvarint(tmp[:], uint64(body))
	copy(dst[at:], tmp[:k])
	if k < 5 {
		copy(dst[at+k:], dst[at+5:])
		dst = dst[:len(dst)-(5-k)]
	}
	return dst
}

// snapshotOnce copies the keyspace shard by shard (or, frozen, with every
// shard locked at once) into a new snapshot file.
func (s *Store) snapshotOnce(frozen bool) (SnapMeta, error) {
	en := s.en
	m := SnapMeta{Node: s.opts.Node, Databases: en.Databases(), Created: time.Now().UnixMilli(), Frozen: frozen}
	w, err := createSnapshot(s.snapDir)
	if err != nil {
		return m, err
	}
	var block []byte
	var scratch crdt.Enc
	keysIn := map[[2]int]int64{}
	// copyShard encodes one locked shard as an entries record body.
	copyShard := func(db, s int, sh *keyspace.Shard) int {
		block = block[:0]
		n, keys := 0, int64(0)
		sh.Range(func(ent *keyspace.Entry) bool {
			block = engine.AppendEntry(block, ent, &scratch)
			n++
			if ent.Exists() {
				keys++
			}
			return true
		})
		m.Entries += int64(n)
		m.Keys += keys
		if keys > 0 {
			keysIn[[2]int{db, s}] = keys
		}
		return n
	}
	writeBlock := func(db, sh, n int) error {
		var hdr [1 + 3*binary.MaxVarintLen64]byte
		h := append(hdr[:0], recEntries)
		h = binary.AppendUvarint(h, uint64(db))
		h = binary.AppendUvarint(h, uint64(sh))
		h = binary.AppendUvarint(h, uint64(n))
		return w.record(h, block)
	}
	if frozen {
		var werr error
		for done := false; !done; {
			en.Frozen(func(shard func(db, s int) *keyspace.Shard) {
				if s.inTxn.Load() {
					return // inside a transaction: again in a moment
				}
				done = true
				en.Cut(func(c *engine.Cut) {
					m.Start, m.End = cloneCut(c), cloneCut(c)
					m.LogPos = s.position()
					s.dirtyAtStart = c.LocalEffects + s.en.Stats().RemoteApplied.Load()
				})
				for db := 0; db < m.Databases && werr == nil; db++ {
					for sh := 0; sh < keyspace.NumShards && werr == nil; sh++ {
						if n := copyShard(db, sh, shard(db, sh)); n > 0 {
							werr = writeBlock(db, sh, n)
						}
					}
				}
			})
			if !done {
				time.Sleep(50 * time.Microsecond)
			}
		}
		if werr != nil {
			w.abort()
			return m, werr
		}
	} else {
		t := &snapTrack{cluster: en.Cluster(), copied: make([][keyspace.NumShards]bool, m.Databases), discard: map[[2]int]bool{}}
		en.Cut(func(c *engine.Cut) {
			m.Start = cloneCut(c)
			s.track.Store(t)
			s.dirtyAtStart = c.LocalEffects + s.en.Stats().RemoteApplied.Load()
		})
		stop := func() { en.Cut(func(*engine.Cut) { s.track.Store(nil) }) }
		for db := 0; db < m.Databases; db++ {
			for sh := 0; sh < keyspace.NumShards; sh++ {
				n := 0
				en.SnapshotShard(db, sh, func(shard *keyspace.Shard) {
					t.copied[db][sh] = true
					n = copyShard(db, sh, shard)
				})
				if n > 0 {
					if err := writeBlock(db, sh, n); err != nil {
						stop()
						w.abort()
						return m, err
					}
				}
				if t.invalid.Load() {
					stop()
					w.abort()
					return m, errRetry
				}
			}
		}
		// the end cut falls between commands (every shard locked: a
		// command holds its own until it ends) and transactions: a
		// snapshot never holds part of one
		s.between(func() {
			en.Cut(func(c *engine.Cut) {
				m.End = cloneCut(c)
				m.LogPos = s.position()
				s.track.Store(nil)
			})
		})
		if t.invalid.Load() {
			w.abort()
			return m, errRetry
		}
		for k := range t.discard {
			m.Discarded = append(m.Discarded, k)
		}
		sort.Slice(m.Discarded, func(i, j int) bool {
			a, b := m.Discarded[i], m.Discarded[j]
			return a[0] < b[0] || (a[0] == b[0] && a[1] < b[1])
		})
		if len(t.recs) > 0 {
			h := binary.AppendUvarint([]byte{recTail}, uint64(len(t.recs)))
			if err := w.record(h, t.tail); err != nil {
				w.abort()
				return m, err
			}
			m.Tail = int64(len(t.recs))
		}
	}
	for _, d := range m.Discarded {
		m.Keys -= keysIn[d] // a FLUSHDB emptied them
	}
	m.Duration = time.Now().UnixMilli() - m.Created
	path := filepath.Join(s.snapDir, snapName(m.LogPos, m.End.Seq))
	if err := w.finish(&m, path); err != nil {
		return m, err
	}
	fi, err := os.Stat(path)
	if err == nil {
		m.Size = fi.Size()
	}
	m.Path = path
	s.dirtyBase.Store(s.dirtyAtStart)
	return m, nil
}

// effects is the number of effects the engine applied since it started.
func (s *Store) effects() int64 {
	st := s.en.Stats()
	return s.en.LocalEffects() + st.RemoteApplied.Load()
}

func cloneCut(c *engine.Cut) engine.Cut {
	out := *c
	out.Applied = append([]effect.ID(nil), c.Applied...)
	return out
}

// Close makes the log durable and closes it; with snapshot set it first
// takes a snapshot (a graceful shutdown with save rules, like Redis).
func (s *Store) Close(snapshot bool) error {
	if !s.closed.CompareAndSwap(false, true) {
		return nil
	}
	var err error
	if snapshot && s.en != nil {
		if s.saving.CompareAndSwap(false, true) {
			_, err = s.snapshot(true)
		}
	}
	s.snapMu.Lock() // wait for a background snapshot
	s.snapMu.Unlock()
	if l := s.log.Swap(nil); l != nil {
		if cerr := l.Close(); err == nil {
			err = cerr
		}
	}
	if s.archiveCh != nil {
		close(s.archiveCh)
		s.archWG.Wait()
	}
	if s.lock != nil {
		s.lock.Close()
	}
	return err
}

// Abandon releases the directory without writing anything more (a node that
// never served).
func (s *Store) Abandon() {
	if !s.closed.CompareAndSwap(false, true) {
		return
	}
	if l := s.log.Swap(nil); l != nil {
		l.Close()
	}
	if s.archiveCh != nil {
		close(s.archiveCh)
		s.archWG.Wait()
	}
	if s.lock != nil {
		s.lock.Close()
	}
}
