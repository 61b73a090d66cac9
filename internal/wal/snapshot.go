package wal

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
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

// A snapshot file holds the materialised state at one cut of the node's
// history, whatever the value types (collections are stored as the replace
// payloads their crdt.Object.Snapshot writes):
//
//	magic "LCSNAP\x00\x01"
//	records (record.go framing), each starting with a type byte:
//	  'E' uvarint db | uvarint shard | uvarint count | entries (engine.AppendEntry)
//	  'T' uvarint count | (uvarint len | effect)*   effects replayed after the entries
//	  'M' the metadata (SnapMeta)
//	footer, 24 bytes: "LCSNAPND" | u64le offset of the 'M' record | u32le crc32c of the 16 bytes before | u32 0
//
// Shards are copied one at a time under their own lock while writes go on;
// writes made during the copy to shards already copied are kept and stored
// as the tail, so that entries + tail are exactly the state at the end cut
// (SnapMeta.End): every effect that cut covers, nothing else. A snapshot is
// written under a temporary name, fsynced and renamed, so a file with the
// final name is complete.
const (
	snapExt       = ".lcs"
	snapFooterLen = 24
)

var (
	snapMagic   = [8]byte{'L', 'C', 'S', 'N', 'A', 'P', 0, 1}
	snapEndMark = [8]byte{'L', 'C', 'S', 'N', 'A', 'P', 'N', 'D'}
)

// Record types in a snapshot.
const (
	recEntries = 'E'
	recTail    = 'T'
	recMeta    = 'M'
)

// SnapMeta describes a snapshot.
type SnapMeta struct {
	Node      effect.NodeID
	Databases int
	Created   int64 // Unix ms when the copy began
	Duration  int64 // ms the copy took
	Start     engine.Cut
	End       engine.Cut // the state is exactly the effects this cut covers
	LogPos    uint64     // log position at End: the log tail to replay starts here
	Keys      int64      // keys holding a value
	Entries   int64      // entries stored (in a cluster, ghosts with history too)
	Tail      int64      // effects in the tail
	Discarded [][2]int   // (db, shard) blocks to skip: a FLUSHDB during the copy emptied them
	Frozen    bool       // copied with every shard locked at once (fallback)

	Path string // where it was read from (not stored)
	Size int64  // file size (not stored)
}

// Time is the physical time (Unix ms) of the snapshot's end cut.
func (m *SnapMeta) Time() int64 { return m.End.HLC.Millis() }

func appendCut(dst []byte, c *engine.Cut) []byte {
	dst = binary.AppendUvarint(dst, uint64(c.Node))
	dst = binary.AppendUvarint(dst, c.Seq)
	dst = binary.BigEndian.AppendUint64(dst, uint64(c.HLC))
	dst = binary.AppendUvarint(dst, uint64(len(c.Applied)))
	for _, id := range c.Applied {
		dst = binary.AppendUvarint(dst, uint64(id.Node))
		dst = binary.AppendUvarint(dst, id.Seq)
	}
	return dst
}

