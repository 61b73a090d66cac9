package commands

import (
	"math"
	"slices"
	"strings"
	"testing"
)

// Orders redis-server 7.0.15 replied for RPUSH l e d c b a f g h i j with
// w_a..w_f, w_i, w_j = 1 and w_g, w_h = 2, SORT l BY w_* ALPHA [DESC]
// LIMIT start count: equal elements come out in the order of Redis'
// partial quicksort.
func TestSortPartialQuicksortTies(t *testing.T) {
	w := map[string]string{"a": "1", "b": "1", "c": "1", "d": "1", "e": "1", "f": "1", "g": "2", "h": "2", "i": "1", "j": "1"}
	for _, tc := range []struct {
		desc         bool
		start, count int
		want         string
	}{
		{false, 0, 3, "j d c"},
		{false, 1, 5, "d c b a f"},
		{false, 0, 9, "j d c b a f i e g"},
		{false, 2, 2, "c b"},
		{true, 0, 3, "g h c"},
		{true, 1, 5, "h c b a f"},
		{true, 0, 9, "g h c b a f i e j"},
	} {
		var vec []sortElem
		for _, e := range strings.Fields("e d c b a f g h i j") {
			vec = append(vec, sortElem{v: []byte(e), by: []byte(w[e]), has: true})
		}
		r := &sortRun{alpha: true, by: true, desc: tc.desc}
		end := tc.start + tc.count - 1
		pqsortElems(vec, tc.start, end, r.compare)
		var got []string
		for _, e := range vec[tc.start : end+1] {
			got = append(got, string(e.v))
		}
		if g := strings.Join(got, " "); g != tc.want {
			t.Errorf("desc=%v LIMIT %d %d: got %q, want %q", tc.desc, tc.start, tc.count, g, tc.want)
		}
	}
}

// The partial sort puts in lo..hi exactly what a full sort would, for any
// range, when no two elements compare equal.
func TestSortPartialQuicksortRanges(t *testing.T) {
	for n := 0; n < 120; n += 7 {
		for lo := 0; lo < n; lo += 5 {
			for hi := lo; hi < n; hi += 9 {
				var vec []sortElem
				for i := 0; i < n; i++ {
					vec = append(vec, sortElem{score: float64((i * 7919) % 1009), v: []byte{byte(i)}})
				}
				r := &sortRun{}
				full := slices.Clone(vec)
				slices.SortStableFunc(full, func(a, b sortElem) int { return r.compare(&a, &b) })
				pqsortElems(vec, lo, hi, r.compare)
				for i := lo; i <= hi; i++ {
					if vec[i].score != full[i].score {
						t.Fatalf("n=%d lo=%d hi=%d: position %d has %v, want %v", n, lo, hi, i, vec[i].score, full[i].score)
					}
				}
			}
		}
	}
}

// Scores as redis-server 7.0.15 (glibc strtod) reads them for SORT.
func TestSortScore(t *testing.T) {
	ok := map[string]float64{
		"0x10": 16, "0x1p3": 8, " 5": 5, "": 0, "inf": math.Inf(1), "-inf": math.Inf(-1),
		"infinity": math.Inf(1), "-Infinity": math.Inf(-1), "INF": math.Inf(1), ".5": 0.5, "5.": 5, "+5": 5,
		"2.2250738585072014e-308": 0x1p-1022, "-0": math.Copysign(0, -1), "0x1p-1074": 0x1p-1074, "0x1p-1030": 0x1p-1030,
		"0x1.8p-1070": 0x1.8p-1070, "0x1p-1022": 0x1p-1022, "0x.8": 0.5, "0x8.": 8, "0e-400": 0, "0x1P3": 8,
		"1e+5": 1e5, "  -.5e-1": -0.05, "00012": 12, "1.5e308": 1.5e308, "1\x002": 1, "\x00abc": 0,
		"\t\n\v\f\r7": 7, "0x1p+2": 4, "1e5\x00x": 1e5, "-0x10": -16, "9223372036854775807": 9223372036854775807,
	}
	for in, want := range ok {
		got, good := sortScore([]byte(in))
		if !good || got != want || math.Signbit(got) != math.Signbit(want) {
			t.Errorf("sortScore(%q) = %v, %v; want %v", in, got, good, want)
		}
	}
	for _, in := range []string{"1e-310", "1e-400", "1e400", "5 ", "nan", "1e", "0x", "1_0", "4.9e-324",
		"2.225073858507201e-308", "1,5", "\uff11", "0x1p1024", "0x.p1", "infinit", "nan(123)", "-nan", "1e+",
		"1e-5x", "1.8e308", "0x1.fffffffffffff8p1023", "-", " ", " \x005", "x", "1e99999999999999999999",
		"1e-99999999999999999999", "0x1p-1075", "0x1.1p-1074"} {
		if got, good := sortScore([]byte(in)); good {
			t.Errorf("sortScore(%q) = %v, accepted; Redis refuses it", in, got)
		}
	}
}

