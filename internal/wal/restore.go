package wal

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/engine"
	"github.com/lightconedb/lightcone/internal/hlc"
)

// Point-in-time restore: rebuild a data directory holding exactly the effects
// a node had applied with an HLC stamp at or before a given time, from its
// retained history (data directory and/or archive). Causality never crosses
// backwards in HLC order, so that set is a consistent state.

// ParseTime parses a restore target: RFC 3339 ("2026-01-02T15:04:05.123Z"),
// "2006-01-02 15:04:05[.000]" (UTC), Unix seconds ("1767366245", fractions
// allowed), Unix milliseconds (13 digits or more), or an exact HLC stamp
// ("hlc:NNN"). A wall time includes every effect stamped in its millisecond.
func ParseTime(s string) (hlc.Timestamp, error) {
	s = strings.TrimSpace(s)
	if v, ok := strings.CutPrefix(s, "hlc:"); ok {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("bad HLC stamp %q", v)
		}
		return hlc.Timestamp(n), nil
	}
	ms := int64(-1)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if len(s) >= 13 {
			ms = n
		} else {
			ms = n * 1000
		}
	} else if f, err := strconv.ParseFloat(s, 64); err == nil && !strings.ContainsAny(s, "eE") {
		ms = int64(f * 1000)
	} else {
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999"} {
			if t, err := time.Parse(layout, s); err == nil {
				ms = t.UnixMilli()
				break
			}
		}
	}
	if ms < 0 {
		return 0, fmt.Errorf("cannot read time %q (use RFC 3339, Unix seconds or milliseconds, or hlc:N)", s)
	}
	return hlc.Make(ms, 0xFFFF), nil
}

// ReadNodeID reads a data directory's node-id file.
func ReadNodeID(dir string) (effect.NodeID, error) {
	b, err := os.ReadFile(filepath.Join(dir, "node-id"))
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseUint(strings.TrimSpace(string(b)), 16, 64)
	if err != nil || v == 0 {
		return 0, fmt.Errorf("%s: not a node ID", filepath.Join(dir, "node-id"))
	}
	return effect.NodeID(v), nil
}

// WriteNodeID writes a data directory's node-id file.
func WriteNodeID(dir string, id effect.NodeID) error {
	return writeFileAtomic(filepath.Join(dir, "node-id"), []byte(fmt.Sprintf("%016x\n", uint64(id))))
}

// NewNodeID draws a fresh node ID.
func NewNodeID() effect.NodeID {
	var b [8]byte
	for {
		rand.Read(b[:])
		if v := binary.BigEndian.Uint64(b[:]); v != 0 {
			return effect.NodeID(v)
		}
	}
}

// RestoreOptions say what to restore.
type RestoreOptions struct {
	Src     string        // a data directory ("" when only the archive is read)
	Archive string        // an archive directory ("" for none)
	Node    effect.NodeID // the node whose history it is (read from Src when zero)
	To      hlc.Timestamp
	Out     string // the data directory to create (must not exist or be empty)
}

// RestoreResult says what was restored.
type RestoreResult struct {
	Node     effect.NodeID // the new directory's node ID
	Base     string        // the snapshot the state was built on ("" = from the log's start)
	Replayed int64         // log effects replayed on top
	Skipped  int64         // log effects after the target time
	Keys     int
	Snapshot SnapMeta // the snapshot written to Out
	Oldest   hlc.Timestamp
	Torn     *Problem
}

// history is a node's retained files, from its data directory and archive.
type historyFiles struct {
	snaps []SnapMeta
	segs  []Segment
}

