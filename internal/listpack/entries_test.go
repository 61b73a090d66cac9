package listpack

import (
	"bytes"
	"math"
	"math/rand"
	"strings"
	"testing"
)

// Whole listpacks as stream nodes use them (Push, ReplaceInt, Validate) and
// runs of entries as list nodes use them (Append, Check, Prev, Equal).

func TestListpackIntegers(t *testing.T) {
	vals := []int64{0, 1, 127, 128, -1, -4096, 4095, 4096, -4097, 32767, -32768, 32768, -32769,
		8388607, -8388608, 8388608, -8388609, math.MaxInt32, math.MinInt32, math.MaxInt32 + 1,
		math.MinInt32 - 1, math.MaxInt64, math.MinInt64}
	sizes := []int{1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 9, 9, 9, 9}
	lp := New(0)
	for i, v := range vals {
		if got := IntSize(v); got != sizes[i] {
			t.Errorf("IntSize(%d) = %d, want %d", v, got, sizes[i])
		}
		lp = PushInt(lp, v)
	}
	if n, ok := Validate(lp); !ok || n != len(vals) {
		t.Fatalf("Validate = %d %v", n, ok)
	}
	off := HeaderSize
	for _, v := range vals {
		if got := Int(lp, off); got != v {
			t.Errorf("read %d, want %d", got, v)
		}
		off = Next(lp, off)
	}
	// backwards
	off = len(lp) - 1
	for i := len(vals) - 1; i >= 0; i-- {
		off = Prev(lp, off)
		if got := Int(lp, off); got != vals[i] {
			t.Errorf("backwards read %d, want %d", got, vals[i])
		}
	}
	if off != HeaderSize {
		t.Errorf("walking back ends at %d, not at the first entry", off)
	}
}

func TestListpackStrings(t *testing.T) {
	var vals [][]byte
	for _, n := range []int{0, 1, 63, 64, 127, 128, 4095, 4096, 20000} {
		vals = append(vals, bytes.Repeat([]byte{'a' + byte(n%26)}, n))
	}
	vals = append(vals, []byte("12"), []byte("-7"), []byte("012"), []byte("9223372036854775808"), []byte("-0"))
	lp := New(0)
	for _, v := range vals {
		lp = Push(lp, v)
	}
	if n, ok := Validate(lp); !ok || n != len(vals) {
		t.Fatalf("Validate = %d %v", n, ok)
	}
	off := HeaderSize
	var buf [24]byte
	for _, v := range vals {
		_, _, isInt := Decode(lp, off)
		wantInt := false
		if _, ok := ParseInt(v); ok {
			wantInt = true
		}
		if isInt != wantInt {
			t.Errorf("%q stored as int: %v", v, isInt)
		}
		if got := Value(lp, off, buf[:]); !bytes.Equal(got, v) {
			t.Errorf("read %q, want %q", got, v)
		}
		want := EntrySize(v)
		if got := Next(lp, off) - off; got != want {
			t.Errorf("element %d bytes, lpElemSize says %d", got, want)
		}
		off = Next(lp, off)
	}
	if Count(lp) != len(vals) {
		t.Errorf("numele %d", Count(lp))
	}
}

func TestListpackReplace(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	pick := func() int64 {
		switch r.Intn(4) {
		case 0:
			return int64(r.Intn(200)) - 100
		case 1:
			return int64(r.Intn(100000)) - 50000
		case 2:
			return r.Int63() - r.Int63()
		}
		return int64(r.Intn(9000000)) - 4500000
	}
	for iter := 0; iter < 200; iter++ {
		var want []int64
		lp := New(0)
		for i := r.Intn(20) + 1; i > 0; i-- {
			v := pick()
			want = append(want, v)
			lp = PushInt(lp, v)
		}
		for k := 0; k < 20; k++ {
			i := r.Intn(len(want))
			off := HeaderSize
			for j := 0; j < i; j++ {
				off = Next(lp, off)
			}
			want[i] = pick()
			lp = ReplaceInt(lp, off, want[i])
			if _, ok := Validate(lp); !ok {
				t.Fatal("invalid after replace")
			}
			off = HeaderSize
			for j := range want {
				if got := Int(lp, off); got != want[j] {
					t.Fatalf("element %d = %d, want %d", j, got, want[j])
				}
				off = Next(lp, off)
			}
		}
	}
}

