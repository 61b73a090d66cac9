package wal

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lightconedb/lightcone/internal/effect"
)

// Fsync is the appendfsync policy, with Redis' meaning.
type Fsync int32

const (
	FsyncNo       Fsync = iota // write() before replying; the OS decides when data reaches the disk
	FsyncEverySec              // write() before replying; fdatasync about once a second in the background
	FsyncAlways                // a reply leaves only after its effect is fsynced (group commit)
)

var fsyncNames = [...]string{"no", "everysec", "always"}

func (f Fsync) String() string { return fsyncNames[f] }

// ParseFsync parses an appendfsync value.
func ParseFsync(s string) (Fsync, bool) {
	for i, n := range fsyncNames {
		if n == s {
			return Fsync(i), true
		}
	}
	return 0, false
}

// logFile is what the log writes segments through; a test can substitute one
// that loses unsynced data the way a power cut does.
type logFile interface {
	Write(p []byte) (int, error)
	Sync() error // data (and the size) durable
	Truncate(size int64) error
	Close() error
}

type osFile struct{ *os.File }

func (f osFile) Sync() error { return fdatasync(f.File) }

func openOSFile(path string) (logFile, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	return osFile{f}, nil
}

// LogOptions configure a Log.
type LogOptions struct {
	Dir         string // the log directory
	Node        effect.NodeID
	SegmentSize int64 // a segment is closed once it holds this much (default 64 MiB)
	Fsync       Fsync
	Start       uint64 // log position of the first record to write
	Restart     bool   // logging restarts after writes that were not logged (see Store)
	// OnClose is told about each segment the log closes (archiving); it is
	// called with the log's write lock held and must only hand it off.
	OnClose func(seg Segment)

	openFile func(path string) (logFile, error)
	syncDir  func(dir string) error
}

// DefaultSegmentSize is the default LogOptions.SegmentSize.
const DefaultSegmentSize = 64 << 20

// syncAfter is how old the oldest unsynced write may get with everysec
// before the background fsync starts: with the 50 ms check and the time an
// fsync takes under load, writes reach the disk within about a second.
const syncAfter = 750 * time.Millisecond

// kickSize is how much buffered log wakes the background writer early.
const kickSize = 4 << 20

// Log appends effects to the current segment. Append only buffers (it runs
// under the engine's locks); Write hands everything buffered to the OS in one
// write, Sync makes it durable with one fdatasync, each covering every
// effect appended so far (group commit). Positions are log positions:
// Appended >= Written >= Synced.
type Log struct {
	opts  LogOptions
	fsync atomic.Int32

	mu  sync.Mutex // guards buf and pos
	buf []byte
	pos uint64 // appended
	// apos is pos for readers that do not take mu (Appended: an event
	// loop asks after every client's batch)
	apos atomic.Uint64

	wmu     sync.Mutex // serialises writes to the file and rotation
	f       logFile
	seg     Segment
	spare   []byte
	written atomic.Uint64
	werr    atomic.Pointer[string] // last write/fsync error, nil when the last one worked

	smu           sync.Mutex // serialises fsyncs (rotation holds it too)
	synced        atomic.Uint64
	unsyncedSince atomic.Int64 // Unix ns of the oldest write not yet fsynced, 0 when none
	lastSync      atomic.Int64 // Unix ns of the last fsync
	maxLag        atomic.Int64 // longest time written data waited for its fsync (ns)
	fsyncs        atomic.Int64
	delayed       atomic.Int64 // fsyncs that found data older than a second

	kick   chan struct{}
	done   chan struct{}
	wg     sync.WaitGroup
	closed bool
}

// OpenLog starts a new segment at opts.Start and the background writer.
func OpenLog(opts LogOptions) (*Log, error) {
	if opts.SegmentSize <= 0 {
		opts.SegmentSize = DefaultSegmentSize
	}
	if opts.openFile == nil {
		opts.openFile = openOSFile
	}
	if opts.syncDir == nil {
		opts.syncDir = syncDir
	}
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, err
	}
	l := &Log{opts: opts, kick: make(chan struct{}, 1), done: make(chan struct{})}
	l.fsync.Store(int32(opts.Fsync))
	l.pos = opts.Start
	l.apos.Store(l.pos)
	l.written.Store(opts.Start)
	l.synced.Store(opts.Start)
	l.lastSync.Store(time.Now().UnixNano())
	var flags uint32
	if opts.Restart {
		flags = segRestart
	}
	l.wmu.Lock()
	err := l.rotateLocked(flags)
	l.wmu.Unlock()
	if err != nil {
		return nil, err
	}
	l.wg.Add(1)
	go l.background()
	return l, nil
}

