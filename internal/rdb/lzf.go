package rdb

import (
	"errors"
	"sync"
)

// LZF stream format (as read by LZFDecompress):
//
//	000LLLLL                    literal run: copy the next L+1 input bytes
//	LLLooooo oooooooo           back reference, L in 1..6: copy L+2 bytes
//	111ooooo LLLLLLLL oooooooo  back reference: copy 7+L+2 bytes
//
// A back reference copies from (offset+1) bytes before the current end of the
// output, offset being the 13 bits ooooo oooooooo; source and destination may
// overlap, in which case the copy repeats the most recent bytes.

const (
	lzfHashLog  = 16
	lzfHashSize = 1 << lzfHashLog
	lzfMaxLit   = 1 << 5              // longest literal run
	lzfMaxOff   = 1 << 13             // farthest back reference (+1)
	lzfMaxRef   = (1 << 8) + (1 << 3) // longest back reference, in bytes
	// lzfMaxRatio bounds output/input for any valid stream: a 3-byte back
	// reference expands to at most lzfMaxRef bytes.
	lzfMaxRatio = lzfMaxRef/3 + 1
)

// errLZF is returned by LZFDecompress for a corrupt or mis-sized stream.
var errLZF = errors.New("rdb: invalid LZF data")

// lzfTable maps the hash of three bytes to the position where they were last
// seen. Position 0 doubles as "empty": like the reference compressor, the
// compressor never refers back to the very first input byte.
type lzfTable [lzfHashSize]uint32

var lzfTables = sync.Pool{New: func() any { return new(lzfTable) }}

// lzfSlot hashes v, whose low 24 bits are the three bytes starting at the
// current position (higher bits, left over from earlier bytes, do not
// influence the result).
func lzfSlot(v uint32) uint32 {
	return (v>>(24-lzfHashLog) - v*5) & (lzfHashSize - 1)
}

// LZFCompress compresses in the way redis-server 7.0 does when it saves a
// string longer than 20 bytes: the result must fit in len(in)-4 bytes (as
// judged by the compressor's own, slightly conservative, space checks), and nil
// is returned when it does not, or when len(in) <= 4.
func LZFCompress(in []byte) []byte {
	if len(in) <= 4 {
		return nil
	}
	return lzfCompress(in, len(in)-4)
}

// lzfCompress compresses in into at most limit bytes, returning nil when the
// output would not fit. It makes the same choices as the LZF compressor in
// redis-server 7.0 (a 64K-entry table of the last position of each 3-byte
// hash; greedy matching; after a back reference only the two positions before
// the next one are entered in the table), so the output is byte-identical to
// what redis-server writes; the differential test checks this.
func lzfCompress(in []byte, limit int) []byte {
	n := len(in)
	if n == 0 || limit <= 0 {
		return nil
	}
	tab := lzfTables.Get().(*lzfTable)
	defer lzfRelease(tab, in)

	// The space checks below mirror the reference compressor's. Since the
	// output position only grows, the final check (op+3 > limit) decides on
	// its own whether the result fits; the earlier ones only stop the work
	// (and the writes) early.
	out := make([]byte, limit)
	// op is the output position; out[op-lit-1] is reserved for the control
	// byte of the literal run being built, which holds lit bytes so far.
	op, lit := 1, 0
	ip := 0
	var h uint32
	if n >= 2 {
		h = uint32(in[0])<<8 | uint32(in[1])
	}
	for ip < n-2 {
		h = h<<8 | uint32(in[ip+2])
		slot := lzfSlot(h)
		ref := int(tab[slot])
		tab[slot] = uint32(ip)
		off := ip - ref - 1

		if ref > 0 && off >= 0 && off < lzfMaxOff &&
			in[ref+2] == in[ip+2] && in[ref+1] == in[ip+1] && in[ref] == in[ip] {
			// The control byte of an empty run is dropped, so it does not count.
			runOpen := 1
			if lit == 0 {
				runOpen = 0
			}
			if op-1+runOpen+4 >= limit {
				return nil
			}
			maxLen := n - ip - 2
			if maxLen > lzfMaxRef {
				maxLen = lzfMaxRef
			}
			l := lzfMatchLen(in, ref, ip, maxLen)

			// Close the literal run (or take back its reserved byte).
			out[op-lit-1] = byte(lit - 1)
			op -= 1 - runOpen

			enc := l - 2
			if enc < 7 {
				out[op] = byte(off>>8 + enc<<5)
				op++
			} else {
				out[op] = byte(off>>8 + 7<<5)
				out[op+1] = byte(enc - 7)
				op += 2
			}
			out[op] = byte(off)
			op++
			lit = 0
			op++ // reserve the next run's control byte

			ip += l
			if ip >= n-2 {
				break
			}
			// Hash the two positions just before the next one.
			ip -= 2
			h = uint32(in[ip])<<16 | uint32(in[ip+1])<<8 | uint32(in[ip+2])
			tab[lzfSlot(h)] = uint32(ip)
			ip++
			h = h<<8 | uint32(in[ip+2])
			tab[lzfSlot(h)] = uint32(ip)
			ip++
			continue
		}

		if op >= limit {
			return nil
		}
		out[op] = in[ip]
		op++
		ip++
		lit++
		if lit == lzfMaxLit {
			out[op-lit-1] = byte(lit - 1)
			lit = 0
			op++
		}
	}

	// At most two bytes are left, plus possibly a control byte.
	if op+3 > limit {
		return nil
	}
	for ; ip < n; ip++ {
		out[op] = in[ip]
		op++
		lit++
		if lit == lzfMaxLit {
			out[op-lit-1] = byte(lit - 1)
			lit = 0
			op++
		}
	}
	if lit > 0 {
		out[op-lit-1] = byte(lit - 1)
	} else {
		op--
	}
	return out[:op]
}

