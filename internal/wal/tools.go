package wal

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/lightconedb/lightcone/internal/effect"
	"github.com/lightconedb/lightcone/internal/hlc"
)

// The offline tools behind "lightcone check-log" and "lightcone dump-log".
// They work on a data directory whose node is stopped (they take its lock).

// CheckReport is what check-log found.
type CheckReport struct {
	Segments  []Segment
	Records   int64
	Bytes     int64 // record bytes
	ByOp      map[effect.Op]int64
	FirstPos  uint64
	EndPos    uint64
	FirstHLC  hlc.Timestamp
	LastHLC   hlc.Timestamp
	LastSeq   uint64 // the highest Seq of the segments' own node
	Origins   int    // distinct origins seen
	Torn      *Problem
	Corrupt   *Problem
	Snapshots []SnapMeta
	BadSnaps  []error
	Fixed     []string // what --fix did
}

// OK reports whether the log can be replayed as it is.
func (r *CheckReport) OK() bool { return r.Torn == nil && r.Corrupt == nil && len(r.BadSnaps) == 0 }

// CheckDir verifies a data directory's log (every segment, every record) and
// snapshots. With fix it repairs what can be repaired: a torn tail is
// truncated; at damage in the middle the log is truncated before the bad
// record and the segments after it are renamed *.discarded (everything from
// the bad record on is lost — the report says how much); a damaged snapshot
// is renamed *.damaged.
func CheckDir(dir string, fix bool) (*CheckReport, error) {
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("%s is not a data directory", dir)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	defer lock.Close()
	logDir := filepath.Join(dir, "log")
	r := &CheckReport{ByOp: map[effect.Op]int64{}}
	segs, err := ListSegments(logDir)
	if err != nil {
		return nil, err
	}
	if len(segs) > 0 {
		r.FirstPos = segs[0].Start
	}
	origins := map[effect.NodeID]bool{}
	var node effect.NodeID
	info, err := readSegments(segs, logDir, r.FirstPos, func(pos uint64, e *effect.Effect) error {
		r.ByOp[e.Op]++
		if r.FirstHLC == 0 || e.HLC < r.FirstHLC {
			r.FirstHLC = e.HLC
		}
		if e.HLC > r.LastHLC {
			r.LastHLC = e.HLC
		}
		origins[e.ID.Node] = true
		if node == 0 && len(segs) > 0 {
			node = segs[0].Node
		}
		if e.ID.Node == node && e.ID.Seq > r.LastSeq {
			r.LastSeq = e.ID.Seq
		}
		return nil
	})
	r.Segments = info.Segments
	r.Records = info.Records
	r.EndPos = info.End
	r.Bytes = int64(info.End - r.FirstPos)
	r.Origins = len(origins)
	r.Torn = info.Torn
	var p *Problem
	if err != nil {
		if !errors.As(err, &p) {
			return r, err
		}
		r.Corrupt = p
	}
	snaps, _ := ListSnapshots(filepath.Join(dir, "snapshots"))
	for _, path := range snaps {
		m, err := ReadSnapshotMeta(path)
		if err == nil {
			_, err = ReadSnapshot(path, SnapVisitor{})
		}
		if err != nil {
			r.BadSnaps = append(r.BadSnaps, err)
			if fix {
				if rerr := os.Rename(path, path+".damaged"); rerr == nil {
					r.Fixed = append(r.Fixed, "set aside damaged snapshot "+path)
				}
			}
			continue
		}
		r.Snapshots = append(r.Snapshots, m)
	}
	if !fix {
		return r, nil
	}
	switch {
	case r.Torn != nil:
		if err := RepairTorn(r.Torn); err != nil {
			return r, err
		}
		r.Fixed = append(r.Fixed, fmt.Sprintf("truncated torn tail of %s at offset %d (%d bytes)", r.Torn.Path, r.Torn.Offset, r.Torn.Bytes))
	case r.Corrupt != nil:
		c := r.Corrupt
		lost := c.Bytes
		for _, g := range segs {
			if g.Start > c.Pos {
				if err := os.Rename(g.Path, g.Path+".discarded"); err != nil {
					return r, err
				}
				lost += g.Size - segHeaderLen
				r.Fixed = append(r.Fixed, "set aside "+g.Path+" as "+filepath.Base(g.Path)+".discarded")
			}
		}
		if err := RepairTorn(c); err != nil {
			return r, err
		}
		r.Fixed = append(r.Fixed, fmt.Sprintf("truncated %s at offset %d: %d bytes of log after the damage are lost", c.Path, c.Offset, lost))
	}
	if len(r.Fixed) > 0 {
		syncDir(logDir)
	}
	return r, nil
}

