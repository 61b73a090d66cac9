package listpack

import "encoding/binary"

// Whole listpacks: header, entries, end byte.

// New returns an empty listpack with room for capHint bytes.
func New(capHint int) []byte {
	if capHint < HeaderSize+1 {
		capHint = HeaderSize + 1
	}
	b := make([]byte, HeaderSize+1, capHint)
	binary.LittleEndian.PutUint32(b, HeaderSize+1)
	b[HeaderSize] = End
	return b
}

// HeaderOK reports whether lp looks like a listpack: its header's total is
// len(lp) and it ends with the end byte.
func HeaderOK(lp []byte) bool {
	return len(lp) >= HeaderSize+1 && int(binary.LittleEndian.Uint32(lp)) == len(lp) && lp[len(lp)-1] == End
}

// Count is the header's element count (UnknownCount when it did not fit).
func Count(lp []byte) int { return int(binary.LittleEndian.Uint16(lp[4:])) }

func setTotal(lp []byte) { binary.LittleEndian.PutUint32(lp, uint32(len(lp))) }

func incCount(lp []byte) {
	if n := Count(lp); n != UnknownCount {
		binary.LittleEndian.PutUint16(lp[4:], uint16(n+1))
	}
}

// PushInt appends an integer element to the listpack lp.
func PushInt(lp []byte, v int64) []byte {
	lp = AppendInt(lp[:len(lp)-1], v)
	lp = append(lp, End)
	setTotal(lp)
	incCount(lp)
	return lp
}

// Push appends the element s to the listpack lp (as an integer when it
// reads as one).
func Push(lp []byte, s []byte) []byte {
	lp = Append(lp[:len(lp)-1], s)
	lp = append(lp, End)
	setTotal(lp)
	incCount(lp)
	return lp
}

// ReplaceInt replaces the element at off of the listpack lp with the
// integer v; the element may change size. It returns the new listpack (off
// stays valid).
func ReplaceInt(lp []byte, off int, v int64) []byte {
	old := EncLen(lp, off)
	oldTotal := old + BacklenSize(old)
	nl := IntSize(v)
	newTotal := nl + BacklenSize(nl)
	if newTotal != oldTotal {
		diff := newTotal - oldTotal
		if diff > 0 {
			lp = append(lp, make([]byte, diff)...)
			copy(lp[off+newTotal:], lp[off+oldTotal:len(lp)-diff])
		} else {
			copy(lp[off+newTotal:], lp[off+oldTotal:])
			lp = lp[:len(lp)+diff]
		}
	}
	b := appendIntEnc(lp[off:off], v)
	AppendBacklen(b, len(b))
	setTotal(lp)
	return lp
}

// Entries checks a whole (untrusted) listpack: the header's total is the
// blob's size, the end byte is in place, every entry is well formed and
// the header's count, unless UnknownCount, is right. It returns the
// entries (between header and end byte, aliasing lp) and how many there
// are.
func Entries(lp []byte) (entries []byte, count int, ok bool) {
	if !HeaderOK(lp) {
		return nil, 0, false
	}
	entries = lp[HeaderSize : len(lp)-1]
	if count, ok = CheckEntries(entries); !ok {
		return nil, 0, false
	}
	if h := Count(lp); h != UnknownCount && h != count {
		return nil, 0, false
	}
	return entries, count, true
}

// Validate is Entries for a listpack that is kept whole: its element count
// and whether it is well formed.
func Validate(lp []byte) (int, bool) {
	_, n, ok := Entries(lp)
	return n, ok
}

// Wrap appends a whole listpack holding entries (count of them) to dst.
func Wrap(dst, entries []byte, count int) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(entries)+HeaderSize+1))
	if count >= UnknownCount {
		count = UnknownCount
	}
	dst = binary.LittleEndian.AppendUint16(dst, uint16(count))
	dst = append(dst, entries...)
	return append(dst, End)
}

// Begin starts a listpack to be filled with Append and closed with Finish:
// the room for the header, with capacity for capHint bytes.
func Begin(capHint int) []byte {
	if capHint < HeaderSize+1 {
		capHint = HeaderSize + 1
	}
	return make([]byte, HeaderSize, capHint)
}

// Finish closes a listpack started with Begin that holds count entries:
// it adds the end byte and fills in the header.
func Finish(lp []byte, count int) []byte {
	lp = append(lp, End)
	setTotal(lp)
	if count >= UnknownCount {
		count = UnknownCount
	}
	binary.LittleEndian.PutUint16(lp[4:], uint16(count))
	return lp
}
