package commands

import (
	"math"
	"testing"
)

// Scores parse as C's strtod reads them (as redis-server 7.0 does, checked
// in test/diff/testdata/zsets.txt): decimal and hexadecimal forms, inf and
// infinity, no NaN, no Go-only syntax.
func TestParseZDouble(t *testing.T) {
	for _, c := range []struct {
		in   string
		want float64
		ok   bool
	}{
		{"1", 1, true},
		{"-1.5", -1.5, true},
		{"+3", 3, true},
		{".5", 0.5, true},
		{"5.", 5, true},
		{"1e3", 1000, true},
		{"1E+2", 100, true},
		{"0x10", 16, true},
		{"0X1.8P1", 3, true},
		{"0x1p-2", 0.25, true},
		{"inf", math.Inf(1), true},
		{"-Infinity", math.Inf(-1), true},
		{"+INF", math.Inf(1), true},
		{"1e-320", 1e-320, true}, // subnormal: fine
		{"1e-400", 0, false},     // underflow to zero
		{"1e400", 0, false},      // overflow
		{"nan", 0, false},
		{"-nan", 0, false},
		{"", 0, false},
		{" 1", 0, false},
		{"1 ", 0, false},
		{"1_0", 0, false},
		{"0x", 0, false},
		{"0x1p", 0, false},
		{"1e", 0, false},
		{"1e+", 0, false},
		{"infinit", 0, false},
		{"1\x00", 0, false},
		{"--1", 0, false},
	} {
		got, ok := parseZDouble([]byte(c.in))
		if ok != c.ok || (ok && got != c.want) {
			t.Errorf("parseZDouble(%q) = %v, %v; want %v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

// Range bounds as zslParseRange reads them: leading space, "" as 0, the
// string ending at NUL, overflow accepted.
func TestParseScoreBound(t *testing.T) {
	for _, c := range []struct {
		in   string
		want float64
		excl bool
		ok   bool
	}{
		{"1", 1, false, true},
		{"(1", 1, true, true},
		{"", 0, false, true},
		{"(", 0, true, true},
		{" 2", 2, false, true},
		{"( 2", 2, true, true},
		{"1e400", math.Inf(1), false, true},
		{"1\x00junk", 1, false, true},
		{"[1", 0, false, false},
		{"((1", 0, false, false},
		{"nan", 0, false, false},
		{"1 ", 0, false, false},
	} {
		got, ok := parseScoreBound([]byte(c.in))
		if ok != c.ok || (ok && (got.Score != c.want || got.Exclusive != c.excl)) {
			t.Errorf("parseScoreBound(%q) = %+v, %v; want %v excl=%v, %v", c.in, got, ok, c.want, c.excl, c.ok)
		}
	}
}

func TestParseLexBound(t *testing.T) {
	for _, c := range []struct {
		in  string
		inf int
		val string
		ex  bool
		ok  bool
	}{
		{"-", -1, "", false, true},
		{"+", 1, "", false, true},
		{"+\x00x", 1, "", false, true},
		{"[a", 0, "a", false, true},
		{"(a\x00b", 0, "a\x00b", true, true},
		{"[", 0, "", false, true},
		{"a", 0, "", false, false},
		{"+a", 0, "", false, false},
		{"", 0, "", false, false},
	} {
		got, ok := parseLexBound([]byte(c.in))
		if ok != c.ok || (ok && (got.Inf != c.inf || got.Value != c.val || got.Exclusive != c.ex)) {
			t.Errorf("parseLexBound(%q) = %+v, %v", c.in, got, ok)
		}
	}
}

// The geohash bit spreading round-trips, and cells move with wrap-around.
func TestGeoBits(t *testing.T) {
	for _, v := range []uint32{0, 1, 0xffffffff, 0x12345678, 1 << 25} {
		if squash32(spread32(v)) != v {
			t.Fatalf("spread/squash %x", v)
		}
	}
	h := geoBits{bits: interleave(0, 0), step: 3}
	if w := h.move(-1, 0); squash32(w.bits>>1) != 7 || squash32(w.bits) != 0 {
		t.Fatalf("west of 0 wraps to 7: %+v", w)
	}
	if score := geoLonLatToScore(13.361389, 38.115556); score != 3479099956230698 {
		t.Fatalf("Palermo scores %v", score)
	}
	lon, lat, _ := geoScoreToLonLat(3479099956230698)
	if string(appendHumanDouble(nil, lon)) != "13.36138933897018433" || string(appendHumanDouble(nil, lat)) != "38.11555639549629859" {
		t.Fatalf("Palermo decodes to %v %v", lon, lat)
	}
}
