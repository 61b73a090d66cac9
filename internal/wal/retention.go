package wal

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// ParseRetention parses --history-retention: "0" (keep only what recovery
// needs), a duration ("90m", "24h", "7d", "2w") or a size ("500mb", "10gb").
func ParseRetention(v string) (Retention, error) {
	v = strings.ToLower(strings.TrimSpace(v))
	if v == "" || v == "0" {
		return Retention{}, nil
	}
	num := strings.TrimRightFunc(v, func(r rune) bool { return r < '0' || r > '9' })
	unit := v[len(num):]
	if num == "" {
		return Retention{}, fmt.Errorf("history retention %q: want a duration (24h, 7d) or a size (10gb)", v)
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 {
		return Retention{}, fmt.Errorf("history retention %q: bad number", v)
	}
	day := 24 * time.Hour
	durs := map[string]time.Duration{"s": time.Second, "m": time.Minute, "h": time.Hour, "d": day, "w": 7 * day}
	if d, ok := durs[unit]; ok {
		return Retention{Duration: time.Duration(n) * d}, nil
	}
	if d, err := time.ParseDuration(v); err == nil && d > 0 {
		return Retention{Duration: d}, nil
	}
	sizes := map[string]int64{"b": 1, "k": 1000, "kb": 1 << 10, "m": 1000 * 1000, "mb": 1 << 20, "g": 1000 * 1000 * 1000, "gb": 1 << 30, "t": 1e12, "tb": 1 << 40}
	if m, ok := sizes[unit]; ok {
		return Retention{Bytes: n * m}, nil
	}
	return Retention{}, fmt.Errorf("history retention %q: unknown unit %q (use s, m, h, d, w or b, kb, mb, gb, tb)", v, unit)
}

// SetRetention changes the retention (CONFIG SET history-retention); it
// applies from the next prune.
func (s *Store) SetRetention(r Retention) { s.opts.Retention = r }

// Prune deletes history no longer needed: snapshots older than the base one
// and closed segments that end before it. The base is the newest snapshot
// without retention; with a duration, the newest snapshot at least that old
// (so any moment since then can be restored); with a size, the oldest
// snapshot whose history since fits. Files go to the archive first if one is
// configured.
func (s *Store) Prune() error {
	snaps, err := ListSnapshots(s.snapDir)
	if err != nil {
		return err
	}
	var metas []SnapMeta
	for _, p := range snaps {
		if m, err := ReadSnapshotMeta(p); err == nil {
			metas = append(metas, m)
		}
	}
	if len(metas) == 0 {
		return nil
	}
	segs, err := ListSegments(s.logDir)
	if err != nil {
		return err
	}
	var current uint64 = 1<<64 - 1
	if l := s.log.Load(); l != nil {
		current = l.Current().Start
	}
	base := len(metas) - 1
	r := s.opts.Retention
	switch {
	case r.Duration > 0:
		cutoff := time.Now().Add(-r.Duration).UnixMilli()
		base = -1
		for i := range metas {
			if metas[i].Time() <= cutoff {
				base = i
			}
		}
		if base < 0 {
			return nil // no snapshot is that old yet: all of it is within the window
		}
	case r.Bytes > 0:
		for i := len(metas) - 1; i >= 0; i-- {
			total := int64(0)
			for j := i; j < len(metas); j++ {
				total += metas[j].Size
			}
			for _, g := range segs {
				if g.End() > metas[i].LogPos {
					total += g.Size
				}
			}
			if total > r.Bytes && i < len(metas)-1 {
				break
			}
			base = i
		}
	}
	keep := metas[base].LogPos
	for i := 0; i < base; i++ {
		if err := s.retire(metas[i].Path); err != nil {
			return err
		}
	}
	for _, g := range segs {
		if g.Start < current && g.End() <= keep {
			if err := s.retire(g.Path); err != nil {
				return err
			}
		}
	}
	return nil
}

// retire removes a file of history, archiving it first when an archive is
// configured.
func (s *Store) retire(path string) error {
	if s.archive != nil {
		if err := s.archiveFile(path); err != nil {
			return fmt.Errorf("archiving %s before removing it: %w", path, err)
		}
	}
	return os.Remove(path)
}

// ArchiveDir is where a node's files go in a directory archive: one
// directory per node, laid out like a data directory (log/, snapshots/).
func ArchiveDir(archive string, node uint64) string {
	return filepath.Join(archive, fmt.Sprintf("%016x", node))
}

// archiveFile copies a closed segment or a snapshot to the archive.
func (s *Store) archiveFile(path string) error {
	return s.archive.Put(archiveName(uint64(s.opts.Node), path), path)
}

// toArchive queues a file for the archiver.
func (s *Store) toArchive(path string) {
	if s.archiveCh == nil {
		return
	}
	select {
	case s.archiveCh <- path:
	default:
		s.opts.Log.Warn("archive queue full; the file will be archived before it is removed", "file", path)
	}
}

func (s *Store) archiver() {
	defer s.archWG.Done()
	for path := range s.archiveCh {
		if err := s.archiveFile(path); err != nil && !os.IsNotExist(err) {
			s.opts.Log.Warn("archiving failed", "file", path, "err", err)
		}
	}
}

// catchUpArchive queues every closed segment and snapshot (a node restarted
// with an archive configured, or one that was down while files closed).
func (s *Store) catchUpArchive() {
	if s.archiveCh == nil {
		return
	}
	snaps, _ := ListSnapshots(s.snapDir)
	segs, _ := ListSegments(s.logDir)
	var current uint64 = 1<<64 - 1
	if l := s.log.Load(); l != nil {
		current = l.Current().Start
	}
	for _, p := range snaps {
		s.toArchive(p)
	}
	for _, g := range segs {
		if g.Start < current {
			s.toArchive(g.Path)
		}
	}
}
