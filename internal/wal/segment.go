package wal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/lightconedb/lightcone/internal/effect"
)

// The log is a directory of segments. A segment is named by the log
// position of its first record (16 hex digits, ".seg") and starts with a
// header:
//
//	0  8  magic "LCWAL\x00\x01\n"
//	8  8  u64le node ID
//	16 8  u64le start position (log position of the first record)
//	24 8  i64le creation time, Unix ms
//	32 4  u32le flags (segRestart: the log restarted here after writes that
//	      were not logged; see Store)
//	36 4  u32le crc32c of bytes 0..36
//
// then records (record.go). A log position counts record bytes (headers of
// segments excluded) from the node's first record on; it only grows.
const (
	segHeaderLen = 40
	segExt       = ".seg"
	segRestart   = 1
)

var segMagic = [8]byte{'L', 'C', 'W', 'A', 'L', 0, 1, '\n'}

// Segment describes one log segment file.
type Segment struct {
	Path    string
	Start   uint64 // log position of its first record
	Node    effect.NodeID
	Created int64 // Unix ms
	Flags   uint32
	Size    int64 // file size in bytes, header included
}

// End is the log position after the segment's last byte.
func (s *Segment) End() uint64 {
	if s.Size < segHeaderLen {
		return s.Start
	}
	return s.Start + uint64(s.Size-segHeaderLen)
}

// Name is the file name of the segment that starts at pos.
func segName(pos uint64) string { return fmt.Sprintf("%016x%s", pos, segExt) }

func encodeSegHeader(node effect.NodeID, start uint64, created int64, flags uint32) []byte {
	b := make([]byte, segHeaderLen)
	copy(b, segMagic[:])
	binary.LittleEndian.PutUint64(b[8:], uint64(node))
	binary.LittleEndian.PutUint64(b[16:], start)
	binary.LittleEndian.PutUint64(b[24:], uint64(created))
	binary.LittleEndian.PutUint32(b[32:], flags)
	binary.LittleEndian.PutUint32(b[36:], crc32.Checksum(b[:36], castagnoli))
	return b
}

var errSegHeader = errors.New("segment header is missing or damaged")

func decodeSegHeader(b []byte) (Segment, error) {
	var s Segment
	if len(b) < segHeaderLen || [8]byte(b[:8]) != segMagic ||
		crc32.Checksum(b[:36], castagnoli) != binary.LittleEndian.Uint32(b[36:]) {
		return s, errSegHeader
	}
	s.Node = effect.NodeID(binary.LittleEndian.Uint64(b[8:]))
	s.Start = binary.LittleEndian.Uint64(b[16:])
	s.Created = int64(binary.LittleEndian.Uint64(b[24:]))
	s.Flags = binary.LittleEndian.Uint32(b[32:])
	return s, nil
}