// SetFsync changes the policy (CONFIG SET appendfsync).
func (l *Log) SetFsync(f Fsync) { l.fsync.Store(int32(f)) }

// Policy is the current fsync policy.
func (l *Log) Policy() Fsync { return Fsync(l.fsync.Load()) }

// Append buffers one effect. It is called under the engine's locks, so it
// only copies.
func (l *Log) Append(e *effect.Effect) {
	l.mu.Lock()
	b, at := beginFrame(l.buf)
	b = e.AppendBinary(b)
	b = finishFrame(b, at)
	l.pos += uint64(len(b) - at)
	l.apos.Store(l.pos)
	l.buf = b
	big := len(b) >= kickSize
	l.mu.Unlock()
	if big {
		select {
		case l.kick <- struct{}{}:
		default:
		}
	}
}

// Appended is the log position after the last effect appended.
func (l *Log) Appended() uint64 { return l.apos.Load() }

// Written is the log position up to which the OS has the data.
func (l *Log) Written() uint64 { return l.written.Load() }

// Synced is the log position up to which the data is on disk.
func (l *Log) Synced() uint64 { return l.synced.Load() }

// Done reports whether everything up to target is as safe as the policy
// asks before a reply may leave: fsynced with always, written otherwise.
func (l *Log) Done(target uint64) bool {
	if l.Policy() == FsyncAlways {
		return l.synced.Load() >= target
	}
	return l.written.Load() >= target
}

// Commit makes everything up to target as safe as the policy asks before a
// reply may leave (see Done).
func (l *Log) Commit(target uint64) error {
	if l.Policy() == FsyncAlways {
		return l.Sync(target)
	}
	return l.Write(target)
}

// Write hands everything appended up to at least target to the OS.
func (l *Log) Write(target uint64) error {
	if l.written.Load() >= target {
		return nil
	}
	l.wmu.Lock()
	defer l.wmu.Unlock()
	return l.writeLocked(target)
}

func (l *Log) writeLocked(target uint64) error {
	if l.written.Load() >= target || l.f == nil {
		if l.f == nil {
			return errClosed
		}
		return nil
	}
	l.mu.Lock()
	b := l.buf
	end := l.pos
	l.buf = l.spare[:0]
	l.mu.Unlock()
	l.spare = nil
	if len(b) == 0 {
		return nil
	}
	if err := writeAll(l.f, b); err != nil {
		// leave the segment as it was and keep the data for the next try
		l.f.Truncate(l.seg.Size)
		l.mu.Lock()
		l.buf = append(b, l.buf...)
		l.mu.Unlock()
		msg := err.Error()
		l.werr.Store(&msg)
		return fmt.Errorf("effect log write: %w", err)
	}
	l.werr.Store(nil)
	l.unsyncedSince.CompareAndSwap(0, time.Now().UnixNano())
	l.seg.Size += int64(len(b))
	l.written.Store(end)
	if cap(b) <= 16<<20 {
		l.spare = b[:0]
	}
	if l.seg.Size-segHeaderLen >= l.opts.SegmentSize {
		return l.rotateLocked(0)
	}
	return nil
}

