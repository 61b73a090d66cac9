package crdt

import (
	"encoding/binary"
	"math"
	"math/bits"
	"strconv"
)

// HyperLogLog: a string in Redis' own format, so that GET, DUMP and
// SETRANGE see the bytes Redis would hold.
//
//	"HYLL" | encoding (0 dense, 1 sparse) | 3 unused bytes | cardinality
//	cache (8 bytes little-endian; the top bit of the last byte set means
//	"stale") | registers
//
// 16384 registers of 6 bits. Dense: packed little-endian bit fields, 12288
// bytes. Sparse: a run-length code of opcodes, ZERO 00xxxxxx (1-64 zero
// registers), XZERO 01xxxxxx yyyyyyyy (1-16384 zero registers), VAL
// 1vvvvvxx (1-4 registers of value 1-32). An element hashes with
// MurmurHash64A (seed 0xadc83b19) into a register (the low 14 bits) and a
// count (one plus the trailing zeros of the rest).
//
// The merge rule is register-wise max. Effects are patches applied by
// HLLApply in stamp order; each carries register updates, never elements:
//
//	'a' n (reg, count)*       PFADD: the updates that raised a register, in
//	                          Redis' order (the sparse code depends on it);
//	                          creates the key; the cache goes stale when a
//	                          register rose or the key was created
//	'm' dense n (Δreg, val)*  PFMERGE: the merged maxima, ascending; dense=1
//	                          first converts to dense; creates the key; the
//	                          cache goes stale
//	'c'                       PFCOUNT: cache the cardinality of the
//	                          registers as they are where it applies
//	'd'                       PFDEBUG TODENSE / GETREG: convert to dense
//
// Like every string patch, an effect that lands on a missing key (a DEL
// concurrent with it took the key) starts from an empty HLL.
//
// Registers only rise, so whatever order a set of effects is applied in the
// registers are the same; in stamp order the bytes are too.

// HLL payload sub-ops.
const (
	HLLAdd   byte = 'a'
	HLLMerge byte = 'm'
	HLLCache byte = 'c'
	HLLDense byte = 'd'
)

// HLLSparseMaxBytes is Redis' hll-sparse-max-bytes: a sparse HLL that would
// grow past it becomes dense (CONFIG SET changes it).
var HLLSparseMaxBytes = 3000

const (
	hllP          = 14
	hllQ          = 64 - hllP
	HLLRegisters  = 1 << hllP
	hllHdrSize    = 16
	hllDenseSize  = hllHdrSize + HLLRegisters*6/8
	hllEncDense   = 0
	hllEncSparse  = 1
	hllRegMax     = 63
	hllValMax     = 32
	hllValMaxLen  = 4
	hllZeroMaxLen = 64
	hllXZeroMax   = 16384
	hllAlphaInf   = 0.721347520444481703680
)

func init() { HLLApply = hllApply }

// MurmurHash64A is Austin Appleby's 64-bit MurmurHash (variant A), reading
// 8-byte blocks little-endian, as Redis uses it.
func MurmurHash64A(key []byte, seed uint64) uint64 {
	const m = 0xc6a4a7935bd1e995
	const r = 47
	h := seed ^ (uint64(len(key)) * m)
	for len(key) >= 8 {
		k := binary.LittleEndian.Uint64(key)
		k *= m
		k ^= k >> r
		k *= m
		h ^= k
		h *= m
		key = key[8:]
	}
	if len(key) > 0 {
		for i := len(key) - 1; i >= 0; i-- {
			h ^= uint64(key[i]) << (8 * uint(i))
		}
		h *= m
	}
	h ^= h >> r
	h *= m
	h ^= h >> r
	return h
}

// HLLHash returns the register an element counts in and the count it
// brings (1 to 51).
func HLLHash(elem []byte) (reg int, count uint8) {
	h := MurmurHash64A(elem, 0xadc83b19)
	reg = int(h & (HLLRegisters - 1))
	h >>= hllP
	h |= 1 << hllQ
	return reg, uint8(bits.TrailingZeros64(h) + 1)
}

