package wal

import (
	"errors"
	"fmt"
	"os"

	"github.com/lightconedb/lightcone/internal/effect"
)

// LogInfo is what reading a log found.
type LogInfo struct {
	Segments []Segment // every segment read, headers filled in
	From     uint64    // where reading began
	End      uint64    // log position after the last good record read
	Records  int64     // records handed to fn
	Torn     *Problem  // a torn tail of the last segment, nil if none
	// Restart is set when reading stopped before a segment where logging
	// restarted after writes that were not logged: what follows needs a
	// snapshot taken after it.
	Restart *Segment
}

// errStop ends a ReadLog walk early without an error.
var errStop = errors.New("stop")

// ReadLog calls fn for every effect at log position >= from in the log
// directory dir, in log order. A torn tail of the last segment ends the walk
// and is reported in LogInfo.Torn; any other damage (a bad record followed
// by good ones, a damaged closed segment, a gap between segments) is
// returned as a *Problem. A log that does not reach back to from is an
// error too: recovery would silently miss effects.
func ReadLog(dir string, from uint64, fn func(pos uint64, e *effect.Effect) error) (LogInfo, error) {
	segs, err := ListSegments(dir)
	if err != nil {
		return LogInfo{From: from, End: from}, err
	}
	return readSegments(segs, dir, from, fn)
}

// readSegments is ReadLog over a list of segments sorted by start (from one
// directory, or a data directory and an archive merged).
func readSegments(segs []Segment, dir string, from uint64, fn func(pos uint64, e *effect.Effect) error) (LogInfo, error) {
	info := LogInfo{From: from, End: from}
	if len(segs) == 0 {
		return info, nil
	}
	i := -1
	for j := range segs {
		if segs[j].Start <= from {
			i = j
		}
	}
	if i < 0 {
		// the log starts after from: fine only if it restarted there
		b, err := os.ReadFile(segs[0].Path)
		if err != nil {
			return info, err
		}
		h, herr := decodeSegHeader(b)
		if herr == nil && h.Flags&segRestart != 0 {
			segs[0].Node, segs[0].Created, segs[0].Flags = h.Node, h.Created, h.Flags
			info.Restart = &segs[0]
			return info, nil
		}
		return info, fmt.Errorf("effect log in %s begins at position %d but position %d is needed: segments are missing", dir, segs[0].Start, from)
	}
	prevEnd := uint64(0)
	for j := i; j < len(segs); j++ {
		seg := &segs[j]
		b, err := os.ReadFile(seg.Path)
		if err != nil {
			return info, err
		}
		seg.Size = int64(len(b))
		if j > i && seg.Start != prevEnd {
			h, herr := decodeSegHeader(b)
			if herr == nil && h.Flags&segRestart != 0 && seg.Start > prevEnd {
				seg.Node, seg.Created, seg.Flags = h.Node, h.Created, h.Flags
				info.Restart = seg
				return info, nil
			}
			return info, &Problem{Path: seg.Path, Offset: 0, Pos: seg.Start, Bytes: int64(len(b)),
				Reason: fmt.Sprintf("segment starts at log position %d but the one before ends at %d", seg.Start, prevEnd)}
		}
		last := j == len(segs)-1
		off, err := scanSegment(seg, b, last, from, func(pos uint64, e *effect.Effect) error {
			info.Records++
			if fn != nil {
				return fn(pos, e)
			}
			return nil
		})
		info.Segments = append(info.Segments, *seg)
		if off >= segHeaderLen {
			end := seg.Start + uint64(off-segHeaderLen)
			if end > info.End {
				info.End = end
			}
		}
		if err != nil {
			if errors.Is(err, errStop) {
				return info, nil
			}
			var p *Problem
			if errors.As(err, &p) && p.Torn {
				info.Torn = p
				return info, nil
			}
			return info, err
		}
		prevEnd = seg.End()
	}
	return info, nil
}

// RepairTorn truncates a torn tail away (an incomplete segment file goes).
func RepairTorn(p *Problem) error {
	if p.Offset < segHeaderLen {
		return os.Remove(p.Path)
	}
	f, err := os.OpenFile(p.Path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if err := f.Truncate(p.Offset); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
