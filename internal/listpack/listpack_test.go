package listpack

import (
	"bytes"
	"encoding/binary"
	"math"
	"strconv"
	"testing"
)

func TestParseInt(t *testing.T) {
	good := []int64{0, 1, -1, 9, 10, 127, -128, 4096, math.MaxInt32, math.MinInt32, math.MaxInt64, math.MinInt64,
		999999999999999999, -999999999999999999, 1000000000000000000}
	for _, v := range good {
		s := strconv.FormatInt(v, 10)
		if got, ok := ParseInt([]byte(s)); !ok || got != v {
			t.Errorf("ParseInt(%q) = %d %v", s, got, ok)
		}
	}
	bad := []string{"", "-", "+1", "01", "-0", "00", " 1", "1 ", "1.0", "1e3", "0x10", "9223372036854775808",
		"-9223372036854775809", "18446744073709551615", "18446744073709551616", "99999999999999999999",
		"123456789012345678901", "--1", "1-", "a"}
	for _, s := range bad {
		if v, ok := ParseInt([]byte(s)); ok {
			t.Errorf("ParseInt(%q) = %d, want refused", s, v)
		}
	}
}

// The integer encodings, byte for byte, at every boundary (the public
// listpack specification; 13-bit and string lengths high bits first, the
// rest little-endian), each followed by its 1-byte backlen.
func TestIntegerEncodings(t *testing.T) {
	for _, c := range []struct {
		v   int64
		enc string
	}{
		{0, "\x00"}, {127, "\x7f"},
		{128, "\xc0\x80"}, {-1, "\xdf\xff"}, {4095, "\xcf\xff"}, {-4096, "\xd0\x00"},
		{4096, "\xf1\x00\x10"}, {-4097, "\xf1\xff\xef"}, {32767, "\xf1\xff\x7f"}, {-32768, "\xf1\x00\x80"},
		{32768, "\xf2\x00\x80\x00"}, {-32769, "\xf2\xff\x7f\xff"}, {8388607, "\xf2\xff\xff\x7f"}, {-8388608, "\xf2\x00\x00\x80"},
		{8388608, "\xf3\x00\x00\x80\x00"}, {math.MaxInt32, "\xf3\xff\xff\xff\x7f"}, {math.MinInt32, "\xf3\x00\x00\x00\x80"},
		{math.MaxInt32 + 1, "\xf4\x00\x00\x00\x80\x00\x00\x00\x00"},
		{math.MinInt64, "\xf4\x00\x00\x00\x00\x00\x00\x00\x80"},
	} {
		want := c.enc + string(rune(len(c.enc)))
		if got := AppendInt(nil, c.v); string(got) != want {
			t.Errorf("AppendInt(%d) = %q, want %q", c.v, got, want)
		}
		s := []byte(strconv.FormatInt(c.v, 10))
		if got := Append(nil, s); string(got) != want {
			t.Errorf("Append(%q) = %q, want %q", s, got, want)
		}
		e := Prepare(s)
		dst := make([]byte, e.Size)
		e.Put(dst)
		if string(dst) != want {
			t.Errorf("Prepare(%q).Put = %q, want %q", s, dst, want)
		}
		if IntSize(c.v) != len(c.enc) || EntrySize(s) != len(want) {
			t.Errorf("%d: IntSize %d EntrySize %d", c.v, IntSize(c.v), EntrySize(s))
		}
		got, iv, isInt := Decode([]byte(want), 0)
		if !isInt || iv != c.v || got != nil {
			t.Errorf("Decode(%q) = %q %d %v", want, got, iv, isInt)
		}
	}
}