// HLLValid reports whether b is a HyperLogLog as Redis checks one: the
// header, a known encoding, the exact size when dense.
func HLLValid(b []byte) bool {
	if len(b) < hllHdrSize || b[0] != 'H' || b[1] != 'Y' || b[2] != 'L' || b[3] != 'L' {
		return false
	}
	switch b[4] {
	case hllEncDense:
		return len(b) == hllDenseSize
	case hllEncSparse:
		return true
	}
	return false
}

// HLLIsDense reports whether a valid HLL is dense.
func HLLIsDense(b []byte) bool { return b[4] == hllEncDense }

// HLLNew returns an empty sparse HLL, as PFADD creates one: the cache holds
// a valid 0.
func HLLNew() []byte {
	b := make([]byte, hllHdrSize+2, hllHdrSize+16)
	copy(b, "HYLL")
	b[4] = hllEncSparse
	b[hllHdrSize] = 0x40 | byte((hllXZeroMax-1)>>8)
	b[hllHdrSize+1] = byte((hllXZeroMax - 1) & 0xff)
	return b
}

// HLLCached returns the cached cardinality when the cache is valid.
func HLLCached(b []byte) (uint64, bool) {
	if b[15]&0x80 != 0 {
		return 0, false
	}
	return binary.LittleEndian.Uint64(b[8:16]), true
}

func hllInvalidate(b []byte) { b[15] |= 0x80 }

// Dense registers.

func denseGet(regs []byte, i int) uint8 {
	bit := i * 6
	b0 := bit >> 3
	fb := uint(bit & 7)
	v := uint(regs[b0]) >> fb
	if b0+1 < len(regs) {
		v |= uint(regs[b0+1]) << (8 - fb)
	}
	return uint8(v & hllRegMax)
}

func denseSet(regs []byte, i int, val uint8) {
	bit := i * 6
	b0 := bit >> 3
	fb := uint(bit & 7)
	v := uint(val)
	regs[b0] &^= byte(hllRegMax << fb)
	regs[b0] |= byte(v << fb)
	if b0+1 < len(regs) {
		regs[b0+1] &^= byte(hllRegMax >> (8 - fb))
		regs[b0+1] |= byte(v >> (8 - fb))
	}
}

// Sparse opcodes.

func isZero(c byte) bool  { return c&0xc0 == 0 }
func isXZero(c byte) bool { return c&0xc0 == 0x40 }
func isVal(c byte) bool   { return c&0x80 != 0 }
func valValue(c byte) int { return int(c>>2&0x1f) + 1 }
func valLen(c byte) int   { return int(c&3) + 1 }
func valOp(val, n int) byte {
	return byte((val-1)<<2|(n-1)) | 0x80
}

// appendZeros appends the opcode for a run of n zero registers.
func appendZeros(seq []byte, n int) []byte {
	if n > hllZeroMaxLen {
		return append(seq, byte((n-1)>>8)|0x40, byte((n-1)&0xff))
	}
	return append(seq, byte(n-1))
}

// hllSet raises register reg to count in b (a valid HLL) as Redis' hllAdd
// does, returning the string (grown, or converted to dense), and 1 when the
// register rose, 0 when it was already as high, -1 when the sparse code is
// corrupt (b unchanged).
func hllSet(b []byte, reg int, count uint8) ([]byte, int) {
	if b[4] == hllEncDense {
		regs := b[hllHdrSize:]
		if denseGet(regs, reg) >= count {
			return b, 0
		}
		denseSet(regs, reg, count)
		return b, 1
	}
	return sparseSet(b, reg, count)
}