func TestSortPattern(t *testing.T) {
	for _, tc := range []struct {
		pat, elem string
		key       string // "" when not looked up
		field     string
		self      bool
	}{
		{"#", "x", "", "", true},
		{"#\x00y", "x", "", "", true},
		{"##", "x", "", "", false}, // no '*': never found
		{"w_*", "x", "w_x", "", false},
		{"*", "x", "x", "", false},
		{"a*b*c", "x", "axb*c", "", false},
		{"h_*->f", "x", "h_x", "f", false},
		{"h_*->", "x", "h_x->", "", false},
		{"h_*->f->g", "x", "h_x", "f->g", false},
		{"h->f*", "x", "h->fx", "", false},
		{"w\x00*", "x", "", "", false},
		{"h_*->\x00f", "x", "h_x->\x00f", "", false},
		{"h_*->f\x00g", "x", "h_x", "f\x00g", false},
		{"a*z\x00->f", "x", "axz\x00->f", "", false},
	} {
		p := parseSortPattern([]byte(tc.pat))
		if p.self != tc.self {
			t.Errorf("%q: self=%v", tc.pat, p.self)
			continue
		}
		if tc.self {
			continue
		}
		if tc.key == "" {
			if !p.none {
				t.Errorf("%q: looked up, want never found", tc.pat)
			}
			continue
		}
		k := string(p.prefix) + tc.elem + string(p.suffix)
		if p.none || k != tc.key || string(p.field) != tc.field || (p.field == nil) != (tc.field == "") {
			t.Errorf("%q on %q: key %q field %q (none=%v); want key %q field %q", tc.pat, tc.elem, k, p.field, p.none, tc.key, tc.field)
		}
	}
}

func TestSortKeys(t *testing.T) {
	for _, tc := range []struct {
		args string
		want []int
	}{
		{"sort a", []int{1}},
		{"sort a store d", []int{1, 3}},
		{"sort a by x get y store d limit 0 1 store e", []int{1, 12}},
		{"sort a store", []int{1}},
		{"sort a limit store x y", []int{1}},
		{"sort a get store by store store d", []int{1, 7}},
		{"sort a STORE limit x y", []int{1, 3}},
	} {
		var args [][]byte
		for _, w := range strings.Fields(tc.args) {
			args = append(args, []byte(w))
		}
		if got := sortKeys(args); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.args, got, tc.want)
		}
	}
}

// msortElems is a stable sort: equal elements keep their order.
func TestSortMergeStable(t *testing.T) {
	for n := 0; n < 300; n += 13 {
		var vec []sortElem
		for i := 0; i < n; i++ {
			vec = append(vec, sortElem{v: []byte{byte(i / 256), byte(i)}, by: []byte{byte((i * 7) % 5)}, has: i%11 != 0})
		}
		r := &sortRun{alpha: true, by: true, desc: n%2 == 0}
		want := slices.Clone(vec)
		slices.SortStableFunc(want, func(a, b sortElem) int { return r.compare(&a, &b) })
		msortElems(vec, r)
		for i := range vec {
			if !slices.Equal(vec[i].v, want[i].v) {
				t.Fatalf("n=%d: position %d holds %v, want %v", n, i, vec[i].v, want[i].v)
			}
		}
	}
}