func TestStringEncodings(t *testing.T) {
	for _, n := range []int{0, 1, 63, 64, 4095, 4096, 70000} {
		s := bytes.Repeat([]byte{'s'}, n)
		e := Append(nil, s)
		var hdr []byte
		switch {
		case n < 64:
			hdr = []byte{0x80 | byte(n)}
		case n < 4096:
			hdr = []byte{0xE0 | byte(n>>8), byte(n)}
		default:
			hdr = binary.LittleEndian.AppendUint32([]byte{0xF0}, uint32(n))
		}
		if !bytes.HasPrefix(e, hdr) || !bytes.Equal(e[len(hdr):len(hdr)+n], s) {
			t.Errorf("%d bytes: header %x", n, e[:min(len(e), 6)])
		}
		if StrSize(n) != len(hdr)+n || len(e) != EntrySize(s) || Check(e, 0) != len(e) {
			t.Errorf("%d bytes: StrSize %d EntrySize %d Check %d len %d", n, StrSize(n), EntrySize(s), Check(e, 0), len(e))
		}
	}
	// AppendString is Append
	for _, s := range []string{"", "x", "12", "-0", "abc", string(bytes.Repeat([]byte("z"), 5000))} {
		if !bytes.Equal(AppendString(nil, s), Append(nil, []byte(s))) {
			t.Errorf("AppendString(%.10q) differs", s)
		}
	}
}

// Backlens at each size boundary: written both ways alike, read back by
// Prev, the sizes Redis' lpEncodeBacklen gives.
func TestBacklen(t *testing.T) {
	for _, c := range []struct{ l, size int }{
		{1, 1}, {127, 1}, {128, 2}, {16382, 2}, {16383, 3}, {2097150, 3}, {2097151, 4},
		{268435454, 4}, {268435455, 5}, {1 << 32, 5},
	} {
		if got := BacklenSize(c.l); got != c.size {
			t.Errorf("BacklenSize(%d) = %d, want %d", c.l, got, c.size)
		}
		a := AppendBacklen(nil, c.l)
		p := make([]byte, c.size)
		PutBacklen(p, c.l)
		if len(a) != c.size || !bytes.Equal(a, p) {
			t.Errorf("backlen of %d: append %x put %x", c.l, a, p)
		}
		// only the first byte (the rightmost read) lacks the top bit
		for i, b := range a {
			if (i == 0) != (b&128 == 0) {
				t.Errorf("backlen of %d: %x", c.l, a)
			}
		}
		// Prev reads it from the right: the entry starts l bytes before it
		buf := append(make([]byte, 8), a...)
		if got := Prev(buf, len(buf)); got != 8-c.l {
			t.Errorf("Prev over backlen of %d = %d, want %d", c.l, got, 8-c.l)
		}
	}
	// a real long entry: 16379 bytes of data + 5 of header = 16384 (3-byte backlen)
	s := bytes.Repeat([]byte("w"), 16379)
	e := Append(nil, s)
	if len(e) != 16384+3 || Prev(e, len(e)) != 0 || Len(e, 0) != len(e) {
		t.Fatalf("long entry: %d bytes, Prev %d, Len %d", len(e), Prev(e, len(e)), Len(e, 0))
	}
	if got := e[16384:]; got[0] != 1 || got[1] != 128 || got[2] != 128 {
		t.Errorf("backlen of 16384: %x", got)
	}
}