// sparseSet is Redis' hllSparseSet: locate the opcode covering reg, split
// it to give reg its own VAL, merge equal neighbouring VALs around it, and
// turn dense when the value does not fit a VAL or the string would grow
// past HLLSparseMaxBytes.
func sparseSet(b []byte, reg int, count uint8) ([]byte, int) {
	if count > hllValMax {
		return promote(b, reg, count)
	}
	end := len(b)
	p := hllHdrSize
	first, span, prev := 0, 0, -1
	for p < end {
		oplen := 1
		c := b[p]
		switch {
		case isZero(c):
			span = int(c&0x3f) + 1
		case isVal(c):
			span = valLen(c)
		default:
			if p+1 >= end {
				return b, -1
			}
			span = (int(c&0x3f)<<8 | int(b[p+1])) + 1
			oplen = 2
		}
		if reg <= first+span-1 {
			break
		}
		prev = p
		p += oplen
		first += span
	}
	if span == 0 || p >= end {
		return b, -1
	}
	c := b[p]
	var runlen int
	zero, xzero := isZero(c), isXZero(c)
	switch {
	case zero:
		runlen = int(c&0x3f) + 1
	case xzero:
		runlen = (int(c&0x3f)<<8 | int(b[p+1])) + 1
	default:
		runlen = valLen(c)
		if valValue(c) >= int(count) {
			return b, 0
		}
		if runlen == 1 {
			b[p] = valOp(int(count), 1)
			return mergeVals(b, prev, p), 1
		}
	}
	if zero && runlen == 1 {
		b[p] = valOp(int(count), 1)
		return mergeVals(b, prev, p), 1
	}
	// the general case: split the opcode in up to three
	var seqBuf [5]byte
	seq := seqBuf[:0]
	last := first + span - 1
	if zero || xzero {
		if reg != first {
			seq = appendZeros(seq, reg-first)
		}
		seq = append(seq, valOp(int(count), 1))
		if reg != last {
			seq = appendZeros(seq, last-reg)
		}
	} else {
		cur := valValue(c)
		if reg != first {
			seq = append(seq, valOp(cur, reg-first))
		}
		seq = append(seq, valOp(int(count), 1))
		if reg != last {
			seq = append(seq, valOp(cur, last-reg))
		}
	}
	oldlen := 1
	if xzero {
		oldlen = 2
	}
	delta := len(seq) - oldlen
	if delta > 0 && len(b)+delta > HLLSparseMaxBytes {
		return promote(b, reg, count)
	}
	if delta > 0 {
		if cap(b)-len(b) < delta {
			nb := make([]byte, len(b), len(b)+len(b)/4+16)
			copy(nb, b)
			b = nb
		}
		b = b[:len(b)+delta]
		copy(b[p+len(seq):], b[p+oldlen:end])
	} else if delta < 0 {
		copy(b[p+len(seq):], b[p+oldlen:end])
		b = b[:len(b)+delta]
	}
	copy(b[p:], seq)
	b = mergeVals(b, prev, p)
	return b, 1
}

// mergeVals is Redis' step 4: from the opcode before the change (or the
// first), scan up to 5 opcodes merging adjacent VALs of equal value whose
// lengths fit one VAL. It also marks the cache stale.
func mergeVals(b []byte, prev, p int) []byte {
	if prev >= 0 {
		p = prev
	} else {
		p = hllHdrSize
	}
	end := len(b)
	for scan := 5; p < end && scan > 0; {
		scan--
		c := b[p]
		if isXZero(c) {
			p += 2
			continue
		}
		if isZero(c) {
			p++
			continue
		}
		if p+1 < end && isVal(b[p+1]) {
			v1, v2 := valValue(c), valValue(b[p+1])
			if v1 == v2 {
				if n := valLen(c) + valLen(b[p+1]); n <= hllValMaxLen {
					b[p+1] = valOp(v1, n)
					copy(b[p:], b[p+1:end])
					end--
					b = b[:end]
					continue
				}
			}
		}
		p++
	}
	hllInvalidate(b)
	return b
}

// promote converts to dense and sets the register there (the conversion
// only happens for a register that rises).
func promote(b []byte, reg int, count uint8) ([]byte, int) {
	d, ok := toDense(b)
	if !ok {
		return b, -1
	}
	denseSet(d[hllHdrSize:], reg, count)
	return d, 1
}