// ListSegments lists the segments of a log directory by start position (from
// their names; headers are checked when read). A missing directory has none.
func ListSegments(dir string) ([]Segment, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []Segment
	for _, de := range ents {
		name := de.Name()
		if !strings.HasSuffix(name, segExt) || len(name) != 16+len(segExt) {
			continue
		}
		pos, err := strconv.ParseUint(strings.TrimSuffix(name, segExt), 16, 64)
		if err != nil {
			continue
		}
		info, err := de.Info()
		if err != nil {
			return nil, err
		}
		out = append(out, Segment{Path: filepath.Join(dir, name), Start: pos, Size: info.Size()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start < out[j].Start })
	return out, nil
}

// Problem is damage found in a log: where, and what. A torn tail (the last
// segment ends in the middle of a record, as a crash mid-write leaves it) is
// repaired by truncating there; anything else stops recovery.
type Problem struct {
	Path   string
	Offset int64  // byte offset in the file
	Pos    uint64 // log position
	Reason string
	Torn   bool  // a torn tail: nothing valid follows it
	Bytes  int64 // bytes from Offset to the end of the file
}

func (p *Problem) Error() string {
	if p.Torn {
		return fmt.Sprintf("torn tail in %s at offset %d (%s; %d bytes after it)", p.Path, p.Offset, p.Reason, p.Bytes)
	}
	return fmt.Sprintf("corrupt effect log: %s at offset %d: %s. The log cannot be replayed past this point. "+
		"Run 'lightcone check-log --fix %s' to truncate the log there (the %d bytes that follow are set aside), "+
		"then start the node again", p.Path, p.Offset, p.Reason, filepath.Dir(filepath.Dir(p.Path)), p.Bytes)
}

// IsCorrupt reports whether err is damage in the middle of a log.
func IsCorrupt(err error) bool {
	var p *Problem
	return errors.As(err, &p) && !p.Torn
}

// effectOK is what a log record's payload must be: exactly one effect. The
// first byte (the encoding's version) screens out almost every wrong guess
// before anything is decoded.
func effectOK(p []byte) bool {
	if len(p) == 0 || p[0] != effect.EncodingVersion {
		return false
	}
	_, n, err := effect.Decode(p)
	return err == nil && n == len(p)
}

// scanSegment walks the records of one segment file's contents b. fn gets
// each record's log position and effect (valid during the call). last says
// whether this is the log's last segment, where a torn tail is possible. It
// returns the file offset after the last good record and the damage found,
// if any (a *Problem with Torn set for a torn tail).
//
// Reading starts at log position from when it lies in this segment (the
// records before it are not even parsed: damage there does not matter).
func scanSegment(seg *Segment, b []byte, last bool, from uint64, fn func(pos uint64, e *effect.Effect) error) (int64, error) {
	if len(b) < segHeaderLen {
		if last {
			return 0, &Problem{Path: seg.Path, Offset: 0, Pos: seg.Start, Reason: "segment header is incomplete", Torn: true, Bytes: int64(len(b))}
		}
		return 0, &Problem{Path: seg.Path, Offset: 0, Pos: seg.Start, Reason: "segment header is incomplete", Bytes: int64(len(b))}
	}
	h, err := decodeSegHeader(b)
	if err != nil {
		return 0, &Problem{Path: seg.Path, Offset: 0, Pos: seg.Start, Reason: err.Error(), Bytes: int64(len(b))}
	}
	if h.Start != seg.Start {
		return 0, &Problem{Path: seg.Path, Offset: 16, Pos: seg.Start, Reason: fmt.Sprintf("header says the segment starts at position %d, its name says %d", h.Start, seg.Start), Bytes: int64(len(b))}
	}
	seg.Node, seg.Created, seg.Flags = h.Node, h.Created, h.Flags
	off := segHeaderLen
	if from > seg.Start {
		if from-seg.Start > uint64(len(b)-segHeaderLen) {
			return int64(len(b)), &Problem{Path: seg.Path, Offset: int64(len(b)), Pos: seg.End(),
				Reason: fmt.Sprintf("position %d is past the end of the segment", from), Torn: false}
		}
		off += int(from - seg.Start)
	}
	// a command's records are handed on only once its last one is read
	var group []effect.Effect
	var groupPos []uint64
	groupOff := -1
	for off < len(b) {
		payload, n, ferr := parseFrame(b[off:])
		var e effect.Effect
		if ferr == nil {
			var k int
			e, k, ferr = effect.Decode(payload)
			if ferr == nil && k != len(payload) {
				ferr = errors.New("trailing bytes after the effect")
			}
			if ferr != nil {
				ferr = fmt.Errorf("record does not hold a valid effect: %v", ferr)
			}
		}
		if ferr != nil {
			p := &Problem{Path: seg.Path, Offset: int64(off), Pos: seg.Start + uint64(off-segHeaderLen), Reason: ferr.Error(), Bytes: int64(len(b) - off)}
			if last {
				if _, found := validFrameAfter(b[off+1:], effectOK); !found {
					p.Torn = true
				}
			}
			if groupOff >= 0 {
				if p.Torn {
					// the torn command starts with its first record
					p.Offset, p.Pos, p.Bytes = int64(groupOff), seg.Start+uint64(groupOff-segHeaderLen), int64(len(b)-groupOff)
				}
				return int64(groupOff), p
			}
			return int64(off), p
		}
		pos := seg.Start + uint64(off-segHeaderLen)
		if frameContinued(b[off:]) || groupOff >= 0 {
			if groupOff < 0 {
				groupOff = off
				group, groupPos = group[:0], groupPos[:0]
			}
			group = append(group, e)
			groupPos = append(groupPos, pos)
			off += n
			if frameContinued(b[off-n:]) {
				continue
			}
			for i := range group {
				if fn != nil && groupPos[i] >= from {
					if err := fn(groupPos[i], &group[i]); err != nil {
						return int64(groupOff), err
					}
				}
			}
			groupOff = -1
			continue
		}
		if fn != nil {
			if err := fn(pos, &e); err != nil {
				return int64(off), err
			}
		}
		off += n
	}
	if groupOff >= 0 {
		p := &Problem{Path: seg.Path, Offset: int64(groupOff), Pos: seg.Start + uint64(groupOff-segHeaderLen),
			Reason: "the log ends inside a command (its last record is missing)", Bytes: int64(len(b) - groupOff), Torn: last}
		return int64(groupOff), p
	}
	return int64(off), nil
}
