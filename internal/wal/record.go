// Package wal keeps a node durable: an append-only, checksummed, segmented
// log of every effect the engine applies (group commit, Redis' appendfsync
// policies), snapshots of the materialised state taken shard by shard while
// writes go on, recovery (snapshot + log tail, torn tails truncated, corrupt
// records refused), retained history and point-in-time restore, and the
// offline tools that check and print a log. docs/DURABILITY.md describes
// the formats and the guarantees.
package wal

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
)

// A record is one framed payload, in log segments and snapshot files alike:
//
//	u32le crc32c of the next 4 bytes and the payload | u32le payload length, top bit "continued" | payload
//
// The checksum covers the length, so a damaged length is caught as surely
// as a damaged payload (and length and payload are contiguous: one pass).
// A log record's payload is one effect in the canonical encoding
// (effect.AppendBinary). In a log, "continued" says the next record belongs
// to the same command: a command's records are written together, and
// recovery drops a command whose last record is missing.
const (
	frameHeader = 8
	contBit     = 1 << 31
)

// MaxRecord bounds a record's payload (an effect holds at most a 512 MiB
// key and value; a snapshot block one shard of a database).
const MaxRecord = 1<<31 - 1

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Frame errors.
var (
	errShort  = errors.New("record runs past the end of the data")
	errLength = errors.New("record length is invalid")
	errCRC    = errors.New("record checksum mismatch")
)

// beginFrame reserves a record header at the end of dst; finishFrame fills
// it in once the payload has been appended.
func beginFrame(dst []byte) ([]byte, int) {
	return append(dst, 0, 0, 0, 0, 0, 0, 0, 0), len(dst)
}

func finishFrame(dst []byte, at int) []byte {
	binary.LittleEndian.PutUint32(dst[at+4:], uint32(len(dst)-at-frameHeader))
	binary.LittleEndian.PutUint32(dst[at:], crc32.Checksum(dst[at+4:], castagnoli))
	return dst
}

// appendFrame appends payload as one record.
func appendFrame(dst, payload []byte) []byte {
	dst, at := beginFrame(dst)
	dst = append(dst, payload...)
	return finishFrame(dst, at)
}

// setFrameLen writes the payload length of a frame begun at dst[at:]
// without its checksum (sealGroup adds it).
func setFrameLen(dst []byte, at int) {
	binary.LittleEndian.PutUint32(dst[at+4:], uint32(len(dst)-at-frameHeader))
}

// sealGroup finishes the records framed in b (lengths set, checksums not),
// one command's: every one but the last is marked "continued".
func sealGroup(b []byte) {
	for at := 0; at < len(b); {
		n := binary.LittleEndian.Uint32(b[at+4:])
		end := at + frameHeader + int(n)
		if end < len(b) {
			binary.LittleEndian.PutUint32(b[at+4:], n|contBit)
		}
		binary.LittleEndian.PutUint32(b[at:], crc32.Checksum(b[at+4:end], castagnoli))
		at = end
	}
}

// frameContinued reports whether a well-formed record is marked "continued".
func frameContinued(b []byte) bool { return binary.LittleEndian.Uint32(b[4:])&contBit != 0 }

// parseFrame reads the record at the front of b: its payload (aliasing b)
// and its whole size.
func parseFrame(b []byte) ([]byte, int, error) {
	if len(b) < frameHeader {
		return nil, 0, errShort
	}
	n := binary.LittleEndian.Uint32(b[4:]) &^ contBit
	if n == 0 || n > MaxRecord {
		return nil, 0, errLength
	}
	if uint64(len(b)-frameHeader) < uint64(n) {
		return nil, 0, errShort
	}
	if crc32.Checksum(b[4:frameHeader+int(n)], castagnoli) != binary.LittleEndian.Uint32(b) {
		return nil, 0, errCRC
	}
	return b[frameHeader : frameHeader+int(n)], frameHeader + int(n), nil
}

// validFrameAfter reports whether some well-formed record (for which ok
// holds) starts anywhere in b: what tells damage in the middle of a log from
// a torn tail, after which nothing valid can follow. Candidates are screened
// with ok before their checksum is computed, so a long run of garbage costs
// about one cheap test per byte, not a checksum per byte.
func validFrameAfter(b []byte, ok func(payload []byte) bool) (int, bool) {
	for i := 0; i+frameHeader < len(b); i++ {
		n := binary.LittleEndian.Uint32(b[i+4:]) &^ contBit
		if n == 0 || uint64(n) > uint64(len(b)-i-frameHeader) {
			continue
		}
		if !ok(b[i+frameHeader : i+frameHeader+int(n)]) {
			continue
		}
		if _, _, err := parseFrame(b[i:]); err == nil {
			return i, true
		}
	}
	return 0, false
}
