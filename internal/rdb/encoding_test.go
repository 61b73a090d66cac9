package rdb

import (
	"bytes"
	"errors"
	"math"
	"testing"
)

func TestLength(t *testing.T) {
	for _, tc := range []struct {
		n    uint64
		want string
	}{
		{0, "\x00"},
		{1, "\x01"},
		{63, "\x3f"},
		{64, "\x40\x40"},
		{300, "\x41\x2c"},
		{16383, "\x7f\xff"},
		{16384, "\x80\x00\x00\x40\x00"},
		{math.MaxUint32, "\x80\xff\xff\xff\xff"},
		{math.MaxUint32 + 1, "\x81\x00\x00\x00\x01\x00\x00\x00\x00"},
		{math.MaxUint64, "\x81\xff\xff\xff\xff\xff\xff\xff\xff"},
	} {
		got := AppendLength([]byte("x"), tc.n)
		if string(got) != "x"+tc.want {
			t.Errorf("AppendLength(%d) = %q, want %q", tc.n, got[1:], tc.want)
		}
		n, enc, rest, err := ReadLength(append([]byte(tc.want), "tail"...))
		if err != nil || enc || n != tc.n || string(rest) != "tail" {
			t.Errorf("ReadLength(%q) = %d, %v, %q, %v", tc.want, n, enc, rest, err)
		}
	}
	// Non-minimal forms are accepted on reading.
	for _, in := range []string{"\x40\x05", "\x80\x00\x00\x00\x05", "\x81\x00\x00\x00\x00\x00\x00\x00\x05"} {
		if n, _, _, err := ReadLength([]byte(in)); err != nil || n != 5 {
			t.Errorf("ReadLength(%q) = %d, %v", in, n, err)
		}
	}
	for enc := uint64(0); enc < 64; enc++ {
		n, isEnc, rest, err := ReadLength([]byte{0xc0 | byte(enc), 'z'})
		if err != nil || !isEnc || n != enc || string(rest) != "z" {
			t.Errorf("ReadLength(%#x) = %d, %v, %q, %v", 0xc0|enc, n, isEnc, rest, err)
		}
	}
	for _, in := range []string{"", "\x40", "\x80\x00\x00\x00", "\x81\x00\x00\x00\x00\x00\x00\x00", "\x82\x00\x00\x00\x00", "\xbf"} {
		if _, _, _, err := ReadLength([]byte(in)); !errors.Is(err, ErrBadData) {
			t.Errorf("ReadLength(%q): err %v, want ErrBadData", in, err)
		}
	}
}

func TestStringEncoding(t *testing.T) {
	for _, tc := range []struct {
		s, want string
	}{
		{"", "\x00"},
		{"0", "\xc0\x00"},
		{"-1", "\xc0\xff"},
		{"127", "\xc0\x7f"},
		{"-128", "\xc0\x80"},
		{"128", "\xc1\x80\x00"},
		{"-129", "\xc1\x7f\xff"},
		{"32767", "\xc1\xff\x7f"},
		{"32768", "\xc2\x00\x80\x00\x00"},
		{"-2147483648", "\xc2\x00\x00\x00\x80"},
		{"2147483647", "\xc2\xff\xff\xff\x7f"},
		{"2147483648", "\x0a2147483648"},
		{"007", "\x03007"},
		{"-0", "\x02-0"},
		{"+5", "\x02+5"},
		{" 5", "\x02 5"},
		{"hello", "\x05hello"},
		{"aaaaaaaaaaaaaaaaaaaa", "\x14aaaaaaaaaaaaaaaaaaaa"}, // 20 bytes: never compressed
		{"aaaaaaaaaaaaaaaaaaaaa", "\xc3\x06\x15\x01aa\xe0\x0a\x00"}, // 21 bytes
	} {
		got := AppendString(nil, []byte(tc.s))
		if string(got) != tc.want {
			t.Errorf("AppendString(%q) = %q, want %q", tc.s, got, tc.want)
		}
		s, rest, err := ReadString(append(got, '!'))
		if err != nil || string(s) != tc.s || string(rest) != "!" {
			t.Errorf("ReadString(%q) = %q, %q, %v", got, s, rest, err)
		}
	}
	long := bytes.Repeat([]byte("lightcone "), 2000)
	enc := AppendString(nil, long)
	if enc[0] != 0xc0|EncLZF || len(enc) >= len(long) {
		t.Errorf("long repetitive string not compressed: %d bytes", len(enc))
	}
	if s, rest, err := ReadString(enc); err != nil || !bytes.Equal(s, long) || len(rest) != 0 {
		t.Errorf("ReadString of compressed string: %v", err)
	}
	raw := AppendRawString(nil, []byte("12"))
	if string(raw) != "\x0212" {
		t.Errorf("AppendRawString = %q", raw)
	}
}

func TestReadStringDoesNotAlias(t *testing.T) {
	in := []byte("\x03abc")
	s, _, err := ReadString(in)
	if err != nil {
		t.Fatal(err)
	}
	in[1] = 'X'
	if string(s) != "abc" {
		t.Fatalf("result changed with its input: %q", s)
	}
}

func TestReadStringErrors(t *testing.T) {
	for _, in := range []string{
		"",
		"\x05abc",
		"\xc0",
		"\xc1\x00",
		"\xc2\x00\x00\x00",
		"\xc4\x00",
		"\xff",
		"\xc3",
		"\xc3\x05",
		"\xc3\x05\x06\x00a",    // compressed data cut short
		"\xc3\x02\x03\x00a",    // expands to 1 byte, not 3
		"\xc3\x02\x05\x20\x00", // refers back before the start
		"\xc3\x81\xff\xff\xff\xff\xff\xff\xff\xff\x05", // clen too big for int
		"\xc3\x02\x81\xff\xff\xff\xff\xff\xff\xff\xff\x00a",
		"\x81\xff\xff\xff\xff\xff\xff\xff\xff",
		"\x80\x7f\xff\xff\xffabc",
	} {
		if s, _, err := ReadString([]byte(in)); !errors.Is(err, ErrBadData) {
			t.Errorf("ReadString(%q) = %q, %v; want ErrBadData", in, s, err)
		}
	}
	// As in Redis, an LZF string whose uncompressed length is 0 is empty
	// whatever its compressed bytes, and the lengths may use the 11xxxxxx
	// form, which then counts as a plain 6-bit length.
	for in, want := range map[string]string{
		"\xc3\x02\x00\x20\x05": "",
		"\xc3\x00\x00":         "",
		"\xc3\xc3\xc2\x01ab":   "ab",
	} {
		if s, _, err := ReadString([]byte(in)); err != nil || string(s) != want {
			t.Errorf("ReadString(%q) = %q, %v; want %q", in, s, err, want)
		}
	}
}