func TestWholeListpack(t *testing.T) {
	vals := [][]byte{[]byte("a"), []byte("1"), []byte("-77777"), bytes.Repeat([]byte("b"), 300), []byte("x")}
	lp := New(0)
	built := Begin(0)
	var entries []byte
	for _, v := range vals {
		lp = Push(lp, v)
		built = Append(built, v)
		entries = Append(entries, v)
	}
	built = Finish(built, len(vals))
	wrapped := Wrap(nil, entries, len(vals))
	if !bytes.Equal(lp, built) || !bytes.Equal(lp, wrapped) {
		t.Fatalf("Push %x\nBegin/Finish %x\nWrap %x", lp, built, wrapped)
	}
	if int(binary.LittleEndian.Uint32(lp)) != len(lp) || Count(lp) != len(vals) || lp[len(lp)-1] != End {
		t.Fatalf("header %x", lp[:6])
	}
	got, n, ok := Entries(lp)
	if !ok || n != len(vals) || !bytes.Equal(got, entries) {
		t.Fatalf("Entries = %d %v", n, ok)
	}
	// a count of 65535 means unknown and is accepted
	unk := append([]byte(nil), lp...)
	binary.LittleEndian.PutUint16(unk[4:], UnknownCount)
	if _, n, ok := Entries(unk); !ok || n != len(vals) {
		t.Errorf("unknown count: %d %v", n, ok)
	}
	if c := Count(Finish(Begin(0), 70000)); c != UnknownCount {
		t.Errorf("Finish with 70000 entries: count %d", c)
	}
	if c := Count(Wrap(nil, nil, 65535)); c != UnknownCount {
		t.Errorf("Wrap with 65535 entries: count %d", c)
	}
	bad := map[string][]byte{
		"short":       {7, 0, 0, 0, 0, 0},
		"total":       func() []byte { b := append([]byte(nil), lp...); b[0]++; return b }(),
		"no end":      func() []byte { b := append([]byte(nil), lp...); b[len(b)-1] = 0; return b }(),
		"count":       func() []byte { b := append([]byte(nil), lp...); b[4]++; return b }(),
		"end inside":  Wrap(nil, []byte{0xFF}, 1),
		"cut entry":   Wrap(nil, entries[:len(entries)-1], len(vals)),
		"bad backlen": Wrap(nil, []byte{0x81, 'a', 0x01}, 1),
	}
	for name, b := range bad {
		if _, _, ok := Entries(b); ok {
			t.Errorf("%s: accepted", name)
		}
	}
}

// Round trips of random values through every writer and reader.
func TestRoundTrip(t *testing.T) {
	var vals [][]byte
	for _, v := range []int64{0, 5, 127, 128, 1000, -1000, 5000, -5000, 40000, -40000, 1 << 22, -1 << 22,
		1 << 30, -1 << 30, 1 << 40, -1 << 40, math.MaxInt64, math.MinInt64} {
		vals = append(vals, []byte(strconv.FormatInt(v, 10)))
	}
	for _, n := range []int{0, 1, 62, 63, 64, 125, 126, 127, 4094, 4095, 4096, 16376, 16377, 16378, 16379} {
		vals = append(vals, bytes.Repeat([]byte{byte('a' + n%26)}, n))
	}
	vals = append(vals, []byte("-0"), []byte("007"), []byte("+5"), []byte("9223372036854775808"))
	var entries []byte
	var offs []int
	for _, v := range vals {
		offs = append(offs, len(entries))
		entries = Append(entries, v)
	}
	n, ok := CheckEntries(entries)
	if !ok || n != len(vals) {
		t.Fatalf("CheckEntries = %d %v", n, ok)
	}
	var buf [20]byte
	p := 0
	for i, v := range vals {
		if p != offs[i] {
			t.Fatalf("entry %d at %d, want %d", i, p, offs[i])
		}
		if got := Value(entries, p, buf[:]); !bytes.Equal(got, v) {
			t.Errorf("Value %q, want %q", got, v)
		}
		if !Equal(entries, p, v) || Equal(entries, p, append(v, 'x')) {
			t.Errorf("Equal(%q)", v)
		}
		_, iv, isInt, sz := DecodeN(entries, p)
		if pv, isNum := ParseInt(v); isNum != isInt || (isInt && (iv != pv || Int(entries, p) != pv)) {
			t.Errorf("%q: isInt %v iv %d", v, isInt, iv)
		}
		if sz != Len(entries, p) || sz != EntrySize(v) || Next(entries, p) != p+sz {
			t.Errorf("%q: sizes %d %d %d", v, sz, Len(entries, p), EntrySize(v))
		}
		p += sz
	}
	for i := len(vals) - 1; i >= 0; i-- {
		p = Prev(entries, p)
		if p != offs[i] {
			t.Fatalf("backwards: %d, want %d", p, offs[i])
		}
	}
	var got [][]byte
	Each(entries, func(v []byte) { got = append(got, append([]byte(nil), v...)) })
	if len(got) != len(vals) {
		t.Fatalf("Each gave %d", len(got))
	}
	for i := range got {
		if !bytes.Equal(got[i], vals[i]) {
			t.Errorf("Each %d: %q", i, got[i])
		}
	}
}