func writeAll(f logFile, b []byte) error {
	for len(b) > 0 {
		n, err := f.Write(b)
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

var errClosed = errors.New("effect log is closed")

// Sync makes everything appended up to at least target durable.
func (l *Log) Sync(target uint64) error {
	if l.synced.Load() >= target {
		return nil
	}
	if err := l.Write(target); err != nil {
		return err
	}
	l.smu.Lock()
	defer l.smu.Unlock()
	return l.syncLocked(target)
}

func (l *Log) syncLocked(target uint64) error {
	if l.synced.Load() >= target || l.f == nil {
		return nil
	}
	t0 := time.Now().UnixNano()
	w := l.written.Load()
	since := l.unsyncedSince.Load()
	if err := l.f.Sync(); err != nil {
		msg := "fsync: " + err.Error()
		l.werr.Store(&msg)
		return fmt.Errorf("effect log fsync: %w", err)
	}
	now := time.Now().UnixNano()
	l.synced.Store(w)
	l.lastSync.Store(now)
	l.fsyncs.Add(1)
	if since != 0 {
		lag := now - since
		for {
			m := l.maxLag.Load()
			if lag <= m || l.maxLag.CompareAndSwap(m, lag) {
				break
			}
		}
		if lag > int64(time.Second) {
			l.delayed.Add(1)
		}
		// writes after w (if any) happened after t0
		if l.written.Load() == w {
			l.unsyncedSince.CompareAndSwap(since, 0)
		} else {
			l.unsyncedSince.CompareAndSwap(since, t0)
		}
	}
	return nil
}

// Rotate closes the current segment (fsynced) and starts the next one, so
// that everything before the current position lies in closed segments.
func (l *Log) Rotate() error {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	if err := l.writeLocked(l.Appended()); err != nil {
		return err
	}
	if l.seg.Size <= segHeaderLen {
		return nil // nothing in it yet
	}
	return l.rotateLocked(0)
}

// rotateLocked closes the current segment, if any, and opens a new one at
// the written position. The caller holds wmu.
func (l *Log) rotateLocked(flags uint32) error {
	l.smu.Lock()
	defer l.smu.Unlock()
	var closed *Segment
	if l.f != nil {
		if err := l.syncLocked(l.written.Load()); err != nil {
			return err
		}
		if err := l.f.Close(); err != nil {
			return err
		}
		l.f = nil
		c := l.seg
		closed = &c
	}
	start := l.written.Load()
	if flags&segRestart != 0 {
		start = l.opts.Start
	}
	path := filepath.Join(l.opts.Dir, segName(start))
	if fi, err := os.Stat(path); err == nil && fi.Size() <= segHeaderLen {
		os.Remove(path) // an empty segment left by an earlier run
	}
	f, err := l.opts.openFile(path)
	if err != nil {
		return fmt.Errorf("effect log: new segment: %w", err)
	}
	now := time.Now().UnixMilli()
	hdr := encodeSegHeader(l.opts.Node, start, now, flags)
	if err := writeAll(f, hdr); err == nil {
		err = f.Sync()
	}
	if err == nil {
		err = l.opts.syncDir(l.opts.Dir)
	}
	if err != nil {
		f.Close()
		os.Remove(path)
		return fmt.Errorf("effect log: new segment: %w", err)
	}
	l.f = f
	l.seg = Segment{Path: path, Start: start, Node: l.opts.Node, Created: now, Flags: flags, Size: segHeaderLen}
	if closed != nil && l.opts.OnClose != nil {
		l.opts.OnClose(*closed)
	}
	return nil
}

// Current is the segment being written.
func (l *Log) Current() Segment {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	return l.seg
}

// background writes what no client waits for (expiry, replication) and, with
// everysec, fsyncs once the oldest unsynced write is syncAfter old.
func (l *Log) background() {
	defer l.wg.Done()
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-l.done:
			return
		case <-l.kick:
			l.Write(l.Appended())
		case <-t.C:
			l.Write(l.Appended())
			switch l.Policy() {
			case FsyncAlways:
				l.Sync(l.written.Load())
			case FsyncEverySec:
				if s := l.unsyncedSince.Load(); s != 0 && time.Now().UnixNano()-s >= int64(syncAfter) {
					l.Sync(l.written.Load())
				}
			}
		}
	}
}

// Close writes and fsyncs everything appended and closes the segment.
func (l *Log) Close() error {
	l.wmu.Lock()
	if l.closed {
		l.wmu.Unlock()
		return nil
	}
	l.closed = true
	l.wmu.Unlock()
	close(l.done)
	l.wg.Wait()
	l.wmu.Lock()
	defer l.wmu.Unlock()
	err := l.writeLocked(l.Appended())
	l.smu.Lock()
	if serr := l.syncLocked(l.written.Load()); err == nil {
		err = serr
	}
	if l.f != nil {
		if cerr := l.f.Close(); err == nil {
			err = cerr
		}
		l.f = nil
	}
	l.smu.Unlock()
	return err
}

// LogStats is what INFO persistence reports about the log.
type LogStats struct {
	Appended, Written, Synced uint64
	Buffered                  int   // bytes appended but not yet written
	FsyncLag                  int64 // ms the oldest unsynced write has waited, 0 when all is synced
	MaxFsyncLag               int64 // ms, the longest such wait so far
	LastFsync                 int64 // Unix ms
	Fsyncs                    int64
	DelayedFsyncs             int64
	WriteError                string // last write or fsync error, "" when the last one worked
	Segment                   Segment
}

// Stats samples the log's counters.
func (l *Log) Stats() LogStats {
	l.mu.Lock()
	buffered := len(l.buf)
	l.mu.Unlock()
	st := LogStats{
		Appended: l.Appended(), Written: l.written.Load(), Synced: l.synced.Load(),
		Buffered:      buffered,
		MaxFsyncLag:   l.maxLag.Load() / 1e6,
		LastFsync:     l.lastSync.Load() / 1e6,
		Fsyncs:        l.fsyncs.Load(),
		DelayedFsyncs: l.delayed.Load(),
	}
	if s := l.unsyncedSince.Load(); s != 0 {
		st.FsyncLag = (time.Now().UnixNano() - s) / 1e6
	}
	if e := l.werr.Load(); e != nil {
		st.WriteError = *e
	}
	st.Segment = l.Current()
	return st
}