// Print writes the report for a person.
func (r *CheckReport) Print(w io.Writer) {
	fmt.Fprintf(w, "segments:   %d\n", len(r.Segments))
	for _, g := range r.Segments {
		flags := ""
		if g.Flags&segRestart != 0 {
			flags = " (log restarted here)"
		}
		fmt.Fprintf(w, "  %s  positions %d..%d  %d bytes  node %016x  created %s%s\n", filepath.Base(g.Path), g.Start, g.End(), g.Size,
			uint64(g.Node), time.UnixMilli(g.Created).UTC().Format(time.RFC3339), flags)
	}
	fmt.Fprintf(w, "records:    %d (%d bytes, log positions %d..%d)\n", r.Records, r.Bytes, r.FirstPos, r.EndPos)
	if r.Records > 0 {
		fmt.Fprintf(w, "time:       %s .. %s (HLC %d .. %d)\n", FormatHLC(r.FirstHLC), FormatHLC(r.LastHLC), uint64(r.FirstHLC), uint64(r.LastHLC))
		fmt.Fprintf(w, "origins:    %d; this node's last Seq: %d\n", r.Origins, r.LastSeq)
		var ops []string
		for op := effect.Op(1); op < 32; op++ {
			if n := r.ByOp[op]; n > 0 {
				ops = append(ops, op.String()+"="+strconv.FormatInt(n, 10))
			}
		}
		fmt.Fprintf(w, "effects:    %s\n", strings.Join(ops, " "))
	}
	fmt.Fprintf(w, "snapshots:  %d\n", len(r.Snapshots))
	for _, m := range r.Snapshots {
		fmt.Fprintf(w, "  %s  %d keys  log position %d  cut Seq %d at %s  %d bytes\n", filepath.Base(m.Path), m.Keys, m.LogPos, m.End.Seq, FormatHLC(m.End.HLC), m.Size)
	}
	for _, err := range r.BadSnaps {
		fmt.Fprintf(w, "DAMAGED SNAPSHOT: %v\n", err)
	}
	if r.Torn != nil {
		fmt.Fprintf(w, "TORN TAIL:  %s at offset %d: %s; %d bytes (a crash interrupted a write; --fix truncates it, and a node starting up does so itself)\n",
			r.Torn.Path, r.Torn.Offset, r.Torn.Reason, r.Torn.Bytes)
	}
	if r.Corrupt != nil {
		fmt.Fprintf(w, "CORRUPT:    %s at offset %d (log position %d): %s; %d bytes follow in that file. A node will not start past this; --fix truncates the log there.\n",
			r.Corrupt.Path, r.Corrupt.Offset, r.Corrupt.Pos, r.Corrupt.Reason, r.Corrupt.Bytes)
	}
	for _, f := range r.Fixed {
		fmt.Fprintf(w, "fixed:      %s\n", f)
	}
	if r.OK() {
		fmt.Fprintln(w, "status:     ok")
	} else if len(r.Fixed) > 0 {
		fmt.Fprintln(w, "status:     repaired")
	} else {
		fmt.Fprintln(w, "status:     damaged")
	}
}

// FormatHLC prints an HLC stamp as UTC time with milliseconds and the
// logical counter.
func FormatHLC(t hlc.Timestamp) string {
	s := time.UnixMilli(t.Millis()).UTC().Format("2006-01-02T15:04:05.000Z")
	if l := t.Logical(); l != 0 {
		s += "+" + strconv.Itoa(int(l))
	}
	return s
}

// DumpLog prints every effect of a data directory's log from log position
// from on, one per line.
func DumpLog(dir string, from uint64, w io.Writer) (LogInfo, error) {
	logDir := filepath.Join(dir, "log")
	if _, err := os.Stat(logDir); err != nil {
		logDir = dir // a log directory itself
	}
	return ReadLog(logDir, from, func(pos uint64, e *effect.Effect) error {
		_, err := io.WriteString(w, FormatEffect(pos, e))
		return err
	})
}

// FormatEffect is one line of dump-log.
func FormatEffect(pos uint64, e *effect.Effect) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s %s db=%d %s", pos, e.ID, FormatHLC(e.HLC), e.DB, e.Op)
	if e.Op != effect.OpFlushDB && e.Op != effect.OpSwapDB {
		b.WriteString(" key=")
		b.WriteString(quote(e.Key, 200))
	}
	var fl []string
	for _, f := range []struct {
		bit  uint8
		name string
	}{{effect.FlagKeepTTL, "keepttl"}, {effect.FlagBit, "bit"}, {effect.FlagEncRaw, "raw"}, {effect.FlagEncEmbstr, "embstr"}, {effect.FlagReplace, "replace"}} {
		if e.Flags&f.bit != 0 {
			fl = append(fl, f.name)
		}
	}
	if len(fl) > 0 {
		b.WriteString(" flags=" + strings.Join(fl, ","))
	}
	switch e.Op {
	case effect.OpAssign, effect.OpExpire:
		if e.Int != 0 {
			b.WriteString(" expire=" + time.UnixMilli(e.Int).UTC().Format("2006-01-02T15:04:05.000Z"))
		}
	case effect.OpSwapDB:
		b.WriteString(" with=" + strconv.FormatInt(e.Int, 10))
	default:
		if e.Int != 0 {
			b.WriteString(" int=" + strconv.FormatInt(e.Int, 10))
		}
	}
	if e.Value != nil {
		if e.Op.Collection() || e.Op == effect.OpHLL {
			b.WriteString(" payload=" + quote(e.Value, 200))
		} else {
			b.WriteString(" value=" + quote(e.Value, 200))
		}
	}
	if len(e.Deps) > 0 {
		b.WriteString(" deps=")
		for i, d := range e.Deps {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(d.String())
		}
	}
	if !e.Txn.IsZero() {
		b.WriteString(" txn=" + e.Txn.String())
	}
	b.WriteByte('\n')
	return b.String()
}

// quote prints bytes as a Go-quoted string, at most max bytes of them.
func quote(v []byte, max int) string {
	if len(v) > max {
		return strconv.Quote(string(v[:max])) + "..." + strconv.Itoa(len(v)) + "B"
	}
	return strconv.Quote(string(v))
}