func (m *SnapMeta) encode() []byte {
	b := []byte{recMeta, 1}
	b = binary.AppendUvarint(b, uint64(m.Node))
	b = binary.AppendUvarint(b, uint64(m.Databases))
	b = binary.AppendVarint(b, m.Created)
	b = binary.AppendVarint(b, m.Duration)
	b = appendCut(b, &m.Start)
	b = appendCut(b, &m.End)
	b = binary.AppendUvarint(b, m.LogPos)
	b = binary.AppendVarint(b, m.Keys)
	b = binary.AppendVarint(b, m.Entries)
	b = binary.AppendVarint(b, m.Tail)
	b = binary.AppendUvarint(b, uint64(len(m.Discarded)))
	for _, d := range m.Discarded {
		b = binary.AppendUvarint(b, uint64(d[0]))
		b = binary.AppendUvarint(b, uint64(d[1]))
	}
	if m.Frozen {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	return b
}

// rd reads the uvarint-based encodings of this package; after an error every
// read returns zero.
type rd struct {
	b   []byte
	err bool
}

func (r *rd) uvarint() uint64 {
	if r.err {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = true
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *rd) varint() int64 {
	if r.err {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = true
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *rd) u64() uint64 {
	if r.err || len(r.b) < 8 {
		r.err = true
		return 0
	}
	v := binary.BigEndian.Uint64(r.b)
	r.b = r.b[8:]
	return v
}

func (r *rd) byte() byte {
	if r.err || len(r.b) == 0 {
		r.err = true
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *rd) bytes() []byte {
	n := r.uvarint()
	if r.err || n > uint64(len(r.b)) {
		r.err = true
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

// count reads a count of items each at least min bytes long.
func (r *rd) count(min int) int {
	n := r.uvarint()
	if r.err || n > uint64(len(r.b)/min+1) {
		r.err = true
		return 0
	}
	return int(n)
}

func (r *rd) cut() engine.Cut {
	var c engine.Cut
	c.Node = effect.NodeID(r.uvarint())
	c.Seq = r.uvarint()
	c.HLC = hlc.Timestamp(r.u64())
	n := r.count(2)
	for i := 0; i < n && !r.err; i++ {
		c.Applied = append(c.Applied, effect.ID{Node: effect.NodeID(r.uvarint()), Seq: r.uvarint()})
	}
	return c
}

var errSnapshot = errors.New("snapshot is damaged")

func decodeMeta(b []byte) (SnapMeta, error) {
	var m SnapMeta
	r := rd{b: b}
	if r.byte() != recMeta || r.byte() != 1 {
		return m, errSnapshot
	}
	m.Node = effect.NodeID(r.uvarint())
	m.Databases = int(r.uvarint())
	m.Created = r.varint()
	m.Duration = r.varint()
	m.Start = r.cut()
	m.End = r.cut()
	m.LogPos = r.uvarint()
	m.Keys = r.varint()
	m.Entries = r.varint()
	m.Tail = r.varint()
	n := r.count(2)
	for i := 0; i < n && !r.err; i++ {
		m.Discarded = append(m.Discarded, [2]int{int(r.uvarint()), int(r.uvarint())})
	}
	m.Frozen = r.byte() == 1
	if r.err || m.Databases <= 0 || m.Databases > 1<<20 {
		return m, errSnapshot
	}
	return m, nil
}

// snapWriter streams a snapshot to a temporary file.
type snapWriter struct {
	path, tmp string
	f         *os.File
	bw        *bufio.Writer
	off       int64
	frame     []byte
}

// createSnapshot starts a snapshot in dir under a temporary name; finish
// gives it its final one.
func createSnapshot(dir string) (*snapWriter, error) {
	tmp := filepath.Join(dir, fmt.Sprintf("snap-inprogress-%d.tmp", time.Now().UnixNano()))
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	w := &snapWriter{tmp: tmp, f: f, bw: bufio.NewWriterSize(f, 1<<20)}
	if _, err := w.bw.Write(snapMagic[:]); err != nil {
		w.abort()
		return nil, err
	}
	w.off = int64(len(snapMagic))
	return w, nil
}

// record writes one framed record whose payload is the parts, in order.
func (w *snapWriter) record(parts ...[]byte) error {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	if n > MaxRecord {
		return fmt.Errorf("snapshot record of %d bytes is too large", n)
	}
	var hdr [frameHeader]byte
	binary.LittleEndian.PutUint32(hdr[4:], uint32(n))
	crc := crc32.Update(0, castagnoli, hdr[4:])
	for _, p := range parts {
		crc = crc32.Update(crc, castagnoli, p)
	}
	binary.LittleEndian.PutUint32(hdr[:], crc)
	if _, err := w.bw.Write(hdr[:]); err != nil {
		return err
	}
	for _, p := range parts {
		if _, err := w.bw.Write(p); err != nil {
			return err
		}
	}
	w.off += int64(frameHeader + n)
	return nil
}

// finish writes the metadata and footer, makes the file durable and gives it
// its final name, path.
func (w *snapWriter) finish(m *SnapMeta, path string) error {
	w.path = path
	metaAt := w.off
	if err := w.record(m.encode()); err != nil {
		w.abort()
		return err
	}
	var foot [snapFooterLen]byte
	copy(foot[:], snapEndMark[:])
	binary.LittleEndian.PutUint64(foot[8:], uint64(metaAt))
	binary.LittleEndian.PutUint32(foot[16:], crc32.Checksum(foot[:16], castagnoli))
	if _, err := w.bw.Write(foot[:]); err != nil {
		w.abort()
		return err
	}
	err := w.bw.Flush()
	if err == nil {
		err = w.f.Sync()
	}
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(w.tmp, w.path)
	}
	if err != nil {
		os.Remove(w.tmp)
		return err
	}
	return syncDir(filepath.Dir(w.path))
}

func (w *snapWriter) abort() {
	w.f.Close()
	os.Remove(w.tmp)
}

// snapName names a snapshot by its log position and the node's Seq at its
// end cut, so that names sort in the order snapshots were taken.
func snapName(pos, seq uint64) string { return fmt.Sprintf("snap-%016x-%016x%s", pos, seq, snapExt) }

// ListSnapshots lists the complete snapshot files in dir (not their
// contents), oldest first. A missing directory has none.
func ListSnapshots(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, de := range ents {
		n := de.Name()
		if strings.HasPrefix(n, "snap-") && strings.HasSuffix(n, snapExt) {
			out = append(out, filepath.Join(dir, n))
		}
	}
	sort.Strings(out)
	return out, nil
}

// ReadSnapshotMeta reads and checks a snapshot's footer and metadata.
func ReadSnapshotMeta(path string) (SnapMeta, error) {
	var m SnapMeta
	f, err := os.Open(path)
	if err != nil {
		return m, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return m, err
	}
	size := fi.Size()
	bad := func(why string) (SnapMeta, error) {
		return m, fmt.Errorf("snapshot %s is damaged: %s", path, why)
	}
	if size < int64(len(snapMagic))+snapFooterLen {
		return bad("too short")
	}
	var head [8]byte
	if _, err := f.ReadAt(head[:], 0); err != nil || head != snapMagic {
		return bad("bad magic")
	}
	var foot [snapFooterLen]byte
	if _, err := f.ReadAt(foot[:], size-snapFooterLen); err != nil {
		return m, err
	}
	if [8]byte(foot[:8]) != snapEndMark || crc32.Checksum(foot[:16], castagnoli) != binary.LittleEndian.Uint32(foot[16:]) {
		return bad("bad footer")
	}
	at := int64(binary.LittleEndian.Uint64(foot[8:]))
	if at < int64(len(snapMagic)) || at > size-snapFooterLen-frameHeader {
		return bad("bad metadata offset")
	}
	buf := make([]byte, size-snapFooterLen-at)
	if _, err := f.ReadAt(buf, at); err != nil {
		return m, err
	}
	p, n, err := parseFrame(buf)
	if err != nil || n != len(buf) {
		return bad("metadata record: " + errString(err))
	}
	m, err = decodeMeta(p)
	if err != nil {
		return bad("metadata")
	}
	m.Path, m.Size = path, size
	return m, nil
}

func errString(err error) string {
	if err == nil {
		return "trailing bytes"
	}
	return err.Error()
}

// SnapVisitor receives a snapshot's contents in order.
type SnapVisitor struct {
	// Entries gets one block: the entries of one shard of db (data holds
	// count entries as engine.AppendEntry wrote them; it is reused after
	// the call). Blocks the metadata lists as discarded are not passed.
	Entries func(db, shard, count int, data []byte) error
	// Tail gets the tail's effects in order (valid during the call).
	Tail func(e *effect.Effect) error
}

// ReadSnapshot checks a snapshot and streams its contents to v; every record
// is verified before it is used.
func ReadSnapshot(path string, v SnapVisitor) (SnapMeta, error) {
	m, err := ReadSnapshotMeta(path)
	if err != nil {
		return m, err
	}
	skip := map[[2]int]bool{}
	for _, d := range m.Discarded {
		skip[d] = true
	}
	f, err := os.Open(path)
	if err != nil {
		return m, err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<20)
	if _, err := br.Discard(len(snapMagic)); err != nil {
		return m, err
	}
	off := int64(len(snapMagic))
	metaAt := m.Size - snapFooterLen - 1
	var buf []byte
	bad := func(why string) (SnapMeta, error) {
		return m, fmt.Errorf("snapshot %s is damaged at offset %d: %s", path, off, why)
	}
	var hdr [frameHeader]byte
	for {
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			return bad(err.Error())
		}
		n := binary.LittleEndian.Uint32(hdr[4:])
		if n == 0 || n > MaxRecord || int64(n) > m.Size-off {
			return bad("record length")
		}
		if cap(buf) < int(n) {
			buf = make([]byte, n)
		}
		buf = buf[:n]
		if _, err := io.ReadFull(br, buf); err != nil {
			return bad(err.Error())
		}
		crc := crc32.Update(0, castagnoli, hdr[4:])
		if crc32.Update(crc, castagnoli, buf) != binary.LittleEndian.Uint32(hdr[:]) {
			return bad("record checksum mismatch")
		}
		r := rd{b: buf}
		switch r.byte() {
		case recEntries:
			db, shard := int(r.uvarint()), int(r.uvarint())
			count := int(r.uvarint())
			if r.err || db >= m.Databases {
				return bad("entries record header")
			}
			if !skip[[2]int{db, shard}] && v.Entries != nil {
				if err := v.Entries(db, shard, count, r.b); err != nil {
					return m, err
				}
			}
		case recTail:
			count := r.count(1)
			for i := 0; i < count && !r.err; i++ {
				raw := r.bytes()
				e, k, err := effect.Decode(raw)
				if err != nil || k != len(raw) {
					return bad("tail effect")
				}
				if v.Tail != nil {
					if err := v.Tail(&e); err != nil {
						return m, err
					}
				}
			}
			if r.err {
				return bad("tail record")
			}
		case recMeta:
			return m, nil
		default:
			return bad("unknown record type")
		}
		off += int64(frameHeader) + int64(n)
		if off > metaAt {
			return bad("records run into the footer")
		}
	}
}

// parseSnapName returns the log position and Seq in a snapshot's name.
func parseSnapName(path string) (pos, seq uint64, ok bool) {
	n := strings.TrimSuffix(filepath.Base(path), snapExt)
	parts := strings.Split(n, "-")
	if len(parts) != 3 || parts[0] != "snap" {
		return 0, 0, false
	}
	p, err1 := strconv.ParseUint(parts[1], 16, 64)
	s, err2 := strconv.ParseUint(parts[2], 16, 64)
	return p, s, err1 == nil && err2 == nil
}