func gatherHistory(o *RestoreOptions) (historyFiles, func(), error) {
	var h historyFiles
	cleanup := func() {}
	var dirs []string
	if o.Src != "" {
		dirs = append(dirs, o.Src)
	}
	if o.Archive != "" {
		a, err := OpenArchive(o.Archive)
		if err != nil {
			return h, cleanup, err
		}
		node := fmt.Sprintf("%016x", uint64(o.Node))
		if d, ok := a.(dirArchive); ok {
			dirs = append(dirs, d.local(node))
		} else {
			// an object store: fetch the node's files to a scratch directory
			tmp, err := os.MkdirTemp("", "lightcone-restore-")
			if err != nil {
				return h, cleanup, err
			}
			cleanup = func() { os.RemoveAll(tmp) }
			files, err := a.List(node + "/")
			if err != nil {
				return h, cleanup, fmt.Errorf("listing archive %s: %w", a, err)
			}
			for _, f := range files {
				dst := filepath.Join(tmp, filepath.FromSlash(f.Name))
				if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
					return h, cleanup, err
				}
				if err := a.Fetch(f.Name, dst); err != nil {
					return h, cleanup, fmt.Errorf("fetching %s from %s: %w", f.Name, a, err)
				}
			}
			dirs = append(dirs, filepath.Join(tmp, node))
		}
	}
	seenSnap := map[string]bool{}
	seenSeg := map[uint64]bool{}
	for _, d := range dirs {
		snaps, err := ListSnapshots(filepath.Join(d, "snapshots"))
		if err != nil {
			return h, cleanup, err
		}
		for _, p := range snaps {
			if seenSnap[filepath.Base(p)] {
				continue
			}
			m, err := ReadSnapshotMeta(p)
			if err != nil {
				continue // a damaged one: another copy or an older one may do
			}
			seenSnap[filepath.Base(p)] = true
			h.snaps = append(h.snaps, m)
		}
		segs, err := ListSegments(filepath.Join(d, "log"))
		if err != nil {
			return h, cleanup, err
		}
		for _, g := range segs {
			if !seenSeg[g.Start] {
				seenSeg[g.Start] = true
				h.segs = append(h.segs, g)
			}
		}
	}
	sort.Slice(h.snaps, func(i, j int) bool {
		a, b := &h.snaps[i], &h.snaps[j]
		if a.LogPos != b.LogPos {
			return a.LogPos < b.LogPos
		}
		return a.End.HLC < b.End.HLC
	})
	sort.Slice(h.segs, func(i, j int) bool { return h.segs[i].Start < h.segs[j].Start })
	return h, cleanup, nil
}

// Restore builds o.Out as of o.To.
func Restore(o RestoreOptions) (RestoreResult, error) {
	var res RestoreResult
	if o.Node == 0 {
		if o.Src == "" {
			return res, errors.New("restore: give the node's data directory, or its node ID with an archive")
		}
		n, err := ReadNodeID(o.Src)
		if err != nil {
			return res, fmt.Errorf("restore: %w", err)
		}
		o.Node = n
	}
	if ents, err := os.ReadDir(o.Out); err == nil && len(ents) > 0 {
		return res, fmt.Errorf("restore: %s exists and is not empty", o.Out)
	}
	h, cleanup, err := gatherHistory(&o)
	defer cleanup()
	if err != nil {
		return res, err
	}
	// the oldest restorable moment: the log's start if it reaches back to
	// position 0, else the oldest snapshot's cut
	res.Oldest = hlc.Timestamp(1<<64 - 1)
	if len(h.segs) > 0 && h.segs[0].Start == 0 {
		res.Oldest = 0
	}
	for _, m := range h.snaps {
		if m.End.HLC < res.Oldest {
			res.Oldest = m.End.HLC
		}
	}
	var base *SnapMeta
	for i := range h.snaps {
		if h.snaps[i].End.HLC <= o.To {
			base = &h.snaps[i]
		}
	}
	if base == nil && (len(h.segs) == 0 || h.segs[0].Start != 0) {
		if res.Oldest == hlc.Timestamp(1<<64-1) {
			return res, fmt.Errorf("restore: no history of node %016x found", uint64(o.Node))
		}
		return res, fmt.Errorf("restore: %s is before the oldest retained state (%s)", FormatHLC(o.To), FormatHLC(res.Oldest))
	}
	dbs := 16
	if base != nil {
		dbs = base.Databases
	}
	res.Node = NewNodeID()
	en := engine.New(engine.Config{Node: res.Node, Databases: dbs})
	from := uint64(0)
	if base != nil {
		if _, err := LoadSnapshot(base.Path, en); err != nil {
			return res, err
		}
		res.Base = base.Path
		from = base.LogPos
	}
	info, err := readSegments(h.segs, "history", from, func(pos uint64, e *effect.Effect) error {
		if base != nil && base.End.Covers(e.ID) {
			return nil
		}
		if e.HLC > o.To {
			res.Skipped++
			return nil
		}
		en.Replay(e)
		res.Replayed++
		return nil
	})
	if err != nil {
		return res, err
	}
	res.Torn = info.Torn
	res.Keys = en.Keys()

	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return res, err
	}
	if err := WriteNodeID(o.Out, res.Node); err != nil {
		return res, err
	}
	st, err := Open(Options{Dir: o.Out, Node: res.Node})
	if err != nil {
		return res, err
	}
	st.en = en
	m, err := st.Snapshot()
	st.Close(false)
	if err != nil {
		return res, err
	}
	res.Snapshot = m
	return res, nil
}