// lzfMatchLen returns how many bytes starting at ip repeat those starting at
// ref, given that the first three do. Like the reference compressor it stops
// at maxLen, except that when maxLen > 16 the first 19 bytes are compared
// without looking at maxLen, so a match may end up to two bytes longer than
// maxLen (never past the end of the input, as maxLen leaves two bytes spare).
func lzfMatchLen(in []byte, ref, ip, maxLen int) int {
	l := 3
	if maxLen > 16 {
		for ; l < 19; l++ {
			if in[ref+l] != in[ip+l] {
				return l
			}
		}
	}
	for l < maxLen && in[ref+l] == in[ip+l] {
		l++
	}
	return l
}

// lzfRelease empties the slots used while compressing in, then pools tab.
func lzfRelease(tab *lzfTable, in []byte) {
	if len(in) >= lzfHashSize/4 {
		*tab = lzfTable{}
	} else if len(in) >= 3 {
		// Every slot written holds a position i in [0, len-3] and was
		// indexed by the hash of in[i:i+3].
		for i := 0; i+2 < len(in); i++ {
			tab[lzfSlot(uint32(in[i])<<16|uint32(in[i+1])<<8|uint32(in[i+2]))] = 0
		}
	}
	lzfTables.Put(tab)
}

// LZFDecompress decompresses an LZF stream that must expand to exactly outLen
// bytes. Any malformed stream (truncated, referring back before the start,
// expanding to more or fewer bytes) yields an error; outLen is checked against
// the largest size len(in) bytes can expand to before anything is allocated.
func LZFDecompress(in []byte, outLen int) ([]byte, error) {
	if outLen < 0 || outLen/lzfMaxRatio > len(in) {
		return nil, errLZF
	}
	out := make([]byte, 0, outLen)
	for ip := 0; ip < len(in); {
		ctrl := int(in[ip])
		ip++
		if ctrl < 1<<5 {
			run := ctrl + 1
			if run > len(in)-ip || run > outLen-len(out) {
				return nil, errLZF
			}
			out = append(out, in[ip:ip+run]...)
			ip += run
			continue
		}
		l := ctrl >> 5
		if l == 7 {
			if ip >= len(in) {
				return nil, errLZF
			}
			l += int(in[ip])
			ip++
		}
		if ip >= len(in) {
			return nil, errLZF
		}
		back := (ctrl&0x1f)<<8 | int(in[ip])
		back++
		ip++
		l += 2
		if back > len(out) || l > outLen-len(out) {
			return nil, errLZF
		}
		from := len(out) - back
		if back >= l {
			out = append(out, out[from:from+l]...)
		} else {
			for i := 0; i < l; i++ {
				out = append(out, out[from+i])
			}
		}
	}
	if len(out) != outLen {
		return nil, errLZF
	}
	return out, nil
}