// A string entry that reads as an integer counts as one for Int.
func TestIntOfString(t *testing.T) {
	e := append([]byte{0x82}, "42\x03"...)
	if Check(e, 0) != len(e) || Int(e, 0) != 42 {
		t.Fatalf("Int of a string entry \"42\": %d", Int(e, 0))
	}
	e = append([]byte{0x81}, "x\x02"...)
	if Int(e, 0) != 0 {
		t.Fatal("Int of \"x\"")
	}
}

// FuzzEntries feeds arbitrary bytes to the checker: it must not panic, and
// whatever it accepts the trusted readers must walk the same way, both
// directions, and values must survive being written again.
func FuzzEntries(f *testing.F) {
	var seed []byte
	for _, s := range []string{"a", "1", "-1", "300", "70000", "-0", "9223372036854775807", string(bytes.Repeat([]byte("x"), 200))} {
		seed = Append(seed, []byte(s))
	}
	f.Add(seed)
	f.Add(Wrap(nil, seed, 8))
	f.Add([]byte{0xF0, 0xff, 0xff, 0xff, 0x7f})
	f.Add([]byte{0xE1, 0x00})
	f.Add([]byte{0x82, '4', '2', 0x03})
	f.Fuzz(func(t *testing.T, b []byte) {
		Entries(b) // as a whole listpack: must not panic
		n, ok := CheckEntries(b)
		if !ok {
			return
		}
		var offs []int
		var buf [20]byte
		var again []byte
		p := 0
		for p < len(b) {
			offs = append(offs, p)
			sz := Check(b, p)
			if sz == 0 || sz != Len(b, p) || Next(b, p) != p+sz {
				t.Fatalf("at %d: Check %d Len %d", p, sz, Len(b, p))
			}
			_, _, _, dn := DecodeN(b, p)
			if dn != sz {
				t.Fatalf("at %d: DecodeN size %d, Check %d", p, dn, sz)
			}
			v := Value(b, p, buf[:])
			if !Equal(b, p, v) {
				t.Fatalf("at %d: Equal(Value) false", p)
			}
			again = Append(again, v)
			p += sz
		}
		if len(offs) != n {
			t.Fatalf("walked %d entries, CheckEntries says %d", len(offs), n)
		}
		for i := len(offs) - 1; i >= 0; i-- {
			p = Prev(b, p)
			if p != offs[i] {
				t.Fatalf("Prev gives %d, want %d", p, offs[i])
			}
		}
		// written again (canonically), the values read back the same
		m, ok := CheckEntries(again)
		if !ok || m != n {
			t.Fatalf("rewritten: %d %v", m, ok)
		}
		var buf2 [20]byte
		for i, q := 0, 0; q < len(again); i, q = i+1, Next(again, q) {
			if !bytes.Equal(Value(again, q, buf2[:]), Value(b, offs[i], buf[:])) {
				t.Fatalf("entry %d changed when written again", i)
			}
		}
		lp := Wrap(nil, b, n)
		if e, c, ok := Entries(lp); !ok || c != n || !bytes.Equal(e, b) {
			t.Fatalf("wrapped: %d %v", c, ok)
		}
	})
}

// FuzzAppend: any value written as an entry checks, sizes and reads back.
func FuzzAppend(f *testing.F) {
	for _, s := range []string{"", "0", "-1", "127", "128", "-4096", "9223372036854775807", "-9223372036854775808", "01", "-0", "abc"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, s []byte) {
		e := Append(nil, s)
		v := Prepare(s)
		put := make([]byte, v.Size)
		v.Put(put)
		if !bytes.Equal(e, put) || len(e) != EntrySize(s) || Check(e, 0) != len(e) || Prev(e, len(e)) != 0 {
			t.Fatalf("%q: Append %x Put %x EntrySize %d", s, e, put, EntrySize(s))
		}
		var buf [20]byte
		if got := Value(e, 0, buf[:]); !bytes.Equal(got, s) {
			t.Fatalf("%q reads back as %q", s, got)
		}
		lp := Push(New(0), s)
		if !bytes.Equal(lp[HeaderSize:len(lp)-1], e) || Count(lp) != 1 {
			t.Fatalf("%q: Push %x", s, lp)
		}
	})
}