// toDense is Redis' hllSparseToDense: a new dense string with the sparse
// one's header (its cache included); ok is false when the sparse code does
// not cover exactly the 16384 registers.
func toDense(b []byte) ([]byte, bool) {
	if b[4] == hllEncDense {
		return b, true
	}
	d := make([]byte, hllDenseSize)
	copy(d, b[:hllHdrSize])
	d[4] = hllEncDense
	regs := d[hllHdrSize:]
	idx := 0
	for p := hllHdrSize; p < len(b); {
		c := b[p]
		switch {
		case isZero(c):
			idx += int(c&0x3f) + 1
			p++
		case isXZero(c):
			if p+1 >= len(b) {
				return nil, false
			}
			idx += (int(c&0x3f)<<8 | int(b[p+1])) + 1
			p += 2
		default:
			n, v := valLen(c), valValue(c)
			if idx+n > HLLRegisters {
				return nil, false
			}
			for ; n > 0; n-- {
				denseSet(regs, idx, uint8(v))
				idx++
			}
			p++
		}
		if idx > HLLRegisters {
			return nil, false
		}
	}
	if idx != HLLRegisters {
		return nil, false
	}
	return d, true
}

// HLLToDense converts a valid HLL to dense (a copy); ok is false when its
// sparse code is corrupt.
func HLLToDense(b []byte) ([]byte, bool) {
	if b[4] == hllEncDense {
		return append([]byte(nil), b...), true
	}
	return toDense(b)
}

// HLLMergeInto raises max to the registers of b (a valid HLL), as Redis'
// hllMerge; false when the sparse code is corrupt.
func HLLMergeInto(max *[HLLRegisters]uint8, b []byte) bool {
	if b[4] == hllEncDense {
		regs := b[hllHdrSize:]
		for i := range max {
			if v := denseGet(regs, i); v > max[i] {
				max[i] = v
			}
		}
		return true
	}
	i := 0
	for p := hllHdrSize; p < len(b); {
		c := b[p]
		switch {
		case isZero(c):
			i += int(c&0x3f) + 1
			p++
		case isXZero(c):
			if p+1 >= len(b) {
				return false
			}
			i += (int(c&0x3f)<<8 | int(b[p+1])) + 1
			p += 2
		default:
			n, v := valLen(c), uint8(valValue(c))
			if i+n > HLLRegisters {
				return false
			}
			for ; n > 0; n-- {
				if v > max[i] {
					max[i] = v
				}
				i++
			}
			p++
		}
	}
	return i == HLLRegisters
}

// HLLCount computes the cardinality of a valid HLL (ignoring its cache);
// invalid reports a corrupt sparse code.
func HLLCount(b []byte) (card uint64, invalid bool) {
	var histo [64]int
	if b[4] == hllEncDense {
		// eight registers in every six bytes, counted in four histograms
		// so that equal values in a row do not wait on each other
		var h [4][64]uint32
		regs := b[hllHdrSize:hllDenseSize]
		for i := 0; i+6 <= len(regs); i += 6 {
			w := uint64(regs[i]) | uint64(regs[i+1])<<8 | uint64(regs[i+2])<<16 |
				uint64(regs[i+3])<<24 | uint64(regs[i+4])<<32 | uint64(regs[i+5])<<40
			h[0][w&63]++
			h[1][w>>6&63]++
			h[2][w>>12&63]++
			h[3][w>>18&63]++
			h[0][w>>24&63]++
			h[1][w>>30&63]++
			h[2][w>>36&63]++
			h[3][w>>42&63]++
		}
		for v := range histo {
			histo[v] = int(h[0][v] + h[1][v] + h[2][v] + h[3][v])
		}
		return hllEstimate(&histo), false
	}
	idx := 0
	for p := hllHdrSize; p < len(b); {
		c := b[p]
		switch {
		case isZero(c):
			n := int(c&0x3f) + 1
			idx += n
			histo[0] += n
			p++
		case isXZero(c):
			var n int
			if p+1 < len(b) {
				n = (int(c&0x3f)<<8 | int(b[p+1])) + 1
			} else {
				n = int(c&0x3f)<<8 + 1 // Redis reads the string's terminator
			}
			idx += n
			histo[0] += n
			p += 2
		default:
			n := valLen(c)
			idx += n
			histo[valValue(c)] += n
			p++
		}
	}
	if idx != HLLRegisters {
		return 0, true
	}
	return hllEstimate(&histo), false
}