func TestListpackNumeleSaturates(t *testing.T) {
	lp := New(0)
	for i := 0; i < 70000; i++ {
		lp = PushInt(lp, 1)
	}
	if Count(lp) != UnknownCount {
		t.Fatalf("numele %d", Count(lp))
	}
	if n, ok := Validate(lp); !ok || n != 70000 {
		t.Fatalf("Validate = %d %v", n, ok)
	}
}

func TestListpackEntryRoundTrip(t *testing.T) {
	vals := []string{"", "0", "1", "127", "128", "-1", "-4096", "4095", "4096", "-4097", "32767", "32768",
		"-32768", "-32769", "8388607", "8388608", "-8388608", "-8388609", "2147483647", "2147483648",
		"-2147483648", "-2147483649", "9223372036854775807", "-9223372036854775808", "9223372036854775808",
		"-0", "007", "+1", " 1", "1.5", "abc", strings.Repeat("x", 63), strings.Repeat("x", 64),
		strings.Repeat("y", 125), strings.Repeat("y", 126), strings.Repeat("z", 4095), strings.Repeat("z", 4096),
		strings.Repeat("w", 16378), strings.Repeat("w", 16379), strings.Repeat("w", 16380), strings.Repeat("q", 70000)}
	var all []byte
	for _, v := range vals {
		e := Append(nil, []byte(v))
		if n := Check(e, 0); n != len(e) {
			t.Fatalf("%q: check says %d, entry is %d bytes", v, n, len(e))
		}
		var buf [20]byte
		if got := Value(e, 0, buf[:]); string(got) != v {
			t.Fatalf("%q decodes as %q", v, got)
		}
		if p := Prev(e, len(e)); p != 0 {
			t.Fatalf("%q: backlen leads to %d", v, p)
		}
		if !Equal(e, 0, []byte(v)) || Equal(e, 0, []byte(v+"x")) {
			t.Fatalf("%q: Equal", v)
		}
		all = append(all, e...)
	}
	n, ok := CheckEntries(all)
	if !ok || n != len(vals) {
		t.Fatalf("CheckEntries = %d %v", n, ok)
	}
	var got []string
	Each(all, func(v []byte) { got = append(got, string(v)) })
	if strings.Join(got, "|") != strings.Join(vals, "|") {
		t.Fatal("Each differs")
	}
	// known encodings (checked against redis-server 7.0 DUMP output)
	for _, c := range []struct {
		v   string
		enc string
	}{
		{"a", "\x81a\x02"}, {"1", "\x01\x01"}, {"-1", "\xdf\xff\x02"}, {"300", "\xc1\x2c\x02"},
		{"70000", "\xf2\x70\x11\x01\x04"}, {"-0", "\x82-0\x03"},
		{"9223372036854775807", "\xf4\xff\xff\xff\xff\xff\xff\xff\x7f\x09"},
	} {
		if e := Append(nil, []byte(c.v)); string(e) != c.enc {
			t.Errorf("%q encodes as %q, want %q", c.v, e, c.enc)
		}
	}
	e := Append(nil, bytes.Repeat([]byte("x"), 200))
	if string(e[len(e)-2:]) != "\x01\xca" {
		t.Errorf("backlen of a 202-byte entry: %q", e[len(e)-2:])
	}
}

func TestListpackCheckRejects(t *testing.T) {
	good := Append(nil, []byte("hello"))
	bad := [][]byte{
		{0xF5},                         // reserved encoding
		{0xFF},                         // end byte inside a node
		{0x85, 'a', 'b', 0x06},         // string runs past the end
		{0x81, 'a', 0x03},              // wrong backlen
		{0xF0, 1, 0, 0},                // truncated 32-bit length
		{0xF0, 0xff, 0xff, 0xff, 0x7f}, // absurd length
		good[:len(good)-1],
	}
	for _, b := range bad {
		if _, ok := CheckEntries(b); ok {
			t.Errorf("%q accepted", b)
		}
	}
}