// HLLCountRegisters is the cardinality of raw registers (PFCOUNT of many
// keys).
func HLLCountRegisters(max *[HLLRegisters]uint8) uint64 {
	var histo [64]int
	for _, v := range max {
		histo[v&63]++
	}
	return hllEstimate(&histo)
}

// hllEstimate is Otmar Ertl's estimator ("New cardinality estimation
// algorithms for HyperLogLog sketches", 2017), as Redis computes it.
func hllEstimate(histo *[64]int) uint64 {
	m := float64(HLLRegisters)
	z := m * hllTau((m-float64(histo[hllQ+1]))/m)
	for j := hllQ; j >= 1; j-- {
		z += float64(histo[j])
		z *= 0.5
	}
	z += float64(m * hllSigma(float64(histo[0])/m))
	return uint64(math.Round(hllAlphaInf * m * m / z))
}

func hllSigma(x float64) float64 {
	if x == 1 {
		return math.Inf(1)
	}
	y, z := 1.0, x
	for {
		x *= x
		zPrime := z
		z += float64(x * y) // float64(): no fused multiply-add, as in Redis
		y += y
		if zPrime == z {
			return z
		}
	}
}

func hllTau(x float64) float64 {
	if x == 0 || x == 1 {
		return 0
	}
	y, z := 1.0, 1-x
	for {
		x = math.Sqrt(x)
		zPrime := z
		y *= 0.5
		d := 1 - x
		z -= float64(d * d * y)
		if zPrime == z {
			return z / 3
		}
	}
}

// HLLRegister returns register i of a valid HLL whose sparse code is sound.
func HLLRegister(b []byte, i int) uint8 {
	if b[4] == hllEncDense {
		return denseGet(b[hllHdrSize:], i)
	}
	first := 0
	for p := hllHdrSize; p < len(b); {
		c := b[p]
		var n, v int
		switch {
		case isZero(c):
			n = int(c&0x3f) + 1
			p++
		case isXZero(c):
			if p+1 >= len(b) {
				return 0
			}
			n = (int(c&0x3f)<<8 | int(b[p+1])) + 1
			p += 2
		default:
			n, v = valLen(c), valValue(c)
			p++
		}
		if i < first+n {
			return uint8(v)
		}
		first += n
	}
	return 0
}

// HLLDecode is PFDEBUG DECODE's text for a sparse HLL.
func HLLDecode(b []byte) string {
	var out []byte
	for p := hllHdrSize; p < len(b); {
		c := b[p]
		switch {
		case isZero(c):
			out = append(out, "z:"...)
			out = strconv.AppendInt(out, int64(c&0x3f)+1, 10)
			p++
		case isXZero(c):
			var n int
			if p+1 < len(b) {
				n = (int(c&0x3f)<<8 | int(b[p+1])) + 1
			} else {
				n = int(c&0x3f)<<8 + 1
			}
			out = append(out, "Z:"...)
			out = strconv.AppendInt(out, int64(n), 10)
			p += 2
		default:
			out = append(out, "v:"...)
			out = strconv.AppendInt(out, int64(valValue(c)), 10)
			out = append(out, ',')
			out = strconv.AppendInt(out, int64(valLen(c)), 10)
			p++
		}
		out = append(out, ' ')
	}
	for len(out) > 0 && out[len(out)-1] == ' ' {
		out = out[:len(out)-1]
	}
	return string(out)
}

// HLLPlanAdd decides PFADD of elems on cur (a valid HLL, or nil when the
// key is missing): it writes the effect's payload to p and reports whether
// there is one to write, the reply (1 when a register rose or the key was
// created), and corrupt when a register update met a corrupt sparse code
// (Redis then replies an error, keeping the updates before it). It hashes
// every element once and simulates the updates on a copy only when the
// HLL is sparse (whose bytes decide later updates).
func HLLPlanAdd(p *Enc, cur []byte, elems [][]byte) (write bool, updated bool, corrupt bool) {
	created := cur == nil
	var sim []byte
	if created {
		sim = HLLNew()
	} else if cur[4] == hllEncSparse {
		sim = append(make([]byte, 0, len(cur)+16), cur...)
	}
	type upd struct {
		reg   uint16
		count uint8
	}
	var buf [16]upd
	ups := buf[:0]
	for _, e := range elems {
		reg, count := HLLHash(e)
		if sim != nil {
			var r int
			sim, r = hllSet(sim, reg, count)
			if r < 0 {
				corrupt = true
				break
			}
			if r == 1 {
				ups = append(ups, upd{uint16(reg), count})
			}
			continue
		}
		// dense: a register rises when above both its value and earlier
		// updates of this command
		if denseGet(cur[hllHdrSize:], reg) >= count {
			continue
		}
		dup := false
		for i := range ups {
			if int(ups[i].reg) == reg {
				if ups[i].count >= count {
					dup = true
				} else {
					ups[i].count = count
					dup = true
				}
				break
			}
		}
		if !dup {
			ups = append(ups, upd{uint16(reg), count})
		}
	}
	if !created && len(ups) == 0 {
		return false, false, corrupt
	}
	p.Byte(HLLAdd)
	p.Uvarint(uint64(len(ups)))
	for _, u := range ups {
		p.Uvarint(uint64(u.reg))
		p.Byte(u.count)
	}
	return true, true, corrupt
}

// EncodeHLLMerge writes PFMERGE's payload: the maxima, and whether the
// target turns dense first.
func EncodeHLLMerge(p *Enc, dense bool, max *[HLLRegisters]uint8) {
	p.Byte(HLLMerge)
	if dense {
		p.Byte(1)
	} else {
		p.Byte(0)
	}
	n := 0
	for _, v := range max {
		if v != 0 {
			n++
		}
	}
	p.Uvarint(uint64(n))
	last := 0
	for i, v := range max {
		if v != 0 {
			p.Uvarint(uint64(i - last))
			p.Byte(v)
			last = i
		}
	}
}

// hllApply is HLLApply.
func hllApply(cur []byte, payload []byte) ([]byte, bool) {
	d := NewDec(payload)
	op := d.Byte()
	if d.Err {
		return nil, false
	}
	if cur != nil && !HLLValid(cur) {
		return nil, false
	}
	switch op {
	case HLLAdd:
		n := d.Count()
		if d.Err {
			return nil, false
		}
		b := cur
		changed := false
		if b == nil {
			b = HLLNew()
			changed = true
		}
		for i := 0; i < n; i++ {
			reg := d.Uvarint()
			count := d.Byte()
			if d.Err || reg >= HLLRegisters || count == 0 || count > hllRegMax {
				break
			}
			var r int
			b, r = hllSet(b, int(reg), count)
			if r < 0 {
				break
			}
			if r == 1 {
				changed = true
			}
		}
		if changed {
			hllInvalidate(b)
		}
		return b, true
	case HLLMerge:
		dense := d.Byte() == 1
		n := d.Count()
		if d.Err {
			return nil, false
		}
		b := cur
		if b == nil {
			b = HLLNew()
		}
		if dense {
			nb, ok := toDense(b)
			if !ok {
				return nil, false
			}
			b = nb
		}
		reg := 0
		for i := 0; i < n; i++ {
			reg += int(d.Uvarint())
			val := d.Byte()
			if d.Err || reg >= HLLRegisters || val == 0 || val > hllRegMax {
				break
			}
			b, _ = hllSet(b, reg, val)
		}
		hllInvalidate(b)
		return b, true
	case HLLCache:
		if cur == nil {
			// only when a concurrent DEL took the key: like every string
			// patch, it starts from an empty value
			cur = HLLNew()
		}
		card, invalid := HLLCount(cur)
		if invalid {
			return nil, false
		}
		binary.LittleEndian.PutUint64(cur[8:16], card)
		return cur, true
	case HLLDense:
		if cur == nil {
			cur = HLLNew()
		}
		return toDense(cur)
	}
	return nil, false
}
